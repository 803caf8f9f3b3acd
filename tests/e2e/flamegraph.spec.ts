import { Locator, Page, expect, test } from '@playwright/test';
import { FIXTURES_MISSING, fixturesAvailable, readFixture } from './support/stack';
import { backend, explore, failOnPageProblems, harness, shot } from './support/page';

const CPU = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';

// The official chart's 24 package colours as it paints them on a dark theme (slot = murmur3(package) % 24),
// written out here rather than taken from the app.
const OFFICIAL_PALETTE = [
  'rgb(223, 139, 83)',
  'rgb(224, 173, 108)',
  'rgb(104, 183, 207)',
  'rgb(89, 192, 163)',
  'rgb(104, 151, 202)',
  'rgb(137, 130, 201)',
  'rgb(235, 168, 230)',
  'rgb(255, 225, 117)',
  'rgb(182, 218, 169)',
  'rgb(244, 214, 153)',
  'rgb(78, 146, 249)',
  'rgb(249, 186, 144)',
  'rgb(242, 145, 145)',
  'rgb(131, 182, 216)',
  'rgb(229, 169, 226)',
  'rgb(175, 163, 224)',
  'rgb(153, 195, 136)',
  'rgb(242, 203, 110)',
  'rgb(102, 198, 219)',
  'rgb(249, 146, 78)',
  'rgb(234, 102, 97)',
  'rgb(80, 149, 206)',
  'rgb(214, 133, 206)',
  'rgb(127, 108, 183)',
];
// Slots the official chart gives these Go packages (computed with its own hash).
const RUNTIME_SLOT = 14;
const MAIN_SLOT = 21;

/** The package of a Go frame name by the rule the issue quotes for Go. */
const goPackage = (name: string) => /^(.*?\/.*?\.|.*?\.|.+)/.exec(name)?.[1] ?? '';

failOnPageProblems();

interface Drawn {
  name: string;
  fill: string;
  width: number;
}

/** Every frame drawn in a chart: its name, the fill of its box and its width in pixels. */
function drawnFrames(chart: Locator): Promise<Drawn[]> {
  return chart.locator('g.frame').evaluateAll((gs) =>
    gs.map((g) => {
      const rect = g.querySelector('rect')!;
      return {
        name: g.getAttribute('name') ?? '',
        fill: rect.getAttribute('fill') ?? '',
        width: rect.getBoundingClientRect().width,
      };
    })
  );
}

/** name -> fill of the frames wide enough to carry a colour (narrower ones are drawn grey, as in the official chart). */
async function coloursByName(chart: Locator): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const f of await drawnFrames(chart)) {
    if (f.width > 12) {
      expect(out.get(f.name) ?? f.fill, `one colour for every frame of ${f.name}`).toBe(f.fill);
      out.set(f.name, f.fill);
    }
  }
  return out;
}

async function openFlameGraph(page: Page, service: string, extra = '') {
  await page.goto(explore(`explorationType=flame-graph&var-serviceName=${service}&var-profileMetricId=${CPU}${extra}`));
  await expect(page.locator('[data-testid="flamegraph"] g.frame').first()).toBeVisible();
}

