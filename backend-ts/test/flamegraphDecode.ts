/**
 * Decoders from flame graph levels back to stacks, so that tests can compare an encoding with the samples
 * that went in. Keys are frames joined by ";" root first (the "total" root not included; the root's own
 * self, if any, is under ""); values are self, summed when a stack occurs twice (two "other" siblings);
 * stacks whose self is 0 are left out.
 */

export interface FlameGraphLevels {
  names: readonly string[];
  levels: ReadonlyArray<readonly number[]>;
}

export function flameGraphToStacks(fg: FlameGraphLevels): Map<string, number> {
  return decode(fg, 4, [{ x: 0, total: 1, self: 2 }], 3)[0];
}

export function flameGraphDiffToStacks(fg: FlameGraphLevels): {
  left: Map<string, number>;
  right: Map<string, number>;
} {
  const [left, right] = decode(
    fg,
    7,
    [
      { x: 0, total: 1, self: 2 },
      { x: 3, total: 4, self: 5 },
    ],
    6
  );
  return { left, right };
}

interface Side {
  x: number;
  total: number;
  self: number;
}

function decode(fg: FlameGraphLevels, width: number, sides: Side[], nameAt: number): Array<Map<string, number>> {
  const out = sides.map(() => new Map<string, number>());
  // Absolute x per side and the path string of every node on the previous level.
  let prevX: Float64Array[] = [];
  let prevTotal: Float64Array[] = [];
  let prevPath: string[] = [];
  fg.levels.forEach((level, depth) => {
    const count = level.length / width;
    const xs = sides.map(() => new Float64Array(count));
    const totals = sides.map(() => new Float64Array(count));
    const paths = new Array<string>(count);
    sides.forEach((side, s) => {
      let prevEnd = 0;
      for (let i = 0; i < count; i++) {
        const x = prevEnd + level[i * width + side.x];
        xs[s][i] = x;
        totals[s][i] = level[i * width + side.total];
        prevEnd = x + totals[s][i];
      }
    });
    for (let i = 0; i < count; i++) {
      const name = fg.names[level[i * width + nameAt]];
      if (depth === 0) {
        paths[i] = '';
      } else {
        // The parent is the node above that spans this one, on a side where this node has width.
        let s = sides.findIndex((_, k) => totals[k][i] > 0);
        if (s < 0) {
          s = 0;
        }
        const p = findParent(prevX[s], prevTotal[s], xs[s][i], totals[s][i]);
        paths[i] = depth === 1 ? name : `${prevPath[p]};${name}`;
      }
      sides.forEach((side, k) => {
        const self = level[i * width + side.self];
        if (self !== 0) {
          out[k].set(paths[i], (out[k].get(paths[i]) ?? 0) + self);
        }
      });
    }
    prevX = xs;
    prevTotal = totals;
    prevPath = paths;
  });
  return out;
}

function findParent(xs: Float64Array, totals: Float64Array, x: number, total: number): number {
  // Last node starting at or before x...
  let lo = 0;
  let hi = xs.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (xs[mid] <= x) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  // ...stepping back over zero-width neighbours that cannot contain it.
  while (lo > 0 && xs[lo] + totals[lo] < x + total) {
    lo--;
  }
  return lo;
}
