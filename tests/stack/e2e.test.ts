// End to end, as a user runs it: `npm start` with its own ports and data folder and the demo workload on. Within
// 60 s of the ready line every seed service must be listed by Series with its profile types; a span from
// spans.jsonl must give a span profile of exactly that span's stacks; and the regression service's CPU must show
// the doubled and the halved function across the switch time.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { chromium } from '@playwright/test';
import { expectedProfileTypes, REGRESSION, SERVICES } from '../../demo/src/catalog.js';
import type { DemoSpan } from '../../demo/src/workload.js';
import { seriesByService, sleep, startStack, type RunningStack } from './npm-start.js';

let stack: RunningStack;
// Switch 90 s before start with 3 minutes of backfill: profiles on both sides of it exist right after start.
const regressionAtMs = Date.now() - 90_000;

before(async () => {
  stack = await startStack({ DEMO: '1', DEMO_BACKFILL_MINUTES: '3', DEMO_REGRESSION_AT: String(regressionAtMs) });
});

after(async () => {
  await stack?.stop();
});

test('within 60 s of the ready line, Series lists all thirteen services with their profile types', async () => {
  const want = new Map(SERVICES.map((s) => [s.name, expectedProfileTypes(s)]));
  let missing: string[] = [];
  while (Date.now() - stack.readyAt < 60_000) {
    const have = await seriesByService(stack);
    missing = [...want].flatMap(([svc, types]) =>
      types.filter((t) => !have.get(svc)?.has(t)).map((t) => `${svc} ${t}`)
    );
    if (missing.length === 0) {
      return;
    }
    await sleep(2000);
  }
  assert.fail(`after 60 s still missing: ${missing.join(', ')}\n${stack.log().slice(-1500)}`);
});

/** Flame graph (Connect JSON) -> folded stack (root first) -> self value. */
function flamegraphStacks(fg: { names: string[]; levels: Array<{ values?: string[] }> }): Map<string, number> {
  const stacks = new Map<string, number>();
  let parents: Array<{ x: number; total: number; path: string }> = [];
  fg.levels.forEach((level, li) => {
    const v = (level.values ?? []).map(Number);
    const nodes: typeof parents = [];
    let prevEnd = 0;
    let pi = 0;
    for (let i = 0; i + 3 < v.length; i += 4) {
      const x = prevEnd + v[i]!;
      const total = v[i + 1]!;
      const self = v[i + 2]!;
      prevEnd = x + total;
      while (pi < parents.length && parents[pi]!.x + parents[pi]!.total <= x) {
        pi++;
      }
      const name = fg.names[v[i + 3]!]!;
      const path = li === 0 ? '' : li === 1 ? name : `${parents[pi]!.path};${name}`;
      nodes.push({ x, total, path });
      if (li > 0 && self > 0) {
        stacks.set(path, (stacks.get(path) ?? 0) + self);
      }
    }
    parents = nodes;
  });
  return stacks;
}

test('the app’s All services page in Chromium shows every service on CPU', async () => {
  // Debian's chromium, as the browser tests use (npm test installs it when missing)
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1600, height: 1200 } });
    const cpu = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';
    await page.goto(
      `${stack.harness}/a/grafana-pyroscope-app/explore?explorationType=all&var-dataSource=pyroscope` +
        `&var-profileMetricId=${encodeURIComponent(cpu)}&from=now-15m&to=now`
    );
    const count = page.getByTestId('quick-filter-count');
    await count.waitFor({ timeout: 30_000 });
    const want = `${SERVICES.length} of ${SERVICES.length} services`;
    const t0 = Date.now();
    while ((await count.textContent()) !== want && Date.now() - t0 < 30_000) {
      await sleep(500);
    }
    assert.equal(await count.textContent(), want);
    for (const s of SERVICES) {
      await page.getByText(s.name, { exact: true }).first().waitFor({ state: 'visible', timeout: 10_000 });
    }
  } finally {
    await browser.close();
  }
});

