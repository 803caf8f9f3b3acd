import React, { useState } from 'react';
import { locationService } from '@grafana/runtime';
import { Button } from '@grafana/ui';
import { backTarget } from '../domain/backTarget';

/** The official app's way out of Ad hoc and Settings: back to the view they were opened from. */
export function BackToExploreButton({ dataSourceUid }: { dataSourceUid?: string }) {
  // read at mount: the page's own URL updates (a data source picked here) replace the entry without its state
  const [state] = useState(() => locationService.getLocation().state);
  return (
    <Button
      type="button"
      variant="secondary"
      onClick={() => locationService.push(backTarget(state, dataSourceUid))}
      data-testid="back-to-explore"
    >
      Back to Profiles Drilldown
    </Button>
  );
}
