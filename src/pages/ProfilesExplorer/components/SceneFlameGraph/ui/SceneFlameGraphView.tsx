import React from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import {
  SceneComponentProps,
  SceneObjectBase,
  SceneObjectState,
  TextBoxVariable,
  VizPanel,
  sceneGraph,
} from '@grafana/scenes';
import { IconButton, Tag, useStyles2 } from '@grafana/ui';
import { buildSeriesPanel } from '../../../../../shared/ui/buildSeriesPanel';
import { SceneFlameGraph } from './SceneFlameGraph';
import { titleMainPanelByProfileType } from '../../../ui/mainPanelTitle';
import { SceneProfilesHeatmap } from '../../SceneProfilesHeatmap/ui/SceneProfilesHeatmap';

interface SceneFlameGraphViewState extends SceneObjectState {
  main: VizPanel;
  heatmap: SceneProfilesHeatmap;
  flameGraph: SceneFlameGraph;
}

// Variables in the selector keep both the series and the flame graph in step with the pickers and filters.
const SERVICE_SELECTOR = '{service_name="${serviceName}",${filters}}';

export class SceneFlameGraphView extends SceneObjectBase<SceneFlameGraphViewState> {
  constructor() {
    super({
      main: buildSeriesPanel({
        title: '${serviceName} · ${profileMetricId}',
        labelSelector: SERVICE_SELECTOR,
        displayName: '${serviceName}',
        actions: [{ label: 'Labels', target: { explorationType: 'labels' } }],
      }),
      heatmap: new SceneProfilesHeatmap({ labelSelector: SERVICE_SELECTOR }),
      flameGraph: new SceneFlameGraph({ labelSelector: SERVICE_SELECTOR }),
    });
    titleMainPanelByProfileType(this, this.state.main);
  }

  static Component = SceneFlameGraphViewRenderer;
}

function SceneFlameGraphViewRenderer({ model }: SceneComponentProps<SceneFlameGraphView>) {
  const styles = useStyles2(getStyles);
  const { main, heatmap, flameGraph } = model.useState();
  const span = sceneGraph.lookupVariable('spanSelector', model);
  return (
    <div className={styles.container} data-testid="flame-graph-view">
      {span instanceof TextBoxVariable && <SpanChip variable={span} />}
      <div className={styles.main}>
        <main.Component model={main} />
      </div>
      <heatmap.Component model={heatmap} />
      <flameGraph.Component model={flameGraph} />
    </div>
  );
}

// Set by trace-to-profile links (`var-spanSelector`): the flame graph shows only that span's samples.
function SpanChip({ variable }: { variable: TextBoxVariable }) {
  const styles = useStyles2(getStyles);
  const { value } = variable.useState();
  if (!value) {
    return null;
  }
  return (
    <div className={styles.span} data-testid="span-selector">
      <Tag name={`Span ${value}`} icon="link" />
      <IconButton
        name="times"
        tooltip="Show the whole profile, not only this span"
        onClick={() => variable.setValue('')}
      />
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  container: css({ display: 'flex', flexDirection: 'column', gap: theme.spacing(2) }),
  main: css({ height: 240 }),
  span: css({ display: 'flex', alignItems: 'center', gap: theme.spacing(0.5) }),
});
