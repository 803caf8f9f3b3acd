// Wires the service together: store -> writer/reader -> ingester/querier -> HTTP and Connect routes.
import { fastifyConnectPlugin } from '@connectrpc/connect-fastify';
import { compressionGzip } from '@connectrpc/connect-node';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { Counter, Gauge } from 'prom-client';
import { readFileSync } from 'node:fs';
import { STATUS_CODES } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { Socket } from 'node:net';
import { Authenticator, registerAuth } from './api/auth.js';
import { connectRoutes } from './api/connect.js';
import { rawBodyParser, releaseBody } from './api/body.js';
import { limitedBodies } from './api/connectBody.js';
import { jsonAnswers } from './api/seriesJsonAnswer.js';
import { badBodyAsInvalidArgument, errorBody, httpStatusOf } from './api/errors.js';
import { resolveTenant } from './api/tenant.js';
import { GRPC_MAX_MESSAGE_BYTES, grpcHandler } from './api/grpc.js';
import { h2cServer, type H2cServer } from './api/h2c.js';
import { registerHttpRoutes } from './api/http.js';
import { Metrics } from './api/metrics.js';
import type { Config, Limits } from './config/config.js';
import { enableLinearRegex } from './config/runtime.js';
import { defaultFormats } from './formats/registry.js';
import { Ingester } from './ingest/ingester.js';
import { DecodeBudget } from './limits/decodeBudget.js';
import { LimitError } from './limits/errors.js';
import { RuntimeOverrides } from './limits/overrides.js';
import { QueryGate } from './limits/queryGate.js';
import { Querier } from './query/querier.js';
import { RecordingRulesRepository } from './tenant/recordingRules.js';
import { SettingsRepository } from './tenant/settings.js';
import { AdHocProfiles } from './tenant/adhocProfiles.js';
import { AdHocStore } from './tenant/adhocStore.js';
import { FilesystemStore } from './storage/filesystem.js';
import type { ObjectStore } from './storage/objectStore.js';
import { Catalog } from './storage/catalog.js';
import { Compactor } from './storage/compactor.js';
import { IndexStore } from './storage/index.js';
import { SegmentReader } from './storage/segmentReader.js';
import { SegmentWriter } from './storage/segmentWriter.js';
import { defaultDecodeWorkers, PprofDecoder } from './formats/pprofDecoder.js';

export interface Service {
  app: FastifyInstance;
  store: ObjectStore;
  metrics: Metrics;
  querier: Querier;
  ingester: Ingester;
  compactor: Compactor;
  overrides: RuntimeOverrides;
  gate: QueryGate;
  close(): Promise<void>;
}

async function createStore(cfg: Config): Promise<ObjectStore> {
  if (cfg.storage.backend === 'azure') {
    // loaded on demand: the Azure SDK is a large share of start-up time on the filesystem default
    const { AzureStore } = await import('./storage/azure.js');
    return new AzureStore(cfg.storage.azure);
  }
  return new FilesystemStore(cfg.storage.filesystem.dir);
}

const VERSION = (() => {
  try {
    return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string })
      .version;
  } catch {
    return '0.0.0';
  }
})();

