import { flamebearerToTree } from '../../../domain/converters/flamebearer';
import { StackNode, flamebearerFromTree } from '../../../testing/flamebearerFromTree';
import { ViewNode, foldToVisible, subtreeSizes } from './foldToVisible';
import { allGroups, findFrameGroups, withGroup } from './frameGroups';

// total -> a -> b -> c (each the only child, c holding all but 0.5 % of a) -> {d 600, e 394}; total -> f 5
function sample(): StackNode {
  return {
    name: 'total',
    self: 0,
    children: [
      {
        name: 'a',
        self: 0,
        children: [
          {
            name: 'b',
            self: 0,
            children: [
              {
                name: 'c',
                self: 1,
                children: [
                  { name: 'd', self: 600 },
                  { name: 'e', self: 394 },
                ],
              },
            ],
          },
        ],
      },
      { name: 'f', self: 5 },
    ],
  };
}

const names = (n: ViewNode, depth = 0, out: string[] = []) => {
  out.push(`${'  '.repeat(depth)}${n.name}${n.group?.collapsed ? ` (${n.group.count})` : ''}`);
  n.children?.forEach((c) => names(c, depth + 1, out));
  return out;
};

describe('frame groups', () => {
  const tree = flamebearerToTree(flamebearerFromTree(sample()));
  const find = (name: string) => [...Array(tree.count).keys()].find((i) => tree.names[tree.nameIndex[i]] === name)!;

  it('groups a chain of only children that keep more than 99 % of the value', () => {
    const g = findFrameGroups(tree);
    expect(g.head.map((i) => tree.names[tree.nameIndex[i]])).toEqual(['a']);
    expect(g.tail.map((i) => tree.names[tree.nameIndex[i]])).toEqual(['c']);
    expect(g.size).toEqual([3]);
    for (const n of ['a', 'b', 'c']) {
      expect(g.groupOf[find(n)]).toBe(0);
    }
    for (const n of ['total', 'd', 'e', 'f']) {
      expect(g.groupOf[find(n)]).toBe(-1);
    }
  });

  it('needs more than the threshold: at 100 % no only child qualifies', () => {
    expect(findFrameGroups(tree, 1).head).toEqual([]);
  });

  it('draws a collapsed group as its first frame with the children of its last', () => {
    const groups = findFrameGroups(tree);
    const view = foldToVisible(tree, 0, 10_000, subtreeSizes(tree), 1, {
      groups,
      collapsed: allGroups(groups, true),
    });
    expect(names(view.root)).toEqual(['total', '  a (3)', '    d', '    e', '  f']);
    expect(view.visible).toBe(5);
    // the group's frame keeps its own total
    expect(view.root.children![0].value).toBe(tree.total[find('a')]);
  });

  it('expands one group or all of them, each frame then marked with its place in the group', () => {
    const groups = findFrameGroups(tree);
    const expanded = withGroup(allGroups(groups, true), 0, false);
    const view = foldToVisible(tree, 0, 10_000, subtreeSizes(tree), 1, { groups, collapsed: expanded });
    expect(names(view.root)).toEqual(['total', '  a', '    b', '      c', '        d', '        e', '  f']);
    const a = view.root.children![0];
    expect(a.group).toMatchObject({ id: 0, collapsed: false, position: 'first' });
    expect(a.children![0].group?.position).toBe('middle');
    expect(a.children![0].children![0].group?.position).toBe('last');
    expect(allGroups(groups, false)).toEqual(expanded);
  });

  it('zoomed inside a collapsed group, folds from the zoomed frame down and draws the ones above it', () => {
    const groups = findFrameGroups(tree);
    const view = foldToVisible(tree, find('b'), 10_000, subtreeSizes(tree), 1, {
      groups,
      collapsed: allGroups(groups, true),
    });
    expect(names(view.root)).toEqual(['total', '  a', '    b (2)', '      d', '      e']);
  });
});
