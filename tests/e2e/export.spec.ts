import { readFileSync } from 'node:fs';
import { Page } from '@playwright/test';
import { FIXTURES_MISSING, Running, fixturesAvailable, readFixture } from './support/stack';
import { decodePprof } from './support/decode';
import { CPU, Regression, SERVICE, SPANS, SPAN_SERVICE } from './support/regression';
import { SPAN_FIXTURE, expect, test } from './support/generated';
import { shot } from './support/page';

// Export, settings, share links and trace to profile, over the worker's backend of generated data.
let backend: Running;
let harness: Running;
let reg: Regression;
let spansFrom: number;
test.beforeEach(({ generated }) => {
  ({ backend, harness, reg, spansFrom } = generated);
});

function explore(params: Record<string, string | number>) {
  const q = new URLSearchParams({ 'var-dataSource': 'pyroscope', 'var-profileMetricId': CPU });
  for (const [k, v] of Object.entries(params)) {
    q.set(k, String(v));
  }
  return `${harness.url}/a/grafana-pyroscope-app/explore?${q}`;
}

const frames = (page: Page) => page.locator('[data-testid="flamegraph"] g.frame');
const rootTotal = async (page: Page) => Number(await page.getByTestId('flamegraph-total').getAttribute('data-value'));

async function download(page: Page, item: string): Promise<{ name: string; bytes: Buffer }> {
  await page.getByTestId('export-button').click();
  const [d] = await Promise.all([page.waitForEvent('download'), page.getByTestId(item).click()]);
  return { name: d.suggestedFilename(), bytes: readFileSync(await d.path()) };
}

test('export: the pprof decodes to the graph total; JSON and PNG download', async ({ page }, info) => {
  await page.goto(explore({ explorationType: 'flame-graph', 'var-serviceName': SERVICE, from: 'now-1h', to: 'now' }));
  await expect(frames(page).first()).toBeVisible();
  const total = await rootTotal(page);
  expect(total).toBe(2 * reg.sideTotal);

  const pprof = await download(page, 'export-pprof');
  expect(pprof.name).toMatch(/^checkout_process_cpu-cpu_.*\.pb\.gz$/);
  expect([pprof.bytes[0], pprof.bytes[1]]).toEqual([0x1f, 0x8b]);
  const decoded = decodePprof(pprof.bytes, 'cpu');
  expect(decoded.total).toBe(total);
  expect(decoded.selfByFunction.get('convertCurrency')).toBe(reg.profiles * (100 + 200) * 1_000_000);

  const json = await download(page, 'export-json');
  expect(json.name).toMatch(/\.json$/);
  const fb = JSON.parse(json.bytes.toString('utf8'));
  expect(fb.flamebearer.numTicks).toBe(total);
  expect(fb.flamebearer.names).toContain('sendToPostProcessor');

  const png = await download(page, 'export-png');
  expect(png.name).toMatch(/\.png$/);
  expect(png.bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  expect(png.bytes.length).toBeGreaterThan(2000);
  await shot(page, info, 'export');
});

test('export of one selected profile (var-profile): the flame graph, the pprof and the JSON are that profile', async ({
  page,
}, info) => {
  // The first baseline profile, named as storage without a UUID names it: its instant and labels (the service
  // is in the selector already). Its time is the ingest's `from`, in whole seconds.
  const at = Math.floor((reg.baseline.start + 60_000) / 1000) * 1000;
  const one = reg.sideTotal / reg.profiles;
  await page.goto(
    explore({
      explorationType: 'flame-graph',
      'var-serviceName': SERVICE,
      'var-profile': `@${at}{}`,
      from: 'now-1h',
      to: 'now',
    })
  );
  await expect(frames(page).first()).toBeVisible();
  await expect.poll(() => rootTotal(page)).toBe(one);

  const pprof = await download(page, 'export-pprof');
  const decoded = decodePprof(pprof.bytes, 'cpu');
  expect(decoded.total).toBe(one);
  expect(decoded.selfByFunction.get('convertCurrency')).toBe(100 * 1_000_000);

  const json = await download(page, 'export-json');
  expect(JSON.parse(json.bytes.toString('utf8')).flamebearer.numTicks).toBe(one);
  await shot(page, info, 'export-one-profile');
});

test('settings persist through settings.v1 across reloads and set the default max nodes', async ({ page }, info) => {
  await page.goto(`${harness.url}/a/grafana-pyroscope-app/settings`);
  const input = page.getByTestId('settings-max-nodes');
  await expect(input).toHaveValue('16384');
  await input.fill('4096');
  await page.getByTestId('settings-save').click();
  await expect(page.getByTestId('settings-saved')).toBeVisible();
  await page.reload();
  await expect(page.getByTestId('settings-max-nodes')).toHaveValue('4096');
  await shot(page, info, 'settings');
  await page.getByTestId('settings-reset').click();
  await expect(page.getByTestId('settings-max-nodes')).toHaveValue('16384');
  // Stored in the backend, as the official app stores it.
  const r = await fetch(`${backend.url}/settings.v1.SettingsService/Get`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  const stored = (await r.json()).settings.find((s: { name: string }) => s.name === 'pluginSettings');
  expect(JSON.parse(stored.value).maxNodes).toBe(4096);
  // The flame graph opened without maxNodes in its URL uses it.
  await page.goto(explore({ explorationType: 'flame-graph', 'var-serviceName': SERVICE, from: 'now-1h', to: 'now' }));
  await expect(frames(page).first()).toBeVisible();
  await expect.poll(() => new URL(page.url()).searchParams.get('maxNodes')).toBe('4096');
  await expect(page.getByTestId('flamegraph-max-nodes')).toHaveValue('4,096');
  // Back to the defaults for the other tests, straight through the API.
  await fetch(`${backend.url}/settings.v1.SettingsService/Set`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ setting: { name: 'pluginSettings', value: '{}', modifiedAt: String(Date.now()) } }),
  });
});

