import React from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { locationService } from '@grafana/runtime';
import {
  AdHocFiltersVariable,
  SceneComponentProps,
  SceneObjectBase,
  SceneObjectState,
  TextBoxVariable,
  VariableDependencyConfig,
  VizPanel,
  sceneGraph,
} from '@grafana/scenes';
import { titleMainPanelByProfileType } from '../../../ui/mainPanelTitle';
import {
  Alert,
  Button,
  Checkbox,
  Combobox,
  LoadingPlaceholder,
  RadioButtonGroup,
  Stack,
  useStyles2,
} from '@grafana/ui';
import { buildLabelSelector } from '../../../../../shared/domain/labelSelector';
import { LabelCardinality, loadLabelCardinalities } from '../../../domain/catalog';
import { buildSeriesPanel } from '../../../../../shared/ui/buildSeriesPanel';
import { GROUP_BY_ALL, getDataSourceUid, getFilters, getTimeWindow, getVariableValue } from '../../../domain/variables';
import { ScenePanelGrid } from '../../ScenePanelGrid/ui/ScenePanelGrid';
import { PanelType } from '../../../../../shared/domain/explorerNavigation';
import { compareUrlParams } from '../domain/compareFilters';

interface SceneLabelsState extends SceneObjectState {
  main: VizPanel;
  grid: ScenePanelGrid;
  labels: LabelCardinality[];
  loading: boolean;
  error?: string;
  /** label values picked for the comparison, in pick order (at most two) */
  picked: string[];
}

const ALL = GROUP_BY_ALL;
/** Series drawn in a panel grouped by a label (the official app's limit as well). */
const LABEL_PANEL_SERIES = 10;
// Series selector of the current service with the current filters; variables keep the panels in step.
const SERVICE_SELECTOR = '{service_name="${serviceName}",${filters}}';

export class SceneLabels extends SceneObjectBase<SceneLabelsState> {
  protected _variableDependency = new VariableDependencyConfig(this, {
    variableNames: ['dataSource', 'serviceName', 'profileMetricId', 'filters', 'groupBy'],
    onReferencedVariableValueChanged: () => this.load(),
  });

  constructor() {
    super({
      // grouped as the official app groups it: one series per value of the group-by label, at most as many as
      // a label's panel shows
      main: buildSeriesPanel({
        title: '${serviceName}',
        labelSelector: SERVICE_SELECTOR,
        displayName: '${serviceName}',
        groupBy: ['${groupBy}'],
        limit: LABEL_PANEL_SERIES,
      }),
      grid: new ScenePanelGrid({ noun: 'panels' }),
      labels: [],
      loading: true,
      picked: [],
    });
    titleMainPanelByProfileType(this, this.state.main, { grouped: true });
    this.addActivationHandler(() => {
      this.load();
      const tr = sceneGraph.getTimeRange(this).subscribeToState(() => this.load());
      return () => tr.unsubscribe();
    });
  }

  groupBy(): string {
    return getVariableValue(this, 'groupBy');
  }

  setGroupBy = (label: string) => {
    const v = sceneGraph.lookupVariable('groupBy', this);
    if (v instanceof TextBoxVariable) {
      v.setValue(label);
    }
    this.setState({ picked: [] });
  };

  addFilter = (key: string, operator: '=' | '!=', value: string) => {
    const v = sceneGraph.lookupVariable('filters', this);
    if (v instanceof AdHocFiltersVariable) {
      const rest = v.state.filters.filter((f) => !(f.key === key && f.value === value));
      v.updateFilters([...rest, { key, operator, value }]);
    }
  };

  togglePick = (value: string) => {
    const { picked } = this.state;
    const next = picked.includes(value) ? picked.filter((p) => p !== value) : [...picked, value].slice(-2);
    this.setState({ picked: next });
  };

  compare = () => {
    const [baseline, comparison] = this.state.picked;
    const { from, to } = sceneGraph.getTimeRange(this).state;
    locationService.partial(
      compareUrlParams(getFilters(this), this.groupBy(), [baseline, comparison], { from, to }, getTimeWindow(this))
    );
  };

  async load() {
    const serviceName = getVariableValue(this, 'serviceName');
    const profileMetricId = getVariableValue(this, 'profileMetricId');
    if (!serviceName || !profileMetricId) {
      this.setState({ loading: false, labels: [] });
      return;
    }
    this.setState({ loading: true, error: undefined });
    try {
      const filters = getFilters(this);
      const matcher = buildLabelSelector(serviceName, filters)
        .replace(/^\{/, `{__profile_type__="${profileMetricId}",`)
        .replace(/,\}$/, '}');
      const labels = await loadLabelCardinalities(getDataSourceUid(this), getTimeWindow(this), matcher);
      const groupBy = this.groupBy();
      let panels: Array<{ name: string; build: (panelType: PanelType) => VizPanel }>;
      if (!groupBy) {
        panels = labels.map((l) => ({
          name: l.name,
          build: (panelType: PanelType) =>
            buildSeriesPanel({
              title: `${l.name} (${l.values.length})`,
              panelType,
              labelSelector: SERVICE_SELECTOR,
              groupBy: [l.name],
              limit: LABEL_PANEL_SERIES,
              showLegend: true,
              extraActions: (
                <Button
                  size="sm"
                  fill="text"
                  variant="primary"
                  onClick={() => this.setGroupBy(l.name)}
                  data-testid={`group-by-${l.name}`}
                >
                  Select
                </Button>
              ),
            }),
        }));
      } else {
        const values = labels.find((l) => l.name === groupBy)?.values ?? [];
        const others = filters.filter((f) => f.key !== groupBy);
        panels = values.map((value) => ({
          name: value,
          build: (panelType: PanelType) =>
            buildSeriesPanel({
              title: `${groupBy} = ${value}`,
              panelType,
              labelSelector: buildLabelSelector(serviceName, [...others, { key: groupBy, operator: '=', value }]),
              displayName: value,
              extraActions: <ValueActions model={this} label={groupBy} value={value} />,
            }),
        }));
      }
      this.state.grid.setPanels(panels);
      this.setState({ labels, loading: false });
    } catch (e) {
      this.setState({ loading: false, error: String((e as Error).message ?? e) });
    }
  }

