import { flamebearerFromTree } from '../../../testing/flamebearerFromTree';
import { FlameTree, flamebearerToTree } from '../../../domain/converters/flamebearer';
import { topFunctions } from './topFunctions';
import { buildSandwich } from './sandwich';

// total -> main -> {work -> {parse -> alloc, alloc}, serve -> {work -> parse, alloc}}, gc -> alloc; work recursive once
const fixture = flamebearerToTree(
  flamebearerFromTree({
    name: 'total',
    self: 0,
    children: [
      {
        name: 'main',
        self: 1,
        children: [
          {
            name: 'work',
            self: 5,
            children: [
              { name: 'parse', self: 3, children: [{ name: 'alloc', self: 2 }] },
              { name: 'alloc', self: 4 },
              { name: 'work', self: 6 },
            ],
          },
          {
            name: 'serve',
            self: 1,
            children: [
              { name: 'work', self: 7, children: [{ name: 'parse', self: 8 }] },
              { name: 'alloc', self: 9 },
            ],
          },
        ],
      },
      { name: 'gc', self: 10, children: [{ name: 'alloc', self: 11 }] },
    ],
  })
);

/** "a;b;c total/self" lines, pre-order. */
function lines(t: FlameTree): string[] {
  const out: string[] = [];
  const path: string[] = [];
  for (let i = 0; i < t.count; i++) {
    path.length = t.level[i];
    path.push(t.names[t.nameIndex[i]]);
    out.push(`${path.join(';')} ${t.total[i]}/${t.self[i]}`);
  }
  return out;
}

describe('sandwich builder', () => {
  it('callees merge every outermost call of the function; recursion counted once', () => {
    const s = buildSandwich(fixture, 'work');
    // outer work (5+3+2+4+6 = 20) and serve's work (7+8 = 15)
    expect(s.total).toBe(35);
    expect(lines(s.callees)).toEqual([
      'work 35/12',
      'work;alloc 4/4',
      'work;parse 13/11',
      'work;parse;alloc 2/2',
      'work;work 6/6',
    ]);
  });

  it('callers list each caller chain up to the root, with the value of the calls it made', () => {
    const s = buildSandwich(fixture, 'work');
    expect(lines(s.callers)).toEqual(['work 35/0', 'work;main 20/20', 'work;serve 15/0', 'work;serve;main 15/15']);
  });

  it('a function called from several places: callers split, callees merge', () => {
    const s = buildSandwich(fixture, 'alloc');
    expect(lines(s.callers)).toEqual([
      'alloc 26/0',
      'alloc;gc 11/11',
      'alloc;parse 2/0',
      'alloc;parse;work 2/0',
      'alloc;parse;work;main 2/2',
      'alloc;serve 9/0',
      'alloc;serve;main 9/9',
      'alloc;work 4/0',
      'alloc;work;main 4/4',
    ]);
    expect(lines(s.callees)).toEqual(['alloc 26/26']);
  });

  it('both roots equal the top table total of the function', () => {
    const top = new Map(topFunctions(fixture).map((r) => [r.name, r.total]));
    for (const name of ['main', 'work', 'parse', 'alloc', 'gc', 'serve']) {
      const s = buildSandwich(fixture, name);
      expect([s.callers.total[0], s.callees.total[0]]).toEqual([top.get(name), top.get(name)]);
    }
  });

  it('an unknown function gives empty halves', () => {
    const s = buildSandwich(fixture, 'nope');
    expect(s.total).toBe(0);
    expect(s.callers.count).toBe(1);
  });
});
