// Browser side of `npm run bench:ui`: the app's own FlameGraph (fold-to-visible + d3-flame-graph) and a minimal
// canvas icicle (the floor), timed on the same synthetic trees in the same page.
import React from 'react';
import { createRoot, Root } from 'react-dom/client';
import { flushSync } from 'react-dom';
import flamegraph from 'd3-flame-graph';
import { select } from 'd3-selection';
import { FlameTree, flamebearerToTree } from '../../src/shared/domain/converters/flamebearer';
import { FlameGraph, RenderInfo } from '../../src/shared/components/FlameGraph/ui/FlameGraph';
import { searchTree } from '../../src/shared/components/FlameGraph/domain/search';
import { valueFormatter } from '../../src/shared/components/FlameGraph/domain/formatValue';
import { StackNode, flamebearerFromTree } from '../../src/shared/testing/flamebearerFromTree';

const WIDTH = 1200;

// Deterministic profile-like tree: a few hot paths, a long tail of tiny frames, names reused across the tree.
function syntheticTree(nodes: number, seed = 42): FlameTree {
  let s = seed;
  const rnd = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const names = Array.from({ length: Math.max(64, Math.floor(nodes / 6)) }, (_, i) => `pkg${i % 97}.Function${i}`);
  const root: StackNode = { name: 'total', self: 0, children: [] };
  const queue: Array<{ n: StackNode; depth: number }> = [{ n: root, depth: 0 }];
  let count = 1;
  while (queue.length && count < nodes) {
    const { n, depth } = queue.splice(Math.floor(rnd() * Math.min(queue.length, 8)), 1)[0];
    const k = depth > 40 ? 0 : 1 + Math.floor(rnd() * 6);
    for (let i = 0; i < k && count < nodes; i++) {
      const child: StackNode = { name: names[Math.floor(rnd() ** 2 * names.length)], self: 0, children: [] };
      n.children!.push(child);
      count++;
      queue.push({ n: child, depth: depth + 1 });
    }
  }
  // Heavy-tailed selfs on every node: most frames tiny, a few hot.
  const assign = (n: StackNode) => {
    n.self = n === root ? 0 : Math.max(1, Math.floor(1 / (rnd() + 0.0005) ** 1.5));
    n.children?.forEach(assign);
  };
  assign(root);
  return flamebearerToTree(flamebearerFromTree(root));
}

// Collect garbage left by the previous step (tree building, the previous run) before timing the next one, so
// a pause it would cause anyway is not charged to whichever step happens to trigger it. Needs --expose-gc.
const settle = async () => {
  (window as unknown as { gc?: () => void }).gc?.();
  await new Promise<void>((r) => requestAnimationFrame(() => setTimeout(r, 0)));
};

const nextFrame = () => new Promise<void>((r) => requestAnimationFrame(() => setTimeout(r, 0)));

async function until(pred: () => boolean, limitMs = 20_000) {
  const t0 = performance.now();
  while (!pred()) {
    if (performance.now() - t0 > limitMs) {
      throw new Error('bench: timed out');
    }
    await nextFrame();
  }
  await nextFrame();
}

function deepestWide(tree: FlameTree): number {
  // A frame a user would click: second level, widest child of the widest top frame.
  let best = -1;
  for (let c = tree.firstChild[0]; c >= 0; c = tree.nextSibling[c]) {
    if (best < 0 || tree.total[c] > tree.total[best]) {
      best = c;
    }
  }
  let pick = best;
  for (let c = tree.firstChild[best]; c >= 0; c = tree.nextSibling[c]) {
    if (pick === best || tree.total[c] > tree.total[pick]) {
      pick = c;
    }
  }
  return pick;
}

export interface Timings {
  render: number;
  zoom: number;
  zoomOut: number;
  search: number;
  frames: number;
  framesZoomed: number;
  /** app only: time spent folding and in d3-flame-graph, the rest is React, style, layout and paint */
  renderJs?: number;
  zoomJs?: number;
}

async function benchApp(tree: FlameTree, host: HTMLElement): Promise<Timings> {
  host.replaceChildren();
  const div = document.createElement('div');
  div.style.width = `${WIDTH}px`;
  host.appendChild(div);
  const root: Root = createRoot(div);
  const format = valueFormatter('ns');
  let last: RenderInfo = { visible: 0, focus: -1, foldMs: 0, drawMs: 0 };
  const onRender = (info: RenderInfo) => (last = info);
  const draw = (search?: ReturnType<typeof searchTree>) =>
    root.render(<FlameGraph tree={tree} format={format} search={search} onRender={onRender} />);
  const frames = () => div.querySelectorAll('g.frame').length;

  await settle();
  let t0 = performance.now();
  flushSync(() => draw());
  await until(() => last.focus === 0 && frames() > 0);
  const render = performance.now() - t0;
  const renderJs = last.foldMs + last.drawMs;
  const drawn = frames();

  const target = deepestWide(tree);
  const el = [...div.querySelectorAll<SVGGElement>('g.frame')].find(
    (g) => (g as unknown as { __data__: { data: { i: number } } }).__data__.data.i === target
  );
  await settle();
  // marks bound the step in a Chromium trace (scripts/profile-ui.mjs); they cost nothing measurable
  performance.mark('bench:zoom:start');
  t0 = performance.now();
  el!.dispatchEvent(new MouseEvent('click', { bubbles: true }));
  await until(() => last.focus === target);
  const zoom = performance.now() - t0;
  performance.mark('bench:zoom:end');
  const zoomJs = last.foldMs + last.drawMs;
  const framesZoomed = frames();

  await settle();
  performance.mark('bench:zoomOut:start');
  t0 = performance.now();
  (div.querySelector('[data-testid="flamegraph-reset"]') as HTMLButtonElement).click();
  await until(() => last.focus === 0);
  const zoomOut = performance.now() - t0;
  performance.mark('bench:zoomOut:end');

  await settle();
  t0 = performance.now();
  const result = searchTree(tree, 'Function1');
  flushSync(() => draw(result));
  await until(() => div.querySelector('rect[fill="#E600E6"], rect[fill="#c27bd8"]') !== null);
  const search = performance.now() - t0;

  root.unmount();
  return { render, zoom, zoomOut, search, frames: drawn, framesZoomed, renderJs, zoomJs };
}