  static Component = SceneLabelsRenderer;
}

/** Labels shown as tabs; more than this and the rest are picked from a list. */
const MAX_TABS = 8;

function SceneLabelsRenderer({ model }: SceneComponentProps<SceneLabels>) {
  const styles = useStyles2(getStyles);
  const { main, grid, labels, loading, error, picked } = model.useState();
  const groupBy = model.groupBy();
  // Tabs for the first labels, as the official app, the number of values with each; the rest in a list.
  const option = (l: { name: string; values: string[] }) => ({
    label: `${l.name} (${l.values.length})`,
    value: l.name,
  });
  const tabs = [{ label: 'All', value: ALL }, ...labels.slice(0, MAX_TABS).map(option)];
  const others = labels.slice(MAX_TABS).map(option);
  const inTabs = !groupBy || tabs.some((t) => t.value === groupBy);
  return (
    <div className={styles.container} data-testid="labels-view">
      <div className={styles.main}>
        <main.Component model={main} />
      </div>
      <div className={styles.controls}>
        <Stack gap={1} alignItems="center">
          <span>Group by</span>
          <div data-testid="group-by-tabs">
            <RadioButtonGroup
              size="sm"
              options={tabs}
              value={inTabs ? groupBy || ALL : undefined}
              onChange={(v) => model.setGroupBy(v === ALL ? '' : v)}
            />
          </div>
          {others.length > 0 && (
            <Combobox
              width={28}
              placeholder={`Other labels (${others.length})`}
              options={others}
              value={inTabs ? null : groupBy}
              onChange={(o) => o && model.setGroupBy(o.value)}
              data-testid="group-by-select"
            />
          )}
        </Stack>
        {groupBy && (
          <Stack gap={1} alignItems="center">
            <span data-testid="compare-picked">
              {picked.length ? `Picked: ${picked.join(' vs ')}` : 'Pick two values to compare'}
            </span>
            <Button size="sm" disabled={picked.length !== 2} onClick={model.compare} data-testid="compare-button">
              Compare
            </Button>
          </Stack>
        )}
      </div>
      <div className={styles.labelList} data-testid="label-list">
        {labels.map((l) => (
          <span key={l.name} className={styles.labelChip} title={l.values.join(', ')}>
            {l.name}: {l.values.slice(0, 10).join(', ')}
            {l.values.length > 10 ? ` +${l.values.length - 10}` : ''}
          </span>
        ))}
      </div>
      {error && <Alert title="Could not load labels">{error}</Alert>}
      {loading && !labels.length && <LoadingPlaceholder text="Loading labels..." />}
      {!loading && !error && !labels.length && (
        <Alert severity="info" title="No labels">
          This service has no labels besides its name in the selected time range.
        </Alert>
      )}
      <grid.Component model={grid} />
    </div>
  );
}

function ValueActions({ model, label, value }: { model: SceneLabels; label: string; value: string }) {
  const { picked } = model.useState();
  return (
    <Stack gap={0.5} alignItems="center">
      <Button
        size="sm"
        fill="text"
        variant="secondary"
        icon="search-plus"
        onClick={() => model.addFilter(label, '=', value)}
      >
        Include
      </Button>
      <Button
        size="sm"
        fill="text"
        variant="secondary"
        icon="search-minus"
        onClick={() => model.addFilter(label, '!=', value)}
      >
        Exclude
      </Button>
      <Checkbox value={picked.includes(value)} onChange={() => model.togglePick(value)} label="Compare" />
    </Stack>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  container: css({ display: 'flex', flexDirection: 'column', gap: theme.spacing(1) }),
  main: css({ height: 260 }),
  controls: css({
    display: 'flex',
    justifyContent: 'space-between',
    alignItems: 'center',
    flexWrap: 'wrap',
    gap: theme.spacing(1),
  }),
  labelList: css({ display: 'flex', flexWrap: 'wrap', gap: theme.spacing(0.5) }),
  labelChip: css({
    padding: theme.spacing(0.25, 1),
    borderRadius: theme.shape.radius.pill,
    background: theme.colors.background.secondary,
    fontSize: theme.typography.bodySmall.fontSize,
  }),
});
