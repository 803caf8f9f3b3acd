// Grafana's Pyroscope data source back end (pkg/tsdb/grafana-pyroscope-datasource), as far as a plugin can tell:
// `/api/ds/query` queries of type `metrics`, `profile` and `both` become binary Connect calls to the server, and the
// answers become the data frames Grafana sends to the browser. The numbers pass through untouched except where
// Grafana changes them (series of cumulative profile types are shown as a rate per second, CPU time in cores).
import { ProtoWriter, get, readMessage } from './proto.mjs';

const QUERIER = '/querier.v1.QuerierService';
const DEFAULT_MIN_STEP_S = 15;
const EXEMPLAR_TYPE_NONE = 1;

// Profile types whose points Grafana does not turn into a rate (its profile metadata says "instant"), and those it
// shows in CPU cores; every other known type is cumulative. An unknown type is cumulative when its unit is
// nanoseconds or bytes, and never shown in cores.
const INSTANT = new Set([
  'goroutine:goroutine:count:goroutine:count',
  'goroutines:goroutine:count:goroutine:count',
  'memory:inuse_objects:count:space:bytes',
  'memory:inuse_space:bytes:space:bytes',
  'process_cpu:lock_count:count:cpu:nanoseconds',
  'process_cpu:samples:count:cpu:nanoseconds',
  'heap:inuse_objects:count:cpu:nanoseconds',
  'heap:inuse_space:bytes:cpu:nanoseconds',
  'lock:lock_count:count:cpu:nanoseconds',
]);
const CPU_TIME = new Set(['process_cpu:cpu:nanoseconds:cpu:nanoseconds']);
const CUMULATIVE = new Set([
  'block:contentions:count:contentions:count',
  'block:delay:nanoseconds:contentions:count',
  'memory:alloc_in_new_tlab_bytes:bytes::',
  'memory:alloc_in_new_tlab_objects:count::',
  'memory:alloc_objects:count:space:bytes',
  'memory:alloc_space:bytes:space:bytes',
  'mutex:contentions:count:contentions:count',
  'mutex:delay:nanoseconds:contentions:count',
  'process_cpu:alloc_samples:count:cpu:nanoseconds',
  'process_cpu:alloc_size:bytes:cpu:nanoseconds',
  'process_cpu:cpu:nanoseconds:cpu:nanoseconds',
  'process_cpu:exception:count:cpu:nanoseconds',
  'process_cpu:lock_time:nanoseconds:cpu:nanoseconds',
  'process_cpu:samples:count::milliseconds',
  'process_cpu:cpu_samples:count:cpu:nanoseconds',
  'alloc:alloc_samples:count:cpu:nanoseconds',
  'alloc:alloc_size:bytes:cpu:nanoseconds',
  'exception:exception:count:cpu:nanoseconds',
  'lock:lock_time:nanoseconds:cpu:nanoseconds',
  'thread_lifetime:thread_lifetime_timeline:nanoseconds:cpu:nanoseconds',
]);

/** The unit Grafana gives a profile type's values: the sample unit, `ns` for nanoseconds, `short` for counts. */
export function profileUnit(profileTypeId) {
  const unit = String(profileTypeId).split(':')[2] ?? '';
  if (unit === 'nanoseconds') {
    return 'ns';
  }
  if (unit === 'count') {
    return 'short';
  }
  return unit;
}

export function isCumulative(profileTypeId) {
  if (INSTANT.has(profileTypeId)) {
    return false;
  }
  if (CUMULATIVE.has(profileTypeId)) {
    return true;
  }
  const unit = profileUnit(profileTypeId);
  return unit === 'ns' || unit === 'bytes';
}

