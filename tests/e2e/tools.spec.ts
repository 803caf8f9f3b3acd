import { Page, expect, test } from '@playwright/test';
import { join } from 'node:path';
import { Function as PprofFunction, Line, Location, Profile, Sample, StringTable, ValueType } from 'pprof-format';
import { ingestPprof } from '../support/pprof.mjs';
import {
  FIXTURES,
  FIXTURES_MISSING,
  fixturesAvailable,
  readFixture,
  startBackend,
  startHarness,
} from './support/stack';
import { callGraph } from './support/callGraph';
import { decodePprof } from './support/decode';
import { viewMode } from './support/view';
import { explore, failOnPageProblems, harness, shot } from './support/page';

// Issue 7's tools: function details, sandwich, favourites, ad hoc profiles, panel types, onboarding, Explore links.
const CPU = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';

failOnPageProblems();

async function openFlameGraph(page: Page, service: string, profileMetricId: string) {
  await page.goto(
    explore(`explorationType=flame-graph&var-serviceName=${service}&var-profileMetricId=${profileMetricId}`)
  );
  await expect(page.locator('[data-testid="flamegraph"] g.frame').first()).toBeVisible();
}

/** One function's top table numbers, read with the table alone (every row in view), then back to both panes. */
async function topRow(page: Page, name: string) {
  await viewMode(page, 'Top Table');
  const row = page.getByTestId('top-table-row').filter({ has: page.locator(`[data-col="name"][title="${name}"]`) });
  const numbers = {
    self: Number(await row.locator('[data-col="self"]').getAttribute('data-value')),
    total: Number(await row.locator('[data-col="total"]').getAttribute('data-value')),
  };
  await viewMode(page, 'Both');
  return numbers;
}

/** The profile type of an ad hoc panel (the radio input lies over its label and takes the click). */
async function pickType(page: Page, side: string, type: string) {
  await page.getByTestId(`adhoc-profile-types-${side}`).getByRole('radio', { name: type, exact: true }).click();
}

/** Names of the frames drawn in one flame graph container. */
async function frameNames(page: Page, testId: string): Promise<string[]> {
  return page
    .getByTestId(testId)
    .locator('g.frame')
    .evaluateAll((gs) => gs.map((g) => g.getAttribute('name') ?? ''));
}

/** A one-sample CPU profile made here (no fixture needed), stamped by the server with the time of the push. */
function tinyProfile(
  fn = { name: 'main.main', file: 'main.go', startLine: 1, line: 3 },
  [type, unit, periodType, periodUnit] = ['cpu', 'nanoseconds', 'cpu', 'nanoseconds']
): Buffer {
  const st = new StringTable();
  const p = new Profile({
    sampleType: [new ValueType({ type: st.dedup(type), unit: st.dedup(unit) })],
    periodType: new ValueType({ type: st.dedup(periodType), unit: st.dedup(periodUnit) }),
    period: 10_000_000,
    function: [
      new PprofFunction({ id: 1, name: st.dedup(fn.name), filename: st.dedup(fn.file), startLine: fn.startLine }),
    ],
    location: [new Location({ id: 1, line: [new Line({ functionId: 1, line: fn.line })] })],
    sample: [new Sample({ locationId: [1], value: [10_000_000] })],
    stringTable: st,
  });
  return Buffer.from(p.encode());
}

test('onboarding on an empty backend goes away by itself after the first push', async ({ page }, info) => {
  const empty = await startBackend();
  const harness2 = await startHarness(empty.url);
  try {
    await page.goto(`${harness2.url}/a/grafana-pyroscope-app/explore?explorationType=all&from=now-1h&to=now`);
    await expect(page.getByTestId('onboarding')).toContainText('has not received any profile yet');
    await shot(page, info, 'onboarding-before');
    await ingestPprof(empty.url, tinyProfile(), 'first-app');
    // no reload: the page checks again while it shows the onboarding
    await expect(page.getByTestId('onboarding')).toBeHidden({ timeout: 40_000 });
    await expect(page.getByText('first-app', { exact: true })).toBeVisible();
    await expect(page.getByTestId('quick-filter-count')).toHaveText('1 of 1 services');
    await shot(page, info, 'onboarding-after');
  } finally {
    harness2.stop();
    empty.stop();
  }
});

