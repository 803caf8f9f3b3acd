import { Page, expect, test } from '@playwright/test';
import { FIXTURES_MISSING, fixturesAvailable, readFixture } from './support/stack';
import { decodePprof, spanIds } from './support/decode';
import { backend, failOnPageProblems, harness } from './support/page';

// Grafana's data-source query path in the harness: a panel's queries to grafana-pyroscope-datasource go through
// the query runner Grafana gives plugins, the data source's front end (template variables, /api/ds/query) and its
// back end (binary Connect to the server), and come back as Grafana's frames. Every number is checked against the
// server's own Connect JSON answer for the same selection, time range and step.
const WALL = 'wall:wall:nanoseconds:wall:nanoseconds';
const CPU = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';

failOnPageProblems();

interface FrameField {
  name: string;
  type: string;
  unit?: string;
  labels?: Record<string, string>;
  values: unknown[];
  enumText?: string[];
}
interface Frame {
  name?: string;
  refId?: string;
  meta?: { preferredVisualisationType?: string; custom?: Record<string, unknown> };
  fields: FrameField[];
}
interface RunResult {
  state: string;
  errors: string[];
  intervalMs: number;
  from: number;
  to: number;
  frames: Frame[];
}

/**
 * Runs queries in the page as a panel does: `createQueryRunner()` from @grafana/runtime (Grafana's SystemJS
 * registry holds the packages it shares with plugins), the data source by reference, a time range, scoped variables.
 */
async function runInPage(
  page: Page,
  opts: {
    datasource: unknown;
    queries: Array<Record<string, unknown>>;
    from: string | number;
    to: string | number;
    app?: string;
    scopedVars?: Record<string, { text: string; value: string }>;
  }
): Promise<RunResult> {
  return page.evaluate(async (o) => {
    type Sys = { System: { import: (n: string) => Promise<Record<string, never>> } };
    const sys = (window as unknown as Sys).System;
    const runtime = (await sys.import('@grafana/runtime')) as unknown as {
      createQueryRunner: () => {
        run: (x: unknown) => void;
        get: () => { subscribe: (f: (d: { state: string }) => void) => { unsubscribe: () => void } };
        destroy: () => void;
      };
    };
    const data = (await sys.import('@grafana/data')) as unknown as {
      dateMath: { parse: (t: string | number, roundUp?: boolean) => { valueOf: () => number } };
      dateTime: (ms: number) => unknown;
    };
    const from = typeof o.from === 'number' ? o.from : data.dateMath.parse(o.from).valueOf();
    const to = typeof o.to === 'number' ? o.to : data.dateMath.parse(o.to, true).valueOf();
    const runner = runtime.createQueryRunner();
    const done = new Promise<unknown>((resolve) => {
      runner.get().subscribe((d) => {
        if (d.state !== 'Loading') {
          resolve(d);
        }
      });
    });
    runner.run({
      datasource: o.datasource,
      queries: o.queries,
      app: o.app,
      timezone: 'browser',
      maxDataPoints: 600,
      scopedVars: o.scopedVars ?? {},
      timeRange: { from: data.dateTime(from), to: data.dateTime(to), raw: { from: o.from, to: o.to } },
    });
    const d = (await done) as unknown as {
      state: string;
      errors?: Array<{ message?: string }>;
      request: { intervalMs: number };
      series: Array<{
        name?: string;
        refId?: string;
        meta?: Frame['meta'];
        fields: Array<{
          name: string;
          type: string;
          labels?: Record<string, string>;
          values: ArrayLike<unknown>;
          config: { unit?: string; type?: { enum?: { text?: string[] } } };
        }>;
      }>;
    };
    runner.destroy();
    return {
      state: d.state,
      errors: (d.errors ?? []).map((e) => e.message ?? String(e)),
      intervalMs: d.request.intervalMs,
      from,
      to,
      frames: d.series.map((f) => ({
        name: f.name,
        refId: f.refId,
        meta: f.meta,
        fields: f.fields.map((x) => ({
          name: x.name,
          type: x.type,
          unit: x.config.unit,
          labels: x.labels,
          values: Array.from(x.values),
          enumText: x.config.type?.enum?.text,
        })),
      })),
    };
  }, opts);
}

