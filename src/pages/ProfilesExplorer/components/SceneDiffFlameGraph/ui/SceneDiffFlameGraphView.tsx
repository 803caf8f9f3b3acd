import React, { useCallback, useMemo, useRef } from 'react';
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
import { Alert, Button, Combobox, LoadingPlaceholder, Stack, TimeRangeInput, useStyles2, useTheme2 } from '@grafana/ui';
import { parseProfileMetricId, grafanaUnit } from '../../../../../shared/domain/profileMetrics';
import type { TimeWindow } from '../../../../../shared/infrastructure/pyroscope/PyroscopeApiClient';
import type { RenderResponse } from '../../../../../shared/infrastructure/pyroscope/types';
import { DEFAULT_MAX_NODES, ExplorerUrlState } from '../../../domain/urlState';
import { getDataSourceUid, getServiceSelector, getTimeWindow, getVariableValue } from '../../../domain/variables';
import { valueFormatter } from '../../../../../shared/components/FlameGraph/domain/formatValue';
import { FlameGraphContainer } from '../../../../../shared/components/FlameGraph/ui/FlameGraphContainer';
import {
  DIFF_PRESETS,
  DiffSide,
  PANEL_KEYS,
  RawRange,
  SELECTION_KEYS,
  SIDES,
  applyAutoSelect,
  applyPreset,
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
import { fetchDiff, fetchSideSeries } from '../domain/diffQueries';
import { BrushSeriesChart } from './BrushSeriesChart';
import { ExplainInput } from '../../ExplainFlameGraph/domain/explainPrompt';
import { ExplainFlameGraph } from '../../ExplainFlameGraph/ui/ExplainFlameGraph';
import { ExportMenu } from '../../ExportFlameGraph/ui/ExportMenu';
import { ShareLinkButton } from '../../../ui/ShareLinkButton';

type ExplorerLike = SceneObject<SceneObjectState & ExplorerUrlState>;

interface SideData {
  points: Array<[number, number]>;
  /** the time range the points were asked for (relative ranges are evaluated once, when asked) */
  window?: TimeWindow;
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
 * Diff flame graph: a baseline and a comparison, each a time series over its own time range (the last hour
 * unless set) with a drag-selected part and its own label filters; the backend aligns the two merged profiles
 * (render-diff) and the chart colours the change. Nothing is selected until the user drags, auto-selects or
 * picks a preset, as in the official app.
 */
export class SceneDiffFlameGraphView extends SceneObjectBase<SceneDiffFlameGraphViewState> {
  protected _variableDependency = new VariableDependencyConfig(this, {
    variableNames: ['dataSource', 'serviceName', 'profileMetricId', 'filtersBaseline', 'filtersComparison'],
    onReferencedVariableValueChanged: () => this.load(),
  });
  // One request per distinct query: variables, the URL and the time range all call load(), often for the
  // same query; the key of the last query asked skips the repeats. Only the latest answer may set state.
  private sideKey: Record<DiffSide, string> = { baseline: '', comparison: '' };
  private diffKey = '';
  // Two sides with the same query (same range and filters) share one request.
  private sideRequests = new Map<string, Promise<Array<[number, number]>>>();

  constructor() {
    super({
      baseline: { points: [], loading: true },
      comparison: { points: [], loading: true },
      diffLoading: false,
    });
    this.addActivationHandler(() => {
      this.sideKey = { baseline: '', comparison: '' };
      this.diffKey = '';
      this.sideRequests.clear();
      this.load();
      const timeSub = sceneGraph.getTimeRange(this).subscribeToState((s, prev) => {
        if (s.value !== prev.value) {
          this.load();
        }
      });
      const explorerSub = this.explorer()?.subscribeToState((s, prev) => {
        if (s.maxNodes !== prev.maxNodes || s.passthrough !== prev.passthrough) {
          this.load();
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

  private passthrough(): Record<string, string> {
    return this.explorer()?.state.passthrough ?? {};
  }

  selection(side: DiffSide): TimeWindow | undefined {
    return readSelection(this.passthrough(), side);
  }

  rawRange(side: DiffSide): RawRange {
    return readRawPanelRange(this.passthrough(), side);
  }

  private update(next: Record<string, string>) {
    this.explorer()?.setState({ passthrough: next });
  }

  /** A side's own time range; its selection was of the old one and goes. */
  setPanelRange = (side: DiffSide, raw: RawRange) => this.update(writePanelRange(this.passthrough(), side, raw));

  select = (side: DiffSide, selection: TimeWindow) => this.update(writeSelection(this.passthrough(), side, selection));

  autoSelect = (wholeRange: boolean) => this.update(applyAutoSelect(this.passthrough(), wholeRange));

  choosePreset = (value: string) => {
    const preset = DIFF_PRESETS.find((p) => p.value === value);
    if (preset) {
      this.update(applyPreset(this.passthrough(), preset));
    }
  };

  filtersVariable(side: DiffSide): AdHocFiltersVariable | undefined {
    const v = sceneGraph.lookupVariable(FILTERS[side], this);
    return v instanceof AdHocFiltersVariable ? v : undefined;
  }

  private ready(): boolean {
    return Boolean(getDataSourceUid(this) && getVariableValue(this, 'serviceName'));
  }

  // The main time range changes on refresh: part of every key, so a refresh asks again.
  private refreshStamp(): number {
    return sceneGraph.getTimeRange(this).state.value.to.valueOf();
  }

  load() {
    if (!this.ready()) {
      return;
    }
    for (const side of SIDES) {
      this.loadSide(side);
    }
    this.loadDiff();
  }

  private async loadSide(side: DiffSide) {
    const uid = getDataSourceUid(this);
    const profileMetricId = getVariableValue(this, 'profileMetricId');
    const selector = getServiceSelector(this, FILTERS[side]);
    const raw = this.rawRange(side);
    const key = JSON.stringify([uid, profileMetricId, selector, raw, this.refreshStamp()]);
    if (key === this.sideKey[side]) {
      return;
    }
    this.sideKey[side] = key;
    const window = readPanelRange(this.passthrough(), side);
    this.setState({ [side]: { ...this.state[side], loading: true, error: undefined } });
    try {
      let request = this.sideRequests.get(key);
      if (!request) {
        request = fetchSideSeries(uid, profileMetricId, selector, window);
        this.sideRequests.set(key, request);
        // only requests in flight are shared: a later load with the same key is skipped by sideKey anyway
        const drop = () => this.sideRequests.delete(key);
        request.then(drop, drop);
      }
      const points = await request;
      if (key === this.sideKey[side]) {
        this.setState({ [side]: { points, window, loading: false } });
      }
    } catch (e) {
      if (key === this.sideKey[side]) {
        this.setState({ [side]: { points: [], window, loading: false, error: String((e as Error).message ?? e) } });
      }
    }
  }

  private async loadDiff() {
    const baseline = this.selection('baseline');
    const comparison = this.selection('comparison');
    if (!baseline || !comparison) {
      this.diffKey = '';
      this.setState({ diff: undefined, diffLoading: false, diffError: undefined });
      return;
    }
    const uid = getDataSourceUid(this);
    const profileMetricId = getVariableValue(this, 'profileMetricId');
    const selectors = SIDES.map((side) => getServiceSelector(this, FILTERS[side]));
    const maxNodes = this.explorer()?.state.maxNodes ?? DEFAULT_MAX_NODES;
    const key = JSON.stringify([uid, profileMetricId, selectors, baseline, comparison, maxNodes, this.refreshStamp()]);
    if (key === this.diffKey) {
      return;
    }
    this.diffKey = key;
    this.setState({ diffLoading: true, diffError: undefined });
    try {
      const response = await fetchDiff(
        uid,
        { profileMetricId, selector: selectors[0], selection: baseline },
        { profileMetricId, selector: selectors[1], selection: comparison },
        maxNodes
      );
      if (key !== this.diffKey) {
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
      if (key === this.diffKey) {
        this.setState({ diffLoading: false, diffError: String((e as Error).message ?? e), diff: undefined });
      }
    }
  }

  static Component = SceneDiffFlameGraphViewRenderer;
}

function rawTime(t: TimeRange['raw']['from']): string {
  return typeof t === 'string' ? t : String(t.valueOf());
}

/** A side's raw range for its picker. */
function toTimeRange(own: RawRange): TimeRange {
  const parse = (v: string) => (/^\d+$/.test(v) ? dateTimeForMs(Number(v)) : v);
  return rangeUtil.convertRawToRange({ from: parse(own.from), to: parse(own.to) });
}

function formatRange(w: TimeWindow): string {
  return `${dateTimeFormat(w.start, { format: 'YYYY-MM-DD HH:mm:ss' })} – ${dateTimeFormat(w.end, {
    format: 'HH:mm:ss',
  })}`;
}

const PRESET_OPTIONS = [
  ...DIFF_PRESETS.map((p) => ({ label: p.label, value: p.value })),
  { label: 'Auto-select (25% range)', value: 'auto-select-25' },
  { label: 'Auto-select (whole range)', value: 'auto-select-whole' },
];

function SceneDiffFlameGraphViewRenderer({ model }: SceneComponentProps<SceneDiffFlameGraphView>) {
  const styles = useStyles2(getStyles);
  const theme = useTheme2();
  const { baseline, comparison, diff, diffLoading, diffError } = model.useState();
  const explorer = model.explorer();
  explorer?.useState();
  const presets = useRef<HTMLDivElement>(null);
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
    const main = getTimeWindow(model);
    const out: Record<string, number> = { from: main.start, to: main.end };
    for (const side of SIDES) {
      const w = model.state[side].window;
      if (w) {
        out[PANEL_KEYS[side].from] = w.start;
        out[PANEL_KEYS[side].to] = w.end;
      }
      const s = model.selection(side);
      if (s) {
        out[SELECTION_KEYS[side].from] = s.start;
        out[SELECTION_KEYS[side].to] = s.end;
      }
    }
    return out;
  }, [model]);
  if (!getVariableValue(model, 'serviceName')) {
    return <LoadingPlaceholder text="Loading services..." />;
  }
  // One y axis for both sides, so that heights compare.
  const yMax = Math.max(0, ...baseline.points.map((p) => p[1]), ...comparison.points.map((p) => p[1]));
  const sides: Array<{ side: DiffSide; title: string; data: SideData; color: string }> = [
    { side: 'baseline', title: 'Baseline', data: baseline, color: theme.visualization.getColorByName('green') },
    { side: 'comparison', title: 'Comparison', data: comparison, color: theme.visualization.getColorByName('red') },
  ];
  const selections = { baseline: model.selection('baseline'), comparison: model.selection('comparison') };
  const onPreset = (value?: string) => {
    if (value === 'auto-select-25' || value === 'auto-select-whole') {
      model.autoSelect(value === 'auto-select-whole');
    } else if (value) {
      model.choosePreset(value);
    }
  };
  return (
    <div className={styles.container} data-testid="diff-view">
      <div className={styles.toolbar}>
        <div data-testid="diff-presets" className={styles.presets} ref={presets}>
          <Combobox
            placeholder="Choose a preset"
            aria-label="Comparison presets"
            value={null}
            options={PRESET_OPTIONS}
            onChange={(o) => onPreset(o?.value)}
            width={32}
          />
        </div>
      </div>
      <div className={styles.sides}>
        {sides.map(({ side, title, data, color }) => {
          const filters = model.filtersVariable(side);
          const selection = selections[side];
          const raw = model.rawRange(side);
          return (
            <div key={side} className={styles.side} data-testid={`diff-${side}`}>
              <div className={styles.sideHeader}>
                <strong>{title}</strong>
                <div data-testid={`diff-${side}-time-range`} data-from={raw.from} data-to={raw.to}>
                  <TimeRangeInput
                    value={toTimeRange(raw)}
                    onChange={(r) => model.setPanelRange(side, { from: rawTime(r.raw.from), to: rawTime(r.raw.to) })}
                    hideTimeZone
                    isReversed={side === 'comparison'}
                  />
                </div>
              </div>
              <span className={styles.range}>
                Selected:{' '}
                <span data-testid={`diff-${side}-range`}>{selection ? formatRange(selection) : 'nothing yet'}</span>
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
                  window={data.window ?? readPanelRange(explorer?.state.passthrough ?? {}, side)}
                  selection={selection}
                  onSelect={(s) => model.select(side, s)}
                  color={color}
                  formatValue={format.short}
                  yMax={yMax || undefined}
                  testId={`diff-${side}-chart`}
                />
              )}
            </div>
          );
        })}
      </div>
      {!selections.baseline || !selections.comparison ? (
        <Alert
          severity="info"
          title="Select both the baseline and the comparison flame graph ranges to view the diff flame graph"
          data-testid="diff-missing-selections"
        >
          <Stack gap={1} alignItems="center" wrap="wrap">
            <Button onClick={() => model.autoSelect(false)} data-testid="diff-auto-select">
              Auto-select
            </Button>
            <Button variant="secondary" onClick={() => model.autoSelect(true)} data-testid="diff-auto-select-whole">
              Auto-select (whole range)
            </Button>
            or
            <Button
              variant="primary"
              fill="text" // the presets list is the toolbar's: open it there
              onClick={() => {
                const input = presets.current?.querySelector('input');
                input?.focus();
                input?.click();
              }}
              data-testid="diff-choose-preset"
            >
              choose a preset
            </Button>
            <span className={styles.muted}>or drag across each chart to select a range.</span>
          </Stack>
        </Alert>
      ) : (
        <>
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
        </>
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
  presets: css({ display: 'flex', alignItems: 'center', gap: theme.spacing(1) }),
  range: css({ color: theme.colors.text.secondary, fontSize: theme.typography.bodySmall.fontSize }),
  filters: css({ minHeight: 32 }),
  toolbar: css({ display: 'flex', justifyContent: 'space-between', flexWrap: 'wrap', gap: theme.spacing(1) }),
  muted: css({ color: theme.colors.text.secondary, fontSize: theme.typography.bodySmall.fontSize }),
});