test.describe('with the fixture corpus', () => {
  test.skip(!fixturesAvailable(), FIXTURES_MISSING);

  test('frames are coloured by package with the official palette, the same after a reload and in the sandwich view', async ({
    page,
  }, info) => {
    await openFlameGraph(page, 'go-app');
    const chart = page.getByTestId('flamegraph');
    const colours = await coloursByName(chart);
    expect(colours.size).toBeGreaterThan(5);
    // One package, one colour; every colour one of the official 24.
    const byPackage = new Map<string, Set<string>>();
    for (const [name, fill] of colours) {
      expect(OFFICIAL_PALETTE, `${name} is painted ${fill}`).toContain(fill);
      const pkg = goPackage(name);
      byPackage.set(pkg, (byPackage.get(pkg) ?? new Set()).add(fill));
    }
    for (const [pkg, fills] of byPackage) {
      expect([...fills], `frames of package ${pkg}`).toHaveLength(1);
    }
    // The official chart's slots for two packages, which differ from each other.
    const runtime = [...colours].filter(([n]) => goPackage(n) === 'runtime.');
    const main = [...colours].filter(([n]) => goPackage(n) === 'main.');
    expect(runtime.length).toBeGreaterThan(1);
    expect(main.length).toBeGreaterThan(0);
    expect(new Set(runtime.map(([, f]) => f))).toEqual(new Set([OFFICIAL_PALETTE[RUNTIME_SLOT]]));
    expect(new Set(main.map(([, f]) => f))).toEqual(new Set([OFFICIAL_PALETTE[MAIN_SLOT]]));
    expect(new Set([...colours.values()]).size).toBeGreaterThan(2);
    await shot(page, info, 'flame-graph-package-colours');

    // A reload paints every frame the same.
    await page.reload();
    await expect(chart.locator('g.frame').first()).toBeVisible();
    expect(await coloursByName(chart)).toEqual(colours);

    // The sandwich view of a runtime function paints its callers and callees with the same colours.
    const [fn] = runtime.find(([n]) => n !== 'runtime.main') ?? runtime[0];
    await chart.locator(`g.frame[name="${fn}"]`).first().click({ button: 'right' });
    await page.getByTestId('menu-sandwich').click();
    const sandwich = page.getByTestId('sandwich');
    await expect(sandwich.getByTestId('sandwich-function')).toHaveText(fn);
    let seen = 0;
    for (const half of ['sandwich-callers', 'sandwich-callees']) {
      for (const [name, fill] of await coloursByName(sandwich.getByTestId(half).getByTestId('flamegraph'))) {
        if (colours.has(name)) {
          expect(fill, `${name} in the sandwich view`).toBe(colours.get(name));
          seen++;
        }
      }
    }
    expect(seen).toBeGreaterThan(1);
    await shot(page, info, 'flame-graph-sandwich-colours');
  });

  test('the colour switch: by value from yellow to red, back by package', async ({ page }, info) => {
    await openFlameGraph(page, 'go-app');
    const chart = page.getByTestId('flamegraph');
    const byPackage = await coloursByName(chart);
    await page.getByTestId('color-scheme').click();
    await page.getByTestId('color-valueBased').click();
    await expect(chart).toHaveAttribute('data-color-scheme', 'valueBased');
    const frames = (await drawnFrames(chart)).filter((f) => f.width > 12);
    const rgb = (s: string) => (s.match(/\d+/g) ?? []).map(Number);
    // The widest frame (the root) is the reddest, a narrow one yellower: red stays full, green falls with value.
    const widest = frames.reduce((a, b) => (b.width > a.width ? b : a));
    const narrowest = frames.reduce((a, b) => (b.width < a.width ? b : a));
    const [r1, g1] = rgb(widest.fill);
    const [r2, g2] = rgb(narrowest.fill);
    expect(r1).toBe(255);
    expect(r2).toBe(255);
    expect(g2).toBeGreaterThan(g1);
    await shot(page, info, 'flame-graph-by-value');
    await page.getByTestId('color-scheme').click();
    await page.getByTestId('color-packageBased').click();
    expect(await coloursByName(chart)).toEqual(byPackage);
  });
});

/** The backend's flame graph of a service over the last hour, read without the app. */
async function renderFlamebearer(service: string) {
  const now = Date.now();
  const q = encodeURIComponent(`${CPU}{service_name="${service}"}`);
  const r = await fetch(
    `${backend()}/pyroscope/render?query=${q}&from=${now - 3600_000}&until=${now}&format=json&max-nodes=16384`
  );
  return (await r.json()).flamebearer as { names: string[]; levels: number[][] };
}

interface Node {
  name: string;
  total: number;
  children: Node[];
}

