// Legacy HTTP routes: /ingest (agents) and the /pyroscope/* read API (Profiles Drilldown through Grafana's
// data-source proxy). Handlers parse, call ingest/query and encode.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Ingester, IngestParams } from '../ingest/ingester.js';
import type { QueryGate } from '../limits/queryGate.js';
import { parseTimeParam } from '../ingest/params.js';
import { FormatError } from '../ingest/formatError.js';
import { toDot } from '../model/dot.js';
import { toFlameGraph } from '../model/flamegraph.js';
import { toFlameGraphDiff } from '../model/flamegraphDiff.js';
import { parseProfileTypeId } from '../model/labels.js';
import { parseSelector } from '../model/selector.js';
import { QueryError } from '../query/errors.js';
import type { Querier } from '../query/querier.js';
import { resolveMaxNodes } from './connect.js';
import { errorBody, httpStatusOf } from './errors.js';
import { resolveTenant } from './tenant.js';

export interface HttpDeps {
  ingester: Ingester;
  querier: Querier;
  multitenancy: boolean;
  gate: QueryGate;
  maxNodesDefault: number;
  maxNodesMax: number;
  onIngest?: (tenant: string, bytes: number, profiles: number, format: string) => void;
  onReject?: (status: number) => void;
}

type Query = Record<string, string | undefined>;

export function sendError(reply: FastifyReply, e: unknown, onReject?: (status: number) => void): FastifyReply {
  const status = httpStatusOf(e);
  onReject?.(status);
  if (status >= 500) {
    // a timed-out query is the client's limit at work, not a fault of ours
    if (status === 504) {
      reply.log.warn({ err: (e as Error).message }, 'request failed');
    } else {
      reply.log.error({ err: e }, 'request failed');
    }
  }
  if (status === 503) {
    reply.header('retry-after', '5');
  }
  const retryAfter = (e as { retryAfterSeconds?: number }).retryAfterSeconds;
  if (status === 429 && retryAfter) {
    reply.header('retry-after', String(retryAfter));
  }
  return reply.code(status).type('application/json').send(errorBody(status, e));
}

/**
 * The timeline step of /pyroscope/render, as Pyroscope's timeline.CalcPointInterval picks it: the range over
 * 1500 points, at least 15 s, else rounded to the step Grafana's interval table gives that length.
 */
export function timelineStepMs(startMs: number, endMs: number): number {
  const ms = (endMs - startMs) / 1500;
  return ms < 15_000 ? 15_000 : roundInterval(ms);
}

// [longest interval, step it rounds to], in ms, from Grafana's (and Pyroscope's) roundInterval
const INTERVALS: ReadonlyArray<readonly [number, number]> = [
  [10, 1],
  [15, 10],
  [35, 20],
  [75, 50],
  [150, 100],
  [350, 200],
  [750, 500],
  [1500, 1000],
  [3500, 2000],
  [7500, 5000],
  [12_500, 10_000],
  [17_500, 15_000],
  [25_000, 20_000],
  [45_000, 30_000],
  [90_000, 60_000],
  [210_000, 120_000],
  [450_000, 300_000],
  [750_000, 600_000],
  [1_050_000, 900_000],
  [1_500_000, 1_200_000],
  [2_700_000, 1_800_000],
  [5_400_000, 3_600_000],
  [9_000_000, 7_200_000],
  [16_200_000, 10_800_000],
  [32_400_000, 21_600_000],
  [86_400_000, 43_200_000],
  [172_800_000, 86_400_000],
  [604_800_000, 86_400_000],
  [1_814_400_000, 604_800_000],
];

/** Grafana-style interval rounding, so the timeline step reads like a step a human would choose. */
export function roundInterval(ms: number): number {
  for (const [upTo, step] of INTERVALS) {
    if (ms <= upTo) {
      return step;
    }
  }
  return ms < 3_628_800_000 ? 2_592_000_000 : 31_536_000_000;
}

export interface LegacyTimeline {
  startTime: number;
  samples: number[];
  durationDelta: number;
  watermarks: null;
}

