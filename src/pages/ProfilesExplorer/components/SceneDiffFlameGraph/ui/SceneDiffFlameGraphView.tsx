import React, { useCallback, useMemo } from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2, TimeRange, dateTime as dateTimeForMs, dateTimeFormat, rangeUtil } from '@grafana/data';
import {
  AdHocFiltersVariable,
  SceneComponentProps,
  SceneObject,
  SceneObjectBase,
  SceneObjectState,
  VariableDependencyConfig,
  sceneGraph,
} from '@grafana/scenes';
import { Alert, IconButton, LoadingPlaceholder, Stack, TimeRangeInput, useStyles2, useTheme2 } from '@grafana/ui';
import { parseProfileMetricId, grafanaUnit } from '../../../../../shared/domain/profileMetrics';
import { TimeWindow } from '../../../../../shared/infrastructure/pyroscope/PyroscopeApiClient';
import { RenderResponse } from '../../../../../shared/infrastructure/pyroscope/types';
import { DEFAULT_MAX_NODES, ExplorerUrlState } from '../../../domain/urlState';
import { getDataSourceUid, getServiceSelector, getTimeWindow, getVariableValue } from '../../../domain/variables';
import { valueFormatter } from '../../../../../shared/components/FlameGraph/domain/formatValue';
import { FlameGraphContainer } from '../../../../../shared/components/FlameGraph/ui/FlameGraphContainer';
import {
  DiffSide,
  PANEL_KEYS,
  SELECTION_KEYS,
  hasPanelRange,
  readPanelRange,
  readRawPanelRange,
  readSelection,
  writePanelRange,
  writeSelection,
} from '../domain/diffRanges';
import {
  DiffTree,
  diffFlamebearerToTree,
  formatChange,
  formatShare,
  nodeDiff,
} from '../../../../../shared/domain/converters/diffTree';
import { fetchDiff, fetchSideSeries } from '../infrastructure/diffQueries';
import { BrushSeriesChart } from './BrushSeriesChart';
import { ExplainInput } from '../../ExplainFlameGraph/domain/explainPrompt';
import { ExplainFlameGraph } from '../../ExplainFlameGraph/ui/ExplainFlameGraph';
import { ExportMenu } from '../../ExportFlameGraph/ui/ExportMenu';
import { ShareLinkButton } from '../../../ui/ShareLinkButton';

type ExplorerLike = SceneObject<SceneObjectState & ExplorerUrlState>;

interface SideData {
  points: Array<[number, number]>;
  loading: boolean;
  error?: string;
}

export interface DiffResult {
  tree: DiffTree;
  response: RenderResponse;
  unit: string;
  profileMetricId: string;
  serviceName: string;
  baseline: TimeWindow;
  comparison: TimeWindow;
}

interface SceneDiffFlameGraphViewState extends SceneObjectState {
  baseline: SideData;
  comparison: SideData;
  diff?: DiffResult;
  diffLoading: boolean;
  diffError?: string;
}

const FILTERS: Record<DiffSide, string> = { baseline: 'filtersBaseline', comparison: 'filtersComparison' };

/**
 * Diff flame graph: a baseline and a comparison, each a time series with a drag-selected range and its own
 * label filters; the backend aligns the two merged profiles (render-diff) and the chart colours the change.
 */
export class SceneDiffFlameGraphView extends SceneObjectBase<SceneDiffFlameGraphViewState> {
  protected _variableDependency = new VariableDependencyConfig(this, {
    variableNames: ['dataSource', 'serviceName', 'profileMetricId', 'filtersBaseline', 'filtersComparison'],
    onReferencedVariableValueChanged: () => this.load(),
  });
  // Only the latest request of each kind may set state: an older one can finish last.
  private generation = 0;
  private sideGeneration: Record<DiffSide, number> = { baseline: 0, comparison: 0 };

  constructor() {
    super({
      baseline: { points: [], loading: true },
      comparison: { points: [], loading: true },
      diffLoading: true,
    });
    this.addActivationHandler(() => {
      this.load();
      const timeSub = sceneGraph.getTimeRange(this).subscribeToState((s, prev) => {
        if (s.value !== prev.value) {
          this.load();
        }
      });
      const explorerSub = this.explorer()?.subscribeToState((s, prev) => {
        for (const side of ['baseline', 'comparison'] as const) {
          const [a, b] = [readRawPanelRange(s.passthrough, side), readRawPanelRange(prev.passthrough, side)];
          if (JSON.stringify(a) !== JSON.stringify(b)) {
            this.loadSide(side);
          }
        }
        if (s.maxNodes !== prev.maxNodes || JSON.stringify(s.passthrough) !== JSON.stringify(prev.passthrough)) {
          this.loadDiff();
        }
      });
      return () => {
        timeSub.unsubscribe();
        explorerSub?.unsubscribe();
      };
    });
  }