/** Flamebearer levels to a tree (a node's parent is the node one level up whose range holds its x). */
function toTree(fb: { names: string[]; levels: number[][] }): Node {
  let above: Array<{ x: number; node: Node }> = [];
  let root: Node | undefined;
  for (const level of fb.levels) {
    const here: Array<{ x: number; node: Node }> = [];
    let x = 0;
    for (let i = 0; i < level.length; i += 4) {
      x += level[i];
      const node: Node = { name: fb.names[level[i + 3]], total: level[i + 1], children: [] };
      const parent = above.find((p) => p.x <= x && x < p.x + p.node.total);
      if (parent) {
        parent.node.children.push(node);
      } else {
        root = node;
      }
      here.push({ x, node });
      x += level[i + 1];
    }
    above = here;
  }
  return root!;
}

/** Groups as the issue defines them: a frame whose only child holds more than 99 % of its value, chained. */
function chains(root: Node): Array<{ head: string; size: number }> {
  const out: Array<{ head: string; size: number }> = [];
  const walk = (n: Node, inChain: boolean) => {
    const only = n.children.length === 1 && n.children[0].total > n.total * 0.99 ? n.children[0] : undefined;
    if (only && !inChain) {
      let size = 1;
      for (let c: Node | undefined = n; c && c.children.length === 1 && c.children[0].total > c.total * 0.99;) {
        c = c.children[0];
        size++;
      }
      out.push({ head: n.name, size });
    }
    n.children.forEach((c) => walk(c, c === only));
  };
  walk(root, false);
  return out;
}

async function setSettings(value: object) {
  const r = await fetch(`${backend()}/settings.v1.SettingsService/Set`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      setting: { name: 'pluginSettings', value: JSON.stringify(value), modifiedAt: String(Date.now()) },
    }),
  });
  expect(r.status).toBe(200);
}

const label = (chart: Locator) =>
  chart.locator('g.frame .d3-flame-graph-label').evaluateAll((ds) => ds.map((d) => d.textContent ?? ''));

