import { ChildIndex } from './childIndex.js';
import { compareUtf8, NameOrder } from './nameOrder.js';
import type { FlameTree } from '../model/tree.js';
import { minTotalToKeep, OTHER_NAME } from './truncation.js';

export interface DotOptions {
  /** Sample type for the legend's "Type:" line (pprof's last sample type, e.g. "cpu"). */
  sampleType?: string;
  /** Unit of the values, formatted as pprof does: time units in seconds, byte units in B, others plain. */
  sampleUnit?: string;
  /** Graph name; pprof uses the main binary's name and "unnamed" without one. */
  title?: string;
  /** Profile time and duration for the legend's "Time:" and "Duration:" lines (omitted when 0 or absent). */
  timeNanos?: number;
  durationNanos?: number;
  /**
   * Truncate the tree to this many nodes first, folding what is cut into "other", the way Pyroscope's render
   * handler fetches its source profile with max(512, max-nodes) nodes before the graph keeps max-nodes.
   */
  sourceMaxNodes?: number;
}

/**
 * The call graph as Graphviz DOT, shaped like Pyroscope's `/pyroscope/render?format=dot`, which runs pprof's
 * dot report (node count = max-nodes, no node or edge fraction) on the merged profile:
 * - one node per function: flat = value of the samples ending in it, cum = value of the samples containing
 *   it (each sample once, however deep the recursion); one edge per caller→callee pair, weighted by the
 *   samples that make that call (once per sample);
 * - with more functions than maxNodes, the maxNodes best by pprof's entropy score are kept (maxNodes <= 0 keeps
 *   all) and the graph is rebuilt from the samples over them: calls through dropped functions become dotted
 *   "residual" edges (removed when another path connects the same nodes), and the flat value of samples
 *   ending in a dropped function is not shown;
 * - labels, font sizes, colours, edge weights and the legend follow pprof's dot writer; functions are known
 *   by name only (no file, line or address), so "Showing nodes accounting for …" and "Showing top N nodes
 *   out of M" count functions.
 */