/** How a series point is shown: the value per second for cumulative types (CPU time in cores), else as stored. */
export function seriesDisplay(profileTypeId, stepSeconds) {
  const unit = profileUnit(profileTypeId);
  if (!isCumulative(profileTypeId) || !(stepSeconds > 0)) {
    return { unit, rate: false, transform: (v) => v };
  }
  if (CPU_TIME.has(profileTypeId)) {
    return { unit: 'cores', rate: true, transform: (v) => v / stepSeconds / 1e9 };
  }
  const rateUnit = { bytes: 'binBps', short: 'ops' }[unit] ?? unit;
  return { unit: rateUnit, rate: true, transform: (v) => v / stepSeconds };
}

/**
 * A flame graph's levels (each node `[x_delta, total, self, name_index]`) as the nested-set rows Grafana's flame
 * graph reads: depth-first, parents before children, children left to right, each with its level.
 */
export function flamebearerToNestedSet(names, levels) {
  if (!levels.length || levels[0].length < 4) {
    return [];
  }
  // absolute x of every node, level by level
  const nodes = levels.map((values) => {
    const out = [];
    let end = 0;
    for (let i = 0; i + 3 < values.length; i += 4) {
      const x = end + values[i];
      out.push({ x, total: values[i + 1], self: values[i + 2], name: names[values[i + 3]] ?? '', children: [] });
      end = x + values[i + 1];
    }
    return out;
  });
  const root = nodes[0][0];
  for (let level = 1; level < nodes.length; level++) {
    const parents = nodes[level - 1].filter((p) => p.reachable || p === root);
    let pi = 0;
    for (const n of nodes[level]) {
      // the parent is the first node of the level above that spans it; both levels run left to right
      while (pi < parents.length && !(n.x >= parents[pi].x && n.x + n.total <= parents[pi].x + parents[pi].total)) {
        pi++;
      }
      if (pi === parents.length) {
        break;
      }
      n.reachable = true;
      parents[pi].children.push(n);
    }
  }
  const rows = [];
  const stack = [{ node: root, level: 0 }];
  while (stack.length) {
    const { node, level } = stack.pop();
    rows.push({ level, value: node.total, self: node.self, label: node.name });
    for (let i = node.children.length - 1; i >= 0; i--) {
      stack.push({ node: node.children[i], level: level + 1 });
    }
  }
  return rows;
}

// Data frames in the JSON form Grafana's plugin SDK sends to the browser (schema + column values).
function frame(name, refId, meta, fields) {
  return {
    schema: {
      name,
      refId,
      meta: { typeVersion: [0, 0], ...meta },
      fields: fields.map(({ values: _values, ...f }) => f),
    },
    data: { values: fields.map((f) => f.values) },
  };
}

const int64Field = (name, values, unit) => ({
  name,
  type: 'number',
  typeInfo: { frame: 'int64' },
  ...(unit ? { config: { unit } } : {}),
  values,
});

/** The flame graph frame: `level`, `value`, `self` (in the profile type's unit) and `label` as an enum. */
export function profileFrame(refId, profileTypeId, flamegraph) {
  if (!flamegraph) {
    // an answer without a flame graph still gives a frame, so the panel knows the query ran
    return frame('response', refId, { preferredVisualisationType: 'flamegraph' }, [
      int64Field('level', []),
      int64Field('value', []),
      int64Field('self', []),
      { name: 'label', type: 'string', typeInfo: { frame: 'string' }, values: [] },
    ]);
  }
  const rows = flamebearerToNestedSet(flamegraph.names, flamegraph.levels);
  const unit = profileUnit(profileTypeId);
  const text = [];
  const index = new Map();
  const labels = rows.map((r) => {
    if (!index.has(r.label)) {
      index.set(r.label, text.length);
      text.push(r.label);
    }
    return index.get(r.label);
  });
  return frame('response', refId, { preferredVisualisationType: 'flamegraph' }, [
    int64Field(
      'level',
      rows.map((r) => r.level)
    ),
    int64Field(
      'value',
      rows.map((r) => r.value),
      unit
    ),
    int64Field(
      'self',
      rows.map((r) => r.self),
      unit
    ),
    { name: 'label', type: 'enum', typeInfo: { frame: 'enum' }, config: { type: { enum: { text } } }, values: labels },
  ]);
}

