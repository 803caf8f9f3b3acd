import { Page } from '@playwright/test';
import { CPU, REGION_SERVICE, Regression, SERVICE } from './support/regression';
import { expect, test } from './support/generated';
import { Running } from './support/stack';
import { shot } from './support/page';

// The generated checkout regression, in the worker's backend of generated data.
let harness: Running;
let reg: Regression;
let range: { from: number; to: number };
test.beforeEach(({ generated }) => {
  ({ harness, reg } = generated);
  range = { from: reg.baseline.start - 5 * 60_000, to: reg.comparison.end + 5 * 60_000 };
});

function diffUrl(params: Record<string, string | number>) {
  // Each side shows the regression's range (its own time picker), so the drags below map times to pixels.
  const q = new URLSearchParams({
    explorationType: 'diff-flame-graph',
    from: String(range.from),
    to: String(range.to),
    'from-2': String(range.from),
    'to-2': String(range.to),
    'from-3': String(range.from),
    'to-3': String(range.to),
    'var-dataSource': 'pyroscope',
    'var-serviceName': SERVICE,
    'var-profileMetricId': CPU,
  });
  for (const [k, v] of Object.entries(params)) {
    q.set(k, String(v));
  }
  return `${harness.url}/a/grafana-pyroscope-app/explore?${q}`;
}

const frame = (page: Page, name: string) => page.locator(`[data-testid="flamegraph"] g.frame[name="${name}"]`).first();
const rgb = (s: string | null) => (s?.match(/\d+/g) ?? []).map(Number);
// The official chart's neutral grey (no change), as it paints it.
const NEUTRAL = 'rgb(149, 142, 142)';

/** Drags across a side's chart from one time to another (the chart maps the time range onto its plot area). */
async function brush(page: Page, side: 'baseline' | 'comparison', start: number, end: number) {
  const overlay = page.getByTestId(`diff-${side}-chart-brush`).locator('rect.overlay');
  // The chart is redrawn when its series arrive: wait for the data, then for a box of the drawn overlay.
  await expect(page.getByTestId(`diff-${side}-chart`).locator('path[d*="L"]').first()).toBeAttached();
  let box = await overlay.boundingBox();
  for (let i = 0; !box && i < 50; i++) {
    await page.waitForTimeout(100);
    box = await overlay.boundingBox();
  }
  if (!box) {
    throw new Error(`the ${side} chart has no brush area`);
  }
  const px = (t: number) => box.x + ((t - range.from) / (range.to - range.from)) * box.width;
  const y = box.y + box.height / 2;
  await page.mouse.move(px(start), y);
  await page.mouse.down();
  await page.mouse.move((px(start) + px(end)) / 2, y, { steps: 4 });
  await page.mouse.move(px(end), y, { steps: 4 });
  await page.mouse.up();
}

async function changeRow(page: Page, name: string) {
  await frame(page, name).hover();
  return page.getByTestId('flamegraph-tooltip').locator('[data-row="change"]');
}