test('a favourite survives a reload and is listed in the Favourites view', async ({ page }, info) => {
  const WALL = 'wall:wall:nanoseconds:wall:nanoseconds';
  await page.goto(explore(`explorationType=all&var-profileMetricId=${WALL}`));
  await page.evaluate(() => localStorage.removeItem('grafana-pyroscope-app.favorites'));
  const panel = page.locator('[data-viz-panel-key]', { hasText: 'node-sdk-app' });
  const star = panel.getByTestId('favorite-toggle');
  await expect(star).toHaveAttribute('data-active', 'false');
  await star.click();
  await expect(star).toHaveAttribute('data-active', 'true');
  await page.reload();
  await expect(
    page.locator('[data-viz-panel-key]', { hasText: 'node-sdk-app' }).getByTestId('favorite-toggle')
  ).toHaveAttribute('data-active', 'true');
  await page.getByRole('radio', { name: 'Favorites', exact: true }).click();
  const view = page.getByTestId('favorites-view');
  await expect(view).toHaveAttribute('data-count', '1');
  await expect(view.getByText('node-sdk-app · wall (wall)', { exact: true })).toBeVisible();
  await shot(page, info, 'favorites');
  await view.getByTestId('favorite-toggle').click();
  await expect(view).toHaveAttribute('data-count', '0');
});

test('function details link to the source when the service reports its repository', async ({ page }) => {
  const file = 'github.com/acme/shop/internal/handler.go';
  await ingestPprof(
    process.env.E2E_BACKEND_URL!,
    // a memory profile: the CPU service counts of the other tests stay as they are
    tinyProfile({ name: 'shop.handle', file, startLine: 12, line: 14 }, ['alloc_space', 'bytes', 'space', 'bytes']),
    'go-src{service_repository=https://github.com/acme/shop,service_git_ref=v1.2.0}'
  );
  await openFlameGraph(page, 'go-src', 'memory:alloc_space:bytes:space:bytes');
  await page.locator('[data-testid="flamegraph"] g.frame[name="shop.handle"]').first().click({ button: 'right' });
  await page.getByTestId('menu-function-details').click();
  const details = page.getByTestId('function-details');
  await expect(details.getByTestId('function-details-file')).toContainText(file);
  await expect(details.getByTestId('function-details-start-line')).toHaveText('12');
  await expect(details.getByTestId('function-details-source')).toHaveAttribute(
    'href',
    'https://github.com/acme/shop/blob/v1.2.0/internal/handler.go#L12'
  );
  await expect(details.locator('[data-testid="function-details-line"][data-line="14"] a')).toHaveAttribute(
    'href',
    'https://github.com/acme/shop/blob/v1.2.0/internal/handler.go#L14'
  );
});