/** The write and read paths over the store: segment writer and reader, ingester, querier. */
function createPaths(
  cfg: Config,
  store: ObjectStore,
  metrics: Metrics,
  limitsFor: (tenant: string) => Limits,
  decodeBudget: DecodeBudget
) {
  const prefix = storePrefix(cfg);
  const writer = new SegmentWriter(store, {
    prefix,
    // -segment-writer.segment-duration: the batching window (group commit also batches while a write is in flight)
    lingerMs: cfg.segmentDurationMs,
    maxObjectsPerSecond: cfg.segmentMaxObjectsPerSecond,
    maxBatchProfiles: 10_000,
    onFlush: (f) => {
      metrics.flushDuration.observe(f.ms / 1000);
      metrics.segmentsWritten.inc(f.objects);
      metrics.segmentBytes.inc(f.bytes);
      if (f.error) {
        metrics.storageErrors.inc({ operation: 'put' });
      }
    },
    // this process's queries see what it acknowledged at once (a listing shared from before is not used)
    onStored: (key) => catalog.stored(key),
  });
  // -querier.cache-memory-budget-mb split between the caches: index documents 5 %, decoded objects with their
  // metadata 40 %, segment views 35 %, the call path table 20 % (a table outgrowing its share is replaced by
  // the next query)
  const budget = cfg.cacheBudgetBytes;
  let objectCache = Math.floor(budget * 0.4);
  while (SegmentReader.footprint(objectCache) > budget * 0.4 && objectCache > 1024) {
    objectCache = Math.floor(objectCache * 0.95);
  }
  const reader = new SegmentReader(store, objectCache);
  const index = new IndexStore(store, prefix, Math.floor(budget * 0.05));
  const catalog = new Catalog(store, prefix, index, reader);
  const decoder = new PprofDecoder(cfg.decodeWorkers < 0 ? defaultDecodeWorkers() : cfg.decodeWorkers);
  const ingester = new Ingester(writer, limitsFor, Date.now, defaultFormats(decoder), decodeBudget);
  const querier = new Querier(reader, catalog, limitsFor, Date.now, {
    viewCacheBytes: Math.floor(budget * 0.35),
    callPathBytes: Math.floor(budget * 0.2),
  });
  return { writer, reader, index, catalog, decoder, ingester, querier, budget };
}

function storePrefix(cfg: Config): string {
  return cfg.storage.prefix ? cfg.storage.prefix.replace(/\/?$/, '/') : '';
}

/** Gauges read from the components' own counters when /metrics is scraped. */
function registerGauges(
  metrics: Metrics,
  c: {
    reader: SegmentReader;
    index: IndexStore;
    querier: Querier;
    gate: QueryGate;
    ingester: Ingester;
    compactor: Compactor;
    budget: number;
    decodeBudget: DecodeBudget;
  }
): void {
  const { reader, index, querier, gate, ingester, compactor, budget, decodeBudget } = c;
  new Gauge({
    name: 'pyroscope_decode_budget_bytes',
    help: 'Bytes of request bodies held as read and decoded, and the budget (-distributor.decode-budget-mb).',
    labelNames: ['state'],
    registers: [metrics.registry],
    collect() {
      this.set({ state: 'in_use' }, decodeBudget.inUse);
      this.set({ state: 'capacity' }, decodeBudget.capacity);
    },
  });
  new Gauge({
    name: 'pyroscope_decode_budget_requests',
    help: 'Requests since start that waited for the decode budget, got 503 for want of it, or needed more than all of it.',
    labelNames: ['outcome'],
    registers: [metrics.registry],
    collect() {
      for (const [outcome, n] of Object.entries(decodeBudget.stats)) {
        this.set({ outcome }, n);
      }
    },
  });
  new Gauge({
    name: 'pyroscope_query_cache_bytes',
    help: 'Bytes held by each query cache, as its LRU counts them; together bounded by -querier.cache-memory-budget-mb.',
    labelNames: ['cache'],
    registers: [metrics.registry],
    collect() {
      for (const [cache, n] of Object.entries({
        ...reader.cacheBytes(),
        index: index.cacheBytes(),
        ...querier.cacheBytes(),
      })) {
        this.set({ cache }, n);
      }
    },
  });
  new Gauge({
    name: 'pyroscope_query_cache_budget_bytes',
    help: '-querier.cache-memory-budget-mb in bytes.',
    registers: [metrics.registry],
    collect() {
      this.set(budget);
    },
  });
  // what the limits did, read from their own counters when /metrics is scraped
  new Gauge({
    name: 'pyroscope_query_gate_queries',
    help: 'Queries since start by outcome: started, queued (waited for a slot), rejected (429), timedOut (504), cancelled (client gone).',
    labelNames: ['outcome'],
    registers: [metrics.registry],
    collect() {
      for (const [outcome, n] of Object.entries(gate.stats)) {
        this.set({ outcome }, n);
      }
    },
  });
  let cpuCounted = 0;
  new Counter({
    name: 'pyroscope_compaction_cpu_seconds_total',
    help: "CPU seconds of this process's compaction work: decoding sources, merging, encoding blocks, index documents (the main thread's CPU time around each synchronous step, from /proc/thread-self/schedstat, or the process's where the kernel does not say; the store round trips and the decode workers are not counted).",
    registers: [metrics.registry],
    collect() {
      const now = compactor.stats.cpuSeconds;
      this.inc(Math.max(0, now - cpuCounted));
      cpuCounted = now;
    },
  });
  new Gauge({
    name: 'pyroscope_compaction_lag_seconds',
    help: 'Age of the oldest level-0 segment the index did not hold yet, at the end of the last level-0 pass.',
    registers: [metrics.registry],
    collect() {
      this.set(compactor.stats.lagMs / 1000);
    },
  });
  new Gauge({
    name: 'pyroscope_truncated_stacktraces',
    help: 'Stacks cut to -validation.max-profile-stacktrace-depth since start.',
    registers: [metrics.registry],
    collect() {
      this.set(ingester.truncatedStacks);
    },
  });
  new Gauge({
    name: 'pyroscope_truncated_symbols',
    help: 'Strings of profiles cut to -validation.max-profile-symbol-value-length since start.',
    registers: [metrics.registry],
    collect() {
      this.set(ingester.truncatedSymbols);
    },
  });
}

