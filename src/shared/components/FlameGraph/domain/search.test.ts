import { flamebearerToTree } from '../../../domain/converters/flamebearer';
import { flamebearerFromTree } from '../../../testing/flamebearerFromTree';
import { escapeRegExp, searchTree } from './search';

const tree = flamebearerToTree(
  flamebearerFromTree({
    name: 'total',
    self: 0,
    children: [
      {
        name: 'runtime.main',
        self: 0,
        children: [{ name: 'runtime.gc', self: 10, children: [{ name: 'runtime.gc', self: 5 }] }],
      },
      { name: 'main.work', self: 20, children: [{ name: 'runtime.gc', self: 1 }] },
    ],
  })
);

describe('flame graph search', () => {
  it('counts every matching node and each stack once in the matched value', () => {
    const r = searchTree(tree, 'gc')!;
    expect(r.count).toBe(3);
    expect(r.value).toBe(15 + 1);
    expect(r.subtreeMatches[0]).toBe(3);
  });

  it('is case-insensitive, takes regexes, and falls back to text for invalid ones', () => {
    expect(searchTree(tree, 'RUNTIME\\.')!.count).toBe(4);
    expect(searchTree(tree, `^${escapeRegExp('main.work')}$`)!.count).toBe(1);
    expect(searchTree(tree, 'work(')!.count).toBe(0);
    expect(searchTree(tree, '')).toBeUndefined();
  });

  it('never matches the synthetic root', () => {
    expect(searchTree(tree, 'total')!.count).toBe(0);
  });
});
