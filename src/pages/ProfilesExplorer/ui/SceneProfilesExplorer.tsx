import React from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { locationService } from '@grafana/runtime';
import {
  SceneComponentProps,
  SceneObject,
  SceneObjectBase,
  SceneObjectState,
  SceneObjectUrlSyncConfig,
  SceneObjectUrlValues,
  SceneRefreshPicker,
  SceneTimePicker,
  SceneTimeRange,
  SceneVariableSet,
  sceneGraph,
} from '@grafana/scenes';
import { Alert, Stack, useStyles2 } from '@grafana/ui';
import { ExplorationType, NavigationTarget, navigationParams } from '../../../shared/domain/explorerNavigation';
import {
  DEFAULT_EXPLORER_URL_STATE,
  EXPLORER_URL_KEYS,
  ExplorerUrlState,
  parseExplorerUrl,
  toExplorerUrl,
} from '../domain/urlState';
import { buildVariables, getDataSourceUid, getTimeWindow } from '../domain/variables';
import { ExplorationOption, ExplorationTypeSelector } from './ExplorationTypeSelector';
import { HeaderToolbar } from './HeaderToolbar';
import { applyPluginSettings } from '../domain/applyPluginSettings';
import { SceneAllServices } from '../components/SceneAllServices/ui/SceneAllServices';
import { SceneProfileTypes } from '../components/SceneProfileTypes/ui/SceneProfileTypes';
import { SceneLabels } from '../components/SceneLabels/ui/SceneLabels';
import { SceneFlameGraphView } from '../components/SceneFlameGraph/ui/SceneFlameGraphView';
import { SceneDiffFlameGraphView } from '../components/SceneDiffFlameGraph/ui/SceneDiffFlameGraphView';
import { SceneFavorites } from '../components/SceneFavorites/ui/SceneFavorites';

export interface SceneProfilesExplorerState extends SceneObjectState, ExplorerUrlState {
  body?: SceneObject;
  controls: SceneObject[];
}

const EXPLORATION_OPTIONS: ExplorationOption[] = [
  { label: 'All services', value: 'all', description: 'One panel per service for the chosen profile type' },
  { label: 'Profile types', value: 'profiles', description: 'Every profile type of one service' },
  { label: 'Labels', value: 'labels', description: 'Breakdown of one service by label' },
  { label: 'Flame graph', value: 'flame-graph', description: 'Flame graph and top functions of one service' },
  { label: 'Diff flame graph', value: 'diff-flame-graph', description: 'Compare two selections' },
  { label: 'Favorites', value: 'favorites', description: 'Your saved explorations' },
];

// Which variable pickers make sense in each view.
const PICKERS: Record<ExplorationType, string[]> = {
  all: ['dataSource', 'profileMetricId', 'servicesFilters'],
  profiles: ['dataSource', 'serviceName'],
  labels: ['dataSource', 'serviceName', 'profileMetricId', 'filters'],
  'flame-graph': ['dataSource', 'serviceName', 'profileMetricId', 'filters'],
  'diff-flame-graph': ['dataSource', 'serviceName', 'profileMetricId'],
  favorites: ['dataSource'],
};

function buildBody(type: ExplorationType): SceneObject | undefined {
  switch (type) {
    case 'all':
      return new SceneAllServices();
    case 'profiles':
      return new SceneProfileTypes();
    case 'labels':
      return new SceneLabels();
    case 'flame-graph':
      return new SceneFlameGraphView();
    case 'diff-flame-graph':
      return new SceneDiffFlameGraphView();
    case 'favorites':
      return new SceneFavorites();
    default:
      return undefined;
  }
}

export class SceneProfilesExplorer extends SceneObjectBase<SceneProfilesExplorerState> {
  protected _urlSync = new SceneObjectUrlSyncConfig(this, { keys: EXPLORER_URL_KEYS });