test.describe('with the fixture corpus', () => {
  test.skip(!fixturesAvailable(), FIXTURES_MISSING);

  test('function details and sandwich view of Go functions: the top table numbers, real callers and callees', async ({
    page,
  }, info) => {
    const graph = callGraph(readFixture('pprof/cpu.pb.gz'), 'cpu');
    await openFlameGraph(page, 'go-app', CPU);
    // runtime.kevent: all self; runtime.wakep: called from two places, so two call sites are asked for
    for (const name of ['runtime.kevent', 'runtime.wakep']) {
      const top = await topRow(page, name);
      expect([top.self, top.total]).toEqual([graph.self.get(name) ?? 0, graph.total.get(name)]);
      await page.locator(`[data-testid="flamegraph"] g.frame[name="${name}"]`).first().click({ button: 'right' });
      await page.getByTestId('menu-function-details').click();
      const details = page.getByTestId('function-details');
      await expect(details.getByTestId('function-details-name')).toHaveText(name);
      await expect(details.getByTestId('function-details-total')).toHaveAttribute('data-value', String(top.total));
      await expect(details.getByTestId('function-details-self')).toHaveAttribute('data-value', String(top.self));
      await expect(details.getByTestId('function-details-file')).toContainText('.go');
      const lines = details.getByTestId('function-details-line');
      expect(await lines.count()).toBeGreaterThan(0);
      const sum = await lines
        .locator('[data-col="total"]')
        .evaluateAll((cells) => cells.reduce((s, c) => s + Number(c.getAttribute('data-value')), 0));
      expect(sum).toBe(top.total);
      await shot(page, info, `function-details-${name}`);
      // a side panel beside the graph (not a drawer), closed from its own header
      await details.getByRole('button', { name: 'Close' }).click();
      await expect(details).toBeHidden();
    }
    // sandwich from the context menu
    await page.locator('[data-testid="flamegraph"] g.frame[name="runtime.wakep"]').first().click({ button: 'right' });
    await page.getByTestId('menu-sandwich').click();
    await expect(page.getByTestId('sandwich-function')).toHaveText('runtime.wakep');
    await expect(page.getByTestId('sandwich-total')).toHaveAttribute(
      'data-value',
      String(graph.total.get('runtime.wakep'))
    );
    const callers = [...graph.callersOf('runtime.wakep').keys()];
    expect(callers.length).toBe(2);
    await expect
      .poll(() => frameNames(page, 'sandwich-callers'))
      .toEqual(expect.arrayContaining(['runtime.wakep', ...callers]));
    const callees = [...graph.calleesOf('runtime.wakep').keys()];
    await expect
      .poll(() => frameNames(page, 'sandwich-callees'))
      .toEqual(expect.arrayContaining(['runtime.wakep', ...callees]));
    await shot(page, info, 'sandwich-wakep');
    await page.getByTestId('sandwich-close').click();
    await expect(page.getByTestId('sandwich')).toBeHidden();
    // from the top table
    await viewMode(page, 'Top Table');
    await page
      .getByTestId('top-table-row')
      .filter({ has: page.locator('[data-col="name"][title="runtime.findrunnable"]') })
      .getByTestId('top-table-sandwich')
      .click();
    await viewMode(page, 'Both');
    await expect(page.getByTestId('sandwich-function')).toHaveText('runtime.findrunnable');
    const findCallees = [...graph.calleesOf('runtime.findrunnable').keys()];
    expect(findCallees.length).toBe(3);
    await expect
      .poll(() => frameNames(page, 'sandwich-callees'))
      .toEqual(expect.arrayContaining(['runtime.findrunnable', ...findCallees]));
    // nothing drawn above the function that is not one of its ancestors in the file
    const ancestors = new Set(['runtime.findrunnable', 'runtime.schedule', 'runtime.park_m', 'runtime.mcall']);
    expect((await frameNames(page, 'sandwich-callers')).filter((n) => !ancestors.has(n))).toEqual([]);
    await shot(page, info, 'sandwich-findrunnable');
  });

  test('ad hoc: heap.pb.gz shows its four types with the totals of a decode; two files side by side and as a diff', async ({
    page,
  }, info) => {
    const file = readFixture('pprof/heap.pb.gz');
    await page.goto(`${harness()}/a/grafana-pyroscope-app/ad-hoc?var-dataSource=pyroscope`);
    await page
      .getByTestId('adhoc-upload-left')
      .locator('input[type="file"]')
      .setInputFiles(join(FIXTURES, 'pprof/heap.pb.gz'));
    await expect(page.getByTestId('adhoc-name-left')).toHaveText('heap.pb.gz');
    const types = page.getByTestId('adhoc-profile-types-left').getByRole('radio');
    await expect(types).toHaveCount(4);
    const names = (await page.getByTestId('adhoc-profile-types-left').locator('label').allTextContents()).map((t) =>
      t.trim()
    );
    expect(names.sort()).toEqual(['alloc_objects', 'alloc_space', 'inuse_objects', 'inuse_space']);
    for (const type of names) {
      const want = decodePprof(file, type).total;
      expect(want).toBeGreaterThan(0);
      await pickType(page, 'left', type);
      const total = page.getByTestId('adhoc-total-left');
      await expect(total).toHaveAttribute('data-type', type);
      await expect(total).toHaveAttribute('data-value', String(want));
    }
    await expect(page.getByTestId('adhoc-flamegraph-left').locator('g.frame').first()).toBeVisible();
    await shot(page, info, 'adhoc-heap');

    // two files side by side, then as a diff
    const base = decodePprof(readFixture('pprof/cpu.pb.gz'), 'cpu').total;
    const comp = decodePprof(readFixture('pprof/cpu-exemplars.pb.gz'), 'cpu').total;
    await page.getByRole('radio', { name: 'Side by side', exact: true }).click();
    await expect(page).toHaveURL(/mode=compare/);
    await page
      .getByTestId('adhoc-upload-left')
      .locator('input[type="file"]')
      .setInputFiles(join(FIXTURES, 'pprof/cpu.pb.gz'));
    await page
      .getByTestId('adhoc-upload-right')
      .locator('input[type="file"]')
      .setInputFiles(join(FIXTURES, 'pprof/cpu-exemplars.pb.gz'));
    // a Go CPU profile lists samples first, then cpu: the first type is shown until another is chosen
    for (const side of ['left', 'right']) {
      await expect(page.getByTestId(`adhoc-total-${side}`)).toHaveAttribute('data-type', 'samples');
      await pickType(page, side, 'cpu');
    }
    await expect(page.getByTestId('adhoc-total-left')).toHaveAttribute('data-value', String(base));
    await expect(page.getByTestId('adhoc-total-right')).toHaveAttribute('data-value', String(comp));
    await expect(page.getByTestId('adhoc-flamegraph-left').locator('g.frame').first()).toBeVisible();
    await expect(page.getByTestId('adhoc-flamegraph-right').locator('g.frame').first()).toBeVisible();
    await shot(page, info, 'adhoc-side-by-side');
    await page.getByRole('radio', { name: 'Diff view', exact: true }).click();
    await expect(page).toHaveURL(/mode=diff/);
    const diff = page.getByTestId('adhoc-diff');
    await expect(diff).toHaveAttribute('data-baseline', String(base));
    await expect(diff).toHaveAttribute('data-comparison', String(comp));
    await expect(diff.locator('g.frame').first()).toBeVisible();
    // two different programs: some frames are coloured as changed, new or removed
    const fills = await diff.locator('g.frame rect').evaluateAll((rs) => rs.map((r) => r.getAttribute('fill')));
    // some frames are not the neutral grey of the official diff palette
    expect(fills.filter((f) => f !== 'rgb(149, 142, 142)').length).toBeGreaterThan(0);
    await shot(page, info, 'adhoc-diff');
  });

  test('All services: every panel type renders the fixture', async ({ page }, info) => {
    await page.goto(explore(`explorationType=all&var-profileMetricId=${CPU}`));
    const goApp = () => page.locator('[data-viz-panel-key]', { hasText: 'go-app' }).first();
    await expect(goApp().locator('canvas').first()).toBeVisible();
    await page.getByTestId('panel-type').getByRole('radio', { name: 'Totals', exact: true }).click();
    // the official app's values (its ScenePanelTypeSwitcher): bar-gauge, table, histogram
    await expect(page).toHaveURL(/panelType=bar-gauge(&|$)/);
    // The bar is the sum of the series as Grafana shows CPU time, in cores: the whole profile (470 ms) in its one
    // 15 s step is 0.47 / 15 = 0.0313 cores (an hour over a third of 1600 px is never finer than the 15 s minimum).
    const cores = /0\.0313\d* cores/;
    await expect(goApp().locator('[data-harness-panel="bargauge"]')).toContainText(cores);
    await shot(page, info, 'panel-totals');
    await page.getByTestId('panel-type').getByRole('radio', { name: 'Maxima', exact: true }).click();
    await expect(page).toHaveURL(/panelType=table(&|$)/);
    await expect(goApp().getByRole('table')).toContainText('go-app');
    await expect(goApp().getByRole('table')).toContainText(cores);
    await shot(page, info, 'panel-maxima');
    await page.getByTestId('panel-type').getByRole('radio', { name: 'Histograms', exact: true }).click();
    await expect(page).toHaveURL(/panelType=histogram(&|$)/);
    await expect(goApp().locator('[data-harness-panel="histogram"] rect').first()).toBeAttached();
    await shot(page, info, 'panel-histograms');
    await page.getByTestId('panel-type').getByRole('radio', { name: 'Time series', exact: true }).click();
    await expect(goApp().locator('canvas').first()).toBeVisible();
    // switching types keeps every service
    await expect(page.getByTestId('quick-filter-count')).toHaveText('3 of 3 services');
  });

  test('Open in Explore and copy query carry the data source, profile type, selector and group-by', async ({
    page,
    context,
  }) => {
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    await page.goto(
      explore(`explorationType=labels&var-serviceName=go-labels&var-profileMetricId=${CPU}&var-filters=foo%7C%3D%7Cbar`)
    );
    const panel = page.locator('[data-viz-panel-key]', { hasText: 'function (2)' });
    const href = await panel.getByTestId('open-in-explore').getAttribute('href');
    const url = new URL(href!, harness());
    expect(url.pathname).toBe('/explore');
    expect(url.searchParams.get('schemaVersion')).toBe('1');
    const panes = Object.values(JSON.parse(url.searchParams.get('panes')!)) as Array<{
      datasource: string;
      queries: Array<Record<string, unknown>>;
      range: { from: string; to: string };
    }>;
    expect(panes).toHaveLength(1);
    expect(panes[0].datasource).toBe('pyroscope');
    expect(panes[0].range).toEqual({ from: 'now-1h', to: 'now' });
    expect(panes[0].queries[0]).toMatchObject({
      refId: 'A',
      datasource: { type: 'grafana-pyroscope-datasource', uid: 'pyroscope' },
      queryType: 'both',
      profileTypeId: CPU,
      labelSelector: '{service_name="go-labels",foo="bar"}',
      groupBy: ['function'],
    });
    await panel.getByTestId('copy-query').click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(
      `${CPU}{service_name="go-labels",foo="bar"} by (function)`
    );
  });
});
