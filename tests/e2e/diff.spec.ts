import { Page, TestInfo } from '@playwright/test';
import { CPU, REGION_SERVICE, Regression, SERVICE } from './support/regression';
import { expect, test } from './support/generated';
import { Running } from './support/stack';

// The generated checkout regression, in the worker's backend of generated data.
let harness: Running;
let reg: Regression;
let range: { from: number; to: number };
test.beforeEach(({ generated }) => {
  ({ harness, reg } = generated);
  range = { from: reg.baseline.start - 5 * 60_000, to: reg.comparison.end + 5 * 60_000 };
});

async function shot(page: Page, info: TestInfo, name: string) {
  const path = info.outputPath(`${name}.png`);
  await page.screenshot({ path, fullPage: true });
  await info.attach(name, { path, contentType: 'image/png' });
}

function diffUrl(params: Record<string, string | number>) {
  const q = new URLSearchParams({
    explorationType: 'diff-flame-graph',
    from: String(range.from),
    to: String(range.to),
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

test('each side can have its own time range (last week vs today): selections default to all of it', async ({
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
  await expect(page.getByTestId('diff-baseline-total')).toHaveAttribute('data-value', String(reg.sideTotal));
  await expect(page.getByTestId('diff-comparison-total')).toHaveAttribute('data-value', String(reg.sideTotal));
  await expect(await changeRow(page, 'convertCurrency')).toHaveText('Change: total +100.00 % · self +100.00 %');
  await shot(page, info, 'diff-own-ranges');
  // The share link pins both sides' ranges.
  await page.getByTestId('share-link').click();
  const link = new URL(await page.getByTestId('share-link-url').inputValue());
  expect(link.searchParams.get('from-2')).toBe(String(reg.baseline.start));
  expect(link.searchParams.get('to-3')).toBe(String(reg.comparison.end));
  // Following the main range again: the comparison's own range and selection are dropped.
  await page.getByTestId('diff-comparison-follow-main').click();
  await expect.poll(() => new URL(page.url()).searchParams.get('from-3')).toBeNull();
  await expect(page.getByTestId('diff-comparison-total')).toHaveAttribute('data-value', '0');
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
