import { FieldType } from '@grafana/data';
import { flamebearerFromTree } from '../../testing/flamebearerFromTree';
import {
  FlameTree,
  connectFlameGraphToFlamebearer,
  dataFrameToTree,
  flamebearerToDataFrame,
  flamebearerToTree,
} from './flamebearer';

const sample = {
  name: 'total',
  self: 0,
  children: [
    {
      name: 'main',
      self: 5,
      children: [
        { name: 'work', self: 30 },
        { name: 'io', self: 10, children: [{ name: 'read', self: 5 }] },
      ],
    },
    { name: 'gc', self: 20 },
  ],
};

function describeTree(t: FlameTree) {
  const out: string[] = [];
  for (let i = 0; i < t.count; i++) {
    const parent = t.parent[i] >= 0 ? t.names[t.nameIndex[t.parent[i]]] : '-';
    out.push(`${t.level[i]} ${t.names[t.nameIndex[i]]} total=${t.total[i]} self=${t.self[i]} parent=${parent}`);
  }
  return out;
}

describe('flamebearer levels to tree', () => {
  it('rebuilds parents, totals and selfs in pre-order', () => {
    const tree = flamebearerToTree(flamebearerFromTree(sample));
    expect(describeTree(tree)).toEqual([
      '0 total total=70 self=0 parent=-',
      '1 main total=50 self=5 parent=total',
      '2 work total=30 self=30 parent=main',
      '2 io total=15 self=10 parent=main',
      '3 read total=5 self=5 parent=io',
      '1 gc total=20 self=20 parent=total',
    ]);
    expect(tree.maxLevel).toBe(3);
  });

  it('decodes x deltas against the previous node of the level, not the parent', () => {
    // Two parents on level 1 each with one child: the second child's delta skips the first parent's self.
    const fb = {
      names: ['total', 'a', 'b', 'a1', 'b1'],
      levels: [
        [0, 10, 0, 0],
        [0, 4, 1, 1, 0, 6, 2, 2],
        [1, 3, 3, 3, 2, 4, 4, 4],
      ],
    };
    const tree = flamebearerToTree(fb);
    expect(describeTree(tree)).toEqual([
      '0 total total=10 self=0 parent=-',
      '1 a total=4 self=1 parent=total',
      '2 a1 total=3 self=3 parent=a',
      '1 b total=6 self=2 parent=total',
      '2 b1 total=4 self=4 parent=b',
    ]);
  });

  it('accepts int64 values sent as strings', () => {
    const fb = {
      names: ['total', 'x'],
      levels: [
        ['0', '7', '0', '0'],
        ['0', '7', '7', '1'],
      ] as unknown as number[][],
    };
    expect(describeTree(flamebearerToTree(fb))[1]).toBe('1 x total=7 self=7 parent=total');
  });

  it('round-trips through the nested-set data frame unchanged', () => {
    const fb = flamebearerFromTree(sample);
    const frame = flamebearerToDataFrame(
      fb,
      { format: 'single', units: 'samples' },
      { profileTypeId: 'cpu', unit: 'ns' }
    );
    expect(frame.fields.map((f) => [f.name, f.type])).toEqual([
      ['level', FieldType.number],
      ['value', FieldType.number],
      ['self', FieldType.number],
      ['label', FieldType.string],
    ]);
    expect(frame.fields[1].config.unit).toBe('ns');
    expect(describeTree(dataFrameToTree(frame))).toEqual(describeTree(flamebearerToTree(fb)));
  });

  it('reads the Connect JSON flame graph (int64 strings, levels in values) the same way', () => {
    const fb = flamebearerFromTree(sample);
    const connect = {
      names: fb.names,
      levels: fb.levels.map((l) => ({ values: l.map(String) })),
      total: '70',
      maxSelf: '30',
    };
    const converted = connectFlameGraphToFlamebearer(connect);
    expect(converted.numTicks).toBe(70);
    expect(converted.maxSelf).toBe(30);
    expect(describeTree(flamebearerToTree(converted))).toEqual(describeTree(flamebearerToTree(fb)));
    expect(connectFlameGraphToFlamebearer(undefined)).toEqual({ names: [], levels: [], numTicks: 0, maxSelf: 0 });
  });

  it('handles an empty profile', () => {
    expect(flamebearerToTree({ names: [], levels: [] }).count).toBe(0);
  });
});