test.describe('with the fixture corpus: layout, menu, groups, table', () => {
  test.skip(!fixturesAvailable(), FIXTURES_MISSING);

  test('view modes: both side by side by default, top table only, flame graph only; text aligned right', async ({
    page,
  }, info) => {
    await openFlameGraph(page, 'go-app');
    const container = page.getByTestId('flamegraph-container');
    const table = page.getByTestId('pane-table');
    const graph = page.getByTestId('pane-graph');
    await expect(container).toHaveAttribute('data-view', 'both');
    const [t, g] = [await table.boundingBox(), await graph.boundingBox()];
    expect(t!.x + t!.width).toBeLessThanOrEqual(g!.x);
    expect(Math.abs(t!.y - g!.y)).toBeLessThan(2);
    // Side by side the graph sets the height (up to the panel's 800 px; this tree is shorter) and the table, however
    // many rows it has, ends where the graph ends: the page does not grow with the table.
    expect(Math.round(t!.height)).toBe(Math.round(g!.height));
    expect(g!.height).toBeLessThan(800);
    expect(g!.height).toBeGreaterThanOrEqual(360);
    await shot(page, info, 'view-both');

    await page.getByTestId('view-mode').getByRole('radio', { name: 'Top Table', exact: true }).click();
    await expect(container).toHaveAttribute('data-view', 'topTable');
    await expect(graph).toHaveCount(0);
    await expect(page.getByTestId('top-table-row').first()).toBeVisible();
    await shot(page, info, 'view-top-table');

    await page.getByTestId('view-mode').getByRole('radio', { name: 'Flame Graph', exact: true }).click();
    await expect(container).toHaveAttribute('data-view', 'flameGraph');
    await expect(table).toHaveCount(0);
    const chart = page.getByTestId('flamegraph');
    await expect(chart.locator('g.frame').first()).toBeVisible();
    // Labels carry the value, as the official chart writes them.
    expect((await label(chart))[0]).toBe('total (470 ms)');
    await shot(page, info, 'view-flame-graph');

    // Right alignment: a name that does not fit shows its end, without the value.
    await page.getByRole('radio', { name: 'Align text right', exact: true }).click();
    await expect(chart).toHaveAttribute('data-text-align', 'right');
    const right = await chart.locator('.label-right').count();
    expect(right).toBeGreaterThan(0);
    await shot(page, info, 'view-text-right');
    await page.getByTestId('view-mode').getByRole('radio', { name: 'Both', exact: true }).click();
    await expect(container).toHaveAttribute('data-view', 'both');
  });

  test('frame menu: focus, copy the name, sandwich, function details beside the graph; reset', async ({
    page,
    context,
  }, info) => {
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    await openFlameGraph(page, 'go-app');
    const chart = page.getByTestId('flamegraph');
    const target = chart.locator('g.frame[name="runtime.schedule"]').first();
    await target.click({ button: 'right' });
    await page.getByTestId('menu-focus').click();
    await expect(page.getByTestId('flamegraph-focus')).toHaveText('Zoomed on runtime.schedule');
    // The focused frame spans the chart.
    const [frameBox, chartBox] = [await target.locator('rect').boundingBox(), await chart.boundingBox()];
    expect(frameBox!.width).toBeGreaterThan(chartBox!.width * 0.95);
    await page.getByTestId('flamegraph-reset-all').click();
    await expect(page.getByTestId('flamegraph-focus')).toHaveCount(0);

    await target.click({ button: 'right' });
    await page.getByTestId('menu-copy').click();
    await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe('runtime.schedule');

    await target.click({ button: 'right' });
    await page.getByTestId('menu-function-details').click();
    const details = page.getByTestId('function-details');
    await expect(details.getByTestId('function-details-name')).toHaveText('runtime.schedule');
    // A side panel in the same row as the graph, to its right, not a drawer over it.
    const [d, g] = [await details.boundingBox(), await page.getByTestId('pane-graph').boundingBox()];
    expect(d!.x).toBeGreaterThanOrEqual(g!.x + g!.width - 1);
    expect(d!.y).toBeLessThan(g!.y + 40);
    await shot(page, info, 'function-details-side-panel');
    await page.getByTestId('function-details-close').click();
    await expect(details).toHaveCount(0);

    await target.click({ button: 'right' });
    await page.getByTestId('menu-sandwich').click();
    await expect(page.getByTestId('sandwich-function')).toHaveText('runtime.schedule');
    await page.getByTestId('flamegraph-reset-all').click();
    await expect(page.getByTestId('sandwich')).toHaveCount(0);
  });

  test('collapsed groups follow the collapsedFlamegraphs setting; expand and collapse all and one', async ({
    page,
  }, info) => {
    const expected = chains(toTree(await renderFlamebearer('go-app')));
    expect(expected.length).toBeGreaterThan(0);
    const chart = page.getByTestId('flamegraph');
    // Off (the default): no groups.
    await openFlameGraph(page, 'go-app');
    const flat = await chart.locator('g.frame').count();
    expect(await chart.locator('path.group-strip').count()).toBe(0);
    await setSettings({ collapsedFlamegraphs: true });
    try {
      await page.reload();
      await expect(chart.locator('path.group-strip').first()).toBeAttached();
      // Each group drawn once, as "(n) head", n frames folded into one.
      const labels = await label(chart);
      for (const { head, size } of expected) {
        expect(
          labels.some((l) => l.startsWith(`(${size}) ${head} (`)),
          `group (${size}) ${head}`
        ).toBe(true);
      }
      const folded = expected.reduce((s, e) => s + e.size - 1, 0);
      expect(await chart.locator('g.frame').count()).toBe(flat - folded);
      await shot(page, info, 'groups-collapsed');

      await page.getByTestId('expand-all-groups').click();
      await expect(chart.locator('g.frame')).toHaveCount(flat);
      // Every frame of every group drawn, marked as grouped and expanded.
      expect(await chart.locator('g.frame[data-group-collapsed="true"]').count()).toBe(0);
      expect(await chart.locator('g.frame[data-group]').count()).toBe(expected.reduce((s, e) => s + e.size, 0));
      await shot(page, info, 'groups-expanded');

      await page.getByTestId('collapse-all-groups').click();
      await expect(chart.locator('g.frame')).toHaveCount(flat - folded);

      // One group from its frame menu.
      const { head, size } = expected[0];
      await chart.locator(`g.frame[name="${head}"]`).first().click({ button: 'right' });
      await page.getByTestId('menu-expand-group').click();
      await expect(chart.locator('g.frame')).toHaveCount(flat - folded + size - 1);
      await chart.locator(`g.frame[name="${head}"]`).first().click({ button: 'right' });
      await page.getByTestId('menu-collapse-group').click();
      await expect(chart.locator('g.frame')).toHaveCount(flat - folded);
    } finally {
      await setSettings({});
    }
  });

  test('the top table lists every function, filters on a typed search and scrolls through a window of rows', async ({
    page,
  }, info) => {
    const fb = await renderFlamebearer('go-labels');
    const names = new Set(fb.levels.slice(1).flatMap((l) => l.filter((_, i) => i % 4 === 3).map((k) => fb.names[k])));
    await openFlameGraph(page, 'go-labels');
    const table = page.getByTestId('top-table');
    await expect(table).toHaveAttribute('data-rows', String(names.size));
    // Only a window of rows is in the page, and the last one is reached by scrolling.
    const inDom = await page.getByTestId('top-table-row').count();
    expect(inDom).toBeLessThanOrEqual(names.size);
    await page.getByTestId('top-table-scroller').evaluate((el) => (el.scrollTop = el.scrollHeight));
    await expect(page.locator(`[data-testid="top-table-row"][data-index="${names.size - 1}"]`)).toBeVisible();
    // A typed search narrows the table to the matching functions.
    const term = 'runtime';
    const matching = [...names].filter((n) => n.toLowerCase().includes(term)).length;
    expect(matching).toBeGreaterThan(0);
    await page.getByTestId('flamegraph-search').fill(term);
    await expect(table).toHaveAttribute('data-rows', String(matching));
    await shot(page, info, 'top-table-search');
  });
});

