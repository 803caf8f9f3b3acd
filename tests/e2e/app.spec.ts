import { Page, TestInfo, expect, test } from '@playwright/test';
import { FIXTURES_MISSING, fixturesAvailable, readFixture, startBackend, startHarness } from './support/stack';
import { countMatchingNodes, decodePprof, spanIds, topSelf } from './support/decode';

const CPU = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';
const CPU_SAMPLES = 'process_cpu:samples:count:cpu:nanoseconds';
const harness = () => process.env.E2E_HARNESS_URL!;
const backend = () => process.env.E2E_BACKEND_URL!;
const explore = (q: string) =>
  `${harness()}/a/grafana-pyroscope-app/explore?from=now-1h&to=now&var-dataSource=pyroscope&${q}`;

// Every test fails on a console error or an uncaught exception in the page.
let problems: string[] = [];
test.beforeEach(({ page }) => {
  problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') {
      problems.push(`console.error: ${m.text()}`);
    }
  });
});
test.afterEach(() => {
  expect(problems, 'console errors and page errors').toEqual([]);
});

async function shot(page: Page, info: TestInfo, name: string) {
  const path = info.outputPath(`${name}.png`);
  await page.screenshot({ path, fullPage: true });
  await info.attach(name, { path, contentType: 'image/png' });
}

async function openFlameGraph(page: Page, service: string, profileMetricId: string, extra = '') {
  await page.goto(
    explore(`explorationType=flame-graph&var-serviceName=${service}&var-profileMetricId=${profileMetricId}${extra}`)
  );
  await expect(page.locator('[data-testid="flamegraph"] g.frame').first()).toBeVisible();
}

async function rootTotal(page: Page): Promise<number> {
  return Number(await page.getByTestId('flamegraph-total').getAttribute('data-value'));
}

test('the built plugin loads through the AMD loader with Grafana externals', async ({ page }) => {
  await page.goto(`${harness()}/a/grafana-pyroscope-app/explore`);
  await expect(page.getByTestId('profiles-explorer')).toBeVisible();
  await expect(page.locator('#harness-error')).toHaveCount(0);
});

test('All services lists the services pushed by the Node.js SDK', async ({ page }, info) => {
  await page.goto(explore('explorationType=all&var-profileMetricId=wall:wall:nanoseconds:wall:nanoseconds'));
  await expect(page.getByText('node-sdk-app', { exact: true })).toBeVisible();
  await expect(page.getByTestId('quick-filter-count')).toHaveText('1 of 1 services');
  await shot(page, info, 'all-services-sdk');
});

test('a data source that never received a profile shows the onboarding', async ({ page }, info) => {
  const empty = await startBackend();
  const harness2 = await startHarness(empty.url);
  try {
    await page.goto(`${harness2.url}/a/grafana-pyroscope-app/explore?explorationType=all&from=now-1h&to=now`);
    await expect(page.getByTestId('onboarding')).toContainText('has not received any profile yet');
    await shot(page, info, 'onboarding');
  } finally {
    harness2.stop();
    empty.stop();
  }
});