async function shareLink(page: Page): Promise<URL> {
  await page.getByTestId('share-link').click();
  return new URL(await page.getByTestId('share-link-url').inputValue());
}

test('a share link has absolute times and reopens the same view (flame graph, diff, span)', async ({ page }, info) => {
  // Flame graph with a search.
  await page.goto(
    explore({
      explorationType: 'flame-graph',
      'var-serviceName': SERVICE,
      from: 'now-1h',
      to: 'now',
      searchText: 'convert',
    })
  );
  await expect(frames(page).first()).toBeVisible();
  const total = await rootTotal(page);
  let link = await shareLink(page);
  expect(link.searchParams.get('from')).toMatch(/^\d{13}$/);
  expect(Number(link.searchParams.get('to')) - Number(link.searchParams.get('from'))).toBe(3_600_000);
  expect(link.searchParams.get('searchText')).toBe('convert');
  await page.goto(link.toString());
  await expect(frames(page).first()).toBeVisible();
  expect(await rootTotal(page)).toBe(total);
  await expect(page.getByTestId('flamegraph-search')).toHaveValue('convert');
  await expect(page.getByTestId('flamegraph-search-count')).toHaveAttribute('data-count', '1');

  // Diff with each side over a relative range and auto-selected (whole) ranges: the link pins them.
  const relative = `now-${Math.ceil((Date.now() - reg.baseline.start) / 60_000) + 2}m`;
  await page.goto(
    explore({
      explorationType: 'diff-flame-graph',
      'var-serviceName': SERVICE,
      from: relative,
      to: 'now',
      'from-2': relative,
      'to-2': 'now',
      'from-3': relative,
      'to-3': 'now',
    })
  );
  await page.getByTestId('diff-auto-select-whole').click();
  await expect(frames(page).first()).toBeVisible();
  const ranges = async () => [
    await page.getByTestId('diff-baseline-range').textContent(),
    await page.getByTestId('diff-comparison-range').textContent(),
    await page.getByTestId('diff-baseline-total').getAttribute('data-value'),
    await page.getByTestId('diff-comparison-total').getAttribute('data-value'),
  ];
  const before = await ranges();
  link = await shareLink(page);
  for (const k of ['from', 'to', 'from-2', 'to-2', 'from-3', 'to-3', 'diffFrom', 'diffTo', 'diffFrom-2', 'diffTo-2']) {
    expect(link.searchParams.get(k), k).toMatch(/^\d{13}$/);
  }
  await page.goto(link.toString());
  await expect(frames(page).first()).toBeVisible();
  expect(await ranges()).toEqual(before);
  await shot(page, info, 'share-diff');

  // Span view: the span selector travels in the link.
  const span = SPANS[0].spanId!;
  await page.goto(
    explore({
      explorationType: 'flame-graph',
      'var-serviceName': SPAN_SERVICE,
      'var-spanSelector': span,
      from: 'now-1h',
      to: 'now',
    })
  );
  await expect(page.getByTestId('span-selector')).toContainText(span);
  const spanTotal = await rootTotal(page);
  link = await shareLink(page);
  await page.goto(link.toString());
  await expect(page.getByTestId('span-selector')).toContainText(span);
  await expect.poll(() => rootTotal(page)).toBe(spanTotal);
});

test('trace to profile: the URL of the span link shows only that span, removing the chip the whole service', async ({
  page,
}, info) => {
  // As the extension link builds it: service, profile type, span id, span time ± 30 s (the span lasted 10 s).
  const [a, b] = SPANS;
  const spanStart = spansFrom + 60_000;
  await page.goto(
    explore({
      explorationType: 'flame-graph',
      'var-serviceName': SPAN_SERVICE,
      'var-spanSelector': a.spanId!,
      from: spanStart - 30_000,
      to: spanStart + 10_000 + 30_000,
    })
  );
  await expect(page.getByTestId('span-selector')).toContainText(a.spanId!);
  await expect.poll(() => rootTotal(page)).toBe(a.value);
  await expect(page.locator('[data-testid="flamegraph"] g.frame[name="convertCurrency"]')).toBeVisible();
  await expect(page.locator('[data-testid="flamegraph"] g.frame[name="prepareOrder"]')).toHaveCount(0);
  await shot(page, info, 'trace-to-profile');
  await page.getByTestId('span-selector').getByRole('button').click();
  await expect.poll(() => rootTotal(page)).toBe(a.value + b.value + SPANS[2].value);
  await expect(page.locator('[data-testid="flamegraph"] g.frame[name="prepareOrder"]')).toBeVisible();
});

test('trace to profile on the fixture with an optional span_id: only that span, then the whole service', async ({
  page,
}) => {
  test.skip(!fixturesAvailable(), FIXTURES_MISSING);
  const file = readFixture(SPAN_FIXTURE);
  const all = decodePprof(file, 'cpu');
  const span = decodePprof(file, 'cpu', { key: 'span_id', value: '239' });
  expect(span.total).toBeGreaterThan(0);
  expect(span.total).toBeLessThan(all.total);
  await page.goto(
    explore({
      explorationType: 'flame-graph',
      'var-serviceName': 'span-fixture',
      'var-spanSelector': '239',
      from: 'now-1h',
      to: 'now',
    })
  );
  await expect(page.getByTestId('span-selector')).toContainText('239');
  await expect.poll(() => rootTotal(page)).toBe(span.total);
  await page.getByTestId('span-selector').getByRole('button').click();
  await expect.poll(() => rootTotal(page)).toBe(all.total);
});