async function connectJson<T>(method: string, body: Record<string, unknown>): Promise<T> {
  const r = await fetch(`${backend()}/querier.v1.QuerierService/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(r.status, `${method}: ${r.status}`).toBe(200);
  return (await r.json()) as T;
}

interface JsonSeries {
  labels?: Array<{ name: string; value: string }>;
  points?: Array<{ value?: number; timestamp: string }>;
}
interface JsonFlameGraph {
  names: string[];
  levels: Array<{ values?: string[] }>;
  total: string;
}

/** Grafana's step for a series query: the query interval, at least the data source's 15 s minimum. */
const stepSeconds = (intervalMs: number) => Math.max(intervalMs, 15_000) / 1000;

/** The series frames of a query equal the server's series, each point divided as Grafana shows the type. */
function expectSeriesFrames(frames: Frame[], expected: JsonSeries[], perPoint: (v: number) => number, unit: string) {
  expect(frames.length).toBe(expected.length);
  expect(expected.length).toBeGreaterThan(0);
  for (const s of expected) {
    const labels = Object.fromEntries((s.labels ?? []).map((l) => [l.name, l.value]));
    const f = frames.find((x) => JSON.stringify(x.fields[1].labels ?? {}) === JSON.stringify(labels));
    expect(f, `a frame for ${JSON.stringify(labels)}`).toBeDefined();
    expect(f!.name).toBe('series');
    expect(f!.meta?.preferredVisualisationType).toBe('graph');
    expect(f!.fields[0]).toMatchObject({ name: 'time', type: 'time' });
    expect(f!.fields[1].unit).toBe(unit);
    const points = s.points ?? [];
    expect(f!.fields[0].values).toEqual(points.map((p) => Number(p.timestamp)));
    const got = f!.fields[1].values as number[];
    expect(got.length).toBe(points.length);
    points.forEach((p, i) => expect(got[i]).toBeCloseTo(perPoint(p.value ?? 0), 9));
  }
}

/** The flame graph frame holds exactly the server's flame graph nodes, as a consistent depth-first nested set. */
function expectFlameGraphFrame(frame: Frame | undefined, fg: JsonFlameGraph, unit: string) {
  expect(frame).toBeDefined();
  expect(frame!.meta?.preferredVisualisationType).toBe('flamegraph');
  expect(frame!.fields.map((f) => f.name)).toEqual(['level', 'value', 'self', 'label']);
  const [level, value, self, label] = frame!.fields;
  expect(value.unit).toBe(unit);
  expect(self.unit).toBe(unit);
  expect(label.type).toBe('enum');
  const rows = (level.values as number[]).map((l, i) => ({
    level: l,
    value: value.values[i] as number,
    self: self.values[i] as number,
    label: label.enumText![label.values[i] as number],
  }));
  // the server's nodes, level by level
  const nodes: Array<{ level: number; value: number; self: number; label: string }> = [];
  fg.levels.forEach((l, depth) => {
    const v = (l.values ?? []).map(Number);
    for (let i = 0; i + 3 < v.length; i += 4) {
      nodes.push({ level: depth, value: v[i + 1], self: v[i + 2], label: fg.names[v[i + 3]] });
    }
  });
  expect(rows[0]).toMatchObject({ level: 0, value: Number(fg.total), label: 'total' });
  const key = (n: (typeof rows)[number]) => `${n.level}|${n.label}|${n.value}|${n.self}`;
  expect(rows.map(key).sort()).toEqual(nodes.map(key).sort());
  // depth first: each node's value is its self plus its children's values, children follow their parent
  rows.forEach((r, i) => {
    let children = 0;
    for (let j = i + 1; j < rows.length && rows[j].level > r.level; j++) {
      if (rows[j].level === r.level + 1) {
        children += rows[j].value;
      }
    }
    expect(r.value, `node ${i} (${r.label})`).toBe(r.self + children);
    if (i > 0) {
      expect(r.level).toBeLessThanOrEqual(rows[i - 1].level + 1);
    }
  });
}

test('a panel query runner: metrics and profile queries of grafana-pyroscope-datasource equal the server', async ({
  page,
}) => {
  await page.goto(`${harness()}/a/grafana-pyroscope-app/explore`);
  const to = Date.now();
  const from = to - 60 * 60_000;
  const result = await runInPage(page, {
    datasource: { type: 'grafana-pyroscope-datasource', uid: 'pyroscope' },
    queries: [
      // template variables come from the request's scoped variables here (no scene)
      { refId: 'M', queryType: 'metrics', profileTypeId: '$type', labelSelector: '{service_name="$svc"}', groupBy: [] },
      { refId: 'P', queryType: 'profile', profileTypeId: '$type', labelSelector: '{service_name="$svc"}' },
    ],
    from,
    to,
    scopedVars: { svc: { text: 'node-sdk-app', value: 'node-sdk-app' }, type: { text: WALL, value: WALL } },
  });
  expect(result.errors).toEqual([]);
  expect(result.state).toBe('Done');
  const step = stepSeconds(result.intervalMs);
  const selection = { profileTypeID: WALL, labelSelector: '{service_name="node-sdk-app"}', start: from, end: to };
  const { series } = await connectJson<{ series?: JsonSeries[] }>('SelectSeries', { ...selection, step });
  // wall time is cumulative: Grafana shows it per second of the step, in nanoseconds
  const metrics = result.frames.filter((f) => f.refId === 'M');
  expectSeriesFrames(metrics, series ?? [], (v) => v / step, 'ns');
  expect(metrics[0].meta?.custom?.rateCalculated).toBe(true);
  const { flamegraph } = await connectJson<{ flamegraph: JsonFlameGraph }>('SelectMergeStacktraces', selection);
  expect(Number(flamegraph.total)).toBeGreaterThan(0);
  expectFlameGraphFrame(
    result.frames.find((f) => f.refId === 'P'),
    flamegraph,
    'ns'
  );
});

test("the query of our panels' Open in Explore link, run through the data source as Explore runs it", async ({
  page,
}) => {
  await page.goto(
    `${harness()}/a/grafana-pyroscope-app/explore?from=now-1h&to=now&var-dataSource=pyroscope` +
      `&explorationType=labels&var-serviceName=node-sdk-app&var-profileMetricId=${WALL}&var-groupBy=env`
  );
  const link = page.getByTestId('open-in-explore').first();
  await expect(link).toBeVisible();
  const url = new URL((await link.getAttribute('href'))!, harness());
  const pane = Object.values(JSON.parse(url.searchParams.get('panes')!))[0] as {
    datasource: string;
    queries: Array<Record<string, unknown>>;
    range: { from: string; to: string };
  };
  const query = pane.queries[0];
  expect(query).toMatchObject({ queryType: 'both', profileTypeId: WALL });
  const result = await runInPage(page, {
    datasource: pane.datasource,
    queries: pane.queries,
    from: pane.range.from,
    to: pane.range.to,
    app: 'explore',
  });
  expect(result.errors).toEqual([]);
  const step = stepSeconds(result.intervalMs);
  const selection = {
    profileTypeID: query.profileTypeId,
    labelSelector: query.labelSelector,
    start: result.from,
    end: result.to,
  };
  // in Explore, `both` gives the series and the flame graph of the same selection
  const { series } = await connectJson<{ series?: JsonSeries[] }>('SelectSeries', {
    ...selection,
    groupBy: query.groupBy,
    step,
  });
  expectSeriesFrames(
    result.frames.filter((f) => f.name === 'series'),
    series ?? [],
    (v) => v / step,
    'ns'
  );
  const { flamegraph } = await connectJson<{ flamegraph: JsonFlameGraph }>('SelectMergeStacktraces', selection);
  expectFlameGraphFrame(
    result.frames.find((f) => f.name === 'response'),
    flamegraph,
    'ns'
  );
});

test.describe('with the fixture corpus', () => {
  test.skip(!fixturesAvailable(), FIXTURES_MISSING);

  test('CPU time in cores, and a span selector takes the span path', async ({ page }) => {
    await page.goto(`${harness()}/a/grafana-pyroscope-app/explore`);
    const file = readFixture('pprof/cpu-exemplars.pb.gz');
    const span = spanIds(file)[0];
    const to = Date.now();
    const from = to - 60 * 60_000;
    const result = await runInPage(page, {
      datasource: 'pyroscope',
      queries: [
        { refId: 'M', queryType: 'metrics', profileTypeId: CPU, labelSelector: '{service_name="go-labels"}' },
        {
          refId: 'S',
          queryType: 'profile',
          profileTypeId: CPU,
          labelSelector: '{service_name="go-labels"}',
          spanSelector: [span],
        },
      ],
      from,
      to,
    });
    expect(result.errors).toEqual([]);
    const step = stepSeconds(result.intervalMs);
    const selection = { profileTypeID: CPU, labelSelector: '{service_name="go-labels"}', start: from, end: to };
    const { series } = await connectJson<{ series?: JsonSeries[] }>('SelectSeries', { ...selection, step });
    expectSeriesFrames(
      result.frames.filter((f) => f.refId === 'M'),
      series ?? [],
      (v) => v / step / 1e9,
      'cores'
    );
    const { flamegraph } = await connectJson<{ flamegraph: JsonFlameGraph }>('SelectMergeSpanProfile', {
      ...selection,
      spanSelector: [span],
    });
    const spanFrame = result.frames.find((f) => f.refId === 'S');
    expectFlameGraphFrame(spanFrame, flamegraph, 'ns');
    // and that is the span's share of the recording, decoded independently
    expect(spanFrame!.fields[1].values[0]).toBe(decodePprof(file, 'cpu', { key: 'profile_id', value: span }).total);
  });
});
