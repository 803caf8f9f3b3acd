#!/usr/bin/env node
// npm run bench:ui [-- --runs 5 --sizes 1024,4096,16384,65536 --strict]
// Times the app's flame graph (fold-to-visible + d3-flame-graph) in headless Debian Chromium: render until
// interactive, zoom, zoom-out and search, for synthetic trees of 1k..64k nodes, next to a minimal canvas icicle
// of the same tree in the same run (the floor) and d3-flame-graph as it comes (the reference).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from '@playwright/test';
import { serveBenchPage } from './lib/benchPage.mjs';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    sizes: { type: 'string', default: '1024,4096,16384,65536' },
    'as-is-max': { type: 'string', default: '16384' },
    strict: { type: 'boolean', default: false },
  },
});
const RUNS = Number(args.runs);
const SIZES = args.sizes.split(',').map(Number);
const TARGET = { nodes: 16384, render: 300, action: 100 };

if (!existsSync('/usr/bin/chromium')) {
  console.error('bench:ui needs Debian chromium at /usr/bin/chromium (as root: apt-get install -y chromium)');
  process.exit(1);
}

const out = mkdtempSync(join(tmpdir(), 'bench-ui-'));
const { server, url } = await serveBenchPage(out);

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-quic',
    // window.gc for the bench's settle step: garbage from the previous step is collected before the next is timed.
    '--js-flags=--expose-gc',
  ],
});
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = [];
console.log(
  `median (fastest) of ${RUNS} runs after a warm-up, in ms; load average ${(await import('node:os')).loadavg()[0].toFixed(1)} on ${(await import('node:os')).cpus().length} cores`
);
try {
  const page = await browser.newPage({ viewport: { width: 1300, height: 1000 } });
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(url);
  await page.waitForFunction(() => Boolean(window.bench));
  if (!(await page.evaluate(() => typeof window.gc === 'function'))) {
    console.warn(
      'window.gc is missing (--js-flags=--expose-gc not honoured): steps are timed without a collection first'
    );
  }
  for (const size of SIZES) {
    for (const impl of ['app', 'canvas', 'd3-as-is']) {
      if (impl === 'd3-as-is' && size > Number(args['as-is-max'])) {
        continue;
      }
      const runs = [];
      // One warm-up run: the first includes JIT and style work a returning user does not pay again.
      // d3-flame-graph as it comes takes seconds at 16k: two runs are enough for a reference.
      const runCount = impl === 'd3-as-is' ? Math.min(RUNS, 2) : RUNS;
      for (let i = 0; i < runCount + 1; i++) {
        runs.push(await page.evaluate(([n, m]) => window.bench.run(n, m), [size, impl]));
      }
      runs.shift();
      const r = { impl, size, nodes: runs[0].nodes, frames: runs[0].frames, framesZoomed: runs[0].framesZoomed };
      for (const k of ['render', 'zoom', 'zoomOut', 'search', 'renderJs', 'zoomJs']) {
        r[k] = median(runs.map((x) => x[k] ?? 0));
        // The fastest run: on a machine other jobs share, the least disturbed estimate of the cost.
        r[`${k}Min`] = Math.min(...runs.map((x) => x[k] ?? 0));
      }
      results.push(r);
      const ms = (k) => `${r[k].toFixed(0).padStart(5)} (${r[`${k}Min`].toFixed(0).padStart(4)})`;
      const js = impl === 'app' ? `; fold+d3 JS render ${r.renderJs.toFixed(0)}, zoom ${r.zoomJs.toFixed(0)} ms` : '';
      console.log(
        `${String(size).padStart(6)} nodes  ${impl.padEnd(9)} render ${ms('render')}  zoom ${ms('zoom')}  ` +
          `zoom-out ${ms('zoomOut')}  search ${ms('search')} ms  frames ${r.frames}, zoomed ${r.framesZoomed}${js}`
      );
    }
  }
} finally {
  await browser.close();
  server.close();
  rmSync(out, { recursive: true, force: true });
}

const app16 = results.find((r) => r.impl === 'app' && r.size === TARGET.nodes);
if (app16) {
  const ok = app16.render <= TARGET.render && Math.max(app16.zoom, app16.zoomOut, app16.search) <= TARGET.action;
  const okFastest =
    app16.renderMin <= TARGET.render && Math.max(app16.zoomMin, app16.zoomOutMin, app16.searchMin) <= TARGET.action;
  const floor = results.find((r) => r.impl === 'canvas' && r.size === TARGET.nodes);
  console.log(
    `\ntarget (16,384 nodes: render <= ${TARGET.render} ms, zoom/zoom-out/search <= ${TARGET.action} ms): median ${ok ? 'met' : 'NOT met'}, fastest run ${okFastest ? 'met' : 'NOT met'} — ` +
      `render ${app16.render.toFixed(0)} ms, zoom ${app16.zoom.toFixed(0)}, zoom-out ${app16.zoomOut.toFixed(0)}, search ${app16.search.toFixed(0)} ms; ` +
      `canvas floor render ${floor?.render.toFixed(0)} ms (medians of ${RUNS} runs, ${RUNS} + 1 warm-up)`
  );
  // The issue measured d3-flame-graph as-is at ~1,300 ms to render 16k nodes on this kind of machine when idle:
  // the ratio tells how much slower this run's machine was.
  const asIs = results.find((r) => r.impl === 'd3-as-is' && r.size === TARGET.nodes);
  if (asIs) {
    console.log(
      `load calibration: d3-flame-graph as-is rendered 16k nodes in ${asIs.render.toFixed(0)} ms here vs ~1,300 ms idle: ${(asIs.render / 1300).toFixed(1)}x slower`
    );
  }
  if (!ok && args.strict) {
    process.exit(1);
  }
}
