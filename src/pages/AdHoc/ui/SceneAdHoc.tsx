import React from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import {
  SceneComponentProps,
  SceneObjectBase,
  SceneObjectState,
  SceneObjectUrlSyncConfig,
  SceneObjectUrlValues,
  sceneGraph,
} from '@grafana/scenes';
import { RadioButtonGroup, useStyles2 } from '@grafana/ui';
import { useRecentUploads } from '../domain/useRecentUploads';
import { useAdHocProfile } from '../domain/useAdHocProfile';
import { AdHocDiff } from './AdHocDiff';
import { AdHocPanel } from './AdHocPanel';
import { BackToExploreButton } from '../../../shared/ui/BackToExploreButton';

export type AdHocMode = 'single' | 'compare' | 'diff';
const MODES: AdHocMode[] = ['single', 'compare', 'diff'];

interface SceneAdHocState extends SceneObjectState {
  mode: AdHocMode;
}

/** Files uploaded for a one-off look, kept by the Pyroscope server apart from ingested profiles. */
export class SceneAdHoc extends SceneObjectBase<SceneAdHocState> {
  protected _urlSync = new SceneObjectUrlSyncConfig(this, { keys: ['mode'] });

  constructor() {
    super({ mode: 'single' });
  }

  getUrlState(): SceneObjectUrlValues {
    return { mode: this.state.mode === 'single' ? undefined : this.state.mode };
  }

  updateFromUrl(values: SceneObjectUrlValues) {
    const mode = MODES.find((m) => m === values.mode) ?? 'single';
    if (mode !== this.state.mode) {
      this.setState({ mode });
    }
  }

  setMode = (mode: AdHocMode) => this.setState({ mode });

  static Component = SceneAdHocRenderer;
}

function SceneAdHocRenderer({ model }: SceneComponentProps<SceneAdHoc>) {
  const styles = useStyles2(getStyles);
  const { mode } = model.useState();
  sceneGraph.lookupVariable('dataSource', model)?.useState();
  const dataSourceUid = sceneGraph.interpolate(model, '${dataSource}');
  const left = useAdHocProfile(dataSourceUid);
  const right = useAdHocProfile(dataSourceUid);
  const { recent } = useRecentUploads(dataSourceUid, `${left.data.profile?.id}:${right.data.profile?.id}`).data;
  const two = mode !== 'single';
  return (
    <div className={styles.container} data-testid="adhoc-page">
      <div>
        <RadioButtonGroup
          options={[
            { label: 'Single view', value: 'single' as const },
            { label: 'Side by side', value: 'compare' as const },
            { label: 'Diff view', value: 'diff' as const },
          ]}
          value={mode}
          onChange={model.setMode}
        />
      </div>
      <div className={styles.panels}>
        <AdHocPanel
          side="left"
          title={two ? 'Baseline' : 'Profile'}
          model={left}
          recent={recent}
          showFlameGraph={mode !== 'diff'}
        />
        {two && (
          <AdHocPanel side="right" title="Comparison" model={right} recent={recent} showFlameGraph={mode !== 'diff'} />
        )}
      </div>
      {mode === 'diff' && left.data.profile && right.data.profile && (
        <AdHocDiff baseline={left.data.profile} comparison={right.data.profile} />
      )}
      <div>
        <BackToExploreButton dataSourceUid={dataSourceUid} />
      </div>
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  // the page's whole width: one profile shows its table and flame graph side by side
  container: css({ display: 'flex', flexDirection: 'column', gap: theme.spacing(2), width: '100%', flexGrow: 1 }),
  panels: css({ display: 'flex', gap: theme.spacing(2), alignItems: 'flex-start', width: '100%' }),
});