test('diff over a known regression: the doubled leaf is red +100 %, the halved one green −50 %', async ({
  page,
}, info) => {
  await page.goto(diffUrl({}));
  await expect(page.getByTestId('diff-view')).toBeVisible();
  // Ranges picked by dragging on each side's series.
  await brush(page, 'baseline', reg.baseline.start, reg.baseline.end);
  await expect.poll(() => new URL(page.url()).searchParams.get('diffFrom')).not.toBeNull();
  await brush(page, 'comparison', reg.comparison.start, reg.comparison.end);
  await expect.poll(() => new URL(page.url()).searchParams.get('diffFrom-2')).not.toBeNull();
  const u = new URL(page.url()).searchParams;
  expect(Math.abs(Number(u.get('diffFrom')) - reg.baseline.start)).toBeLessThan(60_000);
  expect(Math.abs(Number(u.get('diffTo-2')) - reg.comparison.end)).toBeLessThan(60_000);
  // Each side holds all of its profiles: equal roots.
  await expect(page.getByTestId('diff-baseline-total')).toHaveAttribute('data-value', String(reg.sideTotal));
  await expect(page.getByTestId('diff-comparison-total')).toHaveAttribute('data-value', String(reg.sideTotal));
  await expect(page.getByTestId('diff-legend')).toContainText('+100% (added)');

  await expect(await changeRow(page, 'convertCurrency')).toHaveText('Change: total +100.00 % · self +100.00 %');
  const tip = page.getByTestId('flamegraph-tooltip');
  await expect(tip.locator('[data-row="baseline"]')).toContainText('total 16.67 %');
  await expect(tip.locator('[data-row="comparison"]')).toContainText('total 33.33 %');
  const [r1, g1, b1] = rgb(await frame(page, 'convertCurrency').locator('rect').getAttribute('fill'));
  expect(r1).toBeGreaterThan(g1 + 100);
  expect(r1).toBeGreaterThan(b1 + 100);

  await expect(await changeRow(page, 'sendToPostProcessor')).toHaveText('Change: total -50.00 % · self -50.00 %');
  const [r2, g2] = rgb(await frame(page, 'sendToPostProcessor').locator('rect').getAttribute('fill'));
  expect(g2).toBeGreaterThan(r2 + 40);

  await expect(await changeRow(page, 'handleCheckout')).toHaveText('Change: total ±0.00 % · self n/a');
  expect(await frame(page, 'handleCheckout').locator('rect').getAttribute('fill')).toBe(NEUTRAL);
  await shot(page, info, 'diff-regression');
});

test('a range against itself shows no red or green', async ({ page }, info) => {
  const r = reg.comparison;
  await page.goto(diffUrl({ diffFrom: r.start, diffTo: r.end, 'diffFrom-2': r.start, 'diffTo-2': r.end }));
  await expect(frame(page, 'convertCurrency')).toBeVisible();
  const fills = await page
    .locator('[data-testid="flamegraph"] g.frame rect')
    .evaluateAll((rects) => rects.map((e) => e.getAttribute('fill')));
  expect(fills.length).toBeGreaterThanOrEqual(6);
  expect(new Set(fills)).toEqual(new Set([NEUTRAL]));
  await expect(await changeRow(page, 'convertCurrency')).toHaveText('Change: total ±0.00 % · self ±0.00 %');
  await shot(page, info, 'diff-same-range');
});

test('each side can have its own time range (last week vs today): Auto-select (whole range) selects all of each', async ({
  page,
}, info) => {
  // The main range (the last 5 minutes) holds none of the data; each side's own range holds its half.
  const q = new URLSearchParams({
    explorationType: 'diff-flame-graph',
    from: 'now-5m',
    to: 'now',
    'var-dataSource': 'pyroscope',
    'var-serviceName': SERVICE,
    'var-profileMetricId': CPU,
    'from-2': String(reg.baseline.start),
    'to-2': String(reg.baseline.end),
    'from-3': String(reg.comparison.start),
    'to-3': String(reg.comparison.end),
  });
  await page.goto(`${harness.url}/a/grafana-pyroscope-app/explore?${q}`);
  // Opened directly: nothing is selected yet, the banner offers auto-select.
  await expect(page.getByTestId('diff-missing-selections')).toBeVisible();
  await page.getByTestId('diff-auto-select-whole').click();
  await expect(page.getByTestId('diff-missing-selections')).toBeHidden();
  const u = new URL(page.url()).searchParams;
  expect([u.get('diffFrom'), u.get('diffTo')]).toEqual([String(reg.baseline.start), String(reg.baseline.end)]);
  expect([u.get('diffFrom-2'), u.get('diffTo-2')]).toEqual([String(reg.comparison.start), String(reg.comparison.end)]);
  await expect(page.getByTestId('diff-baseline-total')).toHaveAttribute('data-value', String(reg.sideTotal));
  await expect(page.getByTestId('diff-comparison-total')).toHaveAttribute('data-value', String(reg.sideTotal));
  await expect(await changeRow(page, 'convertCurrency')).toHaveText('Change: total +100.00 % · self +100.00 %');
  await shot(page, info, 'diff-own-ranges');
  // The share link pins both sides' ranges and selections.
  await page.getByTestId('share-link').click();
  const link = new URL(await page.getByTestId('share-link-url').inputValue());
  expect(link.searchParams.get('from-2')).toBe(String(reg.baseline.start));
  expect(link.searchParams.get('to-3')).toBe(String(reg.comparison.end));
  expect(link.searchParams.get('diffTo-2')).toBe(String(reg.comparison.end));
});

