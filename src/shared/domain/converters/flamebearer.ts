import { DataFrame, FieldType, createDataFrame } from '@grafana/data';
import { ConnectFlameGraph, Flamebearer, RenderMetadata } from '../../infrastructure/pyroscope/types';

/**
 * A whole flame graph in flat typed arrays, one slot per node, root at 0, pre-order (parents before children,
 * siblings left to right). Kept flat because a 64k-node profile is walked on every zoom and search.
 */
export interface FlameTree {
  names: string[];
  count: number;
  level: Int32Array;
  total: Float64Array;
  self: Float64Array;
  nameIndex: Int32Array;
  parent: Int32Array;
  firstChild: Int32Array;
  nextSibling: Int32Array;
  maxLevel: number;
}

/**
 * Visits every node but the root, depth first. `outermost` is false when an ancestor is the same function, so
 * per-function totals add a recursive function's time once.
 */
export function visitByFunction(
  tree: FlameTree,
  visit: (node: number, name: number, outermost: boolean) => void
): void {
  const onPath = new Int32Array(tree.names.length);
  // Explicit enter/leave (a leave is pushed as ~node) so the functions on the current path are known.
  const stack: number[] = tree.count ? [0] : [];
  while (stack.length) {
    const top = stack.pop()!;
    if (top < 0) {
      onPath[tree.nameIndex[~top]]--;
      continue;
    }
    const name = tree.nameIndex[top];
    if (top !== 0) {
      visit(top, name, onPath[name] === 0);
    }
    onPath[name]++;
    stack.push(~top);
    for (let c = tree.firstChild[top]; c >= 0; c = tree.nextSibling[c]) {
      stack.push(c);
    }
  }
}

/** An empty FlameTree of `count` nodes (no parents, children or siblings yet). */
export function allocateFlameTree(count: number, names: string[]): FlameTree {
  return {
    names,
    count,
    level: new Int32Array(count),
    total: new Float64Array(count),
    self: new Float64Array(count),
    nameIndex: new Int32Array(count),
    parent: new Int32Array(count).fill(-1),
    firstChild: new Int32Array(count).fill(-1),
    nextSibling: new Int32Array(count).fill(-1),
    maxLevel: 0,
  };
}

/**
 * Flamebearer levels (`[x_delta, total, self, name]` per node, x delta-encoded per level) to a FlameTree.
 * Parents are found by x range: a node belongs to the previous level's node whose [x, x + total) holds its x.
 */
export function flamebearerToTree(fb: Pick<Flamebearer, 'names' | 'levels'>): FlameTree {
  type Tmp = { x: number; total: number; self: number; name: number; parent: number; level: number };
  const byLevel: Tmp[][] = [];
  for (let l = 0; l < fb.levels.length; l++) {
    const v = fb.levels[l];
    const prev = l > 0 ? byLevel[l - 1] : [];
    const nodes: Tmp[] = [];
    let end = 0;
    let p = 0;
    for (let i = 0; i + 3 < v.length; i += 4) {
      const x = end + Number(v[i]);
      const total = Number(v[i + 1]);
      end = x + total;
      // Stops at the last parent: a node past every range is malformed input, kept so totals still add up.
      while (p < prev.length - 1 && prev[p].x + prev[p].total <= x) {
        p++;
      }
      nodes.push({ x, total, self: Number(v[i + 2]), name: Number(v[i + 3]), parent: l > 0 ? p : -1, level: l });
    }
    byLevel.push(nodes);
  }
  // Pre-order: depth-first from the root, children in x order.
  const children: number[][][] = byLevel.map((nodes) => nodes.map(() => []));
  for (let l = 1; l < byLevel.length; l++) {
    byLevel[l].forEach((n, i) => children[l - 1][n.parent]?.push(i));
  }
  const count = byLevel.reduce((s, n) => s + n.length, 0);
  const tree = allocateFlameTree(count, fb.names);
  if (!count) {
    return tree;
  }
  let next = 0;
  const stack: Array<[number, number, number]> = [];
  for (let r = byLevel[0].length - 1; r >= 0; r--) {
    stack.push([0, r, -1]);
  }
  const lastChild = new Int32Array(count).fill(-1);
  while (stack.length) {
    const [l, i, parentSlot] = stack.pop()!;
    const n = byLevel[l][i];
    const slot = next++;
    tree.level[slot] = l;
    tree.total[slot] = n.total;
    tree.self[slot] = n.self;
    tree.nameIndex[slot] = n.name;
    tree.parent[slot] = parentSlot;
    if (parentSlot >= 0) {
      if (tree.firstChild[parentSlot] < 0) {
        tree.firstChild[parentSlot] = slot;
      } else {
        tree.nextSibling[lastChild[parentSlot]] = slot;
      }
      lastChild[parentSlot] = slot;
    }
    if (l > tree.maxLevel) {
      tree.maxLevel = l;
    }
    const kids = children[l][i];
    for (let k = kids.length - 1; k >= 0; k--) {
      stack.push([l + 1, kids[k], slot]);
    }
  }
  tree.count = next;
  return tree;
}

