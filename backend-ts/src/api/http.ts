// Legacy HTTP routes: /ingest (agents) and the /pyroscope/* read API (Profiles Drilldown through Grafana's
// data-source proxy). Handlers parse, call ingest/query and encode.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Ingester, IngestParams } from '../ingest/ingester.js';
import type { QueryGate } from '../limits/queryGate.js';
import { parseTimeParam } from '../ingest/params.js';
import { FormatError } from '../formats/formatError.js';
import { toDot } from '../encode/dot.js';
import {
  doubleFlamebearer,
  legacyTimeline,
  singleFlamebearer,
  timelineStepMs,
  type LegacyTimeline,
} from '../encode/flamebearer.js';
import { toFlameGraph } from '../encode/flamegraph.js';
import { toFlameGraphDiff } from '../encode/flamegraphDiff.js';
import { parseProfileTypeId } from '../model/labels.js';
import { QueryError } from '../query/errors.js';
import { seriesPoints, type Querier } from '../query/querier.js';
import { resolveMaxNodes } from './params.js';
import { errorBody, httpStatusOf } from './errors.js';
import { resolveTenant } from './tenant.js';
import { ownsBuffer } from './body.js';

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

function sendError(reply: FastifyReply, e: unknown, onReject?: (status: number) => void): FastifyReply {
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
 * `<profile type>{selector}` split in two. The selector itself is parsed by the query, within the tenant's
 * selector caps, so an oversized one is refused before any of it is compiled.
 */
function splitQuery(query: string): { profileType: string; selector: string } {
  const brace = query.indexOf('{');
  const head = (brace < 0 ? query : query.slice(0, brace)).trim();
  if (!head) {
    throw new QueryError(
      `query "${query.slice(0, 200)}" has no profile type: expected <profile type id>{label="value"}`
    );
  }
  try {
    parseProfileTypeId(head);
  } catch (e) {
    throw new QueryError((e as Error).message);
  }
  return { profileType: head, selector: brace < 0 ? '{}' : query.slice(brace) };
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

/** A read handler: runs in the query gate with the request's tenant and an abort signal. */
type QueryHandler = (
  req: FastifyRequest,
  reply: FastifyReply,
  tenant: string,
  signal: AbortSignal
) => Promise<FastifyReply>;

function tenantOf(deps: HttpDeps, req: FastifyRequest): string {
  return resolveTenant(req.headers['x-scope-orgid'] as string | undefined, deps.multitenancy);
}

function maxNodesOf(deps: HttpDeps, q: Query): number {
  return resolveMaxNodes(Number(q['max-nodes'] ?? q.maxNodes ?? 0) || 0, deps.maxNodesDefault, deps.maxNodesMax);
}

/** The write routes: /ingest (agents, every legacy format) and OTLP profiles over HTTP. */
function registerIngestRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const ingest = async (req: FastifyRequest, reply: FastifyReply) => {
    try {
      const tenant = tenantOf(deps, req);
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
      const bytes = body.length;
      // the body is not read after this: a decode worker may take its buffer
      const n = await deps.ingester.ingestLegacy(tenant, params, body, String(req.headers['content-type'] ?? ''), {
        bodyOwned: ownsBuffer(body),
      });
      deps.onIngest?.(tenant, bytes, n, q.format || 'folded');
      return reply.code(200).send();
    } catch (e) {
      return sendError(reply, e, deps.onReject);
    }
  };
  app.post('/ingest', ingest);
  app.post('/v1development/profiles', async (req, reply) => {
    try {
      const tenant = tenantOf(deps, req);
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
}

/** /pyroscope/render: a flame graph (or DOT) with its timeline, as a flamebearer document. */
function renderHandler(deps: HttpDeps): QueryHandler {
  return async (req, reply, tenant, signal) => {
    const q = req.query as Query;
    if (!q.query) {
      throw new QueryError('missing required parameter "query"');
    }
    const { profileType, selector } = splitQuery(q.query);
    const { start, end } = rangeOf(q);
    const maxNodes = maxNodesOf(deps, q);
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
    const all = series.flatMap(seriesPoints);
    let groups: Record<string, LegacyTimeline> | null = null;
    if (groupBy.length > 0) {
      groups = {};
      for (const s of series) {
        const key = s.labels.map(([, v]) => v).join(',') || '*';
        groups[key] = timeline(seriesPoints(s));
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
    // name is the sample type, as ExportToFlamebearer sets it
    return reply.send(
      singleFlamebearer(
        fg,
        { spyName: spy, sampleType: pt.sampleType, sampleUnit: pt.sampleUnit, name: pt.sampleType },
        timeline(all),
        groups
      )
    );
  };
}

/** /pyroscope/render-diff: the diff of two queries of one profile type. */
function renderDiffHandler(deps: HttpDeps): QueryHandler {
  return async (req, reply, tenant, signal) => {
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
    const maxNodes = maxNodesOf(deps, q);
    const [l, r] = await Promise.all([
      deps.querier.selectMergeTree(tenant, { ...left, ...lr }),
      deps.querier.selectMergeTree(tenant, { ...right, ...rr }),
    ]);
    const d = toFlameGraphDiff(l.tree, r.tree, maxNodes);
    const pt = parseProfileTypeId(left.profileType);
    const spy =
      (await deps.querier.labelValues(tenant, 'pyroscope_spy', [left.selector === '{}' ? '' : left.selector], lr))[0] ??
      'unknown';
    return reply.send(
      doubleFlamebearer(d, { spyName: spy, sampleType: pt.sampleType, sampleUnit: pt.sampleUnit, name: pt.sampleType })
    );
  };
}

/** /pyroscope/label-values (`__name__` lists the profile types). */
function labelValuesHandler(deps: HttpDeps): QueryHandler {
  return async (req, reply, tenant, signal) => {
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
  };
}

/** /pyroscope/labels. */
function labelNamesHandler(deps: HttpDeps): QueryHandler {
  return async (req, reply, tenant, signal) => {
    const q = req.query as Query;
    const sel = q.query ? (q.query.includes('{') ? q.query.slice(q.query.indexOf('{')) : '') : '';
    return reply.send(await deps.querier.labelNames(tenant, sel ? [sel] : [], { ...rangeOf(q), signal }));
  };
}

export function registerHttpRoutes(app: FastifyInstance, deps: HttpDeps): void {
  registerIngestRoutes(app, deps);
  /** Runs a read in the query gate (slot, timeout, cancellation) and answers its errors. */
  const query = (fn: QueryHandler) => async (req: FastifyRequest, reply: FastifyReply) => {
    try {
      const tenant = tenantOf(deps, req);
      return await deps.gate.run(tenant, clientGone(reply), (signal) => fn(req, reply, tenant, signal));
    } catch (e) {
      return sendError(reply, e, deps.onReject);
    }
  };
  const routes: Array<[string, QueryHandler]> = [
    ['render', renderHandler(deps)],
    ['render-diff', renderDiffHandler(deps)],
    ['label-values', labelValuesHandler(deps)],
    ['labels', labelNamesHandler(deps)],
  ];
  for (const [path, handler] of routes) {
    const h = query(handler);
    app.get(`/pyroscope/${path}`, h);
    app.get(`/${path}`, h);
  }
}
