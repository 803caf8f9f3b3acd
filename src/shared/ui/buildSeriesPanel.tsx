import React from 'react';
import { locationService } from '@grafana/runtime';
import { PanelBuilders, SceneQueryRunner, VizPanel } from '@grafana/scenes';
import { Button, Stack } from '@grafana/ui';
import { VisibilityMode } from '@grafana/schema';
import { navigationParams, NavigationTarget } from '../../pages/ProfilesExplorer/domain/urlState';
import { SERIES_DATASOURCE, SeriesQuery } from '../infrastructure/runtime/PyroscopeRuntimeDataSources';

export interface SeriesPanelOptions {
  title: string;
  labelSelector: string;
  profileMetricId?: string;
  groupBy?: string[];
  displayName?: string;
  limit?: number;
  actions?: Array<{ label: string; target: NavigationTarget; testId?: string }>;
  extraActions?: React.ReactNode;
  showLegend?: boolean;
}

/** A time-series panel of SelectSeries through the app's runtime data source (the data-source proxy). */
export function buildSeriesPanel(o: SeriesPanelOptions): VizPanel {
  const query: SeriesQuery = {
    refId: 'A',
    dataSourceUid: '${dataSource}',
    profileMetricId: o.profileMetricId ?? '${profileMetricId}',
    labelSelector: o.labelSelector,
    groupBy: o.groupBy,
    displayName: o.displayName,
    limit: o.limit,
  };
  const actions = o.actions?.length ? (
    <Stack gap={0.5}>
      {o.actions.map((a) => (
        <Button
          key={a.label}
          size="sm"
          variant="secondary"
          fill="text"
          data-testid={a.testId}
          onClick={() => locationService.partial(navigationParams(a.target))}
        >
          {a.label}
        </Button>
      ))}
      {o.extraActions}
    </Stack>
  ) : (
    o.extraActions
  );
  return (
    PanelBuilders.timeseries()
      .setTitle(o.title)
      .setData(new SceneQueryRunner({ datasource: SERIES_DATASOURCE, queries: [query], maxDataPoints: 300 }))
      .setOption('legend', { showLegend: o.showLegend ?? false })
      .setCustomFieldConfig('fillOpacity', 10)
      // Profiles arrive every 10-60 s: a lone point must still be visible.
      .setCustomFieldConfig('showPoints', VisibilityMode.Always)
      .setCustomFieldConfig('pointSize', 5)
      .setHeaderActions(actions)
      .build()
  );
}