/**
 * The HTTP server: HTTP/1.1 and h2c on one port (gRPC calls to `grpc`), raw bodies within the body limit and the
 * decode budget, and every error as {code, message}.
 */
function createApp(
  cfg: Config,
  metrics: Metrics,
  budget: DecodeBudget,
  logLevel: string | undefined,
  grpc: (log: FastifyBaseLogger) => (req: Http2ServerRequest, res: Http2ServerResponse) => void
) {
  // -distributor.ingestion-body-limit-mb: 0 disables the limit (as in Pyroscope)
  const bodyLimitMb = cfg.limits.ingestionBodyLimitMb;
  const bodyLimit = bodyLimitMb > 0 ? Math.max(1, Math.floor(bodyLimitMb * 1024 * 1024)) : 0;
  const readTimeout = Math.max(0, cfg.server.readTimeoutMs);
  let dual: H2cServer | undefined;
  let grpcCall: ((req: Http2ServerRequest, res: Http2ServerResponse) => void) | undefined;
  const app = Fastify({
    logger: { level: logLevel ?? cfg.server.logLevel },
    // our own server (HTTP/1.1 and h2c on one port), so Fastify's server options are applied here
    serverFactory: (handler) => {
      dual = h2cServer(handler as Parameters<typeof h2cServer>[0], {
        http1: {
          // Go's default (1 MB) rather than Node's 16 KiB: a long `name=app{...}` then reaches label validation
          // and gets a 400 that names the label, instead of a bare 431
          maxHeaderSize: 1 << 20,
          // -server.http-read-timeout: a request, body included, must have arrived within it, or Node answers 408
          // (clientErrorHandler below) and closes the connection: a body trickled in never holds its buffers and
          // its share of the decode budget for longer
          requestTimeout: readTimeout,
          // Node checks the timeouts every 30 s by default, which would let a slow body run up to 30 s past its
          // bound
          connectionsCheckingInterval: readTimeout > 0 ? Math.max(100, Math.min(1000, readTimeout / 10)) : 30_000,
          // Node requires the header timeout to be within the request timeout
          headersTimeout: readTimeout > 0 ? Math.min(60_000, readTimeout) : 60_000,
        },
        // the same bound on an HTTP/2 request's body (a stream not complete by then is reset, as Go's server does)
        readTimeoutMs: readTimeout,
        grpc: (req, res) => grpcCall?.(req, res),
      });
      // Fastify's default, which the server it builds itself would have had (Node's own is 5 s)
      dual.server.keepAliveTimeout = 72_000;
      return dual.server;
    },
    // enforced by rawBodyParser, which drains an oversized body before answering 413
    bodyLimit: Number.MAX_SAFE_INTEGER,
    logController: new LogController({ disableRequestLogging: true }),
    // requests Node rejects before routing (header overflow, malformed HTTP) still get the {code, message} shape
    clientErrorHandler: (err: NodeJS.ErrnoException, socket: Socket) => {
      if (err.code === 'ECONNRESET' || socket.destroyed || !socket.writable) {
        return;
      }
      const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
      const message =
        status === 431
          ? 'request headers (URL included) are too large'
          : status === 408
            ? `the request did not arrive within ${readTimeout / 1000}s (-server.http-read-timeout)`
            : err.message;
      const body = JSON.stringify(errorBody(status, new Error(message)));
      socket.end(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
      );
    },
  });
  // bodies stay raw buffers: every format reader decides for itself how to read them
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', rawBodyParser(bodyLimit, budget));
  // a body's share of the decode budget is given back once its answer is out, or its client gone
  app.addHook('onResponse', (req, _reply, done) => {
    releaseBody(req);
    done();
  });
  app.addHook('onRequestAbort', (req, done) => {
    releaseBody(req);
    done();
  });
  app.setErrorHandler((err, _req, reply) => {
    const status = err instanceof LimitError ? httpStatusOf(err) : ((err as { statusCode?: number }).statusCode ?? 500);
    const s = status >= 400 && status < 600 ? status : 500;
    if (err instanceof LimitError && err.retryAfterSeconds) {
      reply.header('retry-after', String(err.retryAfterSeconds));
    }
    metrics.rejected.inc({ reason: String(s) });
    const e =
      (err as { code?: string }).code === 'FST_ERR_CTP_BODY_TOO_LARGE'
        ? new Error(`request body is larger than ${bodyLimitMb} MB (-distributor.ingestion-body-limit-mb)`)
        : err;
    reply.code(s).type('application/json').send(errorBody(s, e));
  });
  app.setNotFoundHandler((req, reply) => {
    reply
      .code(404)
      .type('application/json')
      .send({ code: 'not_found', message: `no route for ${req.method} ${req.url.split('?')[0]}` });
  });
  grpcCall = grpc(app.log);
  return { app, bodyLimit, h2c: dual! };
}