test.describe('with the fixture corpus', () => {
  test.skip(!fixturesAvailable(), FIXTURES_MISSING);

  test('All services shows go-app and the quick filter counts', async ({ page }, info) => {
    await page.goto(explore('explorationType=all'));
    for (const s of ['go-app', 'go-labels', 'rust-app']) {
      await expect(page.getByText(s, { exact: true })).toBeVisible();
    }
    await expect(page.getByTestId('quick-filter-count')).toHaveText('3 of 3 services');
    await page.getByTestId('quick-filter').fill('^go-, nothing');
    await expect(page.getByTestId('quick-filter-count')).toHaveText('2 of 3 services');
    await expect.poll(() => new URL(page.url()).searchParams.get('searchText')).toBe('^go-, nothing');
    await expect(page.getByText('rust-app', { exact: true })).toBeHidden();
    await shot(page, info, 'all-services');
  });

  test('flame graph root and top table equal an independent decode of cpu.pb.gz', async ({ page }, info) => {
    const decoded = decodePprof(readFixture('pprof/cpu.pb.gz'), 'cpu');
    expect(decoded.total).toBe(470_000_000);
    expect(decoded.samples).toBe(47);
    await openFlameGraph(page, 'go-app', CPU);
    expect(await rootTotal(page)).toBe(decoded.total);
    await expect(page.getByTestId('flamegraph-total')).toHaveText('Total 470 ms (470,000,000 ns)');
    // Tooltip of the root frame: value, self and percent, unit-aware.
    await page.locator('[data-testid="flamegraph"] g.frame').first().hover();
    const tip = page.getByTestId('flamegraph-tooltip');
    await expect(tip.locator('[data-row="total"]')).toHaveText('Total: 470 ms (470,000,000 ns) · 100.00 %');
    await expect(tip.locator('[data-row="self"]')).toHaveText('Self: 0 ns · 0.00 %');
    // Top table: first row (sorted by self) is the decode's top function, with its self value.
    const [name, self] = topSelf(decoded);
    const first = page.getByTestId('top-table-row').first();
    await expect(first.locator('[data-col="name"]')).toHaveText(name);
    expect(Number(await first.locator('[data-col="self"]').getAttribute('data-value'))).toBe(self);
    await shot(page, info, 'flame-graph');
    // The same profile as sample counts: 47 samples.
    await openFlameGraph(page, 'go-app', CPU_SAMPLES);
    expect(await rootTotal(page)).toBe(decoded.samples);
  });

  test('a label filter restricts the totals to the decode of that label', async ({ page }, info) => {
    const all = decodePprof(readFixture('pprof/cpu-exemplars.pb.gz'), 'cpu');
    const slow = decodePprof(readFixture('pprof/cpu-exemplars.pb.gz'), 'cpu', { key: 'function', value: 'slow' });
    expect(slow.total).toBeGreaterThan(0);
    expect(slow.total).toBeLessThan(all.total);
    await openFlameGraph(page, 'go-labels', CPU);
    expect(await rootTotal(page)).toBe(all.total);
    await openFlameGraph(page, 'go-labels', CPU, '&var-filters=function%7C%3D%7Cslow');
    await expect.poll(() => rootTotal(page)).toBe(slow.total);
    const [name, self] = topSelf(slow);
    const first = page.getByTestId('top-table-row').first();
    await expect(first.locator('[data-col="name"]')).toHaveText(name);
    expect(Number(await first.locator('[data-col="self"]').getAttribute('data-value'))).toBe(self);
    await shot(page, info, 'flame-graph-filtered');
  });

  test('a span selector (trace to profile) shows only that span, and the chip removes it', async ({ page }, info) => {
    const file = readFixture('pprof/cpu-exemplars.pb.gz');
    const all = decodePprof(file, 'cpu');
    // profile_id is the legacy name of span_id: pick the span with the most CPU.
    const spans = new Map<string, number>();
    for (const id of spanIds(file)) {
      spans.set(id, decodePprof(file, 'cpu', { key: 'profile_id', value: id }).total);
    }
    const [span, expected] = [...spans.entries()].sort((a, b) => b[1] - a[1])[0];
    await openFlameGraph(page, 'go-labels', CPU, `&var-spanSelector=${span}`);
    await expect(page.getByTestId('span-selector')).toContainText(span);
    await expect.poll(() => rootTotal(page)).toBe(expected);
    await shot(page, info, 'flame-graph-span');
    await page.getByTestId('span-selector').getByRole('button').click();
    await expect.poll(() => rootTotal(page)).toBe(all.total);
    expect(new URL(page.url()).searchParams.get('var-spanSelector') ?? '').toBe('');
  });

  test('labels view lists the label values of the fixture and Include adds a filter', async ({ page }, info) => {
    await page.goto(explore(`explorationType=labels&var-serviceName=go-labels&var-profileMetricId=${CPU}`));
    const list = page.getByTestId('label-list');
    await expect(list).toContainText('foo: bar');
    await expect(list).toContainText('function: fast, slow');
    await expect(page.getByText('function (2)', { exact: true })).toBeVisible();
    await shot(page, info, 'labels');
    await page.getByTestId('group-by-function').click();
    await expect(page).toHaveURL(/var-groupBy=function/);
    await expect(page.getByText('function = slow', { exact: true })).toBeVisible();
    await expect(page.getByText('function = fast', { exact: true })).toBeVisible();
    await shot(page, info, 'labels-function');
    const slowPanel = page.locator('[data-viz-panel-key]', { hasText: 'function = slow' });
    await slowPanel.getByRole('button', { name: 'Include' }).click();
    await expect(page).toHaveURL(/var-filters=function%7C%3D%7Cslow/);
  });

  test('navigation All services -> profile types -> labels -> flame graph keeps the URL state', async ({ page }) => {
    await page.goto(explore('explorationType=all'));
    await page.getByTestId('action-profiles-go-app').click();
    await expect(page).toHaveURL(/explorationType=profiles/);
    const keep = (url: string) => {
      const u = new URL(url);
      return {
        from: u.searchParams.get('from'),
        to: u.searchParams.get('to'),
        ds: u.searchParams.get('var-dataSource'),
      };
    };
    const expected = { from: 'now-1h', to: 'now', ds: 'pyroscope' };
    expect(keep(page.url())).toEqual(expected);
    expect(new URL(page.url()).searchParams.get('var-serviceName')).toBe('go-app');
    await expect(page.getByTestId('profile-types-view')).toContainText('CPU cpu');
    await page.getByTestId(`action-labels-${CPU}`).click();
    await expect(page).toHaveURL(/explorationType=labels/);
    expect(keep(page.url())).toEqual(expected);
    expect(new URL(page.url()).searchParams.get('var-profileMetricId')).toBe(CPU);
    await page.getByRole('radio', { name: 'Flame graph', exact: true }).click();
    await expect(page).toHaveURL(/explorationType=flame-graph/);
    const u = new URL(page.url());
    expect(keep(page.url())).toEqual(expected);
    expect(u.searchParams.get('var-serviceName')).toBe('go-app');
    expect(u.searchParams.get('var-profileMetricId')).toBe(CPU);
    await expect(page.locator('[data-testid="flamegraph"] g.frame').first()).toBeVisible();
    expect(await rootTotal(page)).toBe(470_000_000);
    await page.goBack();
    await expect(page).toHaveURL(/explorationType=labels/);
  });

  test('search highlights and counts matches, frames folded for width included', async ({ page }, info) => {
    // Narrow: many one-sample frames are under a pixel and folded into their parents.
    await page.setViewportSize({ width: 700, height: 1000 });
    await openFlameGraph(page, 'go-labels', CPU);
    const now = Date.now();
    const q = encodeURIComponent(`${CPU}{service_name="go-labels"}`);
    const fb = (
      await (
        await fetch(
          `${backend()}/pyroscope/render?query=${q}&from=${now - 3600_000}&until=${now}&format=json&max-nodes=16384`
        )
      ).json()
    ).flamebearer;
    const term = 'runtime';
    const expected = countMatchingNodes(fb, (n) => n.toLowerCase().includes(term));
    expect(expected).toBeGreaterThan(0);
    await page.getByTestId('flamegraph-search').fill(term);
    await expect(page).toHaveURL(/searchText=runtime/);
    const count = page.getByTestId('flamegraph-search-count');
    await expect(count).toHaveAttribute('data-count', String(expected));
    const drawnMatches = await page.locator('[data-testid="flamegraph"] g.frame rect[fill="#E600E6"]').count();
    const foldedMarkers = await page.locator('[data-testid="flamegraph"] g.frame rect[fill="#c27bd8"]').count();
    expect(drawnMatches).toBeGreaterThan(0);
    expect(drawnMatches).toBeLessThan(expected);
    expect(foldedMarkers).toBeGreaterThan(0);
    await shot(page, info, 'flame-graph-search');
    // Clicking a frame zooms (re-folds): more frames of that subtree become visible.
    const before = await page.locator('[data-testid="flamegraph"] g.frame').count();
    await page.locator('[data-testid="flamegraph"] g.frame[name="runtime.main"]').first().click();
    await expect(page.getByTestId('flamegraph-focus')).toContainText('runtime.main');
    await page.getByTestId('flamegraph-reset').click();
    await expect(page.locator('[data-testid="flamegraph"] g.frame')).toHaveCount(before);
  });
});