export interface ProfileFrameMeta {
  profileTypeId: string;
  unit: string;
  units?: string;
  sampleRate?: number;
  spyName?: string;
}

/**
 * Grafana's flame graph frame contract (nested set: level, value, self, label in pre-order), the shape its
 * own Pyroscope data source returns, so any flame graph panel could read ours.
 */
export function flamebearerToDataFrame(fb: Flamebearer, metadata: RenderMetadata, meta: ProfileFrameMeta): DataFrame {
  const tree = flamebearerToTree(fb);
  const labels = new Array<string>(tree.count);
  for (let i = 0; i < tree.count; i++) {
    labels[i] = tree.names[tree.nameIndex[i]] ?? '';
  }
  return createDataFrame({
    name: 'response',
    meta: {
      preferredVisualisationType: 'flamegraph',
      custom: { ...meta, units: metadata.units, sampleRate: metadata.sampleRate, spyName: metadata.spyName },
    },
    fields: [
      { name: 'level', type: FieldType.number, values: Array.from(tree.level) },
      { name: 'value', type: FieldType.number, values: Array.from(tree.total), config: { unit: meta.unit } },
      { name: 'self', type: FieldType.number, values: Array.from(tree.self), config: { unit: meta.unit } },
      { name: 'label', type: FieldType.string, values: labels },
    ],
  });
}

/** The nested-set frame back to a FlameTree: the parent of a node is the last node one level up. */
export function dataFrameToTree(frame: DataFrame): FlameTree {
  const field = (n: string) => frame.fields.find((f) => f.name === n);
  const levels = field('level')?.values ?? [];
  const values = field('value')?.values ?? [];
  const selfs = field('self')?.values ?? [];
  const labels = field('label')?.values ?? [];
  const count = levels.length;
  const names: string[] = [];
  const nameIds = new Map<string, number>();
  const tree = allocateFlameTree(count, names);
  const lastAtLevel: number[] = [];
  const lastChild = new Int32Array(count).fill(-1);
  for (let i = 0; i < count; i++) {
    const l = Number(levels[i]);
    const label = String(labels[i]);
    let id = nameIds.get(label);
    if (id === undefined) {
      id = names.length;
      names.push(label);
      nameIds.set(label, id);
    }
    tree.level[i] = l;
    tree.total[i] = Number(values[i]);
    tree.self[i] = Number(selfs[i]);
    tree.nameIndex[i] = id;
    const parent = l > 0 ? (lastAtLevel[l - 1] ?? -1) : -1;
    tree.parent[i] = parent;
    if (parent >= 0) {
      if (tree.firstChild[parent] < 0) {
        tree.firstChild[parent] = i;
      } else {
        tree.nextSibling[lastChild[parent]] = i;
      }
      lastChild[parent] = i;
    }
    lastAtLevel[l] = i;
    lastAtLevel.length = l + 1;
    if (l > tree.maxLevel) {
      tree.maxLevel = l;
    }
  }
  return tree;
}

/** The Connect JSON flame graph (int64 as strings, levels wrapped in `values`) in the render API's shape. */
export function connectFlameGraphToFlamebearer(fg: ConnectFlameGraph | undefined): Flamebearer {
  const levels = (fg?.levels ?? []).map((l) => (l.values ?? []).map(Number));
  return {
    names: fg?.names ?? [],
    levels,
    numTicks: Number(fg?.total ?? levels[0]?.[1] ?? 0),
    maxSelf: Number(fg?.maxSelf ?? 0),
  };
}

/** Names numbered in order of first appearance: `id(name)` and the `names` table the ids index. */
export function nameTable(): { names: string[]; id: (name: string) => number } {
  const names: string[] = [];
  const ids = new Map<string, number>();
  return {
    names,
    id: (n) => {
      let i = ids.get(n);
      if (i === undefined) {
        i = names.length;
        names.push(n);
        ids.set(n, i);
      }
      return i;
    },
  };
}