/**
 * Bounds of single Connect messages tighter than the body limit, so that their bodies are refused before they
 * are decoded: a settings.v1 Set holds one value (JSON may escape a character to 6 bytes), an ad hoc Upload one
 * file of at most the tenant's max-profile-size (base64: 4/3 of it).
 */
function methodLimits(cfg: Config, multitenancy: boolean, limitsFor: (tenant: string) => Limits) {
  const slack = 16 * 1024;
  return (path: string, header: Headers): { maxBytes: number; message: string } | undefined => {
    if (path === '/settings.v1.SettingsService/Set' && cfg.settings.maxValueBytes > 0) {
      const max = cfg.settings.maxValueBytes;
      return {
        maxBytes: max * 6 + slack,
        message: `settings.v1 Set request is larger than a setting can be: a value may be ${max} bytes (-tenant-settings.max-value-bytes)`,
      };
    }
    if (path === '/adhocprofiles.v1.AdHocProfileService/Upload') {
      const orgId = header.get('x-scope-orgid')?.trim();
      const tenant = multitenancy ? orgId : 'anonymous';
      const max = tenant ? limitsFor(tenant).maxProfileSizeBytes : 0;
      if (max > 0) {
        return {
          maxBytes: Math.ceil((max * 4) / 3) + slack,
          message: `profile is above the ad hoc upload limit of ${max} bytes (validation.max-profile-size-bytes)`,
        };
      }
    }
    return undefined;
  };
}

