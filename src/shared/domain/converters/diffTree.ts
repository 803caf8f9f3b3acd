import { FlameTree, flamebearerToTree, visitByFunction } from './flamebearer';

/**
 * A diff flame graph: one aligned node set, with each side's own total and self per node. The FlameTree part
 * (total/self) is what the chart draws: the sum of both sides' shares, so that a long baseline does not
 * dwarf a short comparison.
 */
export interface DiffTree extends FlameTree {
  baseTotal: Float64Array;
  baseSelf: Float64Array;
  compTotal: Float64Array;
  compSelf: Float64Array;
  /** root total of the baseline (left) side */
  baseRoot: number;
  /** root total of the comparison (right) side */
  compRoot: number;
}

export type DiffStatus = 'added' | 'removed' | 'changed';

export interface NodeDiff {
  name: string;
  /** share = value / root total of its side, 0..1 */
  baseTotalShare: number;
  compTotalShare: number;
  baseSelfShare: number;
  compSelfShare: number;
  /** (comparison share − baseline share) / baseline share; null when the baseline share is 0 */
  totalChange: number | null;
  selfChange: number | null;
  status: DiffStatus;
}

/**
 * The "double" flamebearer of /pyroscope/render-diff and querier.v1 Diff (7 numbers per node: left x delta,
 * left total, left self, right x delta, right total, right self, name) to a DiffTree.
 *
 * Both sides list the same nodes in the same order, so adding their x positions and widths gives one layout
 * in which every child lies inside its parent; the single-graph decoder then finds the parents. Node ids ride
 * in the name column through that decoder and are swapped back for names afterwards.
 */
export function diffFlamebearerToTree(fb: { names: string[]; levels: number[][] }): DiffTree {
  const ids: string[] = [];
  const values: Array<[number, number, number, number]> = [];
  const combined = fb.levels.map((v) => {
    const out: number[] = [];
    for (let i = 0; i + 6 < v.length; i += 7) {
      const id = values.length;
      values.push([Number(v[i + 1]), Number(v[i + 2]), Number(v[i + 4]), Number(v[i + 5])]);
      ids.push(String(Number(v[i + 6])));
      out.push(
        Number(v[i]) + Number(v[i + 3]),
        Number(v[i + 1]) + Number(v[i + 4]),
        Number(v[i + 2]) + Number(v[i + 5]),
        id
      );
    }
    return out;
  });
  const base = flamebearerToTree({ names: ids, levels: combined });
  const n = base.count;
  const tree: DiffTree = {
    ...base,
    names: fb.names,
    baseTotal: new Float64Array(n),
    baseSelf: new Float64Array(n),
    compTotal: new Float64Array(n),
    compSelf: new Float64Array(n),
    baseRoot: 0,
    compRoot: 0,
  };
  for (let s = 0; s < n; s++) {
    const id = base.nameIndex[s];
    const [lt, ls, rt, rs] = values[id];
    tree.baseTotal[s] = lt;
    tree.baseSelf[s] = ls;
    tree.compTotal[s] = rt;
    tree.compSelf[s] = rs;
    tree.nameIndex[s] = Number(ids[id]);
  }
  tree.baseRoot = n ? tree.baseTotal[0] : 0;
  tree.compRoot = n ? tree.compTotal[0] : 0;
  const kb = tree.baseRoot ? 1 / tree.baseRoot : 0;
  const kc = tree.compRoot ? 1 / tree.compRoot : 0;
  for (let s = 0; s < n; s++) {
    tree.total[s] = tree.baseTotal[s] * kb + tree.compTotal[s] * kc;
    tree.self[s] = tree.baseSelf[s] * kb + tree.compSelf[s] * kc;
  }
  return tree;
}

function change(base: number, comp: number): number | null {
  return base > 0 ? (comp - base) / base : null;
}

export function nodeDiff(tree: DiffTree, i: number): NodeDiff {
  const share = (v: number, root: number) => (root > 0 ? v / root : 0);
  const baseTotalShare = share(tree.baseTotal[i], tree.baseRoot);
  const compTotalShare = share(tree.compTotal[i], tree.compRoot);
  const baseSelfShare = share(tree.baseSelf[i], tree.baseRoot);
  const compSelfShare = share(tree.compSelf[i], tree.compRoot);
  let status: DiffStatus = 'changed';
  if (tree.baseTotal[i] === 0 && tree.compTotal[i] > 0) {
    status = 'added';
  } else if (tree.compTotal[i] === 0 && tree.baseTotal[i] > 0) {
    status = 'removed';
  }
  return {
    name: tree.names[tree.nameIndex[i]] ?? '',
    baseTotalShare,
    compTotalShare,
    baseSelfShare,
    compSelfShare,
    totalChange: change(baseTotalShare, compTotalShare),
    selfChange: change(baseSelfShare, compSelfShare),
    status,
  };
}

export function formatShare(share: number): string {
  return `${(100 * share).toFixed(2)} %`;
}

export function formatChange(c: number | null, status: DiffStatus = 'changed'): string {
  if (status === 'added') {
    return 'new';
  }
  if (status === 'removed') {
    return 'removed';
  }
  if (c === null) {
    return 'n/a';
  }
  const pct = 100 * c;
  const s = Math.abs(pct) < 0.005 ? '0.00' : pct.toFixed(2);
  return `${pct > 0 && s !== '0.00' ? '+' : s === '0.00' ? '±' : ''}${s} %`;
}

/** Per function (name), summed over its frames, the recursion counted once: for regression summaries. */
export interface FunctionDiff {
  name: string;
  baseSelf: number;
  compSelf: number;
  baseTotal: number;
  compTotal: number;
  /** shares of their side's root total */
  baseSelfShare: number;
  compSelfShare: number;
  baseTotalShare: number;
  compTotalShare: number;
  selfChange: number | null;
  totalChange: number | null;
}

export function functionDiffs(tree: DiffTree): FunctionDiff[] {
  const names = tree.names.length;
  const acc = {
    bs: new Float64Array(names),
    cs: new Float64Array(names),
    bt: new Float64Array(names),
    ct: new Float64Array(names),
  };
  const seen = new Uint8Array(names);
  visitByFunction(tree, (node, name, outermost) => {
    seen[name] = 1;
    acc.bs[name] += tree.baseSelf[node];
    acc.cs[name] += tree.compSelf[node];
    if (outermost) {
      acc.bt[name] += tree.baseTotal[node];
      acc.ct[name] += tree.compTotal[node];
    }
  });
  const share = (v: number, root: number) => (root > 0 ? v / root : 0);
  const out: FunctionDiff[] = [];
  for (let n = 0; n < names; n++) {
    if (!seen[n]) {
      continue;
    }
    const baseSelfShare = share(acc.bs[n], tree.baseRoot);
    const compSelfShare = share(acc.cs[n], tree.compRoot);
    const baseTotalShare = share(acc.bt[n], tree.baseRoot);
    const compTotalShare = share(acc.ct[n], tree.compRoot);
    out.push({
      name: tree.names[n],
      baseSelf: acc.bs[n],
      compSelf: acc.cs[n],
      baseTotal: acc.bt[n],
      compTotal: acc.ct[n],
      baseSelfShare,
      compSelfShare,
      baseTotalShare,
      compTotalShare,
      selfChange: change(baseSelfShare, compSelfShare),
      totalChange: change(baseTotalShare, compTotalShare),
    });
  }
  return out;
}