test('the header toolbar reaches Ad hoc and Settings; the exploration steps are pills', async ({ page }, info) => {
  await page.goto(explore('explorationType=all'));
  const steps = page.getByTestId('exploration-types');
  await expect(steps.getByRole('radio', { name: 'All services' })).toHaveAttribute('aria-checked', 'true');
  await shot(page, info, 'header-toolbar');
  await page.getByTestId('header-ad-hoc').click();
  await expect(page).toHaveURL(/\/a\/grafana-pyroscope-app\/ad-hoc/);
  await expect(page.getByTestId('adhoc-panel-left')).toBeVisible();
  await page.goBack();
  await expect(steps).toBeVisible();
  await page.getByTestId('header-settings').click();
  await expect(page).toHaveURL(/\/a\/grafana-pyroscope-app\/settings/);
  await expect(page.getByTestId('settings-max-nodes')).toBeVisible();
});

test('Back to Profiles Drilldown returns from Ad hoc and Settings to the view they were opened from', async ({
  page,
}) => {
  const view = explore(`explorationType=labels&var-serviceName=go-app&var-profileMetricId=${CPU}`);
  await page.goto(view);
  await expect(page.getByTestId('labels-view')).toBeVisible();
  const opened = new URL(page.url());
  for (const [button, pageId] of [
    ['header-settings', 'settings-max-nodes'],
    ['header-ad-hoc', 'adhoc-page'],
  ]) {
    await page.getByTestId(button).click();
    await expect(page.getByTestId(pageId)).toBeVisible();
    await page.getByTestId('back-to-explore').click();
    await expect(page.getByTestId('labels-view')).toBeVisible();
    const back = new URL(page.url());
    expect(back.pathname).toBe('/a/grafana-pyroscope-app/explore');
    for (const key of ['explorationType', 'var-serviceName', 'var-profileMetricId', 'var-dataSource']) {
      expect(back.searchParams.get(key)).toBe(opened.searchParams.get(key));
    }
  }
  // opened by its URL, there is no view to return to: explore, with the same data source
  await page.goto(`${harness()}/a/grafana-pyroscope-app/settings?var-dataSource=pyroscope`);
  await page.getByTestId('back-to-explore').click();
  await expect(page).toHaveURL(/\/a\/grafana-pyroscope-app\/explore\?.*var-dataSource=pyroscope/);
  await expect(page.getByTestId('exploration-types')).toBeVisible();
});