test('a span from spans.jsonl yields a span profile with only that span’s stacks', async () => {
  const spans = readFileSync(join(stack.dataDir, 'demo', 'spans.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as DemoSpan);
  // One span of each service that reports spans.
  const picked = [...new Map(spans.map((s) => [s.service, s])).values()];
  assert.ok(picked.length >= 4, `spans of ${picked.map((s) => s.service).join(', ')}`);
  for (const s of picked) {
    const res = await stack.query<{ flamegraph: { names: string[]; levels: Array<{ values?: string[] }> } }>(
      'SelectMergeSpanProfile',
      {
        profileTypeID: s.profileTypeId,
        labelSelector: `{service_name="${s.service}"}`,
        spanSelector: [s.spanId],
        start: s.start - 30_000,
        end: s.end + 30_000,
      }
    );
    assert.deepEqual(flamegraphStacks(res.flamegraph), new Map(Object.entries(s.stacks)), `${s.service} ${s.spanId}`);
  }
});

test('the regression service: across the switch one function doubles and another halves', async () => {
  const sw = regressionAtMs;
  const query = (start: number, end: number) => ({
    profileTypeID: 'process_cpu:cpu:nanoseconds:cpu:nanoseconds',
    labelSelector: `{service_name="${REGRESSION.service}"}`,
    start,
    end,
  });
  // A profile's time is its start, 10 s before the tick that decides its side of the switch.
  const res = await stack.query<{
    flamegraph: { names: string[]; levels: Array<{ values?: string[] }>; leftTicks: string; rightTicks: string };
  }>('Diff', { left: query(sw - 5 * 60_000, sw - 10_000), right: query(sw, Date.now() + 60_000) });
  const fg = res.flamegraph;
  const self = new Map<string, [number, number]>();
  for (const level of fg.levels) {
    const v = (level.values ?? []).map(Number);
    for (let i = 0; i + 6 < v.length; i += 7) {
      const name = fg.names[v[i + 6]!]!;
      const [l, r] = self.get(name) ?? [0, 0];
      self.set(name, [l + v[i + 2]!, r + v[i + 5]!]);
    }
  }
  const lt = Number(fg.leftTicks);
  const rt = Number(fg.rightTicks);
  assert.ok(lt > 0 && rt > 0, `both sides have data (${lt}, ${rt})`);
  // Shares of the total, so that different amounts of data on each side compare.
  const change = (fn: string) => {
    const [l, r] = self.get(fn) ?? [0, 0];
    return r / rt / (l / lt);
  };
  assert.ok(change(REGRESSION.slower) > 1.5, `${REGRESSION.slower} x${change(REGRESSION.slower).toFixed(2)}`);
  assert.ok(change(REGRESSION.faster) < 0.67, `${REGRESSION.faster} x${change(REGRESSION.faster).toFixed(2)}`);
});

test('the diff view in Chromium: red on the function that doubled, green on the one that halved', async () => {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1600, height: 1200 } });
    const sw = regressionAtMs;
    const q = new URLSearchParams({
      explorationType: 'diff-flame-graph',
      from: String(sw - 5 * 60_000),
      to: String(Date.now() + 60_000),
      'var-dataSource': 'pyroscope',
      'var-serviceName': REGRESSION.service,
      'var-profileMetricId': 'process_cpu:cpu:nanoseconds:cpu:nanoseconds',
      diffFrom: String(sw - 5 * 60_000),
      diffTo: String(sw - 10_000),
      'diffFrom-2': String(sw),
      'diffTo-2': String(Date.now() + 60_000),
    });
    await page.goto(`${stack.harness}/a/grafana-pyroscope-app/explore?${q}`);
    const frame = (name: string) => page.locator(`[data-testid="flamegraph"] g.frame[name="${name}"]`).first();
    const rgb = async (name: string) =>
      ((await frame(name).locator('rect').getAttribute('fill'))?.match(/\d+/g) ?? []).map(Number);
    const change = async (name: string) => {
      await frame(name).hover();
      const row = page.getByTestId('flamegraph-tooltip').locator('[data-row="change"]');
      await row.waitFor({ timeout: 10_000 });
      return (await row.textContent()) ?? '';
    };
    await frame(REGRESSION.slower).waitFor({ timeout: 30_000 });
    assert.match(await change(REGRESSION.slower), /Change: total \+\d/);
    const [r1, g1, b1] = await rgb(REGRESSION.slower);
    assert.ok(r1! > g1! + 60 && r1! > b1! + 60, `${REGRESSION.slower} is red: rgb(${r1}, ${g1}, ${b1})`);
    assert.match(await change(REGRESSION.faster), /Change: total -\d/);
    const [r2, g2] = await rgb(REGRESSION.faster);
    assert.ok(g2! > r2! + 30, `${REGRESSION.faster} is green: rgb(${r2}, ${g2})`);
  } finally {
    await browser.close();
  }
});

test('the span link in Chromium: the app opens that span’s profile, with the span’s total only', async () => {
  const spans = readFileSync(join(stack.dataDir, 'demo', 'spans.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as DemoSpan);
  const s = spans.find((x) => x.profileTypeId.startsWith('process_cpu')) ?? spans[0]!;
  const total = Object.values(s.stacks).reduce((a, b) => a + b, 0);
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1600, height: 1200 } });
    // what a Tempo span link opens (the app's extension link builds the same URL)
    const q = new URLSearchParams({
      explorationType: 'flame-graph',
      from: String(s.start - 30_000),
      to: String(s.end + 30_000),
      'var-dataSource': 'pyroscope',
      'var-serviceName': s.service,
      'var-profileMetricId': s.profileTypeId,
      'var-spanSelector': s.spanId,
    });
    await page.goto(`${stack.harness}/a/grafana-pyroscope-app/explore?${q}`);
    await page.getByTestId('span-selector').waitFor({ timeout: 30_000 });
    const shown = page.getByTestId('flamegraph-total');
    const t0 = Date.now();
    while (Number(await shown.getAttribute('data-value').catch(() => NaN)) !== total && Date.now() - t0 < 20_000) {
      await sleep(300);
    }
    assert.equal(Number(await shown.getAttribute('data-value')), total, `${s.service} span ${s.spanId}`);
  } finally {
    await browser.close();
  }
});