export function toDot(tree: FlameTree, maxNodes: number, opts: DotOptions = {}): string {
  const order = new NameOrder(tree.names);
  // The graph's sums do not depend on sibling order, so children are never sorted here.
  const kids = new ChildIndex(tree, order);
  const foundOther = tree.names.indexOf(OTHER_NAME);
  const otherFn = foundOther >= 0 ? foundOther : tree.names.length;
  const fnCount = tree.names.length + 1;
  const fnName = (f: number): string => (f < tree.names.length ? tree.names[f] : OTHER_NAME);
  const printable = (f: number): string => fnName(f) || '<unknown>';
  const foldBelow =
    opts.sourceMaxNodes !== undefined && opts.sourceMaxNodes > 0 ? minTotalToKeep(tree, opts.sourceMaxNodes) : 0;

  let total = 0;
  for (let i = 0; i < tree.size; i++) {
    total += Math.abs(tree.self[i]);
  }

  const build = (kept: Uint8Array | null): CallGraph =>
    buildCallGraph(tree, kids.start, kids.list, kept, foldBelow, otherFn, fnCount);
  let graph = build(null);
  let nodes = sortByEntropy(graph, presentFunctions(graph), printable);
  const origCount = nodes.length;
  if (maxNodes > 0 && nodes.length > maxNodes) {
    const kept = new Uint8Array(fnCount);
    for (let i = 0; i < maxNodes; i++) {
      kept[nodes[i]] = 1;
    }
    graph = build(kept);
    nodes = sortByEntropy(graph, presentFunctions(graph), printable);
  }
  const edgeOrder = (a: number, b: number): number => {
    const wa = Math.abs(graph.weight[a]);
    const wb = Math.abs(graph.weight[b]);
    if (graph.weight[a] !== graph.weight[b]) {
      return wb - wa;
    }
    return (
      compareUtf8(printable(graph.src[a]), printable(graph.src[b])) ||
      compareUtf8(printable(graph.dst[a]), printable(graph.dst[b]))
    );
  };
  const removed = removeRedundantEdges(graph, nodes, edgeOrder);

  const format = valueFormatter(opts.sampleUnit ?? '');
  const lines: string[] = [];
  const title = opts.title ? escapeForDot(opts.title) : 'unnamed';
  lines.push(`digraph "${title}" {`, 'node [style=filled fillcolor="#f8f8f8"]');

  let flatSum = 0;
  for (const f of nodes) {
    flatSum += graph.flat[f];
  }
  const legend: string[] = [];
  if (opts.sampleType) {
    legend.push(`Type: ${opts.sampleType}`);
  }
  if (opts.timeNanos) {
    legend.push(`Time: ${formatTime(opts.timeNanos)}`);
  }
  if (opts.durationNanos) {
    let ratio = '';
    const nanos = toNanos(total, opts.sampleUnit ?? '');
    if (nanos !== undefined && nanos !== 0) {
      ratio = `(${percentage(nanos, opts.durationNanos)})`;
    }
    legend.push(`Duration: ${autoTime(opts.durationNanos)}, Total samples = ${format(total)} ${ratio}`);
  }
  legend.push(
    `Showing nodes accounting for ${format(flatSum)}, ${percentage(flatSum, total).trim()} of ${format(total)} total`
  );
  if (total !== 0 && nodes.length > 0 && nodes.length < origCount) {
    legend.push(`Showing top ${nodes.length} nodes out of ${origCount}`);
  }
  legend.push('\nSee https://git.io/JfYMW for how to read the graph');
  const tooltip = opts.title ? ` tooltip="${escapeForDot(opts.title)}"` : '';
  lines.push(
    `subgraph cluster_L { "${escapeForDot(legend[0])}" [shape=box fontsize=16 label="${legend.map(escapeForDot).join('\\l')}\\l"${tooltip}] }`
  );

  if (nodes.length > 0) {
    const id = new Int32Array(fnCount);
    let maxFlat = Math.abs(graph.flat[nodes[0]]);
    nodes.forEach((f, i) => {
      id[f] = i + 1;
      maxFlat = Math.max(maxFlat, Math.abs(graph.flat[f]));
    });
    const absTotal = Math.abs(total);
    for (const f of nodes) {
      const flat = graph.flat[f];
      const cum = graph.cum[f];
      let label = multilineName(fnName(f));
      const flatValue = format(flat);
      label += flat !== 0 ? `${flatValue} (${percentage(flat, total).trim()})` : '0';
      let cumValue = flatValue;
      if (cum !== flat) {
        label += flat !== 0 ? '\\n' : ' ';
        cumValue = format(cum);
        label += `of ${cumValue} (${percentage(cum, total).trim()})`;
      }
      let fontSize = 8;
      if (maxFlat !== 0 && flat !== 0 && Math.abs(flat) <= maxFlat) {
        fontSize += Math.ceil(16 * Math.sqrt(Math.abs(flat) / maxFlat));
      }
      const score = cum / absTotal;
      lines.push(
        `N${id[f]} [label="${label}" id="node${id[f]}" fontsize=${fontSize} shape=box tooltip="${escapeForDot(printable(f))} (${cumValue})" color="${dotColor(score, false)}" fillcolor="${dotColor(score, true)}"]`
      );
    }

    const edges: number[] = [];
    for (let e = 0; e < graph.src.length; e++) {
      if (removed[e] === 0) {
        edges.push(e);
      }
    }
    edges.sort(edgeOrder);
    for (const e of edges) {
      const w = graph.weight[e];
      const wl = format(w);
      let attr = `label=" ${wl}"`;
      if (total !== 0) {
        const weight = 1 + Math.min(Math.abs(Math.trunc((w * 100) / total)), 100);
        if (weight > 1) {
          attr += ` weight=${weight}`;
        }
        const width = 1 + Math.min(Math.abs(Math.trunc((w * 5) / total)), 5);
        if (width > 1) {
          attr += ` penwidth=${width}`;
        }
        attr += ` color="${dotColor(w / absTotal, false)}"`;
      }
      const residual = graph.residual[e] === 1;
      const tip = `"${escapeForDot(printable(graph.src[e]))} ${residual ? '...' : '->'} ${escapeForDot(printable(graph.dst[e]))} (${wl})"`;
      attr += ` tooltip=${tip} labeltooltip=${tip}`;
      if (residual) {
        attr += ' style="dotted"';
      }
      lines.push(`N${id[graph.src[e]]} -> N${id[graph.dst[e]]} [${attr}]`);
    }
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}

/** Functions (by name id) with their flat and cum values, and caller→callee edges. */
interface CallGraph {
  flat: Float64Array;
  cum: Float64Array;
  src: number[];
  dst: number[];
  weight: number[];
  residual: number[];
}

/**
 * Builds the call graph from the tree in one walk, treating each node's self as the samples that end there
 * (pprof's graph.New over those samples). "Once per sample" becomes "only at the topmost occurrence on the
 * path": counters of the functions and edges on the current root-to-node path tell whether an ancestor
 * already counted them. With `kept`, frames of other functions are skipped and mark the next edge residual.
 */
function buildCallGraph(
  tree: FlameTree,
  start: Int32Array,
  list: Int32Array,
  kept: Uint8Array | null,
  foldBelow: number,
  otherFn: number,
  fnCount: number
): CallGraph {
  const { name, self, total, parent } = tree;
  const g: CallGraph = {
    flat: new Float64Array(fnCount),
    cum: new Float64Array(fnCount),
    src: [],
    dst: [],
    weight: [],
    residual: [],
  };
  const edgeActive: number[] = [];
  const edgeIndex = new Map<number, number>();
  const onPath = new Int32Array(fnCount);
  // What a node's children see: the last kept function above them (-1 = none) and whether frames were skipped since.
  const lastFn = new Int32Array(tree.size);
  const skipped = new Uint8Array(tree.size);
  const edgeOf = new Int32Array(tree.size);
  const counted = new Uint8Array(tree.size);

  const edgeFor = (from: number, to: number): number => {
    // Below 2^30 the key stays a small integer, which a Map hashes much faster than a double.
    const key = from * fnCount + to;
    let e = edgeIndex.get(key);
    if (e === undefined) {
      e = g.src.length;
      g.src.push(from);
      g.dst.push(to);
      g.weight.push(0);
      g.residual.push(0);
      edgeActive.push(0);
      edgeIndex.set(key, e);
    }
    return e;
  };
  // A frame without children: the folded remainder of a node's children under sourceMaxNodes.
  const leafFrame = (above: number, value: number): void => {
    const f = otherFn;
    if (kept !== null && kept[f] === 0) {
      return;
    }
    if (onPath[f] === 0) {
      g.cum[f] += value;
    }
    const from = lastFn[above];
    if (from >= 0 && from !== f) {
      const e = edgeFor(from, f);
      if (edgeActive[e] === 0) {
        g.weight[e] += value;
        if (skipped[above] === 1) {
          g.residual[e] = 1;
        }
      }
    }
    g.flat[f] += value;
  };

  let stack = new Int32Array(256);
  let top = 0;
  const pushChildren = (n: number): void => {
    let folded = 0;
    for (let i = start[n], end = start[n + 1]; i < end; i++) {
      const c = list[i];
      const t = total[c];
      if (t === 0) {
        continue;
      }
      if (t < foldBelow) {
        folded += t;
        continue;
      }
      if (top === stack.length) {
        const grown = new Int32Array(stack.length * 2);
        grown.set(stack);
        stack = grown;
      }
      stack[top++] = c;
    }
    if (folded !== 0) {
      leafFrame(n, folded);
    }
  };

  lastFn[0] = -1;
  pushChildren(0);
  while (top > 0) {
    const n = stack[--top];
    if (n < 0) {
      const m = ~n;
      if (counted[m] === 1) {
        onPath[name[m]]--;
      }
      if (edgeOf[m] >= 0) {
        edgeActive[edgeOf[m]]--;
      }
      continue;
    }
    const p = parent[n];
    const f = name[n];
    edgeOf[n] = -1;
    if (kept !== null && kept[f] === 0) {
      counted[n] = 0;
      lastFn[n] = lastFn[p];
      skipped[n] = 1;
    } else {
      counted[n] = 1;
      if (onPath[f]++ === 0) {
        g.cum[f] += total[n];
      }
      const from = lastFn[p];
      if (from >= 0 && from !== f) {
        const e = edgeFor(from, f);
        if (edgeActive[e]++ === 0) {
          g.weight[e] += total[n];
          if (skipped[p] === 1) {
            g.residual[e] = 1;
          }
        }
        edgeOf[n] = e;
      }
      g.flat[f] += self[n];
      lastFn[n] = f;
      skipped[n] = 0;
    }
    if (top === stack.length) {
      const grown = new Int32Array(stack.length * 2);
      grown.set(stack);
      stack = grown;
    }
    stack[top++] = ~n;
    pushChildren(n);
  }
  return g;
}

function presentFunctions(g: CallGraph): number[] {
  const out: number[] = [];
  for (let f = 0; f < g.flat.length; f++) {
    if (g.flat[f] !== 0 || g.cum[f] !== 0) {
      out.push(f);
    }
  }
  return out;
}

/** pprof's EntropyOrder: favours entry and leaf functions and those whose calls spread out. */
function sortByEntropy(g: CallGraph, nodes: number[], printable: (f: number) => string): number[] {
  const n = g.flat.length;
  const inCount = new Int32Array(n);
  const outCount = new Int32Array(n);
  const inSum = new Float64Array(n);
  const outSum = Float64Array.from(g.flat);
  for (let e = 0; e < g.src.length; e++) {
    const w = g.weight[e];
    inCount[g.dst[e]]++;
    outCount[g.src[e]]++;
    if (w > 0) {
      inSum[g.dst[e]] += w;
      outSum[g.src[e]] += w;
    }
  }
  const inScore = new Float64Array(n);
  const outScore = new Float64Array(n);
  for (let e = 0; e < g.src.length; e++) {
    const w = Math.abs(g.weight[e]);
    const d = g.dst[e];
    const s = g.src[e];
    if (inSum[d] !== 0) {
      inScore[d] += entropyTerm(w / inSum[d]);
    }
    if (outSum[s] !== 0) {
      outScore[s] += entropyTerm(w / outSum[s]);
    }
  }
  const score = new Float64Array(n);
  for (const f of nodes) {
    const flat = g.flat[f];
    if (flat > 0 && outSum[f] !== 0) {
      outScore[f] += entropyTerm(Math.abs(flat) / outSum[f]);
    }
    const s = (inCount[f] === 0 ? 1 : inScore[f]) + (outCount[f] === 0 ? 1 : outScore[f]);
    score[f] = Math.trunc(s * g.cum[f]) + flat;
  }
  return nodes.sort(
    (a, b) =>
      Math.abs(score[b]) - Math.abs(score[a]) ||
      compareUtf8(printable(a), printable(b)) ||
      Math.abs(g.flat[b]) - Math.abs(g.flat[a])
  );
}

function entropyTerm(frac: number): number {
  return -frac * goLog2(frac);
}

// Go's math.Log2 (frexp, then the natural log of the fraction), so that scores tie and order as in pprof.
function goLog2(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) {
    return Math.log2(x);
  }
  let exp = Math.floor(Math.log2(x)) + 1;
  let frac = x * 2 ** -exp;
  while (frac < 0.5) {
    frac *= 2;
    exp--;
  }
  while (frac >= 1) {
    frac /= 2;
    exp++;
  }
  if (frac === 0.5) {
    return exp - 1;
  }
  return Math.log(frac) * Math.LOG2E + exp;
}

