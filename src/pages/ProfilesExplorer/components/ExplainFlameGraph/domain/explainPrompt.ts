import { dateTimeFormat } from '@grafana/data';
import { FlameTree } from '../../../../../shared/domain/converters/flamebearer';
import { parseProfileMetricId } from '../../../../../shared/domain/profileMetrics';
import { TimeWindow } from '../../../../../shared/infrastructure/pyroscope/PyroscopeApiClient';
import {
  DiffTree,
  FunctionDiff,
  formatChange,
  formatShare,
  functionDiffs,
} from '../../../../../shared/domain/converters/diffTree';
import { topFunctions } from '../../../../../shared/components/FlameGraph/domain/topFunctions';
import { ValueFormatter } from '../../../../../shared/components/FlameGraph/domain/formatValue';

export interface SingleExplainInput {
  kind: 'single';
  tree: FlameTree;
  serviceName: string;
  profileMetricId: string;
  window: TimeWindow;
  format: ValueFormatter;
  spanSelector?: string;
}

export interface DiffExplainInput {
  kind: 'diff';
  tree: DiffTree;
  serviceName: string;
  profileMetricId: string;
  baseline: TimeWindow;
  comparison: TimeWindow;
  format: ValueFormatter;
}

export type ExplainInput = SingleExplainInput | DiffExplainInput;

export type ChangeMetric = 'self' | 'total';

/** One function's change, as computed from the diff (never by the model). */
export interface ChangeRow {
  name: string;
  metric: ChangeMetric;
  /** raw values of each side, in the profile's unit */
  base: number;
  comp: number;
  /** shares of each side's root total, 0..1 */
  baseShare: number;
  compShare: number;
  /** comparison share − baseline share, 0..1 (percentage points / 100) */
  delta: number;
  /** (comparison share − baseline share) / baseline share; null when new */
  change: number | null;
}

export interface ChangeGroup {
  title: string;
  rows: ChangeRow[];
}

export interface ExplainPrompt {
  system: string;
  user: string;
  /** diff only: the numbers the model is asked to reason from, shown beside its answer */
  changes?: ChangeGroup[];
}

const TOP = 10;
const CHANGES = 5;
/** Relative changes of functions below this share on both sides are noise, left out of the % list. */
const MIN_SHARE_FOR_RELATIVE = 0.01;

const SYSTEM = [
  'You are a performance engineer reading continuous profiling data (Pyroscope flame graphs).',
  'Explain where the resources go and what could be improved, citing function names and the numbers given.',
  'Use only the numbers in the message; do not invent measurements. Be concise; use short paragraphs or bullets.',
].join(' ');

function describeProfile(profileMetricId: string, format: ValueFormatter): string {
  const m = parseProfileMetricId(profileMetricId);
  return `${m.type} of ${m.group} (${profileMetricId}); values are ${m.unit || 'counts'}, shown as e.g. ${format.short(1_500_000_000)}`;
}

function range(w: TimeWindow): string {
  const f = (t: number) => dateTimeFormat(t, { format: 'YYYY-MM-DD HH:mm:ss', timeZone: 'utc' });
  return `${f(w.start)} – ${f(w.end)} UTC (${Math.round((w.end - w.start) / 1000)} s)`;
}

function pct(v: number, total: number): string {
  return `${((100 * v) / (total || 1)).toFixed(2)} %`;
}

function stackOf(tree: FlameTree, i: number): string {
  const names: string[] = [];
  for (let n = i; n > 0; n = tree.parent[n]) {
    names.push(tree.names[tree.nameIndex[n]]);
  }
  return names.reverse().join(' > ');
}

/** Compact text of a single flame graph: top functions by self and total, the hottest stacks. */
export function describeTree(tree: FlameTree, format: ValueFormatter): string {
  const total = tree.total[0] ?? 0;
  const fns = topFunctions(tree);
  const bySelf = fns
    .filter((f) => f.self > 0)
    .sort((a, b) => b.self - a.self || a.name.localeCompare(b.name))
    .slice(0, TOP);
  const byTotal = [...fns].sort((a, b) => b.total - a.total || a.name.localeCompare(b.name)).slice(0, TOP);
  const nodes: number[] = [];
  for (let i = 1; i < tree.count; i++) {
    if (tree.self[i] > 0) {
      nodes.push(i);
    }
  }
  nodes.sort((a, b) => tree.self[b] - tree.self[a] || a - b);
  const lines = [
    `Total: ${format.short(total)}`,
    '',
    'Top functions by self (time in the function itself):',
    ...bySelf.map((f) => `- ${f.name}: self ${format.short(f.self)} (${pct(f.self, total)})`),
    '',
    'Top functions by total (time with the function on the stack):',
    ...byTotal.map((f) => `- ${f.name}: total ${format.short(f.total)} (${pct(f.total, total)})`),
    '',
    'Hottest stacks (root > … > leaf, by self of the leaf):',
    ...nodes
      .slice(0, TOP)
      .map((i) => `- ${stackOf(tree, i)}: self ${format.short(tree.self[i])} (${pct(tree.self[i], total)})`),
  ];
  return lines.join('\n');
}