  explorer(): ExplorerLike | undefined {
    return this.parent as ExplorerLike | undefined;
  }

  selection(side: DiffSide): TimeWindow {
    return readSelection(this.explorer()?.state.passthrough ?? {}, side, getTimeWindow(this));
  }

  /** The time range a side's series shows: its own (`from-2`/`to-2`, `from-3`/`to-3`) or the main one. */
  panelRange(side: DiffSide): TimeWindow {
    return readPanelRange(this.explorer()?.state.passthrough ?? {}, side, getTimeWindow(this));
  }

  /** A side's own time range, or undefined to follow the main one; its old selection goes with it. */
  setPanelRange = (side: DiffSide, raw: { from: string; to: string } | undefined) => {
    const explorer = this.explorer();
    if (explorer) {
      const next = writePanelRange(explorer.state.passthrough, side, raw);
      delete next[SELECTION_KEYS[side].from];
      delete next[SELECTION_KEYS[side].to];
      explorer.setState({ passthrough: next });
    }
  };

  select = (side: DiffSide, selection: TimeWindow) => {
    const explorer = this.explorer();
    if (explorer) {
      explorer.setState({ passthrough: writeSelection(explorer.state.passthrough, side, selection) });
    }
  };

  filtersVariable(side: DiffSide): AdHocFiltersVariable | undefined {
    const v = sceneGraph.lookupVariable(FILTERS[side], this);
    return v instanceof AdHocFiltersVariable ? v : undefined;
  }

  private ready(): boolean {
    return Boolean(getDataSourceUid(this) && getVariableValue(this, 'serviceName'));
  }

  load() {
    this.loadSide('baseline');
    this.loadSide('comparison');
    this.loadDiff();
  }

  private async loadSide(side: DiffSide) {
    if (!this.ready()) {
      return;
    }
    const generation = ++this.sideGeneration[side];
    this.setState({ [side]: { ...this.state[side], loading: true, error: undefined } });
    try {
      const points = await fetchSideSeries(
        getDataSourceUid(this),
        getVariableValue(this, 'profileMetricId'),
        getServiceSelector(this, FILTERS[side]),
        this.panelRange(side)
      );
      if (generation === this.sideGeneration[side]) {
        this.setState({ [side]: { points, loading: false } });
      }
    } catch (e) {
      if (generation === this.sideGeneration[side]) {
        this.setState({ [side]: { points: [], loading: false, error: String((e as Error).message ?? e) } });
      }
    }
  }

  private async loadDiff() {
    if (!this.ready()) {
      return;
    }
    const generation = ++this.generation;
    const profileMetricId = getVariableValue(this, 'profileMetricId');
    const baseline = this.selection('baseline');
    const comparison = this.selection('comparison');
    this.setState({ diffLoading: true, diffError: undefined });
    try {
      const response = await fetchDiff(
        getDataSourceUid(this),
        { profileMetricId, selector: getServiceSelector(this, FILTERS.baseline), selection: baseline },
        { profileMetricId, selector: getServiceSelector(this, FILTERS.comparison), selection: comparison },
        this.explorer()?.state.maxNodes ?? DEFAULT_MAX_NODES
      );
      if (generation !== this.generation) {
        return;
      }
      const diff: DiffResult = {
        tree: diffFlamebearerToTree(response.flamebearer),
        response,
        unit: grafanaUnit(parseProfileMetricId(profileMetricId).unit),
        profileMetricId,
        serviceName: getVariableValue(this, 'serviceName'),
        baseline,
        comparison,
      };
      this.setState({ diff, diffLoading: false });
    } catch (e) {
      if (generation === this.generation) {
        this.setState({ diffLoading: false, diffError: String((e as Error).message ?? e), diff: undefined });
      }
    }
  }

  static Component = SceneDiffFlameGraphViewRenderer;
}

function rawTime(t: TimeRange['raw']['from']): string {
  return typeof t === 'string' ? t : String(t.valueOf());
}

