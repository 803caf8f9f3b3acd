#!/usr/bin/env node
// npm run profile:ui [-- --step zoom --size 16384 --runs 5]
// Where the time of one flame graph step goes: runs the bench:ui page (tests/bench/flameGraphBench.tsx) for the
// app only, records a Chromium trace with the V8 sampler, and sums, between the bench's marks of the step
// (`bench:<step>:start` / `:end`), the renderer main thread's time per kind of work (script, style, layout,
// paint ...) and the JavaScript functions the sampler saw most, over every run after the warm-up.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from '@playwright/test';
import { serveBenchPage } from './lib/benchPage.mjs';

const { values: args } = parseArgs({
  options: {
    step: { type: 'string', default: 'zoom' },
    size: { type: 'string', default: '16384' },
    runs: { type: 'string', default: '5' },
    top: { type: 'string', default: '25' },
    /** keep the unminified bundle (the sampler names anonymous functions by its line numbers) */
    keep: { type: 'boolean', default: false },
  },
});
const RUNS = Number(args.runs);
const SIZE = Number(args.size);

if (!existsSync('/usr/bin/chromium')) {
  console.error('profile:ui needs Debian chromium at /usr/bin/chromium');
  process.exit(1);
}

const out = mkdtempSync(join(tmpdir(), 'profile-ui-'));
const { server, url } = await serveBenchPage(out, { readable: true });

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--js-flags=--expose-gc'],
});
let events;
const timings = [];
try {
  const page = await browser.newPage({ viewport: { width: 1300, height: 1000 } });
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  await page.waitForFunction(() => Boolean(window.bench));
  // warm-up outside the trace: JIT and first style work
  await page.evaluate((n) => window.bench.run(n, 'app'), SIZE);
  await browser.startTracing(page, {
    categories: [
      'devtools.timeline',
      'disabled-by-default-devtools.timeline',
      'blink.user_timing',
      'v8.execute',
      'disabled-by-default-v8.cpu_profiler',
    ],
  });
  for (let i = 0; i < RUNS; i++) {
    timings.push(await page.evaluate((n) => window.bench.run(n, 'app'), SIZE));
  }
  events = JSON.parse((await browser.stopTracing()).toString()).traceEvents;
} finally {
  await browser.close();
  server.close();
  if (args.keep) {
    console.log(`bundle kept in ${out}`);
  } else {
    rmSync(out, { recursive: true, force: true });
  }
}

// the renderer's main thread: where the marks are
const starts = events.filter((e) => e.name === `bench:${args.step}:start`);
const ends = events.filter((e) => e.name === `bench:${args.step}:end`);
if (!starts.length || starts.length !== ends.length) {
  console.error(`no bench:${args.step} marks in the trace (${starts.length} starts, ${ends.length} ends)`);
  process.exit(1);
}
const { pid, tid } = starts[0];
const windows = starts.map((s, k) => [s.ts, ends[k].ts]);
const inWindow = (ts) => windows.some(([a, b]) => ts >= a && ts <= b);
const spanUs = windows.reduce((sum, [a, b]) => sum + (b - a), 0);

// Self time per event name on the main thread (complete events nest by time).
const main = events
  .filter((e) => e.pid === pid && e.tid === tid && e.ph === 'X' && typeof e.dur === 'number' && inWindow(e.ts))
  .sort((a, b) => a.ts - b.ts || b.dur - a.dur);
// An event that starts in a window may run on past its end (the task that goes on to the bench's next step):
// only its part inside the window counts.
const clipped = (e) => {
  const [, b] = windows.find(([a, end]) => e.ts >= a && e.ts <= end);
  return Math.min(e.ts + e.dur, b) - e.ts;
};
const self = new Map();
const stack = [];
for (const e of main) {
  while (stack.length && stack[stack.length - 1].ts + stack[stack.length - 1].dur <= e.ts) {
    stack.pop();
  }
  const parent = stack[stack.length - 1];
  const d = clipped(e);
  if (parent) {
    self.set(parent.name, (self.get(parent.name) ?? 0) - d);
  }
  self.set(e.name, (self.get(e.name) ?? 0) + d);
  stack.push(e);
}
// time inside at least one event, clipped to the windows (nested and overlapping events counted once)
let busy = 0;
for (const [a, b] of windows) {
  let reach = a;
  for (const e of main) {
    const from = Math.max(e.ts, reach);
    const to = Math.min(e.ts + e.dur, b);
    if (to > from) {
      busy += to - from;
      reach = to;
    }
  }
}

// V8 sampler: samples inside the windows, by leaf function (self) name.
const nodes = new Map();
const parents = new Map();
const bySelf = new Map();
const byTotal = new Map();
let sampled = 0;
const chunks = events.filter((e) => e.name === 'ProfileChunk' && e.pid === pid);
const profileStart = new Map(
  events.filter((e) => e.name === 'Profile' && e.pid === pid).map((e) => [e.id, e.args.data.startTime])
);
const clock = new Map();
for (const c of chunks) {
  const data = c.args.data;
  for (const n of data.cpuProfile?.nodes ?? []) {
    const f = n.callFrame;
    nodes.set(`${c.id}:${n.id}`, f.functionName || `(anonymous ${f.url?.split('/').pop() ?? ''}:${f.lineNumber})`);
    if (n.parent !== undefined) {
      parents.set(`${c.id}:${n.id}`, `${c.id}:${n.parent}`);
    }
  }
  let t = clock.get(c.id) ?? profileStart.get(c.id) ?? 0;
  const samples = data.cpuProfile?.samples ?? [];
  const deltas = data.timeDeltas ?? [];
  for (let k = 0; k < samples.length; k++) {
    t += deltas[k] ?? 0;
    if (inWindow(t)) {
      const name = nodes.get(`${c.id}:${samples[k]}`) ?? '?';
      bySelf.set(name, (bySelf.get(name) ?? 0) + 1);
      const seen = new Set();
      for (let id = `${c.id}:${samples[k]}`; id; id = parents.get(id)) {
        seen.add(nodes.get(id) ?? '?');
      }
      for (const f of seen) {
        byTotal.set(f, (byTotal.get(f) ?? 0) + 1);
      }
      sampled++;
    }
  }
  clock.set(c.id, t);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (us) => (us / 1000 / windows.length).toFixed(1).padStart(7);
console.log(
  `${args.step} at ${SIZE} nodes, ${windows.length} runs after a warm-up, load average ${loadavg()[0].toFixed(1)}: ` +
    `bench median ${median(timings.map((t) => t[args.step])).toFixed(0)} ms (traced, so slower than bench:ui)`
);
console.log(`per run: ${ms(spanUs)} ms from mark to mark, main thread busy ${ms(busy)} ms, by kind of work (self):`);
for (const [name, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 14)) {
  if (us > 0) {
    console.log(`  ${ms(us)} ms  ${name}`);
  }
}
console.log(`JavaScript by function (self, ${sampled} samples in the windows):`);
for (const [name, n] of [...bySelf].sort((a, b) => b[1] - a[1]).slice(0, Number(args.top))) {
  console.log(`  ${((100 * n) / Math.max(1, sampled)).toFixed(1).padStart(5)} %  ${name}`);
}
console.log(`JavaScript by function (total: the function and what it called):`);
for (const [name, n] of [...byTotal].sort((a, b) => b[1] - a[1]).slice(0, Number(args.top))) {
  console.log(`  ${((100 * n) / Math.max(1, sampled)).toFixed(1).padStart(5)} %  ${name}`);
}