/** One `series` frame per series: `time` and a value field named after the sample type, labelled by group. */
export function seriesFrames(refId, profileTypeId, stepSeconds, series) {
  const display = seriesDisplay(profileTypeId, stepSeconds);
  const valueName = String(profileTypeId).split(':')[1] ?? '';
  return series.map((s) => {
    const labels = Object.fromEntries(s.labels.map((l) => [l.name, l.value]));
    const meta = { preferredVisualisationType: 'graph', ...(display.rate ? { custom: { rateCalculated: true } } : {}) };
    return frame('series', refId, meta, [
      { name: 'time', type: 'time', typeInfo: { frame: 'time.Time' }, values: s.points.map((p) => p.timestamp) },
      {
        name: valueName,
        type: 'number',
        typeInfo: { frame: 'float64' },
        ...(Object.keys(labels).length ? { labels } : {}),
        config: { unit: display.unit },
        values: s.points.map((p) => display.transform(p.value)),
      },
    ]);
  });
}

// --- the Connect client (binary protobuf, as connect-go sends it) ---

class ConnectError extends Error {
  constructor(code, message) {
    super(`${code}: ${message}`);
    this.code = code;
  }
}

async function unary(baseUrl, method, body, fetchImpl) {
  const r = await fetchImpl(`${baseUrl.replace(/\/+$/, '')}${QUERIER}/${method}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/proto',
      'connect-protocol-version': '1',
      'accept-encoding': 'gzip',
      'user-agent': 'connect-go (grafana-pyroscope-datasource harness)',
    },
    body,
  });
  const bytes = Buffer.from(await r.arrayBuffer());
  if (!r.ok) {
    let code = 'unknown';
    let message = bytes.toString('utf8');
    try {
      const e = JSON.parse(message);
      code = e.code ?? code;
      message = e.message ?? message;
    } catch {
      // not a Connect error body: keep the text
    }
    throw new ConnectError(code, message || `HTTP ${r.status}`);
  }
  return readMessage(bytes);
}

function readFlameGraph(fields) {
  if (!fields) {
    return undefined;
  }
  return {
    names: get.strings(fields, 1),
    levels: get.messages(fields, 2).map((l) => get.int64s(l, 1)),
    total: get.int64(fields, 3),
    maxSelf: get.int64(fields, 4),
  };
}

async function selectSeries(baseUrl, q, fetchImpl) {
  const req = new ProtoWriter()
    .string(1, q.profileTypeId)
    .string(2, q.labelSelector)
    .int64(3, q.start)
    .int64(4, q.end)
    .repeatedString(5, q.groupBy)
    .double(6, q.step)
    .optionalInt64(9, q.limit)
    .int64(10, EXEMPLAR_TYPE_NONE)
    .finish();
  const resp = await unary(baseUrl, 'SelectSeries', req, fetchImpl);
  return get.messages(resp, 1).map((s) => ({
    labels: get.messages(s, 1).map((l) => ({ name: get.string(l, 1), value: get.string(l, 2) })),
    points: get.messages(s, 2).map((p) => ({ value: get.double(p, 1), timestamp: get.int64(p, 2) })),
  }));
}

async function selectProfile(baseUrl, q, fetchImpl) {
  if (q.spanSelector.length) {
    const req = new ProtoWriter()
      .string(1, q.profileTypeId)
      .string(2, q.labelSelector)
      .repeatedString(3, q.spanSelector)
      .int64(4, q.start)
      .int64(5, q.end)
      .optionalInt64(6, q.maxNodes)
      .finish();
    return readFlameGraph(get.message(await unary(baseUrl, 'SelectMergeSpanProfile', req, fetchImpl), 1));
  }
  const req = new ProtoWriter()
    .string(1, q.profileTypeId)
    .string(2, q.labelSelector)
    .int64(3, q.start)
    .int64(4, q.end)
    .optionalInt64(5, q.maxNodes)
    .repeatedString(8, q.profileIdSelector)
    .finish();
  return readFlameGraph(get.message(await unary(baseUrl, 'SelectMergeStacktraces', req, fetchImpl), 1));
}

// --- /api/ds/query ---

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 };

/** Grafana's duration strings (`15s`, `1m`, `500ms`); undefined when it is not one. */
export function parseDurationMs(text) {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w|y)\s*$/.exec(String(text ?? ''));
  return m ? Number(m[1]) * UNIT_MS[m[2]] : undefined;
}

/** A time of a query request: epoch milliseconds, or `now` with an optional offset (`now-1h`). */
export function parseTimeMs(text, now = Date.now()) {
  const s = String(text ?? '').trim();
  if (/^\d+$/.test(s)) {
    return Number(s);
  }
  const m = /^now(?:([+-])(\d+)(ms|s|m|h|d|w|y))?$/.exec(s);
  if (m) {
    return m[1] ? now + (m[1] === '-' ? -1 : 1) * Number(m[2]) * UNIT_MS[m[3]] : now;
  }
  const t = Date.parse(s);
  if (Number.isNaN(t)) {
    throw new Error(`invalid time ${JSON.stringify(text)}`);
  }
  return t;
}

const optionalInt = (v) => (v === undefined || v === null || v === '' ? undefined : Math.trunc(Number(v)));
const list = (v) => (Array.isArray(v) ? v.map(String) : v ? [String(v)] : []);

/**
 * Runs one data-source query as Grafana's Pyroscope data source does and gives its result:
 * `{ status, frames }` or `{ status, error, errorSource }`.
 */
export async function runPyroscopeQuery(query, range, settings, fetchImpl = fetch) {
  const minStepMs = parseDurationMs(settings.jsonData?.minStep) ?? DEFAULT_MIN_STEP_S * 1000;
  const intervalMs = Number(query.intervalMs) > 0 ? Number(query.intervalMs) : 1000;
  const stepSeconds = Math.max(intervalMs, minStepMs) / 1000;
  const q = {
    profileTypeId: String(query.profileTypeId ?? ''),
    labelSelector: String(query.labelSelector ?? ''),
    start: range.from,
    end: range.to,
    groupBy: list(query.groupBy),
    limit: optionalInt(query.limit),
    maxNodes: optionalInt(query.maxNodes),
    spanSelector: list(query.spanSelector),
    profileIdSelector: list(query.profileIdSelector),
    step: stepSeconds,
  };
  const refId = query.refId ?? 'A';
  const type = query.queryType;
  const frames = [];
  try {
    if (type === 'metrics' || type === 'both') {
      const series = await selectSeries(settings.url, q, fetchImpl).catch((e) => {
        throw new Error(`received error from client while getting series: ${e.message}`);
      });
      frames.push(...seriesFrames(refId, q.profileTypeId, stepSeconds, series));
    }
    if (type === 'profile' || type === 'both') {
      const what = q.spanSelector.length ? 'span profile' : 'profile';
      const flamegraph = await selectProfile(settings.url, q, fetchImpl).catch((e) => {
        throw new Error(`received error from client while getting ${what}: ${e.message}`);
      });
      frames.push(profileFrame(refId, q.profileTypeId, flamegraph));
    }
  } catch (e) {
    return { status: 500, error: e.message, errorSource: 'downstream' };
  }
  return { status: 200, frames };
}

/**
 * `POST /api/ds/query` for the data sources in `dataSources` (uid → {type, url, jsonData}): the body Grafana's
 * front end sends (`{queries, from, to}`), the answer Grafana gives (`{results: {refId: …}}`; 400 when a query
 * failed, as Grafana without the multi-status feature answers).
 */
export async function queryData(body, dataSources, fetchImpl = fetch) {
  const queries = Array.isArray(body?.queries) ? body.queries : [];
  if (!queries.length) {
    return { status: 400, body: { message: 'No queries found in query', messageId: 'query.noQueries' } };
  }
  const planned = [];
  // one "now" for the whole request, as Grafana parses its range once
  const now = Date.now();
  for (const query of queries) {
    const uid = typeof query.datasource === 'string' ? query.datasource : query.datasource?.uid;
    const ds = dataSources[uid];
    if (!ds) {
      return { status: 404, body: { message: 'Data source not found' } };
    }
    if (ds.type !== 'grafana-pyroscope-datasource') {
      return { status: 404, body: { message: 'Plugin not found' } };
    }
    try {
      const from = query.timeRange?.from ?? body.from;
      const to = query.timeRange?.to ?? body.to;
      planned.push({ query, ds, range: { from: parseTimeMs(from, now), to: parseTimeMs(to, now) } });
    } catch (e) {
      return { status: 400, body: { message: `Bad request data: ${e.message}` } };
    }
  }
  // Grafana runs the queries of one request concurrently
  const answers = await Promise.all(planned.map((p) => runPyroscopeQuery(p.query, p.range, p.ds, fetchImpl)));
  const results = Object.fromEntries(planned.map((p, i) => [p.query.refId ?? 'A', answers[i]]));
  const failed = Object.values(results).some((r) => r.error);
  return { status: failed ? 400 : 200, body: { results } };
}

// --- the data source's resources and health check (what Grafana's query editor and "Save & test" call) ---

const MATCHER_NAME = /([A-Za-z_][A-Za-z0-9_.]*)\s*(?:=~|!~|!=|=)\s*"(?:\\.|[^\\"])*"/g;

/**
 * `GET /api/datasources/uid/<uid>/resources/<path>`: `profileTypes` (`[{id, label}]`), `labelNames` (without private
 * `__…` labels and the labels the selector already names), `labelValues`. Other paths are 404, as in Grafana.
 */
export async function callResource(path, params, settings, fetchImpl = fetch) {
  const start = Number(params.get('start') ?? 0) || 0;
  const end = Number(params.get('end') ?? 0) || 0;
  const query = params.get('query') ?? '';
  try {
    if (path === 'profileTypes') {
      const resp = await unary(
        settings.url,
        'ProfileTypes',
        new ProtoWriter().int64(1, start).int64(2, end).finish(),
        fetchImpl
      );
      const types = get
        .messages(resp, 1)
        .map((t) => ({ id: get.string(t, 1), label: `${get.string(t, 2)} - ${get.string(t, 4)}` }));
      return { status: 200, body: types };
    }
    if (path === 'labelNames') {
      const req = new ProtoWriter().repeatedString(1, [query]).int64(2, start).int64(3, end).finish();
      const names = get.strings(await unary(settings.url, 'LabelNames', req, fetchImpl), 1);
      const inSelector = new Set([...query.matchAll(MATCHER_NAME)].map((m) => m[1]));
      return { status: 200, body: names.filter((n) => !n.startsWith('__') && !inSelector.has(n)) };
    }
    if (path === 'labelValues') {
      const req = new ProtoWriter()
        .string(1, params.get('label') ?? '')
        .repeatedString(2, [query])
        .int64(3, start)
        .int64(4, end)
        .finish();
      return { status: 200, body: get.strings(await unary(settings.url, 'LabelValues', req, fetchImpl), 1) };
    }
  } catch (e) {
    return { status: 500, body: { message: `Failed to call resource: ${e.message}` } };
  }
  return { status: 404, body: { message: 'Not found' } };
}

/** `GET /api/datasources/uid/<uid>/health`: the profile types of a tiny range must answer, as Grafana checks. */
export async function checkHealth(settings, fetchImpl = fetch) {
  try {
    await unary(settings.url, 'ProfileTypes', new ProtoWriter().int64(1, 1000).int64(2, 4000).finish(), fetchImpl);
    return { status: 200, body: { status: 'OK', message: 'Data source is working' } };
  } catch (e) {
    return { status: 400, body: { status: 'ERROR', message: e.message } };
  }
}