/** A side's own raw range for the picker, or the main range it follows. */
function toTimeRange(own: { from: string; to: string } | undefined, main: TimeRange): TimeRange {
  if (!own) {
    return main;
  }
  const parse = (v: string) => (/^\d+$/.test(v) ? dateTimeForMs(Number(v)) : v);
  return rangeUtil.convertRawToRange({ from: parse(own.from), to: parse(own.to) });
}

function formatRange(w: TimeWindow): string {
  return `${dateTimeFormat(w.start, { format: 'YYYY-MM-DD HH:mm:ss' })} – ${dateTimeFormat(w.end, {
    format: 'HH:mm:ss',
  })}`;
}

function SceneDiffFlameGraphViewRenderer({ model }: SceneComponentProps<SceneDiffFlameGraphView>) {
  const styles = useStyles2(getStyles);
  const theme = useTheme2();
  const { baseline, comparison, diff, diffLoading, diffError } = model.useState();
  const explorer = model.explorer();
  explorer?.useState();
  const { value: range } = sceneGraph.getTimeRange(model).useState();
  const unit = grafanaUnit(parseProfileMetricId(getVariableValue(model, 'profileMetricId')).unit);
  const format = useMemo(() => valueFormatter(unit), [unit]);
  const tree = diff?.tree;
  const tooltipRows = useCallback(
    (i: number): Array<[string, string]> => {
      if (!tree) {
        return [];
      }
      const d = nodeDiff(tree, i);
      return [
        [
          'Baseline',
          `total ${formatShare(d.baseTotalShare)} (${format.short(tree.baseTotal[i])}) · self ${formatShare(
            d.baseSelfShare
          )} (${format.short(tree.baseSelf[i])})`,
        ],
        [
          'Comparison',
          `total ${formatShare(d.compTotalShare)} (${format.short(tree.compTotal[i])}) · self ${formatShare(
            d.compSelfShare
          )} (${format.short(tree.compSelf[i])})`,
        ],
        [
          'Change',
          d.status === 'changed'
            ? `total ${formatChange(d.totalChange)} · self ${formatChange(d.selfChange)}`
            : `${formatChange(null, d.status)} in the comparison`,
        ],
      ];
    },
    [tree, format]
  );
  const getInput = useCallback(
    (): ExplainInput | undefined =>
      diff && {
        kind: 'diff',
        tree: diff.tree,
        serviceName: diff.serviceName,
        profileMetricId: diff.profileMetricId,
        baseline: diff.baseline,
        comparison: diff.comparison,
        format,
      },
    [diff, format]
  );
  const getAbsolute = useCallback(() => {
    const w = getTimeWindow(model);
    const b = model.selection('baseline');
    const c = model.selection('comparison');
    const passthrough = model.explorer()?.state.passthrough ?? {};
    const panels: Record<string, number> = {};
    for (const side of ['baseline', 'comparison'] as const) {
      if (hasPanelRange(passthrough, side)) {
        const r = model.panelRange(side);
        panels[PANEL_KEYS[side].from] = r.start;
        panels[PANEL_KEYS[side].to] = r.end;
      }
    }
    return {
      from: w.start,
      to: w.end,
      ...panels,
      [SELECTION_KEYS.baseline.from]: b.start,
      [SELECTION_KEYS.baseline.to]: b.end,
      [SELECTION_KEYS.comparison.from]: c.start,
      [SELECTION_KEYS.comparison.to]: c.end,
    };
  }, [model]);
  if (!getVariableValue(model, 'serviceName')) {
    return <LoadingPlaceholder text="Loading services..." />;
  }
  const sides: Array<{ side: DiffSide; title: string; data: SideData; color: string }> = [
    { side: 'baseline', title: 'Baseline', data: baseline, color: theme.visualization.getColorByName('green') },
    { side: 'comparison', title: 'Comparison', data: comparison, color: theme.visualization.getColorByName('red') },
  ];
  return (
    <div className={styles.container} data-testid="diff-view">
      <div className={styles.sides}>
        {sides.map(({ side, title, data, color }) => {
          const filters = model.filtersVariable(side);
          const selection = model.selection(side);
          const ownRange = readRawPanelRange(explorer?.state.passthrough ?? {}, side);
          const sideWindow = model.panelRange(side);
          return (
            <div key={side} className={styles.side} data-testid={`diff-${side}`}>
              <div className={styles.sideHeader}>
                <strong>{title}</strong>
                <Stack gap={0.5} alignItems="center">
                  <div data-testid={`diff-${side}-time-range`}>
                    <TimeRangeInput
                      value={toTimeRange(ownRange, range)}
                      onChange={(r) => model.setPanelRange(side, { from: rawTime(r.raw.from), to: rawTime(r.raw.to) })}
                      hideTimeZone
                      isReversed={side === 'comparison'}
                    />
                  </div>
                  {ownRange && (
                    <IconButton
                      name="history-alt"
                      tooltip="Follow the main time range again"
                      onClick={() => model.setPanelRange(side, undefined)}
                      data-testid={`diff-${side}-follow-main`}
                    />
                  )}
                </Stack>
              </div>
              <span className={styles.range}>
                Selected: <span data-testid={`diff-${side}-range`}>{formatRange(selection)}</span>
              </span>
              {filters && (
                <div className={styles.filters} data-testid={`diff-${side}-filters`}>
                  <filters.Component model={filters} />
                </div>
              )}
              {data.error ? (
                <Alert title={`Could not load the ${side} series`}>{data.error}</Alert>
              ) : (
                <BrushSeriesChart
                  points={data.points}
                  window={sideWindow}
                  selection={selection}
                  onSelect={(s) => model.select(side, s)}
                  color={color}
                  formatValue={format.short}
                  testId={`diff-${side}-chart`}
                />
              )}
            </div>
          );
        })}
      </div>
      <div className={styles.toolbar}>
        <span className={styles.muted}>
          Red: a larger share of the comparison&apos;s total than of the baseline&apos;s; green: a smaller one.
        </span>
        {tree && (
          <Stack gap={2}>
            {diffLoading && (
              <span className={styles.muted} data-testid="diff-updating">
                Updating...
              </span>
            )}
            <span className={styles.muted} data-testid="diff-baseline-total" data-value={tree.baseRoot}>
              Baseline {format.full(tree.baseRoot)}
            </span>
            <span className={styles.muted} data-testid="diff-comparison-total" data-value={tree.compRoot}>
              Comparison {format.full(tree.compRoot)}
            </span>
          </Stack>
        )}
      </div>
      {diff && (
        <Stack gap={2} alignItems="center" wrap="wrap" data-testid="flamegraph-actions">
          <ExplainFlameGraph getInput={getInput} format={format} />
          <ExportMenu
            serviceName={diff.serviceName}
            profileMetricId={diff.profileMetricId}
            getJson={() => diff.response}
            start={diff.baseline.start}
            title={`${diff.serviceName} · ${diff.profileMetricId} · diff (red: more in the comparison)`}
          />
          <ShareLinkButton getAbsolute={getAbsolute} />
        </Stack>
      )}
      {diffError ? (
        <Alert title="Could not load the diff">{diffError}</Alert>
      ) : !tree ? (
        <LoadingPlaceholder text="Loading diff flame graph..." />
      ) : tree.count <= 1 ? (
        <Alert severity="info" title="No data">
          Neither selection has profiles for this service and profile type.
        </Alert>
      ) : (
        <FlameGraphContainer tree={tree} format={format} diff={tree} tooltipRows={tooltipRows} />
      )}
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  container: css({ display: 'flex', flexDirection: 'column', gap: theme.spacing(2) }),
  sides: css({
    display: 'grid',
    gridTemplateColumns: '1fr 1fr',
    gap: theme.spacing(2),
    '@media (max-width: 1000px)': { gridTemplateColumns: '1fr' },
  }),
  side: css({
    display: 'flex',
    flexDirection: 'column',
    gap: theme.spacing(1),
    padding: theme.spacing(1),
    border: `1px solid ${theme.colors.border.weak}`,
    borderRadius: theme.shape.radius.default,
    minWidth: 0,
  }),
  sideHeader: css({ display: 'flex', justifyContent: 'space-between', gap: theme.spacing(1) }),
  range: css({ color: theme.colors.text.secondary, fontSize: theme.typography.bodySmall.fontSize }),
  filters: css({ minHeight: 32 }),
  toolbar: css({ display: 'flex', justifyContent: 'space-between', flexWrap: 'wrap', gap: theme.spacing(1) }),
  muted: css({ color: theme.colors.text.secondary, fontSize: theme.typography.bodySmall.fontSize }),
});
