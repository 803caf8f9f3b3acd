import { gzipSync } from 'node:zlib';
import { Page } from '@playwright/test';
import { Function as PprofFunction, Line, Location, Profile, Sample, StringTable, ValueType } from 'pprof-format';
import { ingestPprof } from '../support/pprof.mjs';
import { Running } from './support/stack';
import { CPU, REGION_SERVICE, SERVICE } from './support/regression';
import { expect, test } from './support/generated';

// The series panels as the official app shows them, over the worker's backend of generated data.
let harness: Running;
test.beforeEach(({ generated }) => {
  ({ harness } = generated);
});

function explore(params: Record<string, string>) {
  const q = new URLSearchParams({
    'var-dataSource': 'pyroscope',
    'var-profileMetricId': CPU,
    'var-serviceName': SERVICE,
    from: 'now-1h',
    to: 'now',
    ...params,
  });
  return `${harness.url}/a/grafana-pyroscope-app/explore?${q}`;
}

const panelHeader = (page: Page, title: string) => page.getByTestId(`data-testid Panel header ${title}`);

test('the main series panel is titled with what the profile type measures, in the flame graph and labels views', async ({
  page,
}) => {
  for (const explorationType of ['flame-graph', 'labels']) {
    await page.goto(explore({ explorationType }));
    await expect(panelHeader(page, 'CPU time consumed')).toBeVisible();
    await expect(page.getByTestId(`data-testid Panel header ${SERVICE} · ${CPU}`)).toHaveCount(0);
  }
});

const legendItems = (panel: ReturnType<Page['locator']>) =>
  panel.locator('[data-testid^="data-testid VizLegend series"]');

test('legends under the series panels read as the official app: the sample type, then the group-by value', async ({
  page,
}) => {
  await page.goto(explore({ explorationType: 'flame-graph' }));
  const main = page.getByTestId('data-testid Panel header CPU time consumed');
  await expect(legendItems(main)).toHaveText(['cpu']);

  // The labels view's panel of a label: one series per value.
  await page.goto(explore({ explorationType: 'labels', 'var-serviceName': REGION_SERVICE }));
  await expect(legendItems(page.getByTestId('data-testid Panel header CPU time consumed'))).toHaveText(['cpu']);
  const region = page.locator('[data-testid^="data-testid Panel header region"]');
  await expect(legendItems(region)).toHaveText(['cpu eu', 'cpu us']);
});

test('the top table is as tall as the flame graph beside it', async ({ page }) => {
  await page.goto(explore({ explorationType: 'flame-graph' }));
  await expect(page.locator('[data-testid="flamegraph"] g.frame').first()).toBeVisible();
  const table = page.getByTestId('pane-table');
  const graph = page.getByTestId('pane-graph');
  const heightOf = async (l: typeof table) => (await l.boundingBox())!.height;
  // checkout's graph has four levels: the panel is short, not the 800 px it may grow to, and the table (with
  // room for more rows than it has) ends where the graph ends.
  await expect.poll(async () => Math.abs((await heightOf(table)) - (await heightOf(graph)))).toBeLessThanOrEqual(1);
  expect(await heightOf(graph)).toBeLessThan(600);
  const tableBox = (await table.boundingBox())!;
  const graphBox = (await graph.boundingBox())!;
  expect(Math.abs(tableBox.y + tableBox.height - (graphBox.y + graphBox.height))).toBeLessThanOrEqual(1);
  // switching to the table alone gives it the whole height again
  await page.getByTestId('view-mode').getByRole('radio', { name: 'Top Table', exact: true }).click();
  await expect.poll(() => heightOf(page.getByTestId('pane-table'))).toBeGreaterThan(700);
});