test.describe('ad hoc, with the fixture corpus', () => {
  test.skip(!fixturesAvailable(), FIXTURES_MISSING);

  test('a file dropped on the upload area opens full width with its top table beside the flame graph', async ({
    page,
  }, info) => {
    await page.goto(`${harness()}/a/grafana-pyroscope-app/ad-hoc?var-dataSource=pyroscope`);
    const zone = page.getByTestId('adhoc-upload-left').locator('input[type="file"]').locator('..');
    const bytes = readFixture('pprof/cpu.pb.gz').toString('base64');
    // A drop as the browser delivers it: a DataTransfer holding the file.
    const transfer = await page.evaluateHandle((b64) => {
      const data = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([data], 'cpu.pb.gz', { type: 'application/gzip' }));
      return dt;
    }, bytes);
    await zone.dispatchEvent('dragenter', { dataTransfer: transfer });
    await zone.dispatchEvent('drop', { dataTransfer: transfer });
    await expect(page.getByTestId('adhoc-name-left')).toHaveText('cpu.pb.gz');
    await page.getByTestId('adhoc-profile-types-left').getByRole('radio', { name: 'cpu', exact: true }).click();
    await expect(page.getByTestId('adhoc-total-left')).toHaveAttribute('data-value', '470000000');
    const panel = page.getByTestId('adhoc-flamegraph-left');
    await expect(panel.locator('g.frame').first()).toBeVisible();
    await expect(panel.getByTestId('flamegraph-container')).toHaveAttribute('data-view', 'both');
    const [t, g] = [
      await panel.getByTestId('pane-table').boundingBox(),
      await panel.getByTestId('pane-graph').boundingBox(),
    ];
    // the whole page width: table and graph each about half of it
    expect(t!.width + g!.width).toBeGreaterThan(1400);
    await shot(page, info, 'adhoc-dropped');
  });
});