/**
 * The flamebearer timeline as Pyroscope's timeline.New builds it from the SelectSeries points of [start, end]
 * (on the grid start + k*step, a point at T holding the profiles in (T - step, T]):
 * - startTime is start snapped down to the step, and there is one sample per step up to end snapped down
 *   (exclusive); steps without a point are 0;
 * - sample i is the point at startTime + i*step, counted in whole seconds as Pyroscope does, so a profile at
 *   t lands in sample ceil((t - start) / step), and points at or past the snapped end are not drawn.
 */
export function legacyTimeline(
  points: ReadonlyArray<{ timestamp: number; value: number }>,
  startMs: number,
  endMs: number,
  stepMs: number
): LegacyTimeline {
  const stepS = stepMs / 1000;
  const first = Math.floor(startMs / stepMs) * stepMs;
  const last = Math.floor(endMs / stepMs) * stepMs;
  const samples = new Array<number>(Math.max(0, Math.round((last - first) / stepMs))).fill(0);
  for (const p of points) {
    if (p.timestamp >= first && p.timestamp < last) {
      samples[Math.floor((Math.floor(p.timestamp / 1000) - first / 1000) / stepS)] += p.value;
    }
  }
  return { startTime: Math.floor(first / 1000), samples, durationDelta: stepS, watermarks: null };
}

/**
 * units/sampleRate of the legacy flamebearer metadata, as Pyroscope's ExportToFlamebearer sets them
 * (grafana/pyroscope pkg/model/flamegraph.go): the sample unit as it is, except the sample types
 * inuse_objects, alloc_objects, goroutine and samples → "objects", and cpu → "samples" at 1e9; sampleRate
 * 100 otherwise. So mutex contentions:count renders as "count", inuse_space:bytes as "bytes".
 */
export function legacyUnits(sampleType: string, sampleUnit: string): { units: string; sampleRate: number } {
  switch (sampleType) {
    case 'inuse_objects':
    case 'alloc_objects':
    case 'goroutine':
    case 'samples':
      return { units: 'objects', sampleRate: 100 };
    case 'cpu':
      return { units: 'samples', sampleRate: 1_000_000_000 };
    default:
      return { units: sampleUnit, sampleRate: 100 };
  }
}

function splitQuery(query: string): { profileType: string; selector: string } {
  let parsed;
  try {
    parsed = parseSelector(query);
  } catch (e) {
    throw new QueryError((e as Error).message);
  }
  if (!parsed.head) {
    throw new QueryError(`query "${query}" has no profile type: expected <profile type id>{label="value"}`);
  }
  try {
    parseProfileTypeId(parsed.head);
  } catch (e) {
    throw new QueryError((e as Error).message);
  }
  const brace = query.indexOf('{');
  return { profileType: parsed.head, selector: brace < 0 ? '{}' : query.slice(brace) };
}

function rangeOf(q: Query, fromKey = 'from', untilKey = 'until'): { start: number; end: number } {
  const now = Date.now();
  try {
    const start = q[fromKey] ? parseTimeParam(q[fromKey], now) : now - 3_600_000;
    const end = q[untilKey] ? parseTimeParam(q[untilKey], now) : now;
    return { start, end };
  } catch (e) {
    throw new QueryError((e as FormatError).message);
  }
}

/**
 * Aborts when the client goes away before the answer is sent. The response's close (not the request's, which
 * Node emits as soon as the body is read) tells a disconnect from a finished exchange.
 */
function clientGone(reply: FastifyReply): AbortSignal {
  const ac = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) {
      ac.abort();
    }
  });
  return ac.signal;
}