/**
 * pprof's RemoveRedundantEdges: from the last node up, drops a node's lightest residual in-edges while the
 * caller still reaches the node another way. Returns a removed flag per edge.
 */
function removeRedundantEdges(g: CallGraph, nodes: number[], edgeOrder: (a: number, b: number) => number): Uint8Array {
  const removed = new Uint8Array(g.src.length);
  const inEdges = new Map<number, number[]>();
  for (let e = 0; e < g.src.length; e++) {
    let l = inEdges.get(g.dst[e]);
    if (l === undefined) {
      inEdges.set(g.dst[e], (l = []));
    }
    l.push(e);
  }
  const reachesAnotherWay = (edge: number): boolean => {
    const from = g.src[edge];
    const seen = new Set<number>([g.dst[edge]]);
    const queue = [g.dst[edge]];
    for (let q = 0; q < queue.length; q++) {
      for (const ie of inEdges.get(queue[q]) ?? []) {
        if (removed[ie] === 1 || ie === edge || seen.has(g.src[ie])) {
          continue;
        }
        if (g.src[ie] === from) {
          return true;
        }
        seen.add(g.src[ie]);
        queue.push(g.src[ie]);
      }
    }
    return false;
  };
  for (let i = nodes.length - 1; i >= 0; i--) {
    const incoming = (inEdges.get(nodes[i]) ?? []).filter((e) => removed[e] === 0).sort(edgeOrder);
    for (let j = incoming.length - 1; j >= 0; j--) {
      const e = incoming[j];
      if (g.residual[e] === 0) {
        break;
      }
      if (reachesAnotherWay(e)) {
        removed[e] = 1;
      }
    }
  }
  return removed;
}