// d3-flame-graph as it comes (every frame in the DOM, its own zoom and RegExp search): the reference point.
async function benchD3AsIs(tree: FlameTree, host: HTMLElement): Promise<Timings> {
  host.replaceChildren();
  const div = document.createElement('div');
  host.appendChild(div);
  type N = { name: string; value: number; children?: N[] };
  const nodes: N[] = new Array(tree.count);
  for (let i = 0; i < tree.count; i++) {
    nodes[i] = { name: tree.names[tree.nameIndex[i]], value: tree.total[i] };
    const p = tree.parent[i];
    if (p >= 0) {
      (nodes[p].children ??= []).push(nodes[i]);
    }
  }
  const chart = flamegraph<N>().width(WIDTH).cellHeight(20).transitionDuration(0).inverted(true).sort(false);
  await settle();
  let t0 = performance.now();
  select(div).datum(nodes[0]).call(chart);
  await nextFrame();
  const render = performance.now() - t0;
  const frames = div.querySelectorAll('g.frame').length;
  const target = deepestWide(tree);
  const el = [...div.querySelectorAll<SVGGElement>('g.frame')].find(
    (g) => (g as unknown as { __data__: { data: N } }).__data__.data === nodes[target]
  );
  await settle();
  t0 = performance.now();
  el!.dispatchEvent(new MouseEvent('click', { bubbles: true }));
  await nextFrame();
  const zoom = performance.now() - t0;
  const framesZoomed = div.querySelectorAll('g.frame:not(.fade)').length;
  await settle();
  t0 = performance.now();
  (chart as unknown as { resetZoom(): void }).resetZoom();
  await nextFrame();
  const zoomOut = performance.now() - t0;
  await settle();
  t0 = performance.now();
  (chart as unknown as { search(t: string): void }).search('Function1');
  await nextFrame();
  const search = performance.now() - t0;
  chart.destroy();
  return { render, zoom, zoomOut, search, frames, framesZoomed };
}

// The floor: every frame of the same tree drawn on one canvas, no library, no DOM per frame.
async function benchCanvas(tree: FlameTree, host: HTMLElement): Promise<Timings> {
  host.replaceChildren();
  const canvas = document.createElement('canvas');
  const rowH = 20;
  canvas.width = WIDTH;
  canvas.height = (tree.maxLevel + 1) * rowH;
  host.appendChild(canvas);
  const ctx = canvas.getContext('2d')!;
  ctx.font = '12px sans-serif';
  const x = new Float64Array(tree.count);
  const draw = (focus: number, match?: Uint8Array) => {
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    const scale = WIDTH / tree.total[focus];
    const base = tree.level[focus];
    x[focus] = 0;
    let n = 0;
    const stack = [focus];
    while (stack.length) {
      const i = stack.pop()!;
      const w = tree.total[i] * scale;
      const y = (tree.level[i] - base) * rowH;
      ctx.fillStyle = match && match[i] ? '#E600E6' : `hsl(${(tree.nameIndex[i] * 37) % 50}, 80%, 60%)`;
      ctx.fillRect(x[i], y, Math.max(w - 0.5, 0.5), rowH - 1);
      if (w > 40) {
        ctx.fillStyle = '#000';
        ctx.fillText(tree.names[tree.nameIndex[i]].slice(0, Math.floor(w / 7)), x[i] + 3, y + 14);
      }
      n++;
      let cx = x[i] + tree.self[i] * scale;
      for (let c = tree.firstChild[i]; c >= 0; c = tree.nextSibling[c]) {
        x[c] = cx;
        cx += tree.total[c] * scale;
        stack.push(c);
      }
    }
    return n;
  };
  await settle();
  let t0 = performance.now();
  const frames = draw(0);
  await nextFrame();
  const render = performance.now() - t0;
  const target = deepestWide(tree);
  await settle();
  t0 = performance.now();
  const framesZoomed = draw(target);
  await nextFrame();
  const zoom = performance.now() - t0;
  await settle();
  t0 = performance.now();
  draw(0);
  await nextFrame();
  const zoomOut = performance.now() - t0;
  await settle();
  t0 = performance.now();
  draw(0, searchTree(tree, 'Function1')!.nodeMatches);
  await nextFrame();
  const search = performance.now() - t0;
  return { render, zoom, zoomOut, search, frames, framesZoomed };
}

declare global {
  interface Window {
    bench: { run: (nodes: number, impl: 'app' | 'd3-as-is' | 'canvas') => Promise<Timings & { nodes: number }> };
  }
}

const trees = new Map<number, FlameTree>();

window.bench = {
  run: async (nodes, impl) => {
    // Built once per size: every implementation and run draws the very same tree.
    const tree = trees.get(nodes) ?? syntheticTree(nodes);
    trees.set(nodes, tree);
    const host = document.getElementById('bench')!;
    const t =
      impl === 'app'
        ? await benchApp(tree, host)
        : impl === 'canvas'
          ? await benchCanvas(tree, host)
          : await benchD3AsIs(tree, host);
    return { ...t, nodes: tree.count };
  },
};