test('labels Compare opens the diff with the two values as baseline and comparison filters: region=eu against region=us', async ({
  page,
}, info) => {
  const q = new URLSearchParams({
    explorationType: 'labels',
    from: 'now-15m',
    to: 'now',
    'var-dataSource': 'pyroscope',
    'var-serviceName': REGION_SERVICE,
    'var-profileMetricId': CPU,
    'var-groupBy': 'region',
  });
  await page.goto(`${harness.url}/a/grafana-pyroscope-app/explore?${q}`);
  for (const region of ['eu', 'us']) {
    const panel = page.locator('[data-viz-panel-key]', { hasText: `region = ${region}` });
    await panel.getByText('Compare', { exact: true }).click();
  }
  await expect(page.getByTestId('compare-picked')).toHaveText('Picked: eu vs us');
  await page.getByTestId('compare-button').click();
  await expect(page).toHaveURL(/explorationType=diff-flame-graph/);
  const url = new URL(page.url());
  expect(url.searchParams.getAll('var-filtersBaseline')).toEqual(['region|=|eu']);
  expect(url.searchParams.getAll('var-filtersComparison')).toEqual(['region|=|us']);
  // Two values of a label compare over the same time: each side's own range is the labels view's, all selected.
  for (const k of ['from-2', 'from-3']) {
    expect(url.searchParams.get(k)).toBe('now-15m');
  }
  for (const k of ['to-2', 'to-3']) {
    expect(url.searchParams.get(k)).toBe('now');
  }
  // Each side has its own label filters over the same range.
  await expect(page.getByTestId('diff-baseline-filters')).toContainText('eu');
  await expect(page.getByTestId('diff-comparison-filters')).toContainText('us');
  await expect(await changeRow(page, 'convertCurrency')).toHaveText('Change: total +100.00 % · self +100.00 %');
  await expect(await changeRow(page, 'sendToPostProcessor')).toHaveText('Change: total -50.00 % · self -50.00 %');
  await shot(page, info, 'diff-from-labels-compare');
});

const MIN = 60_000;

/** The URL's selections of both sides, ms. */
function selections(page: Page) {
  const u = new URL(page.url()).searchParams;
  return ['diffFrom', 'diffTo', 'diffFrom-2', 'diffTo-2'].map((k) => Number(u.get(k)));
}

function expectNear(actual: number[], expected: number[], tolerance = 2 * MIN) {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((a, i) =>
    expect(Math.abs(a - expected[i]), `value ${i}: ${a} vs ${expected[i]}`).toBeLessThan(tolerance)
  );
}