// pprof's ShortenFunctionName: drop package paths and argument lists (Go, Java and C++ forms).
const CPP_ANONYMOUS_PREFIX = /^\(anonymous namespace\)::/;
const GO_MODULE_VERSION = /^(.*?)\/v(?:[2-9]|[1-9][0-9]+)([./].*)$/;
const SHORTENERS = [
  /^(?:[\w\-.]+\/)+([^.]+\..+)/,
  /^(?:[a-z]\w*\.)*([A-Z][\w$]*\.(?:<init>|[a-z][\w$]*(?:\$\d+)?))(?:\(|$)/,
  /^(?:[_a-zA-Z]\w*::)+(_*[A-Z]\w*::~?[_a-zA-Z]\w*(?:<.*>)?)/,
];

function shortenFunctionName(name: string): string {
  const f = name.replace(CPP_ANONYMOUS_PREFIX, '').replace(GO_MODULE_VERSION, '$1$2');
  for (const re of SHORTENERS) {
    const m = re.exec(f);
    if (m) {
      return m[1];
    }
  }
  return f;
}

/** A node label's name part: shortened, one line per package/class component, ending with a line break. */
function multilineName(name: string): string {
  if (name === '') {
    return '<unknown>\\n';
  }
  const short = escapeForDot(shortenFunctionName(name))
    .replaceAll('::', '\\n')
    .replaceAll('[...]', '[…]')
    .replaceAll('.', '\\n');
  return `${short}\\n`;
}

/** Escapes quotes and backslashes and turns newlines into Graphviz's left-justified line breaks. */
function escapeForDot(s: string): string {
  return s.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\l');
}

interface UnitFamily {
  units: Array<[aliases: string[], factor: number]>;
  /** Unit a value is shown in when no output unit is asked for, and its factor. */
  base: [name: string, factor: number];
  auto: Array<[name: string, factor: number]>;
}

const TIME: UnitFamily = {
  units: [
    [['ns', 'nanosecond'], 1],
    [['μs', 'us', 'microsecond'], 1e3],
    [['ms', 'millisecond'], 1e6],
    [['s', 'sec', 'second'], 1e9],
    [['hour', 'hr'], 3.6e12],
  ],
  base: ['s', 1e9],
  auto: [
    ['ns', 1],
    ['us', 1e3],
    ['ms', 1e6],
    ['s', 1e9],
    ['hrs', 3.6e12],
  ],
};

const UNIT_FAMILIES: UnitFamily[] = [
  {
    units: [
      [['b', 'byte'], 1],
      [['kb', 'kbyte', 'kilobyte'], 2 ** 10],
      [['mb', 'mbyte', 'megabyte'], 2 ** 20],
      [['gb', 'gbyte', 'gigabyte'], 2 ** 30],
      [['tb', 'tbyte', 'terabyte'], 2 ** 40],
      [['pb', 'pbyte', 'petabyte'], 2 ** 50],
    ],
    base: ['B', 1],
    auto: [],
  },
  TIME,
  {
    units: [
      [['nanogcu'], 1e-9],
      [['microgcu'], 1e-6],
      [['milligcu'], 1e-3],
      [['gcu'], 1],
      [['kilogcu'], 1e3],
      [['megagcu'], 1e6],
      [['gigagcu'], 1e9],
      [['teragcu'], 1e12],
      [['petagcu'], 1e15],
    ],
    base: ['GCU', 1],
    auto: [],
  },
];

function sniffUnit(unit: string, family: UnitFamily): number | undefined {
  let u = unit.toLowerCase();
  if (u.length > 2 && u.endsWith('s')) {
    u = u.slice(0, -1);
  }
  for (const [aliases, factor] of family.units) {
    if (aliases.includes(u)) {
      return factor;
    }
  }
  return undefined;
}

/** pprof's formatValue with no output unit asked for: time in seconds, bytes in B, anything else as is. */
function valueFormatter(unit: string): (v: number) => string {
  for (const family of UNIT_FAMILIES) {
    const factor = sniffUnit(unit, family);
    if (factor !== undefined) {
      const [name, base] = family.base;
      return (v) => scaledLabel((v * factor) / base, name);
    }
  }
  return (v) => scaledLabel(v, '');
}

function toNanos(v: number, unit: string): number | undefined {
  const factor = sniffUnit(unit, TIME);
  return factor === undefined ? undefined : v * factor;
}

function autoTime(nanos: number): string {
  let pick: [string, number] = TIME.base;
  let best = 0;
  for (const [name, factor] of TIME.auto) {
    if (factor >= best && nanos / factor >= 1) {
      best = factor;
      pick = [name, factor];
    }
  }
  return scaledLabel(nanos / pick[1], pick[0]);
}

function scaledLabel(v: number, unit: string): string {
  let s = v.toFixed(2);
  if (s.endsWith('.00')) {
    s = s.slice(0, -3);
  }
  if (s === '0' || s === '-0') {
    return '0';
  }
  return s + unit;
}

/** pprof's Percentage: "  100%" near 100, two decimals from 1%, two significant digits below. */
function percentage(value: number, total: number): string {
  const ratio = total !== 0 ? Math.abs(value / total) * 100 : 0;
  if (ratio >= 99.95 && ratio <= 100.05) {
    return '  100%';
  }
  if (ratio >= 1) {
    return `${ratio.toFixed(2).padStart(5)}%`;
  }
  return `${goTwoSignificant(ratio).padStart(5)}%`;
}

// Go's %.2g for 0 <= v < 1: two significant digits without trailing zeros, exponent form below 1e-4.
function goTwoSignificant(v: number): string {
  if (v === 0) {
    return '0';
  }
  const rounded = Number(v.toPrecision(2));
  if (rounded >= 1e-4) {
    return String(rounded);
  }
  const [mantissa, exp] = rounded.toExponential(1).split('e');
  const m = mantissa.replace(/\.0$/, '');
  return `${m}e-${exp.slice(1).padStart(2, '0')}`;
}

/** pprof's dotColor: grey near 0, shifting to red for positive and green for negative shares. */
function dotColor(score: number, isBackground: boolean): string {
  const shift = 0.7;
  let saturation = isBackground ? 0.1 : 1.0;
  const value = isBackground ? 0.93 : 0.7;
  if (Number.isNaN(score)) {
    score = 0;
  }
  score = Math.max(-1, Math.min(1, score));
  if (Math.abs(score) < 0.2) {
    saturation *= Math.abs(score) / 0.2;
  }
  if (score > 0) {
    score = Math.pow(score, 1 - shift);
  }
  if (score < 0) {
    score = -Math.pow(-score, 1 - shift);
  }
  let r: number;
  let g: number;
  if (score < 0) {
    g = value;
    r = value * (1 + saturation * score);
  } else {
    r = value;
    g = value * (1 - saturation * score);
  }
  const b = value * (1 - saturation);
  return `#${hex2(r)}${hex2(g)}${hex2(b)}`;
}

function hex2(c: number): string {
  return Math.trunc(c * 255)
    .toString(16)
    .padStart(2, '0');
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

// Go layout "Jan 2, 2006 at 3:04pm (MST)", in UTC.
function formatTime(nanos: number): string {
  const d = new Date(Math.floor(nanos / 1e6));
  const h = d.getUTCHours();
  const h12 = h % 12 === 0 ? 12 : h % 12;
  const mm = String(d.getUTCMinutes()).padStart(2, '0');
  return `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}, ${d.getUTCFullYear()} at ${h12}:${mm}${h < 12 ? 'am' : 'pm'} (UTC)`;
}
