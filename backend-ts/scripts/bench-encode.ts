// Micro-benchmark of the flame graph encodings on a synthetic merged tree of ~100k nodes, encoded to
// 16,384 nodes (a common max_nodes). Each encoder is shown next to floors measured in the same run:
// one pass over the tree's typed arrays, and the children index every encoder builds first (the
// encoders sort the children of the nodes they expand; sorting all of them is shown for scale).
// Run: node --expose-gc --import tsx scripts/bench-encode.ts [nodes]   (--expose-gc: collect between runs, less noise)

import { ChildIndex } from '../src/encode/childIndex.js';
import { selectSeriesJson } from '../src/encode/seriesJson.js';
import { toDot } from '../src/encode/dot.js';
import { toFlameGraph } from '../src/encode/flamegraph.js';
import { toFlameGraphDiff } from '../src/encode/flamegraphDiff.js';
import { NameOrder } from '../src/encode/nameOrder.js';
import { FlameTree } from '../src/model/tree.js';
import { fromTreeBytes, toTreeBytes } from '../src/encode/treeBytes.js';

const targetNodes = Number(process.argv[2] ?? 100_000);
const MAX_NODES = 16_384;

/** Random stacks with a profile-like shape: a few hot entry points, long package-qualified names, depth 5..40. */
function syntheticTree(nodes: number, seed: number): FlameTree {
  let s = seed >>> 0;
  const rnd = (n: number): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % n;
  };
  const tree = new FlameTree();
  const ids: number[] = [];
  for (let i = 0; i < 20_000; i++) {
    ids.push(tree.nameId(`github.com/example/service/pkg${i % 300}/module${i % 37}.(*Type${i % 91}).Method${i}`));
  }
  const stack: number[] = [];
  while (tree.size < nodes) {
    stack.length = 0;
    const depth = 5 + rnd(36);
    let prev = rnd(8);
    for (let d = 0; d < depth; d++) {
      // Mostly follow a narrow set of callees of the previous frame, sometimes jump anywhere.
      prev = rnd(10) < 8 ? (prev * 31 + d * 7 + rnd(6)) % ids.length : rnd(ids.length);
      stack.push(ids[prev]);
    }
    tree.insert(stack, 1 + rnd(100) * 10_000_000);
  }
  return tree;
}

const collect = (globalThis as { gc?: () => void }).gc ?? ((): void => {});

function measure(label: string, fn: () => unknown, runs = 15): number {
  for (let i = 0; i < 5; i++) {
    fn();
  }
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    collect();
    const t0 = process.hrtime.bigint();
    fn();
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  const median = times[times.length >> 1];
  console.log(`${label.padEnd(48)} ${median.toFixed(2).padStart(8)} ms  (min ${times[0].toFixed(2)})`);
  return median;
}

const tree = syntheticTree(targetNodes, 1);
const other = syntheticTree(targetNodes, 2);
console.log(
  `tree: ${tree.size} nodes, ${tree.names.length} names; second tree ${other.size} nodes; max_nodes ${MAX_NODES}`
);

let sink = 0;
measure('floor: one pass over parent/name/self/total', () => {
  const { parent, name, self, total } = tree;
  let acc = 0;
  for (let i = 1; i < tree.size; i++) {
    acc += total[i] - self[i] + parent[i] + name[i];
  }
  sink += acc;
});
measure('floor: children index, unsorted (every encoder)', () => new ChildIndex(tree, new NameOrder(tree.names)));
measure("  same, with every node's children sorted", () => {
  const kids = new ChildIndex(tree, new NameOrder(tree.names));
  for (let n = 0; n < tree.size; n++) {
    kids.sortChildren(n);
  }
});
measure('toFlameGraph', () => toFlameGraph(tree, MAX_NODES));
measure('toFlameGraph, no limit', () => toFlameGraph(tree, 1 << 20));
measure('toFlameGraphDiff (two trees)', () => toFlameGraphDiff(tree, other, MAX_NODES));
measure('toTreeBytes', () => toTreeBytes(tree, MAX_NODES));
const bytes = toTreeBytes(tree, 1 << 20);
measure(`fromTreeBytes (whole tree, ${(bytes.length / 1e6).toFixed(1)} MB)`, () => fromTreeBytes(bytes), 7);
measure('toDot (100 nodes from a 512-node source)', () => toDot(tree, 100, { sourceMaxNodes: 512 }), 7);
measure('toDot (100 nodes, whole tree)', () => toDot(tree, 100), 7);
// The All services page's SelectSeries at the 10x load level: 300 services, 120 points each over 30 minutes.
const gridStart = 1_796_570_760_000;
const series = Array.from({ length: 300 }, (_, s) => ({
  labels: [['service_name', `svc-${String(s).padStart(4, '0')}`]] as Array<[string, string]>,
  timestamps: Float64Array.from({ length: 120 }, (_, k) => gridStart + k * 15_000),
  values: Float64Array.from({ length: 120 }, (_, k) => 1e7 * ((s * 7 + k) % 997)),
}));
// what JSON.stringify makes of the same numbers as point objects
const pointObjects = series.map((s) => ({
  labels: s.labels,
  points: Array.from(s.timestamps, (timestamp, k) => ({ timestamp, value: s.values[k] })),
}));
console.log('\nseries: 300 x 120 points');
measure('floor: Buffer.from(JSON.stringify(same points))', () => Buffer.from(JSON.stringify(pointObjects)));
measure('selectSeriesJson (Connect JSON bytes)', () => selectSeriesJson(series));
if (sink === 0.5) {
  console.log(sink);
}