export function registerHttpRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const tenantOf = (req: FastifyRequest) =>
    resolveTenant(req.headers['x-scope-orgid'] as string | undefined, deps.multitenancy);
  /** Runs a read in the query gate (slot, timeout, cancellation) and answers its errors. */
  const query =
    (fn: (req: FastifyRequest, reply: FastifyReply, tenant: string, signal: AbortSignal) => Promise<FastifyReply>) =>
    async (req: FastifyRequest, reply: FastifyReply) => {
      try {
        const tenant = tenantOf(req);
        return await deps.gate.run(tenant, clientGone(reply), (signal) => fn(req, reply, tenant, signal));
      } catch (e) {
        return sendError(reply, e, deps.onReject);
      }
    };
  const maxNodesOf = (q: Query) =>
    resolveMaxNodes(Number(q['max-nodes'] ?? q.maxNodes ?? 0) || 0, deps.maxNodesDefault, deps.maxNodesMax);

  const ingest = async (req: FastifyRequest, reply: FastifyReply) => {
    try {
      const tenant = tenantOf(req);
      const body = (req.body as Buffer | undefined) ?? Buffer.alloc(0);
      if (body.length === 0) {
        throw new FormatError('empty body: nothing to ingest');
      }
      const q = req.query as Query;
      const params: IngestParams = {
        name: q.name,
        from: q.from,
        until: q.until,
        format: q.format,
        sampleRate: q.sampleRate,
        spyName: q.spyName,
        units: q.units,
        aggregationType: q.aggregationType,
      };
      const n = await deps.ingester.ingestLegacy(tenant, params, body, String(req.headers['content-type'] ?? ''));
      deps.onIngest?.(tenant, body.length, n, q.format || 'folded');
      return reply.code(200).send();
    } catch (e) {
      return sendError(reply, e, deps.onReject);
    }
  };
  app.post('/ingest', ingest);
  app.post('/v1development/profiles', async (req, reply) => {
    try {
      const tenant = tenantOf(req);
      const body = (req.body as Buffer | undefined) ?? Buffer.alloc(0);
      const n = await deps.ingester.ingestOtlp(
        tenant,
        body,
        String(req.headers['content-type'] ?? ''),
        req.headers['content-encoding'] as string | undefined
      );
      deps.onIngest?.(tenant, body.length, n, 'otlp');
      // an ExportProfilesServiceResponse with no partial_success: empty in both encodings
      const json = String(req.headers['content-type'] ?? '').includes('json');
      return reply
        .code(200)
        .type(json ? 'application/json' : 'application/x-protobuf')
        .send(json ? '{}' : Buffer.alloc(0));
    } catch (e) {
      return sendError(reply, e, deps.onReject);
    }
  });
  app.post('/pyroscope/ingest', ingest);

  const render = query(async (req, reply, tenant, signal) => {
    const q = req.query as Query;
    if (!q.query) {
      throw new QueryError('missing required parameter "query"');
    }
    const { profileType, selector } = splitQuery(q.query);
    const { start, end } = rangeOf(q);
    const maxNodes = maxNodesOf(q);
    const pt = parseProfileTypeId(profileType);
    const { tree } = await deps.querier.selectMergeTree(tenant, { profileType, selector, start, end, signal });
    if (q.format === 'dot') {
      // As Pyroscope: the graph keeps max-nodes functions (100 when not given), drawn from the merged profile
      // cut to max(512, max-nodes) nodes first.
      const dotNodes = Number(q['max-nodes'] ?? q.maxNodes ?? 0) > 0 ? maxNodes : 100;
      const dot = toDot(tree, dotNodes, {
        sampleType: pt.sampleType,
        sampleUnit: pt.sampleUnit,
        sourceMaxNodes: Math.max(512, dotNodes),
      });
      return reply.type('text/plain; charset=utf-8').send(dot);
    }
    const fg = toFlameGraph(tree, maxNodes);
    const stepMs = timelineStepMs(start, end);
    // Pyroscope repeats the parameter (groupBy=a&groupBy=b); a comma list is accepted too
    const rawGroupBy = (req.query as Record<string, string | string[] | undefined>).groupBy;
    const groupBy = (Array.isArray(rawGroupBy) ? rawGroupBy : rawGroupBy ? [rawGroupBy] : [])
      .flatMap((g) => g.split(','))
      .filter(Boolean);
    const aggregation = q.aggregation === 'avg' || q.aggregation === 'average' ? 'average' : 'sum';
    const { series } = await deps.querier.selectSeries(tenant, {
      profileType,
      selector,
      start,
      end,
      stepSeconds: stepMs / 1000,
      groupBy,
      aggregation,
      signal,
    });
    const timeline = (points: Array<{ timestamp: number; value: number }>) =>
      legacyTimeline(points, start, end, stepMs);
    // Pyroscope draws the main timeline only when the query yields one series; with groupBy we draw their sum
    const all = series.flatMap((s) => s.points);
    let groups: Record<string, LegacyTimeline> | null = null;
    if (groupBy.length > 0) {
      groups = {};
      for (const s of series) {
        const key = s.labels.map(([, v]) => v).join(',') || '*';
        groups[key] = timeline(s.points);
      }
    }
    const spy =
      (
        await deps.querier.labelValues(tenant, 'pyroscope_spy', [selector === '{}' ? '' : selector], {
          start,
          end,
          signal,
        })
      )[0] ?? 'unknown';
    const { units, sampleRate } = legacyUnits(pt.sampleType, pt.sampleUnit);
    return reply.send({
      version: 1,
      flamebearer: { names: fg.names, levels: fg.levels, numTicks: fg.total, maxSelf: fg.maxSelf },
      // name is the sample type, as ExportToFlamebearer sets it
      metadata: { format: 'single', spyName: spy, sampleRate, units, name: pt.sampleType },
      timeline: timeline(all),
      groups,
      heatmap: null,
    });
  });
  app.get('/pyroscope/render', render);
  app.get('/render', render);

  const renderDiff = query(async (req, reply, tenant, signal) => {
    const q = req.query as Query;
    if (!q.leftQuery || !q.rightQuery) {
      throw new QueryError('missing required parameters "leftQuery" and "rightQuery"');
    }
    const left = splitQuery(q.leftQuery);
    const right = splitQuery(q.rightQuery);
    if (left.profileType !== right.profileType) {
      throw new QueryError(
        `left and right queries must have the same profile type (${left.profileType} vs ${right.profileType})`
      );
    }
    const lr = { ...rangeOf(q, 'leftFrom', 'leftUntil'), signal };
    const rr = { ...rangeOf(q, 'rightFrom', 'rightUntil'), signal };
    const maxNodes = maxNodesOf(q);
    const [l, r] = await Promise.all([
      deps.querier.selectMergeTree(tenant, { ...left, ...lr }),
      deps.querier.selectMergeTree(tenant, { ...right, ...rr }),
    ]);
    const d = toFlameGraphDiff(l.tree, r.tree, maxNodes);
    const pt = parseProfileTypeId(left.profileType);
    const { units, sampleRate } = legacyUnits(pt.sampleType, pt.sampleUnit);
    const spy =
      (await deps.querier.labelValues(tenant, 'pyroscope_spy', [left.selector === '{}' ? '' : left.selector], lr))[0] ??
      'unknown';
    return reply.send({
      version: 1,
      flamebearer: {
        names: d.names,
        levels: d.levels,
        numTicks: d.total,
        maxSelf: d.maxSelf,
        leftTicks: d.leftTicks,
        rightTicks: d.rightTicks,
      },
      metadata: { format: 'double', spyName: spy, sampleRate, units, name: pt.sampleType },
      leftTicks: d.leftTicks,
      rightTicks: d.rightTicks,
      timeline: null,
      heatmap: null,
    });
  });
  app.get('/pyroscope/render-diff', renderDiff);
  app.get('/render-diff', renderDiff);

  const labelValues = query(async (req, reply, tenant, signal) => {
    const q = req.query as Query;
    if (!q.label) {
      throw new QueryError('missing required parameter "label"');
    }
    const range = { ...rangeOf(q), signal };
    const sel = q.query ? (q.query.includes('{') ? q.query.slice(q.query.indexOf('{')) : '') : '';
    if (q.label === '__name__') {
      const types = await deps.querier.profileTypes(tenant, range);
      return reply.send(types.map((t) => t.id));
    }
    return reply.send(await deps.querier.labelValues(tenant, q.label, sel ? [sel] : [], range));
  });
  app.get('/pyroscope/label-values', labelValues);
  app.get('/label-values', labelValues);

  const labels = query(async (req, reply, tenant, signal) => {
    const q = req.query as Query;
    const sel = q.query ? (q.query.includes('{') ? q.query.slice(q.query.indexOf('{')) : '') : '';
    return reply.send(await deps.querier.labelNames(tenant, sel ? [sel] : [], { ...rangeOf(q), signal }));
  });
  app.get('/pyroscope/labels', labels);
  app.get('/labels', labels);
}