test('opened directly, nothing is selected; Auto-select and each preset set the ranges the official app names', async ({
  page,
}, info) => {
  let diffs = 0;
  page.on('request', (r) => r.url().includes('/pyroscope/render-diff') && diffs++);
  const q = new URLSearchParams({
    explorationType: 'diff-flame-graph',
    from: 'now-1h',
    to: 'now',
    'var-dataSource': 'pyroscope',
    'var-serviceName': SERVICE,
    'var-profileMetricId': CPU,
  });
  await page.goto(`${harness.url}/a/grafana-pyroscope-app/explore?${q}`);
  // Each side's picker starts at the last hour; no diff is asked for before both sides have a selection.
  for (const side of ['baseline', 'comparison']) {
    await expect(page.getByTestId(`diff-${side}-time-range`)).toHaveAttribute('data-from', 'now-1h');
    await expect(page.getByTestId(`diff-${side}-time-range`)).toHaveAttribute('data-to', 'now');
    await expect(page.getByTestId(`diff-${side}-chart`).locator('path[d*="L"]').first()).toBeAttached();
  }
  await expect(page.getByTestId('diff-missing-selections')).toBeVisible();
  await shot(page, info, 'diff-missing-selections');
  expect(diffs).toBe(0);

  // Auto-select: the first quarter of the baseline's hour, the last quarter of the comparison's.
  let now = Date.now();
  await page.getByTestId('diff-auto-select').click();
  await expect(page.getByTestId('diff-missing-selections')).toBeHidden();
  expectNear(selections(page), [now - 60 * MIN, now - 45 * MIN, now - 15 * MIN, now]);
  await expect(page.getByTestId('diff-baseline-total')).toBeVisible();
  await shot(page, info, 'diff-auto-selected');

  const presets: Array<{ label: string; ranges: string[]; selections: number[] }> = [
    {
      label: 'Last hour (30m-window)',
      ranges: ['now-1h', 'now', 'now-1h', 'now'],
      selections: [60, 30, 30, 0].map((m) => -m * MIN),
    },
    {
      label: 'Last hour (1h-window)',
      ranges: ['now-1h', 'now', 'now-1h', 'now'],
      selections: [60, 0, 60, 0].map((m) => -m * MIN),
    },
    {
      label: '6h ago vs now (30m-window)',
      ranges: ['now-375m', 'now-315m', 'now-1h', 'now'],
      selections: [375, 345, 30, 0].map((m) => -m * MIN),
    },
    {
      label: '24h ago vs now (30m-window)',
      ranges: ['now-1455m', 'now-1395m', 'now-1h', 'now'],
      selections: [1455, 1425, 30, 0].map((m) => -m * MIN),
    },
  ];
  for (const p of presets) {
    await page.getByTestId('diff-presets').locator('input').click();
    now = Date.now();
    await page.getByRole('option', { name: p.label, exact: true }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get('from-2')).toBe(p.ranges[0]);
    const u = new URL(page.url()).searchParams;
    expect(['from-2', 'to-2', 'from-3', 'to-3'].map((k) => u.get(k))).toEqual(p.ranges);
    expectNear(
      selections(page),
      p.selections.map((d) => now + d)
    );
    await expect(page.getByTestId('diff-baseline-time-range')).toHaveAttribute('data-from', p.ranges[0]);
  }
  await shot(page, info, 'diff-preset-24h');
  // Auto-select (whole range) from the presets list: each side's whole range.
  await page.getByTestId('diff-presets').locator('input').click();
  now = Date.now();
  await page.getByRole('option', { name: 'Auto-select (whole range)', exact: true }).click();
  await expect.poll(() => selections(page)[2]).toBeLessThan(now - 59 * MIN);
  expectNear(selections(page), [now - 1455 * MIN, now - 1395 * MIN, now - 60 * MIN, now]);
});