  constructor(state: Partial<SceneProfilesExplorerState> = {}) {
    const explorationType = state.explorationType ?? DEFAULT_EXPLORER_URL_STATE.explorationType;
    super({
      ...DEFAULT_EXPLORER_URL_STATE,
      $timeRange: new SceneTimeRange({ from: 'now-30m', to: 'now' }),
      $variables: buildVariables(),
      controls: [new SceneTimePicker({}), new SceneRefreshPicker({})],
      $behaviors: [applyPluginSettings],
      ...state,
      explorationType,
      body: buildBody(explorationType),
    });
  }

  getUrlState(): SceneObjectUrlValues {
    return toExplorerUrl(this.state);
  }

  updateFromUrl(values: SceneObjectUrlValues) {
    const next = parseExplorerUrl(values);
    const changes: Partial<SceneProfilesExplorerState> = {};
    for (const [k, v] of Object.entries(next) as Array<[keyof ExplorerUrlState, unknown]>) {
      if (JSON.stringify(this.state[k]) !== JSON.stringify(v)) {
        (changes as Record<string, unknown>)[k] = v;
      }
    }
    if (changes.explorationType) {
      changes.body = buildBody(changes.explorationType);
    }
    if (Object.keys(changes).length) {
      this.setState(changes);
    }
  }

  /** Drill-downs change the URL; the URL sync brings the scene (variables and view) in line. */
  goTo(target: NavigationTarget) {
    locationService.partial(navigationParams(target));
  }

  setExplorationType = (explorationType: ExplorationType) => {
    this.goTo({ explorationType });
  };

  setSearchText = (searchText: string) => this.setState({ searchText });

  static Component = SceneProfilesExplorerRenderer;
}

function SceneProfilesExplorerRenderer({ model }: SceneComponentProps<SceneProfilesExplorer>) {
  const styles = useStyles2(getStyles);
  const { explorationType, body, controls } = model.useState();
  const variables = sceneGraph.getVariables(model) as SceneVariableSet;
  const { variables: all } = variables.useState();
  const pickers = all.filter((v) => PICKERS[explorationType].includes(v.state.name));
  return (
    <div className={styles.container} data-testid="profiles-explorer">
      <div className={styles.header}>
        <ExplorationTypeSelector
          options={EXPLORATION_OPTIONS}
          value={explorationType}
          onChange={model.setExplorationType}
        />
        <Stack gap={1}>
          {controls.map((c) => (
            <c.Component key={c.state.key} model={c} />
          ))}
          <HeaderToolbar getAbsolute={() => absoluteRange(model)} dataSourceUid={getDataSourceUid(model)} />
        </Stack>
      </div>
      <div className={styles.pickers}>
        {pickers.map((v) => (
          <div key={v.state.key} className={styles.picker} data-testid={`picker-${v.state.name}`}>
            <span className={styles.pickerLabel}>{v.state.label ?? v.state.name}</span>
            <v.Component model={v} />
          </div>
        ))}
      </div>
      {body ? (
        <body.Component model={body} />
      ) : (
        <Alert severity="info" title="Not available yet">
          The {EXPLORATION_OPTIONS.find((o) => o.value === explorationType)?.label} view is part of the next release of
          this app. Your URL state is kept.
        </Alert>
      )}
    </div>
  );
}

function absoluteRange(scene: SceneObject): Record<string, number> {
  const w = getTimeWindow(scene);
  return { from: w.start, to: w.end };
}

const getStyles = (theme: GrafanaTheme2) => ({
  container: css({ display: 'flex', flexDirection: 'column', gap: theme.spacing(2), flexGrow: 1, width: '100%' }),
  header: css({ display: 'flex', justifyContent: 'space-between', flexWrap: 'wrap', gap: theme.spacing(1) }),
  pickers: css({ display: 'flex', flexWrap: 'wrap', gap: theme.spacing(2), alignItems: 'center' }),
  picker: css({ display: 'flex', alignItems: 'center', gap: theme.spacing(1) }),
  pickerLabel: css({ color: theme.colors.text.secondary, fontSize: theme.typography.bodySmall.fontSize }),
});