/** Auth, request metrics, the Connect services, the HTTP routes and the operational endpoints. */
async function registerRoutes(
  app: FastifyInstance,
  cfg: Config,
  c: {
    auth: Authenticator;
    metrics: Metrics;
    ingester: Ingester;
    querier: Querier;
    gate: QueryGate;
    settings: SettingsRepository;
    store: ObjectStore;
    adhoc: AdHocProfiles;
    bodyLimit: number;
    limitsFor: (tenant: string) => Limits;
    budget: DecodeBudget;
  }
): Promise<void> {
  const { auth, metrics, ingester, querier, gate, settings, store, adhoc, bodyLimit, limitsFor, budget } = c;
  const prefix = storePrefix(cfg);
  const multitenancy = cfg.multitenancyEnabled || auth.enabled;
  const methodLimit = methodLimits(cfg, multitenancy, limitsFor);
  if (auth.guardsMetrics) {
    registerAuth(app, auth, (status) => metrics.rejected.inc({ reason: String(status) }));
  }
  app.addHook('onResponse', (req, reply, done) => {
    metrics.requestDuration.observe(
      { method: req.method, route: req.routeOptions.url ?? 'unmatched', status_code: String(reply.statusCode) },
      reply.elapsedTime / 1000
    );
    done();
  });

  const common = {
    ingester,
    querier,
    gate,
    // with authentication on, the credential names the tenant (set as X-Scope-OrgID by the auth hook)
    multitenancy: cfg.multitenancyEnabled || auth.enabled,
    maxNodesDefault: cfg.limits.maxFlamegraphNodesDefault,
    maxNodesMax: cfg.limits.maxFlamegraphNodesMax,
  };
  const routes = connectRoutes({
    ...common,
    settings,
    recordingRules: new RecordingRulesRepository(store, prefix, (tenant) => limitsFor(tenant).maxRecordingRules),
    adhoc,
    onIngest: (tenant, bytes, n) => {
      metrics.ingestedBytes.inc({ tenant, type: 'push' }, bytes);
      metrics.ingestedProfiles.inc({ tenant, type: 'push' }, n);
    },
  });
  await app.register(fastifyConnectPlugin, {
    routes: (router) => {
      routes(router);
      router.handlers.forEach(
        (h, i) =>
          (router.handlers[i] = badBodyAsInvalidArgument(
            limitedBodies(jsonAnswers(h), { readMaxBytes: bodyLimit || 0xffffffff, budget, methodLimit })
          ))
      );
    },
    // bodies are inflated by limitedBodies; this is for the messages of envelope protocols (gRPC), gzip only
    acceptCompression: [compressionGzip],
    // Connect's own maximum (4 GiB - 1) when the limit is disabled
    readMaxBytes: bodyLimit || 0xffffffff,
    jsonOptions: { ignoreUnknownFields: true },
  });
  registerHttpRoutes(app, {
    ...common,
    onIngest: (tenant, bytes, n, format) => {
      metrics.ingestedBytes.inc({ tenant, type: format }, bytes);
      metrics.ingestedProfiles.inc({ tenant, type: format }, n);
    },
    onReject: (status) => metrics.rejected.inc({ reason: String(status) }),
  });
  app.get('/ready', async (_req, reply) => reply.type('text/plain').send('ready'));
  app.get('/metrics', async (_req, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics())
  );
  app.get('/api/v1/status/buildinfo', async () => ({
    status: 'success',
    data: {
      version: VERSION,
      revision: 'unknown',
      branch: 'main',
      buildUser: 'backend-ts',
      buildDate: '',
      goVersion: `node ${process.version}`,
    },
  }));
}