test.describe('grids, with the fixture corpus', () => {
  test.skip(!fixturesAvailable(), FIXTURES_MISSING);

  test('every grid has the quick filter, layout and panel type; favourites come first', async ({ page }, info) => {
    const panels = page.locator('[data-viz-panel-key]');
    // Profile types of the SDK service: a quick filter on the panel titles, with its count.
    await page.goto(explore('explorationType=profiles&var-serviceName=node-sdk-app'));
    const count = page.getByTestId('quick-filter-count');
    await expect(count).toHaveText(/^(\d+) of \1 profile types$/);
    const all = Number((await count.textContent())!.split(' ')[0]);
    expect(all).toBeGreaterThan(1);
    await page.getByTestId('quick-filter').fill('^wall \\(wall\\)$');
    await expect(count).toHaveText(`1 of ${all} profile types`);
    await expect(panels.filter({ visible: true })).toHaveCount(1);
    await page.getByTestId('quick-filter').fill('');
    // Rows: one column, every panel at the same x.
    await page.getByTestId('grid-layout').getByRole('radio', { name: 'Rows' }).click();
    await expect
      .poll(
        async () =>
          new Set(await panels.evaluateAll((ps) => ps.map((p) => Math.round(p.getBoundingClientRect().x)))).size
      )
      .toBe(1);
    await shot(page, info, 'profile-types-rows');
    // Totals: the panels are rebuilt as bar gauges, one per profile type still.
    await page.getByTestId('panel-type').getByRole('radio', { name: 'Totals' }).click();
    await expect(page).toHaveURL(/panelType=bar-gauge/);
    await expect(panels).toHaveCount(all);
    await page.getByTestId('panel-type').getByRole('radio', { name: 'Time series' }).click();
    await page.getByTestId('grid-layout').getByRole('radio', { name: 'Grid' }).click();

    // Labels view: the same controls over its panels.
    await page.goto(explore(`explorationType=labels&var-serviceName=go-labels&var-profileMetricId=${CPU}`));
    await expect(page.getByTestId('quick-filter-count')).toHaveText(/^\d+ of \d+ panels$/);
    await page.getByTestId('quick-filter').fill('^function$');
    await expect(page.getByTestId('quick-filter-count')).toHaveText(/^1 of \d+ panels$/);

    // Favourites first on All services, and the favourites grid has the controls too.
    await page.goto(explore('explorationType=all'));
    await expect(page.getByTestId('quick-filter-count')).toHaveText('3 of 3 services');
    const rust = panels.filter({ hasText: 'rust-app' });
    await rust.getByTestId('favorite-toggle').click();
    await expect(rust.getByTestId('favorite-toggle')).toHaveAttribute('data-active', 'true');
    try {
      await expect.poll(async () => (await panels.first().textContent()) ?? '').toContain('rust-app');
      await shot(page, info, 'all-services-favourite-first');
      await page.getByRole('radio', { name: 'Favorites', exact: true }).click();
      await expect(page.getByTestId('quick-filter-count')).toHaveText('1 of 1 favourites');
    } finally {
      await page.goto(explore('explorationType=all'));
      await panels.filter({ hasText: 'rust-app' }).getByTestId('favorite-toggle').click();
      await expect(panels.filter({ hasText: 'rust-app' }).getByTestId('favorite-toggle')).toHaveAttribute(
        'data-active',
        'false'
      );
    }
  });
});

test('settings: turning function details off removes them from the frame menu; collapsed flame graphs on', async ({
  page,
}) => {
  test.skip(!fixturesAvailable(), FIXTURES_MISSING);
  try {
    await page.goto(`${harness()}/a/grafana-pyroscope-app/settings?var-dataSource=pyroscope`);
    await page.getByTestId('settings-function-details').click({ force: true });
    await page.getByTestId('settings-collapsed-flamegraphs').click({ force: true });
    await page.getByTestId('settings-save').click();
    await expect(page.getByTestId('settings-saved')).toBeVisible();
    await openFlameGraph(page, 'go-app');
    const chart = page.getByTestId('flamegraph');
    await expect(chart.locator('path.group-strip').first()).toBeAttached();
    await chart.locator('g.frame[name="runtime.mcall"]').first().click({ button: 'right' });
    await expect(page.getByTestId('menu-focus')).toBeVisible();
    await expect(page.getByTestId('menu-function-details')).toHaveCount(0);
  } finally {
    await setSettings({});
  }
});

test('All services: a label filter narrows every panel; with hide-no-data only the services that have it stay', async ({
  page,
}, info) => {
  test.skip(!fixturesAvailable(), FIXTURES_MISSING);
  await page.goto(explore('explorationType=all&var-servicesFilters=function|=|slow&hideNoData=on'));
  await expect(page.getByTestId('picker-servicesFilters')).toContainText('slow');
  await expect(page.getByTestId('quick-filter-count')).toHaveText('1 of 3 services');
  await expect(page.locator('[data-viz-panel-key]').filter({ visible: true })).toHaveCount(1);
  await expect(page.locator('[data-viz-panel-key]').filter({ visible: true })).toContainText('go-labels');
  await shot(page, info, 'all-services-label-filter');
});
