import { diffColor, toCss } from '../../components/FlameGraph/domain/colors';
import { DiffTree, diffFlamebearerToTree, formatChange, functionDiffs, nodeDiff } from './diffTree';

// A node as the diff flame graph paints it (the official chart's default palette).
const paint = (t: DiffTree, i: number) =>
  toCss(diffColor(t.baseTotal[i], t.compTotal[i], t.baseRoot, t.compRoot, 'diffDefault'));
const NEUTRAL_COLOR = toCss(diffColor(1, 1, 1, 1, 'diffDefault'));
const painted = (l: number, r: number) => toCss(diffColor(l, r, 100, 100, 'diffDefault'));

// Hand-written "double" flamebearers, as /pyroscope/render-diff returns them:
// [left x delta, left total, left self, right x delta, right total, right self, name] per node.
const NAMES = ['total', 'main', 'checkout', 'convertCurrency', 'sendToPostProcessor', 'fraudCheck', 'gc'];

// Baseline: convertCurrency 100, sendToPostProcessor 200; comparison: 200 and 100; the root stays at 600.
const REGRESSION = {
  names: NAMES,
  levels: [
    [0, 600, 0, 0, 600, 0, 0],
    [0, 600, 0, 0, 600, 0, 1],
    [0, 600, 300, 0, 600, 300, 2],
    [0, 100, 100, 0, 200, 200, 3, 0, 200, 200, 0, 100, 100, 4],
  ],
};

function find(tree: ReturnType<typeof diffFlamebearerToTree>, name: string): number {
  for (let i = 0; i < tree.count; i++) {
    if (tree.names[tree.nameIndex[i]] === name) {
      return i;
    }
  }
  throw new Error(`no ${name}`);
}

describe('diff tree', () => {
  it('keeps each side per node and finds parents across both layouts', () => {
    const t = diffFlamebearerToTree(REGRESSION);
    expect(t.count).toBe(5);
    expect(t.baseRoot).toBe(600);
    expect(t.compRoot).toBe(600);
    const cc = find(t, 'convertCurrency');
    const sp = find(t, 'sendToPostProcessor');
    expect(t.names[t.nameIndex[t.parent[cc]]]).toBe('checkout');
    expect(t.parent[sp]).toBe(t.parent[cc]);
    expect([t.baseTotal[cc], t.baseSelf[cc], t.compTotal[cc], t.compSelf[cc]]).toEqual([100, 100, 200, 200]);
    expect([t.baseTotal[sp], t.compTotal[sp]]).toEqual([200, 100]);
    // drawn width: the sum of both shares (root = 2)
    expect(t.total[0]).toBe(2);
    expect(t.total[cc]).toBeCloseTo(100 / 600 + 200 / 600, 12);
  });

  it('doubled leaf +100 % red, halved leaf −50 % green, unchanged parents neutral', () => {
    const t = diffFlamebearerToTree(REGRESSION);
    const [ccI, spI, coI] = ['convertCurrency', 'sendToPostProcessor', 'checkout'].map((n) => find(t, n));
    const [cc, sp, co] = [ccI, spI, coI].map((i) => nodeDiff(t, i));
    expect(cc.totalChange).toBeCloseTo(1, 12);
    expect(cc.selfChange).toBeCloseTo(1, 12);
    expect(sp.totalChange).toBeCloseTo(-0.5, 12);
    expect(formatChange(cc.totalChange)).toBe('+100.00 %');
    expect(formatChange(sp.totalChange)).toBe('-50.00 %');
    expect(co.totalChange).toBe(0);
    expect(paint(t, coI)).toBe(NEUTRAL_COLOR);
    const [r1, g1] = rgb(paint(t, ccI));
    const [r2, g2] = rgb(paint(t, spI));
    expect(r1).toBeGreaterThan(g1);
    expect(g2).toBeGreaterThan(r2);
  });

  it('normalises each side to its own root total', () => {
    // The comparison is twice as long, with the same shape: no change anywhere.
    const scaled = {
      names: NAMES,
      levels: [] as number[][],
    };
    scaled.levels = [
      [0, 600, 0, 0, 1200, 0, 0],
      [0, 600, 0, 0, 1200, 0, 1],
      [0, 600, 300, 0, 1200, 600, 2],
      [0, 100, 100, 0, 200, 200, 3, 0, 200, 200, 0, 400, 400, 4],
    ];
    const t = diffFlamebearerToTree(scaled);
    const cc = nodeDiff(t, find(t, 'convertCurrency'));
    expect(cc.baseTotalShare).toBeCloseTo(1 / 6, 12);
    expect(cc.compTotalShare).toBeCloseTo(1 / 6, 12);
    expect(paint(t, find(t, 'convertCurrency'))).toBe(NEUTRAL_COLOR);
  });

  it('a range against itself has no red or green', () => {
    const same = {
      names: NAMES,
      levels: [
        [0, 700, 0, 0, 700, 0, 0],
        [0, 600, 0, 0, 600, 0, 1, 0, 100, 100, 0, 100, 100, 6],
        [0, 600, 300, 0, 600, 300, 2],
        [0, 100, 100, 0, 100, 100, 3, 0, 200, 200, 0, 200, 200, 4],
      ],
    };
    const t = diffFlamebearerToTree(same);
    expect(t.names[t.nameIndex[t.parent[find(t, 'checkout')]]]).toBe('main');
    expect(t.parent[find(t, 'gc')]).toBe(0);
    for (let i = 0; i < t.count; i++) {
      expect(paint(t, i)).toBe(NEUTRAL_COLOR);
    }
  });

  it('a frame on one side only is new or removed, at full colour', () => {
    const t = diffFlamebearerToTree({
      names: NAMES,
      levels: [
        [0, 700, 0, 0, 650, 0, 0],
        [0, 600, 0, 0, 650, 0, 1, 0, 100, 100, 0, 0, 0, 6],
        [0, 600, 600, 0, 650, 600, 2],
        [0, 0, 0, 0, 50, 50, 5],
      ],
    });
    const gc = nodeDiff(t, find(t, 'gc'));
    const fraud = nodeDiff(t, find(t, 'fraudCheck'));
    expect(gc.status).toBe('removed');
    expect(fraud.status).toBe('added');
    expect(fraud.totalChange).toBeNull();
    expect(formatChange(fraud.totalChange, fraud.status)).toBe('new');
    // full colour: as red as a +500 % change, as green as a -100 % one
    expect(paint(t, find(t, 'fraudCheck'))).toBe(painted(10, 60));
    expect(paint(t, find(t, 'gc'))).toBe(painted(10, 0));
    expect(t.names[t.nameIndex[t.parent[find(t, 'fraudCheck')]]]).toBe('checkout');
  });

  it('per-function sums for regression summaries', () => {
    const rows = functionDiffs(diffFlamebearerToTree(REGRESSION));
    const cc = rows.find((r) => r.name === 'convertCurrency')!;
    expect(cc).toMatchObject({ baseSelf: 100, compSelf: 200, baseTotal: 100, compTotal: 200 });
    expect(cc.selfChange).toBeCloseTo(1, 12);
    expect(rows.find((r) => r.name === 'checkout')).toMatchObject({ baseTotal: 600, compTotal: 600, selfChange: 0 });
  });
});

function rgb(c: string): number[] {
  return (c.match(/\d+/g) ?? []).map(Number);
}