test('grouped by a label, the labels view`s main panel says so in its title and draws a series per value', async ({
  page,
}) => {
  // a link from the official app carries var-groupBy=all for "not grouped"
  await page.goto(explore({ explorationType: 'labels', 'var-serviceName': REGION_SERVICE, 'var-groupBy': 'all' }));
  const ungrouped = panelHeader(page, 'CPU time consumed');
  await expect(legendItems(ungrouped)).toHaveText(['cpu']);

  const tabs = page.getByTestId('group-by-tabs');
  await tabs.getByRole('radio', { name: /^region \(\d+\)$/ }).click();
  const grouped = panelHeader(page, 'CPU time consumed, grouped by region');
  await expect(grouped).toBeVisible();
  await expect(legendItems(grouped)).toHaveText(['cpu eu', 'cpu us']);
  await expect(page).toHaveURL(/var-groupBy=region/);
  await expect(ungrouped).toHaveCount(0);

  // the same on a reload of the grouped page, and back to one series under "All"
  await page.reload();
  await expect(legendItems(panelHeader(page, 'CPU time consumed, grouped by region'))).toHaveText(['cpu eu', 'cpu us']);
  await tabs.getByRole('radio', { name: 'All', exact: true }).click();
  await expect(legendItems(panelHeader(page, 'CPU time consumed'))).toHaveText(['cpu']);
  await expect(panelHeader(page, 'CPU time consumed, grouped by region')).toHaveCount(0);
});

/** A gzipped Go goroutine profile: one stack, `count` goroutines. */
function goroutinePprof(count: number): Buffer {
  const strings = new StringTable();
  const name = strings.dedup('runtime.gopark');
  const goroutine = new ValueType({ type: strings.dedup('goroutine'), unit: strings.dedup('count') });
  const p = new Profile({
    sampleType: [goroutine],
    sample: [new Sample({ locationId: [1], value: [count] })],
    location: [new Location({ id: 1, line: [new Line({ functionId: 1, line: 1 })] })],
    function: [new PprofFunction({ id: 1, name, filename: strings.dedup('proc.go') })],
    stringTable: strings,
    periodType: goroutine,
    period: 1,
  });
  return gzipSync(Buffer.from(p.encode()));
}

test('profile types the official app names by its own table read as there: goroutine (goroutine)', async ({
  page,
  generated,
}) => {
  // a service of its own: no test of this backend counts its services
  const service = 'goroutine-names';
  const at = Math.floor((Date.now() - 5 * 60_000) / 1000);
  await ingestPprof(generated.backend.url, goroutinePprof(42), service, { from: at, until: at + 10 });
  const q = new URLSearchParams({
    explorationType: 'profiles',
    'var-dataSource': 'pyroscope',
    'var-serviceName': service,
    from: 'now-1h',
    to: 'now',
  });
  await page.goto(`${harness.url}/a/grafana-pyroscope-app/explore?${q}`);
  const view = page.getByTestId('profile-types-view');
  await expect(panelHeader(page, 'goroutine (goroutine)')).toBeVisible();
  await expect(view).not.toContainText('(goroutines)');
  // the profile type picker of the flame graph view names it as the official picker does
  await panelHeader(page, 'goroutine (goroutine)').getByText('Flame graph', { exact: true }).click();
  await expect(page).toHaveURL(/explorationType=flame-graph/);
  await expect(page.getByText('goroutine/goroutine', { exact: true })).toBeVisible();
});

test('panel actions are links in the primary colour, as the official app draws them', async ({ page }) => {
  await page.goto(explore({ explorationType: 'all' }));
  const primary = await page.evaluate(() => {
    // the theme's primary text colour, resolved by the browser as it resolves the buttons' colour
    const probe = document.createElement('span');
    probe.style.color = '#6E9FFF';
    document.body.appendChild(probe);
    const c = getComputedStyle(probe).color;
    probe.remove();
    return c;
  });
  for (const action of ['profiles', 'labels', 'flame-graph']) {
    const button = page.getByTestId(`action-${action}-${SERVICE}`);
    await expect(button).toBeVisible();
    await expect(button).toHaveCSS('color', primary);
  }
  await page.goto(explore({ explorationType: 'labels', 'var-serviceName': REGION_SERVICE }));
  await expect(page.getByTestId('group-by-region')).toHaveCSS('color', primary);
});
