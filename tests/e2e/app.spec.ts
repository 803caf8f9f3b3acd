import { Page, expect, test } from '@playwright/test';
import { FIXTURES_MISSING, fixturesAvailable, readFixture, startBackend, startHarness } from './support/stack';
import { countMatchingNodes, decodePprof, spanIds, topSelf } from './support/decode';
import { callGraph } from './support/callGraph';
import { viewMode } from './support/view';
import { backend, explore, failOnPageProblems, harness, shot } from './support/page';

const CPU = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';
const CPU_SAMPLES = 'process_cpu:samples:count:cpu:nanoseconds';

failOnPageProblems();

async function openFlameGraph(page: Page, service: string, profileMetricId: string, extra = '') {
  await page.goto(
    explore(`explorationType=flame-graph&var-serviceName=${service}&var-profileMetricId=${profileMetricId}${extra}`)
  );
  await expect(page.locator('[data-testid="flamegraph"] g.frame').first()).toBeVisible();
}

async function rootTotal(page: Page): Promise<number> {
  return Number(await page.getByTestId('flamegraph-total').getAttribute('data-value'));
}

async function querier<T>(method: string, body: object): Promise<T> {
  const r = await fetch(`${backend()}/querier.v1.QuerierService/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(r.status).toBe(200);
  return (await r.json()) as T;
}

/**
 * The profile types a service reports, as the backend answers without the app's code: every entry of ProfileTypes
 * (which has no service filter) that has a series for the service.
 */
async function backendProfileTypesOf(service: string): Promise<string[]> {
  const end = Date.now();
  const start = end - 3600_000;
  const { profileTypes = [] } = await querier<{ profileTypes?: Array<{ ID: string }> }>('ProfileTypes', {
    start,
    end,
  });
  const ofService: string[] = [];
  for (const { ID } of profileTypes) {
    const { labelsSet = [] } = await querier<{ labelsSet?: unknown[] }>('Series', {
      start,
      end,
      matchers: [`{__profile_type__="${ID}",service_name="${service}"}`],
      labelNames: ['service_name'],
    });
    if (labelsSet.length) {
      ofService.push(ID);
    }
  }
  return ofService.sort();
}

/** The profile types view shows one panel per profile type of the service, each with its drill-down actions. */
async function expectOnePanelPerProfileType(page: Page, service: string) {
  const types = await backendProfileTypesOf(service);
  expect(types.length).toBeGreaterThan(0);
  const view = page.getByTestId('profile-types-view');
  await expect(view.locator('[data-viz-panel-key]')).toHaveCount(types.length);
  for (const id of types) {
    await expect(view.getByTestId(`action-labels-${id}`)).toBeVisible();
  }
  return types;
}

/** The flamebearer of the backend's render API for a service over the last hour. */
async function renderFlamebearer(service: string, profileMetricId: string, maxNodes: number) {
  const now = Date.now();
  const q = encodeURIComponent(`${profileMetricId}{service_name="${service}"}`);
  const r = await fetch(
    `${backend()}/pyroscope/render?query=${q}&from=${now - 3600_000}&until=${now}&format=json&max-nodes=${maxNodes}`
  );
  return (await r.json()).flamebearer as { names: string[]; levels: number[][] };
}

const frames = (page: Page) => page.locator('[data-testid="flamegraph"] g.frame');
const topName = (page: Page) => page.getByTestId('top-table-row').first().locator('[data-col="name"]');

interface DrawnFrame {
  data: { i: number; name: string; folded: number; value: number };
  parent: DrawnFrame | null;
}

/** A drawn frame under half the root's width, at least 4 px wide, with the most descendants folded into it. */
function zoomCandidate(page: Page) {
  return page.getByTestId('flamegraph').evaluate((el) => {
    const gs = [...el.querySelectorAll('g.frame')] as Array<Element & { __data__?: DrawnFrame }>;
    const root = gs.find((g) => g.__data__?.data.i === 0)?.__data__?.data.value ?? 0;
    let best: { k: number; i: number; name: string; folded: number } | undefined;
    gs.forEach((g, k) => {
      const d = g.__data__?.data;
      const wide = g.getBoundingClientRect().width >= 4;
      if (d && d.i !== 0 && wide && d.folded > 0 && d.value <= root / 2 && (!best || d.folded > best.folded)) {
        best = { k, i: d.i, name: d.name, folded: d.folded };
      }
    });
    return best;
  });
}

/** Frames drawn in the subtree of one tree node (itself included) and how many of its descendants are folded. */
function subtreeDrawn(page: Page, i: number) {
  return page.getByTestId('flamegraph').evaluate((el, i) => {
    const gs = [...el.querySelectorAll('g.frame')] as Array<Element & { __data__?: DrawnFrame }>;
    let frames = 0;
    let folded = 0;
    for (const g of gs) {
      for (let d = g.__data__ ?? null; d; d = d.parent) {
        if (d.data.i === i) {
          frames++;
          folded += g.__data__!.data.folded;
          break;
        }
      }
    }
    return { frames, folded };
  }, i);
}

test('the built plugin loads through the AMD loader with Grafana externals', async ({ page }) => {
  await page.goto(`${harness()}/a/grafana-pyroscope-app/explore`);
  await expect(page.getByTestId('profiles-explorer')).toBeVisible();
  await expect(page.locator('#harness-error')).toHaveCount(0);
  // Catch-all: an unknown path under the app goes to explore, with its query.
  await page.goto(`${harness()}/a/grafana-pyroscope-app/no-such-page?explorationType=favorites`);
  await expect(page).toHaveURL(/\/a\/grafana-pyroscope-app\/explore\?/);
  expect(new URL(page.url()).searchParams.get('explorationType')).toBe('favorites');
  await expect(page.getByTestId('profiles-explorer')).toBeVisible();
});

test('All services lists the services pushed by the Node.js SDK', async ({ page }, info) => {
  await page.goto(explore('explorationType=all&var-profileMetricId=wall:wall:nanoseconds:wall:nanoseconds'));
  await expect(page.getByText('node-sdk-app', { exact: true })).toBeVisible();
  await expect(page.getByTestId('quick-filter-count')).toHaveText('1 of 1 services');
  await shot(page, info, 'all-services-sdk');
  // Its profile types: one panel per type the backend has for it (wall and heap from the SDK).
  await page.getByTestId('action-profiles-node-sdk-app').click();
  await expect(page).toHaveURL(/explorationType=profiles/);
  const types = await expectOnePanelPerProfileType(page, 'node-sdk-app');
  expect(types.length).toBeGreaterThan(1);
  await shot(page, info, 'profile-types');
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
    // Sorting the top table: by total (largest first, then smallest), by name; expected from the file's call graph.
    const totals = [...callGraph(readFixture('pprof/cpu.pb.gz'), 'cpu').total.entries()].filter(([, v]) => v > 0);
    const descending = [...totals].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    await page.getByTestId('top-table-sort-total').click();
    await expect(topName(page)).toHaveText(descending[0][0]);
    expect(Number(await first.locator('[data-col="total"]').getAttribute('data-value'))).toBe(descending[0][1]);
    await page.getByTestId('top-table-sort-total').click();
    const ascending = [...totals].sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]));
    await expect(topName(page)).toHaveText(ascending[0][0]);
    expect(Number(await first.locator('[data-col="total"]').getAttribute('data-value'))).toBe(ascending[0][1]);
    await page.getByTestId('top-table-sort-name').click();
    const names = totals.map(([n]) => n).sort((a, b) => a.localeCompare(b));
    await expect(topName(page)).toHaveText(names[0]);
    await viewMode(page, 'Top Table');
    await expect(page.getByTestId('top-table-row')).toHaveCount(names.length);
    await viewMode(page, 'Both');
    // A row click highlights that function's frames in the graph, and only them.
    const full = await renderFlamebearer('go-app', CPU, 16384);
    await page
      .getByTestId('top-table-row')
      .filter({ has: page.locator(`[data-col="name"][title="${name}"]`) })
      .click();
    await expect.poll(() => new URL(page.url()).searchParams.get('searchText')).toMatch(/^\^.+\$$/);
    const expectedMatches = countMatchingNodes(full, (n) => n === name);
    expect(expectedMatches).toBeGreaterThan(0);
    await expect(page.getByTestId('flamegraph-search-count')).toHaveAttribute('data-count', String(expectedMatches));
    const highlighted = page.locator('[data-testid="flamegraph"] g.frame:has(rect[fill="#E600E6"])');
    await expect(highlighted).toHaveCount(expectedMatches);
    expect(new Set(await highlighted.evaluateAll((gs) => gs.map((g) => g.getAttribute('name'))))).toEqual(
      new Set([name])
    );
    await shot(page, info, 'flame-graph-row-highlight');
    // Max nodes: the backend truncates the tree, and the graph and the table show what it sends; totals stay.
    const limited = await renderFlamebearer('go-app', CPU, 16);
    const distinctNames = (fb: { names: string[]; levels: number[][] }) =>
      new Set(fb.levels.slice(1).flatMap((l) => l.filter((_, i) => i % 4 === 3).map((k) => fb.names[k]))).size;
    expect(distinctNames(limited)).toBeLessThan(distinctNames(full));
    const framesBefore = await frames(page).count();
    const maxNodes = page.getByTestId('flamegraph-max-nodes');
    await maxNodes.click();
    await maxNodes.fill('16');
    await page.getByRole('option').filter({ hasText: 'Use custom value' }).click();
    await expect(page).toHaveURL(/maxNodes=16(&|$)/);
    await expect(page.getByTestId('top-table-row')).toHaveCount(distinctNames(limited));
    expect(await frames(page).count()).toBeLessThan(framesBefore);
    expect(await rootTotal(page)).toBe(decoded.total);
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
    await expect(page.locator('[data-viz-panel-key]').getByText('function (2)', { exact: true })).toBeVisible();
    // The group-by tabs carry the number of values of each label, as the official app.
    await expect(page.getByTestId('group-by-tabs').getByRole('radio', { name: 'function (2)' })).toBeVisible();
    await expect(page.getByTestId('group-by-tabs').getByRole('radio', { name: 'foo (1)' })).toBeVisible();
    await shot(page, info, 'labels');
    await page.getByTestId('group-by-function').click();
    await expect(page).toHaveURL(/var-groupBy=function/);
    await expect(page.getByText('function = slow', { exact: true })).toBeVisible();
    await expect(page.getByText('function = fast', { exact: true })).toBeVisible();
    await shot(page, info, 'labels-function');
    const slowPanel = page.locator('[data-viz-panel-key]', { hasText: 'function = slow' });
    // Exclude: the totals lose that value's samples, as a decode without them says.
    const file = readFixture('pprof/cpu-exemplars.pb.gz');
    const all = decodePprof(file, 'cpu');
    const fast = decodePprof(file, 'cpu', { key: 'function', value: 'fast' });
    expect(fast.total).toBeGreaterThan(0);
    const fastPanel = page.locator('[data-viz-panel-key]', { hasText: 'function = fast' });
    await fastPanel.getByRole('button', { name: 'Exclude' }).click();
    await expect(page).toHaveURL(/var-filters=function%7C(!|%21)%3D%7Cfast/);
    await page.getByRole('radio', { name: 'Flame graph', exact: true }).click();
    await expect.poll(() => rootTotal(page)).toBe(all.total - fast.total);
    await page.getByRole('radio', { name: 'Labels', exact: true }).click();
    await expect(slowPanel).toBeVisible();
    await expect(fastPanel).toBeHidden();
    await slowPanel.getByRole('button', { name: 'Include' }).click();
    await expect(page).toHaveURL(/var-filters=function%7C%3D%7Cslow/);
  });

  test('navigation All services -> profile types -> labels -> flame graph keeps the URL state', async ({
    page,
  }, info) => {
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
    await expect(page.getByTestId('profile-types-view')).toContainText('cpu (process_cpu)');
    await expectOnePanelPerProfileType(page, 'go-app');
    await shot(page, info, 'profile-types-go-app');
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
    // Zoom reveals more frames: a frame under half the width with descendants folded into it shows more of its
    // subtree once it is zoomed on, and fewer stay folded.
    const candidate = await zoomCandidate(page);
    expect(candidate, 'a frame with folded descendants').toBeTruthy();
    const drawnBefore = await subtreeDrawn(page, candidate!.i);
    await frames(page).nth(candidate!.k).click();
    await expect(page.getByTestId('flamegraph-focus')).toContainText(candidate!.name);
    const drawnAfter = await subtreeDrawn(page, candidate!.i);
    expect(drawnAfter.frames).toBeGreaterThan(drawnBefore.frames);
    expect(drawnAfter.folded).toBeLessThan(drawnBefore.folded);
    await shot(page, info, 'flame-graph-zoomed');
  });
});