function row(f: FunctionDiff, metric: ChangeMetric): ChangeRow {
  const self = metric === 'self';
  const baseShare = self ? f.baseSelfShare : f.baseTotalShare;
  const compShare = self ? f.compSelfShare : f.compTotalShare;
  return {
    name: f.name,
    metric,
    base: self ? f.baseSelf : f.baseTotal,
    comp: self ? f.compSelf : f.compTotal,
    baseShare,
    compShare,
    delta: compShare - baseShare,
    change: self ? f.selfChange : f.totalChange,
  };
}

/** The functions whose self and total grew and shrank most, by share points, and the largest relative changes. */
export function regressionSummary(tree: DiffTree): ChangeGroup[] {
  const fns = functionDiffs(tree);
  const rows = (metric: ChangeMetric) => fns.map((f) => row(f, metric));
  const byDelta = (rs: ChangeRow[], sign: 1 | -1) =>
    rs
      .filter((r) => sign * r.delta > 1e-12)
      .sort((a, b) => sign * (b.delta - a.delta) || a.name.localeCompare(b.name))
      .slice(0, CHANGES);
  const selfRows = rows('self');
  const totalRows = rows('total');
  const relative = selfRows
    .filter(
      (r) =>
        Math.max(r.baseShare, r.compShare) >= MIN_SHARE_FOR_RELATIVE && Math.abs(r.delta) > 1e-12 && r.change !== null
    )
    .sort((a, b) => Math.abs(b.change!) - Math.abs(a.change!) || a.name.localeCompare(b.name))
    .slice(0, CHANGES);
  return [
    { title: 'Self grew most', rows: byDelta(selfRows, 1) },
    { title: 'Self shrank most', rows: byDelta(selfRows, -1) },
    { title: 'Total grew most', rows: byDelta(totalRows, 1) },
    { title: 'Total shrank most', rows: byDelta(totalRows, -1) },
    { title: 'Largest relative self changes (≥ 1 % of either side)', rows: relative },
  ];
}

export function formatPoints(delta: number): string {
  const v = 100 * delta;
  return `${v > 0 ? '+' : ''}${v.toFixed(2)} pp`;
}

/** One line per change, the same text in the prompt and in the panel. */
export function formatChangeRow(r: ChangeRow, format: ValueFormatter): string {
  const status = r.base === 0 && r.comp > 0 ? 'added' : r.comp === 0 && r.base > 0 ? 'removed' : 'changed';
  return (
    `${r.name}: ${r.metric} ${formatShare(r.baseShare)} → ${formatShare(r.compShare)} of its side's total ` +
    `(${formatPoints(r.delta)}; ${formatChange(r.change, status)}; ${format.short(r.base)} → ${format.short(r.comp)})`
  );
}

export function buildExplainPrompt(input: ExplainInput): ExplainPrompt {
  const { format } = input;
  if (input.kind === 'single') {
    const user = [
      `Explain this flame graph of service "${input.serviceName}".`,
      `Profile type: ${describeProfile(input.profileMetricId, format)}.`,
      `Time range: ${range(input.window)}.`,
      ...(input.spanSelector ? [`Only the samples of span(s) ${input.spanSelector}.`] : []),
      '',
      describeTree(input.tree, format),
    ].join('\n');
    return { system: SYSTEM, user };
  }
  const t = input.tree;
  const changes = regressionSummary(t);
  const user = [
    `Explain the difference between two flame graphs of service "${input.serviceName}": did something regress?`,
    `Profile type: ${describeProfile(input.profileMetricId, format)}.`,
    `Baseline: ${range(input.baseline)}, total ${format.short(t.baseRoot)}.`,
    `Comparison: ${range(input.comparison)}, total ${format.short(t.compRoot)}.`,
    "Each side is normalised to its own total: a share is a function's value divided by its side's total.",
    'Reason from these computed changes (pp = percentage points of share; % = relative change of the share):',
    '',
    ...changes.flatMap((g) => [
      `${g.title}:`,
      ...(g.rows.length ? g.rows.map((r) => `- ${formatChangeRow(r, format)}`) : ['- none']),
      '',
    ]),
    'The baseline profile itself:',
    describeTree(sideTree(t, 'baseline'), format),
    '',
    'The comparison profile itself:',
    describeTree(sideTree(t, 'comparison'), format),
  ].join('\n');
  return { system: SYSTEM, user, changes };
}

/** One side alone, as a plain flame graph, for the context of the changes. */
function sideTree(t: DiffTree, side: 'baseline' | 'comparison'): FlameTree {
  return side === 'baseline'
    ? { ...t, total: t.baseTotal, self: t.baseSelf }
    : { ...t, total: t.compTotal, self: t.compSelf };
}