test('the series are plotted as the backend returns them (no saw-tooth), on one shared y axis', async ({
  page,
}, info) => {
  const window = { start: reg.baseline.start, end: reg.comparison.end };
  await page.goto(
    diffUrl({
      'from-2': window.start,
      'to-2': window.end,
      'from-3': window.start,
      'to-3': window.end,
      diffFrom: reg.baseline.start,
      diffTo: reg.baseline.end,
      'diffFrom-2': reg.comparison.start,
      'diffTo-2': reg.comparison.end,
    })
  );
  // What the backend returns for the side's series at the app's step (15 s, at least).
  const step = Math.max(15, Math.ceil((window.end - window.start) / 1000 / 200));
  const r = await fetch(`${harness.url}/api/datasources/proxy/uid/pyroscope/querier.v1.QuerierService/SelectSeries`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      profileTypeID: CPU,
      labelSelector: `{service_name="${SERVICE}"}`,
      start: window.start,
      end: window.end,
      step,
    }),
  });
  const backendValues: number[] = ((await r.json()).series ?? []).flatMap((s: { points?: Array<{ value: number }> }) =>
    (s.points ?? []).map((p) => p.value)
  );
  expect(backendValues.length).toBeGreaterThan(4);
  const steady = [...backendValues].sort((a, b) => a - b)[Math.floor(backendValues.length / 2)];
  expect(steady).toBe(reg.sideTotal / reg.profiles);
  // plotted as every series panel shows CPU time: in cores, the step's sum per second of the step
  const cores = (v: number) => v / step / 1e9;
  const plotted = async (side: string) =>
    JSON.parse((await page.getByTestId(`diff-${side}-chart`).getAttribute('data-values')) ?? '[]') as number[];
  for (const side of ['baseline', 'comparison']) {
    await expect.poll(async () => (await plotted(side)).length).toBe(backendValues.length);
    const values = await plotted(side);
    expect(Math.min(...values), `lowest plotted ${side} value`).toBeGreaterThanOrEqual(cores(steady) / 2);
  }
  // One y axis: both charts scaled to the larger side.
  const yMax = await page.getByTestId('diff-baseline-chart').getAttribute('data-y-max');
  expect(Number(yMax)).toBe(cores(Math.max(...backendValues)));
  await expect(page.getByTestId('diff-comparison-chart')).toHaveAttribute('data-y-max', String(yMax));
  await shot(page, info, 'diff-series-as-returned');
});

test('one request per distinct query on a page load: one series for two identical sides, one diff; the flame graph one render and one series', async ({
  page,
}) => {
  const seen: Array<{ path: string; body: string }> = [];
  page.on('request', (r) => {
    const path = new URL(r.url()).pathname;
    if (/SelectSeries$|\/pyroscope\/render(-diff)?$/.test(path)) {
      seen.push({ path, body: r.postData() ?? new URL(r.url()).search });
    }
  });
  await page.goto(
    diffUrl({
      diffFrom: reg.baseline.start,
      diffTo: reg.baseline.end,
      'diffFrom-2': reg.comparison.start,
      'diffTo-2': reg.comparison.end,
    })
  );
  await expect(page.getByTestId('diff-baseline-total')).toHaveAttribute('data-value', String(reg.sideTotal));
  for (const side of ['baseline', 'comparison']) {
    await expect(page.getByTestId(`diff-${side}-chart`).locator('path[d*="L"]').first()).toBeAttached();
  }
  await page.waitForLoadState('networkidle');
  const count = (re: RegExp) => seen.filter((s) => re.test(s.path)).length;
  // Both sides show the same range with the same (no) filters: one query.
  expect(count(/SelectSeries$/)).toBe(1);
  expect(count(/render-diff$/)).toBe(1);
  expect(new Set(seen.map((s) => s.path + s.body)).size, 'no query asked twice').toBe(seen.length);

  seen.length = 0;
  await page.goto(
    `${harness.url}/a/grafana-pyroscope-app/explore?${new URLSearchParams({
      explorationType: 'flame-graph',
      from: String(range.from),
      to: String(range.to),
      'var-dataSource': 'pyroscope',
      'var-serviceName': SERVICE,
      'var-profileMetricId': CPU,
    })}`
  );
  await expect(page.locator('[data-testid="flamegraph"] g.frame').first()).toBeVisible();
  await page.waitForLoadState('networkidle');
  expect(count(/\/pyroscope\/render$/)).toBe(1);
  expect(count(/SelectSeries$/)).toBe(1);
  expect(new Set(seen.map((s) => s.path + s.body)).size, 'no query asked twice').toBe(seen.length);
});