export async function createService(
  cfg: Config,
  opts: { logLevel?: string; store?: ObjectStore } = {}
): Promise<Service> {
  enableLinearRegex();
  // configuration problems stop the start before the store is touched
  const overrides = new RuntimeOverrides(cfg.limits, cfg.runtimeConfigFile);
  overrides.load();
  const auth = new Authenticator(cfg.auth.tokens, cfg.auth.adminTokens);
  const store = opts.store ?? (await createStore(cfg));
  await store.init();
  const metrics = new Metrics();
  const prefix = storePrefix(cfg);
  const limitsFor = (tenant: string): Limits => overrides.limitsFor(tenant);
  const decodeBudget = new DecodeBudget(cfg.decodeBudgetBytes);
  const {
    writer,
    reader,
    index,
    catalog,
    decoder,
    ingester,
    querier,
    budget: cacheBudget,
  } = createPaths(cfg, store, metrics, limitsFor, decodeBudget);
  const gate = new QueryGate(cfg.limits.maxConcurrentQueries, limitsFor);
  const budget = decodeBudget;
  const settings = new SettingsRepository(store, prefix, cfg.settings);
  // its own index store: the documents it writes are not the ones queries keep, and their CPU is compaction's
  const compactor = new Compactor(store, new IndexStore(store, prefix, 8 << 20), catalog, {
    prefix,
    retentionMs: cfg.limits.blocksRetentionPeriodMs,
    // a query planned before a merge must still find the merged sources while it runs
    deletionDelayMs: Math.max(cfg.limits.deletionDelayMs, cfg.limits.queryTimeoutMs + 30_000),
    log: (msg, fields) => app.log.debug(fields ?? {}, msg),
    observe: (lag) => {
      for (const [stage, ms] of Object.entries(lag.stages)) {
        metrics.compactionLagStage.observe({ stage }, ms / 1000);
      }
      for (const ms of lag.sourceAgesMs) {
        metrics.compactionSourceLag.observe(ms / 1000);
      }
    },
  });
  registerGauges(metrics, { reader, index, querier, gate, ingester, compactor, budget: cacheBudget, decodeBudget });
  if (cfg.limits.compactionIntervalMs > 0) {
    compactor.start(cfg.limits.compactionIntervalMs);
  }

  const grpc = (log: FastifyBaseLogger) =>
    grpcHandler({
      ingester,
      // gRPC calls do not pass Fastify's hooks: the credential and the tenant are read here, as the auth hook does
      tenantOf: (h) => {
        const orgId = typeof h['x-scope-orgid'] === 'string' ? h['x-scope-orgid'] : undefined;
        return auth.enabled ? auth.authenticate(h.authorization, orgId) : resolveTenant(orgId, cfg.multitenancyEnabled);
      },
      maxMessageBytes: GRPC_MAX_MESSAGE_BYTES,
      // the decode budget every request body draws from, HTTP/1.1 or HTTP/2
      budget,
      onIngest: (tenant, bytes, n, type) => {
        metrics.ingestedBytes.inc({ tenant, type }, bytes);
        metrics.ingestedProfiles.inc({ tenant, type }, n);
      },
      // as Pyroscope's gRPC middleware labels its calls: success or error
      onDone: (route, code, seconds) =>
        metrics.requestDuration.observe(
          { method: 'gRPC', route, status_code: code === 0 ? 'success' : code === 1 ? 'cancel' : 'error' },
          seconds
        ),
      onServerError: (e, method) => log.error({ err: e, method }, 'gRPC call failed'),
    });
  const { app, bodyLimit, h2c } = createApp(cfg, metrics, budget, opts.logLevel, grpc);
  overrides.log = app.log;
  overrides.start(cfg.runtimeConfigReloadMs);
  // ad hoc uploads: the tenant's ingest limits, pprof decoded in the worker pool, charged to the ingestion rate
  const adhoc = new AdHocProfiles(new AdHocStore(store, prefix), undefined, {
    limitsFor,
    decoder,
    charge: (tenant, bytes) => ingester.chargeRate(tenant, bytes),
    quota: cfg.adhoc,
  });
  await registerRoutes(app, cfg, {
    auth,
    metrics,
    ingester,
    querier,
    gate,
    settings,
    store,
    adhoc,
    bodyLimit,
    limitsFor,
    budget,
  });

  return {
    app,
    store,
    metrics,
    querier,
    ingester,
    compactor,
    overrides,
    gate,
    async close() {
      overrides.stop();
      await compactor.stop();
      // In-flight requests are drained; keep-alive connections that fall idle after close began are closed as
      // they do (Node closes only those idle at the start). A connection still open after the drain bound
      // (a client that never reads its answer) is cut: its request either got its answer or never will, and
      // the writer below still stores every batch it holds.
      // HTTP/2 clients are told to stop (GOAWAY) and their calls in flight finish, under the same bound
      h2c.closeHttp2();
      const sweep = setInterval(() => app.server.closeIdleConnections(), 100);
      const bound = setTimeout(() => {
        app.server.closeAllConnections();
        h2c.destroyHttp2();
      }, 10_000);
      try {
        await app.close();
      } finally {
        clearInterval(sweep);
        clearTimeout(bound);
      }
      await writer.close();
      await decoder.close();
    },
  };
}
