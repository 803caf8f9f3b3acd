import { FlameTree } from '../../../domain/converters/flamebearer';

export interface SearchResult {
  /** 1 where the node's name matches */
  nodeMatches: Uint8Array;
  /** matches in each subtree (the node included) */
  subtreeMatches: Int32Array;
  /** matching nodes in the whole tree, folded ones included */
  count: number;
  /** value under matching frames, each stack counted once (nested matches not added twice) */
  value: number;
}

export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A case-insensitive regex when the text is one, a plain substring otherwise. */
export function nameMatcher(text: string): (name: string) => boolean {
  try {
    const re = new RegExp(text, 'i');
    return (n) => re.test(n);
  } catch {
    const lower = text.toLowerCase();
    return (n) => n.toLowerCase().includes(lower);
  }
}

/**
 * Tests each distinct name once (a profile has far fewer names than nodes), then spreads the answer over the
 * nodes with array lookups: no per-node RegExp.
 */
export function searchTree(tree: FlameTree, text: string): SearchResult | undefined {
  if (!text) {
    return undefined;
  }
  const matches = nameMatcher(text);
  const byName = new Uint8Array(tree.names.length);
  tree.names.forEach((n, i) => {
    byName[i] = matches(n) ? 1 : 0;
  });
  const nodeMatches = new Uint8Array(tree.count);
  const subtreeMatches = new Int32Array(tree.count);
  const underMatch = new Uint8Array(tree.count);
  let count = 0;
  let value = 0;
  for (let i = 0; i < tree.count; i++) {
    const m = i === 0 ? 0 : byName[tree.nameIndex[i]];
    nodeMatches[i] = m;
    const p = tree.parent[i];
    if (p >= 0) {
      underMatch[i] = underMatch[p] || nodeMatches[p];
    }
    if (m) {
      count++;
      if (!underMatch[i]) {
        value += tree.total[i];
      }
    }
  }
  for (let i = tree.count - 1; i >= 0; i--) {
    subtreeMatches[i] += nodeMatches[i];
    const p = tree.parent[i];
    if (p >= 0) {
      subtreeMatches[p] += subtreeMatches[i];
    }
  }
  return { nodeMatches, subtreeMatches, count, value };
}
