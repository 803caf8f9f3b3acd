// Configuration the way a Pyroscope user writes it: Go-style flags with Pyroscope's names and a YAML file with
// Pyroscope's keys. Precedence: flag, then file, then default. Known Pyroscope options we do not implement are
// accepted and reported as ignored; names Pyroscope does not have are start-up errors.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { parseDuration } from './duration.js';

export interface Limits {
  rejectOlderThanMs: number;
  rejectNewerThanMs: number;
  maxProfileSizeBytes: number;
  maxLabelNamesPerSeries: number;
  maxLabelNameLength: number;
  maxLabelValueLength: number;
  maxProfileStacktraceDepth: number;
  /** -validation.max-profile-symbol-value-length: longer strings of a profile are truncated (0 = no limit). */
  maxProfileSymbolValueLength: number;
  /** -validation.max-profile-stacktrace-samples: a profile with more samples is refused (0 = no limit). */
  maxProfileStacktraceSamples: number;
  ingestionBodyLimitMb: number;
  ingestionRateLimitMb: number;
  ingestionBurstSizeMb: number;
  maxQueryLengthMs: number;
  maxQueryLookbackMs: number;
  maxFlamegraphNodesDefault: number;
  maxFlamegraphNodesMax: number;
  queryTimeoutMs: number;
  maxConcurrentQueries: number;
  /** Queries of one tenant waiting for a slot beyond which new ones get 429 (0 = no bound). */
  maxOutstandingQueries: number;
  /** Bytes of a query's label selectors together (0 = no bound). */
  maxSelectorBytes: number;
  /** Matchers of a query's label selectors together (0 = no bound). */
  maxSelectorMatchers: number;
  blocksRetentionPeriodMs: number;
  compactionIntervalMs: number;
  /** Recording rules a tenant may store (-recording-rules.max-rules-per-tenant; 0 = no limit). */
  maxRecordingRules: number;
  /**
   * -compactor.deletion-delay (our own option, as Pyroscope v2's compaction deletes sources after a delay): how
   * long compacted sources stay after the index stopped naming them; raised to above the query timeout.
   */
  deletionDelayMs: number;
}

export interface Config {
  server: {
    httpListenAddress: string;
    httpListenPort: number;
    logLevel: string;
    /** -server.http-read-timeout: how long a request may take to arrive, body included (0 = no bound), ms. */
    readTimeoutMs: number;
  };
  storage: {
    backend: 'filesystem' | 'azure';
    prefix: string;
    filesystem: { dir: string };
    azure: {
      accountName: string;
      accountKey: string;
      connectionString: string;
      containerName: string;
      endpointSuffix: string;
      maxRetries: number;
    };
  };
  multitenancyEnabled: boolean;
  limits: Limits;
  runtimeConfigFile: string;
  /** How often the runtime config file is re-read (-runtime-config.reload-period), ms. */
  runtimeConfigReloadMs: number;
  /**
   * -querier.cache-memory-budget-mb (our own option): what the query caches together may hold, in bytes. Split
   * between decoded objects, object metadata and listings, segment views and the call path table (server.ts).
   */
  cacheBudgetBytes: number;
  /**
   * Optional authentication (a small extension of Pyroscope's config): credentials mapped to tenants, and admin
   * tokens, the only credentials that read /metrics (every tenant's counters) once authentication is on.
   */
  auth: { tokens: AuthToken[]; adminTokens: string[] };
  /**
   * -segment-writer.segment-duration: how long the segment writer gathers profiles before it writes them as one
   * object and acknowledges them, in ms. Pyroscope's default is 500ms; ours is 2ms (docs/storage.md says why).
   */
  segmentDurationMs: number;
  /**
   * -segment-writer.max-objects-per-second (our own option): past half this many batches in a second, batches
   * are spaced 1000/this ms apart while waiting gathers requests (independent pushers); clients that all wait
   * for their answer are never held (docs/storage.md). 0 = no bound.
   */
  segmentMaxObjectsPerSecond: number;
  /**
   * -distributor.decode-workers (our own option): worker threads that decode large pprof bodies; -1 = one per
   * core beyond the first (at most 4), 0 = decode on the main thread.
   */
  decodeWorkers: number;
  /**
   * -distributor.decode-budget-mb (our own option): bytes that request bodies may occupy at once, as read and
   * once decoded, across the process (limits/decodeBudget.ts); 0 = no budget.
   */
  decodeBudgetBytes: number;
  /** -adhoc-profiles.max-profiles-per-tenant and -adhoc-profiles.max-bytes-per-tenant-mb (ours; 0 = no bound). */
  adhoc: { maxUploads: number; maxBytes: number };
  /** -tenant-settings.max-value-bytes and -tenant-settings.max-settings (our own options; 0 = no bound). */
  settings: { maxValueBytes: number; maxSettings: number };
  /** Options accepted for compatibility and not acted upon, for the start-up log. */
  ignored: string[];
}

/**
 * One credential of `auth.tokens`: a `token` accepted as `Authorization: Bearer <token>` or as the password of
 * Basic auth (as the SDKs' basicAuthPassword), or a Basic `username`/`password` pair; either maps to `tenant`.
 */
export interface AuthToken {
  tenant: string;
  token?: string;
  username?: string;
  password?: string;
}

type Kind = 'int' | 'string' | 'bool' | 'duration' | 'float';

interface Option {
  flag: string;
  /** Path in Pyroscope's YAML, dot separated. */
  yaml: string;
  kind: Kind;
  def: string | number | boolean;
  set: (c: Config, v: never) => void;
}

function opt<T extends string | number | boolean>(
  flag: string,
  yaml: string,
  kind: Kind,
  def: T,
  set: (c: Config, v: T) => void
): Option {
  return { flag, yaml, kind, def, set: set as (c: Config, v: never) => void };
}

const MB = 1;
export const OPTIONS: Option[] = [
  opt(
    'server.http-listen-address',
    'server.http_listen_address',
    'string',
    '',
    (c, v) => (c.server.httpListenAddress = v)
  ),
  opt('server.http-listen-port', 'server.http_listen_port', 'int', 4040, (c, v) => (c.server.httpListenPort = v)),
  opt('log.level', 'server.log_level', 'string', 'info', (c, v) => (c.server.logLevel = v)),
  opt(
    'server.http-read-timeout',
    'server.http_server_read_timeout',
    'duration',
    '30s',
    (c, v) => (c.server.readTimeoutMs = v as unknown as number)
  ),
  opt('storage.backend', 'storage.backend', 'string', 'filesystem', (c, v) => {
    if (v !== 'filesystem' && v !== 'azure') {
      throw new Error(`storage.backend "${v}" is not supported here (use filesystem or azure)`);
    }
    c.storage.backend = v;
  }),
  opt('storage.prefix', 'storage.prefix', 'string', '', (c, v) => (c.storage.prefix = v)),
  opt('storage.filesystem.dir', 'storage.filesystem.dir', 'string', './data', (c, v) => (c.storage.filesystem.dir = v)),
  opt(
    'storage.azure.account-name',
    'storage.azure.account_name',
    'string',
    '',
    (c, v) => (c.storage.azure.accountName = v)
  ),
  opt(
    'storage.azure.account-key',
    'storage.azure.account_key',
    'string',
    '',
    (c, v) => (c.storage.azure.accountKey = v)
  ),
  opt(
    'storage.azure.connection-string',
    'storage.azure.connection_string',
    'string',
    '',
    (c, v) => (c.storage.azure.connectionString = v)
  ),
  opt(
    'storage.azure.container-name',
    'storage.azure.container_name',
    'string',
    'pyroscope-data',
    (c, v) => (c.storage.azure.containerName = v)
  ),
  opt(
    'storage.azure.endpoint-suffix',
    'storage.azure.endpoint_suffix',
    'string',
    'blob.core.windows.net',
    (c, v) => (c.storage.azure.endpointSuffix = v)
  ),
  opt('storage.azure.max-retries', 'storage.azure.max_retries', 'int', 3, (c, v) => (c.storage.azure.maxRetries = v)),
  opt('auth.multitenancy-enabled', 'multitenancy_enabled', 'bool', false, (c, v) => (c.multitenancyEnabled = v)),
  opt('runtime-config.file', 'runtime_config.file', 'string', '', (c, v) => (c.runtimeConfigFile = v)),
  opt(
    'runtime-config.reload-period',
    'runtime_config.period',
    'duration',
    '10s',
    (c, v) => (c.runtimeConfigReloadMs = v as unknown as number)
  ),
  opt(
    'validation.reject-older-than',
    'limits.reject_older_than',
    'duration',
    '1h',
    (c, v) => (c.limits.rejectOlderThanMs = v as unknown as number)
  ),
  opt(
    'validation.reject-newer-than',
    'limits.reject_newer_than',
    'duration',
    '10m',
    (c, v) => (c.limits.rejectNewerThanMs = v as unknown as number)
  ),
  opt(
    'validation.max-profile-size-bytes',
    'limits.max_profile_size_bytes',
    'int',
    4 * 1024 * 1024,
    (c, v) => (c.limits.maxProfileSizeBytes = v)
  ),
  opt(
    'validation.max-label-names-per-series',
    'limits.max_label_names_per_series',
    'int',
    30,
    (c, v) => (c.limits.maxLabelNamesPerSeries = v)
  ),
  opt(
    'validation.max-length-label-name',
    'limits.max_label_name_length',
    'int',
    1024,
    (c, v) => (c.limits.maxLabelNameLength = v)
  ),
  opt(
    'validation.max-length-label-value',
    'limits.max_label_value_length',
    'int',
    2048,
    (c, v) => (c.limits.maxLabelValueLength = v)
  ),
  opt(
    'validation.max-profile-stacktrace-depth',
    'limits.max_profile_stacktrace_depth',
    'int',
    1000,
    (c, v) => (c.limits.maxProfileStacktraceDepth = v)
  ),
  opt(
    'validation.max-profile-symbol-value-length',
    'limits.max_profile_symbol_value_length',
    'int',
    65535,
    (c, v) => (c.limits.maxProfileSymbolValueLength = v)
  ),
  opt(
    'validation.max-profile-stacktrace-samples',
    'limits.max_profile_stacktrace_samples',
    'int',
    16000,
    (c, v) => (c.limits.maxProfileStacktraceSamples = v)
  ),
  opt(
    'distributor.ingestion-body-limit-mb',
    'limits.ingestion_body_limit_mb',
    'float',
    256 * MB,
    (c, v) => (c.limits.ingestionBodyLimitMb = v)
  ),
  opt(
    'distributor.ingestion-rate-limit-mb',
    'limits.ingestion_rate_mb',
    'float',
    4 * MB,
    (c, v) => (c.limits.ingestionRateLimitMb = v)
  ),
  opt(
    'distributor.ingestion-burst-size-mb',
    'limits.ingestion_burst_size_mb',
    'float',
    2 * MB,
    (c, v) => (c.limits.ingestionBurstSizeMb = v)
  ),
  opt(
    'querier.max-query-length',
    'limits.max_query_length',
    'duration',
    '24h',
    (c, v) => (c.limits.maxQueryLengthMs = v as unknown as number)
  ),
  opt(
    'querier.max-query-lookback',
    'limits.max_query_lookback',
    'duration',
    '7d',
    (c, v) => (c.limits.maxQueryLookbackMs = v as unknown as number)
  ),
  opt(
    'querier.max-flamegraph-nodes-default',
    'limits.max_flamegraph_nodes_default',
    'int',
    8192,
    (c, v) => (c.limits.maxFlamegraphNodesDefault = v)
  ),
  opt(
    'querier.max-flamegraph-nodes-max',
    'limits.max_flamegraph_nodes_max',
    'int',
    1_048_576,
    (c, v) => (c.limits.maxFlamegraphNodesMax = v)
  ),
  opt(
    'querier.query-timeout',
    'limits.query_timeout',
    'duration',
    '2m',
    (c, v) => (c.limits.queryTimeoutMs = v as unknown as number)
  ),
  opt(
    'querier.max-selector-bytes',
    'limits.max_selector_bytes',
    'int',
    16 * 1024,
    (c, v) => (c.limits.maxSelectorBytes = v)
  ),
  opt(
    'querier.max-selector-matchers',
    'limits.max_selector_matchers',
    'int',
    64,
    (c, v) => (c.limits.maxSelectorMatchers = v)
  ),
  opt('querier.max-concurrent', 'querier.max_concurrent', 'int', 8, (c, v) => (c.limits.maxConcurrentQueries = v)),
  opt(
    'querier.cache-memory-budget-mb',
    'querier.cache_memory_budget_mb',
    'int',
    512,
    (c, v) => (c.cacheBudgetBytes = Math.max(1, v) * 1024 * 1024)
  ),
  opt(
    'query-scheduler.max-outstanding-requests-per-tenant',
    'query_scheduler.max_outstanding_requests_per_tenant',
    'int',
    100,
    (c, v) => (c.limits.maxOutstandingQueries = v)
  ),
  opt('distributor.decode-workers', 'distributor.decode_workers', 'int', -1, (c, v) => (c.decodeWorkers = v)),
  opt(
    'distributor.decode-budget-mb',
    'distributor.decode_budget_mb',
    'int',
    128,
    (c, v) => (c.decodeBudgetBytes = Math.max(0, v) * 1024 * 1024)
  ),
  opt(
    'adhoc-profiles.max-profiles-per-tenant',
    'adhoc_profiles.max_profiles_per_tenant',
    'int',
    100,
    (c, v) => (c.adhoc.maxUploads = Math.max(0, v))
  ),
  opt(
    'adhoc-profiles.max-bytes-per-tenant-mb',
    'adhoc_profiles.max_bytes_per_tenant_mb',
    'int',
    256,
    (c, v) => (c.adhoc.maxBytes = Math.max(0, v) * 1024 * 1024)
  ),
  opt(
    'tenant-settings.max-value-bytes',
    'tenant_settings.max_value_bytes',
    'int',
    64 * 1024,
    (c, v) => (c.settings.maxValueBytes = Math.max(0, v))
  ),
  opt(
    'tenant-settings.max-settings',
    'tenant_settings.max_settings',
    'int',
    1000,
    (c, v) => (c.settings.maxSettings = Math.max(0, v))
  ),
  opt(
    'segment-writer.segment-duration',
    'segment_writer.segment_duration',
    'duration',
    '2ms',
    (c, v) => (c.segmentDurationMs = v as unknown as number)
  ),
  opt(
    'segment-writer.max-objects-per-second',
    'segment_writer.max_objects_per_second',
    'int',
    // off by default: at 10 the closed-loop ingest bench fell from 1.17x to 0.91x of its floor and the x100 open
    // loop's ack p99 from 40 ms to 876 ms (docs/performance.md); a deployment with many pushers per process sets it
    0,
    (c, v) => (c.segmentMaxObjectsPerSecond = v)
  ),
  opt(
    'compactor.compaction-interval',
    'compactor.compaction_interval',
    'duration',
    '15s',
    (c, v) => (c.limits.compactionIntervalMs = v as unknown as number)
  ),
  opt(
    'recording-rules.max-rules-per-tenant',
    'limits.max_recording_rules',
    'int',
    25,
    (c, v) => (c.limits.maxRecordingRules = v)
  ),
  opt(
    'compactor.blocks-retention-period',
    'limits.compactor_blocks_retention_period',
    'duration',
    '0',
    (c, v) => (c.limits.blocksRetentionPeriodMs = v as unknown as number)
  ),
  opt(
    'compactor.deletion-delay',
    'compactor.deletion_delay',
    'duration',
    '5m',
    (c, v) => (c.limits.deletionDelayMs = v as unknown as number)
  ),
];

/**
 * Pyroscope's own flags that this service does not act upon: accepted so that an existing Pyroscope command line
 * starts unchanged, and listed in the start-up log. Families in which we implement flags (server, storage,
 * validation, auth, log) are listed name by name, so that a typo there is an error rather than silently ignored.
 */
const IGNORED_FLAGS = new Set([
  'target',
  'shutdown-delay',
  'api.base-url',
  'version',
  'h',
  'help',
  'help-all',
  'modules',
  'config.show_banner',
  'log.format',
  'server.graceful-shutdown-timeout',
  'server.http-conn-limit',
  'server.http-idle-timeout',
  'server.http-listen-network',
  'server.http-log-closed-connections-without-response-enabled',
  'server.http-read-header-timeout',
  'server.http-tls-ca-path',
  'server.http-tls-cert-path',
  'server.http-tls-client-auth',
  'server.http-tls-key-path',
  'server.http-write-timeout',
  'server.log-request-at-info-level-enabled',
  'server.log-request-headers',
  'server.log-request-headers-exclude-list',
  'server.log-source-ips-enabled',
  'server.log-source-ips-full',
  'server.log-source-ips-header',
  'server.log-source-ips-regex',
  'server.path-prefix',
  'server.proxy-protocol-enabled',
  'server.register-instrumentation',
  'server.report-grpc-codes-in-instrumentation-label-enabled',
  'server.throughput.latency-cutoff',
  'server.throughput.unit',
  'server.tls-cipher-suites',
  'server.tls-min-version',
  'server.trace-request-headers',
  'server.trace-request-headers-exclude-list',
  'storage.azure.user-assigned-id',
  'storage.storage-prefix',
  'validation.enforce-labels-order',
  'validation.max-profile-stacktrace-sample-labels',
  'validation.max-sessions-per-series',
]);

/** Whole Pyroscope subsystems (and option families it keeps growing) that we accept and ignore wholesale. */
const IGNORED_FLAG_PREFIXES = [
  'server.grpc',
  'server.cluster-validation.',
  'storage.s3.',
  'storage.gcs.',
  'storage.cos.',
  'storage.swift.',
  'distributor.',
  'querier.',
  'memberlist.',
  'ingester.',
  'compactor.',
  'store-gateway.',
  'query-frontend.',
  'query-scheduler.',
  'overrides-exporter.',
  'blocks-storage.',
  'pyroscopedb.',
  'consul.',
  'etcd.',
  'multi.',
  'ring.',
  'tracing.',
  'self-profiling.',
  'usage-stats.',
  'analytics.',
  'embedded-grafana.',
  'tenant-settings.',
  'segment-writer.',
  'metastore.',
  'query-backend.',
  'adaptive-placement.',
  'symbolizer.',
  'debug-info.',
  'client-capability.',
  'write-path',
  'enable-query-backend',
  'v2',
];

/** Top-level YAML sections of Pyroscope; `storage` is checked key by key (STORAGE_YAML), the rest accepted. */
const YAML_SECTIONS = new Set([
  'target',
  'server',
  'memberlist',
  'ingester',
  'distributor',
  'querier',
  'frontend',
  'frontend_worker',
  'query_scheduler',
  'store_gateway',
  'compactor',
  'tracing',
  'self_profiling',
  'analytics',
  'api',
  'auth',
  'storage',
  'limits',
  'runtime_config',
  'tenant_settings',
  'overrides_exporter',
  'segment_writer',
  'metastore',
  'query_backend',
  'adaptive_placement',
  'embedded_grafana',
  'pyroscopedb',
  'shutdown_delay',
  'multitenancy_enabled',
  'symbolizer',
  'write_path',
  'v2',
  'debug_info',
  'usage_stats',
]);
const STORAGE_YAML = new Set(['storage.azure.user_assigned_id', 'storage.storage_prefix']);
const STORAGE_YAML_PREFIXES = ['storage.s3.', 'storage.gcs.', 'storage.cos.', 'storage.swift.'];

/** Edit distance, to turn a near miss of an implemented option into an error that names the intended one. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

function nearMiss(name: string, known: string[]): string | undefined {
  return known.find((k) => k !== name && distance(k, name) <= 2);
}

function defaults(): Config {
  const c = {
    server: {},
    storage: { filesystem: {}, azure: {} },
    limits: {},
    auth: { tokens: [], adminTokens: [] },
    settings: {},
    adhoc: {},
    ignored: [],
  } as unknown as Config;
  for (const o of OPTIONS) {
    o.set(c, convert(o, String(o.def)) as never);
  }
  return c;
}

function convert(o: Option, raw: string): string | number | boolean {
  switch (o.kind) {
    case 'string':
      return raw;
    case 'bool':
      if (raw === '' || raw === 'true' || raw === '1') {
        return true;
      }
      if (raw === 'false' || raw === '0') {
        return false;
      }
      throw new Error(`-${o.flag}: "${raw}" is not a boolean`);
    case 'int': {
      const n = Number(raw);
      if (!Number.isInteger(n)) {
        throw new Error(`-${o.flag}: "${raw}" is not an integer`);
      }
      return n;
    }
    case 'float': {
      const n = Number(raw);
      if (!Number.isFinite(n)) {
        throw new Error(`-${o.flag}: "${raw}" is not a number`);
      }
      return n;
    }
    case 'duration':
      try {
        return parseDuration(raw);
      } catch (e) {
        throw new Error(`-${o.flag}: ${(e as Error).message}`);
      }
  }
}

/** Splits argv into flag name/value pairs, accepting -a.b=v, --a.b=v, -a.b v and bare boolean flags. */
export function parseFlags(argv: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      // Go's flag package stops at "--"; we take no positional arguments after it either
      if (i + 1 < argv.length) {
        throw new Error(`unexpected argument "${argv[i + 1]}" after "--"`);
      }
      break;
    }
    if (!a.startsWith('-')) {
      throw new Error(`unexpected argument "${a}" (flags look like -name=value)`);
    }
    const body = a.replace(/^--?/, '');
    const eq = body.indexOf('=');
    if (eq >= 0) {
      out.set(body.slice(0, eq), body.slice(eq + 1));
      continue;
    }
    const known = OPTIONS.find((o) => o.flag === body);
    const isBool = known?.kind === 'bool' || body === 'config.expand-env';
    const next = argv[i + 1];
    if (!isBool && next !== undefined && !next.startsWith('-')) {
      out.set(body, next);
      i++;
    } else {
      out.set(body, isBool ? 'true' : '');
    }
  }
  return out;
}

function getPath(obj: unknown, path: string): unknown {
  let cur = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') {
      return undefined;
    }
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** -config.expand-env: `${VAR}`, `$VAR`, and a default for an unset or empty variable as `${VAR:default}` or `${VAR:-default}`. */
function expandEnv(text: string, env: NodeJS.ProcessEnv): string {
  return text.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-?([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (_, braced: string | undefined, def: string | undefined, bare: string | undefined) => {
      const v = env[(braced ?? bare)!];
      return v !== undefined && v !== '' ? v : (def ?? '');
    }
  );
}

function yamlLeafPaths(obj: unknown, prefix = ''): string[] {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    return [prefix];
  }
  return Object.entries(obj as Record<string, unknown>).flatMap(([k, v]) =>
    yamlLeafPaths(v, prefix ? `${prefix}.${k}` : k)
  );
}

export function loadConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): Config {
  const flags = parseFlags(argv);
  const cfg = defaults();
  const file = flags.get('config.file');
  const expandFlag = flags.get('config.expand-env');
  const expand = expandFlag !== undefined && ['', 'true', '1'].includes(expandFlag);
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new Error(`-config.file: cannot read ${file}: ${(e as Error).message}`);
    }
    if (expand) {
      text = expandEnv(text, env);
    }
    let doc: unknown;
    try {
      doc = parseYaml(text) ?? {};
    } catch (e) {
      throw new Error(`-config.file ${file}: invalid YAML: ${(e as Error).message}`);
    }
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
      throw new Error(`-config.file ${file}: the top level must be a mapping`);
    }
    for (const key of Object.keys(doc)) {
      if (!YAML_SECTIONS.has(key)) {
        throw new Error(`-config.file ${file}: unknown key "${key}" (not a Pyroscope configuration section)`);
      }
    }
    const implemented = OPTIONS.map((o) => o.yaml);
    const auth = (doc as Record<string, unknown>).auth;
    if (auth !== undefined && auth !== null) {
      cfg.auth.tokens = parseAuthTokens(auth, file);
      cfg.auth.adminTokens = parseAdminTokens(auth, file);
    }
    for (const path of yamlLeafPaths(doc)) {
      if (implemented.includes(path) || /^auth\.(tokens|admin_tokens)(\.|$)/.test(path)) {
        continue;
      }
      const storageOk =
        !path.startsWith('storage.') || STORAGE_YAML.has(path) || STORAGE_YAML_PREFIXES.some((p) => path.startsWith(p));
      const near = nearMiss(path, implemented);
      if (!storageOk || near) {
        throw new Error(`-config.file ${file}: unknown key "${path}"${near ? ` (did you mean "${near}"?)` : ''}`);
      }
      cfg.ignored.push(`${path} (config file)`);
    }
    for (const o of OPTIONS) {
      const v = getPath(doc, o.yaml);
      if (v !== undefined && v !== null) {
        try {
          o.set(cfg, convert(o, String(v)) as never);
        } catch (e) {
          // name the key as the user wrote it in the file, not the flag
          throw new Error(`-config.file ${file}: ${o.yaml}: ${(e as Error).message.replace(/^-[^:]+: /, '')}`);
        }
      }
    }
  }
  for (const [name, raw] of flags) {
    if (name === 'config.file' || name === 'config.expand-env') {
      continue;
    }
    const o = OPTIONS.find((x) => x.flag === name);
    if (o) {
      o.set(cfg, convert(o, raw) as never);
      continue;
    }
    const near = nearMiss(
      name,
      OPTIONS.map((x) => x.flag)
    );
    const pyroscopes = IGNORED_FLAGS.has(name) || IGNORED_FLAG_PREFIXES.some((p) => name.startsWith(p));
    if (pyroscopes && !near) {
      cfg.ignored.push(`-${name}`);
    } else {
      throw new Error(`flag provided but not defined: -${name}${near ? ` (did you mean -${near}?)` : ''}`);
    }
  }
  return cfg;
}

/** `auth.admin_tokens`: a list of non-empty tokens, sent as Bearer or as the password of Basic auth. */
function parseAdminTokens(auth: unknown, file: string): string[] {
  const list = (auth as Record<string, unknown>).admin_tokens;
  if (list === undefined || list === null) {
    return [];
  }
  const where = `-config.file ${file}: auth.admin_tokens`;
  if (!Array.isArray(list)) {
    throw new Error(`${where} must be a list of tokens`);
  }
  return list.map((t: unknown, i) => {
    if ((typeof t !== 'string' && typeof t !== 'number') || String(t) === '') {
      throw new Error(`${where}[${i}] must be a non-empty string`);
    }
    return String(t);
  });
}

/** `auth.tokens`: a list of {tenant, token} or {tenant, username, password}; anything else is a start-up error. */
function parseAuthTokens(auth: unknown, file: string): AuthToken[] {
  const where = `-config.file ${file}: auth.tokens`;
  if (typeof auth !== 'object' || Array.isArray(auth)) {
    throw new Error(`-config.file ${file}: auth must be a mapping`);
  }
  const list = (auth as Record<string, unknown>).tokens;
  if (list === undefined || list === null) {
    return [];
  }
  if (!Array.isArray(list)) {
    throw new Error(`${where} must be a list of {tenant, token} or {tenant, username, password}`);
  }
  return list.map((raw: unknown, i): AuthToken => {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      throw new Error(`${where}[${i}] must be a mapping with tenant and token (or username and password)`);
    }
    const e = raw as Record<string, unknown>;
    for (const k of Object.keys(e)) {
      if (!['tenant', 'token', 'username', 'password'].includes(k)) {
        throw new Error(`${where}[${i}]: unknown key "${k}" (use tenant, token, username, password)`);
      }
    }
    const str = (k: string): string | undefined => {
      const v = e[k];
      if (v === undefined || v === null) {
        return undefined;
      }
      if (typeof v !== 'string' && typeof v !== 'number') {
        throw new Error(`${where}[${i}].${k} must be a string`);
      }
      return String(v);
    };
    const t: AuthToken = {
      tenant: str('tenant') ?? '',
      token: str('token'),
      username: str('username'),
      password: str('password'),
    };
    if (!t.tenant) {
      throw new Error(`${where}[${i}] has no tenant`);
    }
    const basic = t.username !== undefined || t.password !== undefined;
    if (t.token !== undefined ? basic || t.token === '' : !t.username || !t.password) {
      throw new Error(`${where}[${i}] needs either a non-empty token, or both username and password`);
    }
    return t;
  });
}

/** Limit keys as the runtime config's `overrides.<tenant>` and the `limits` section name them. */
const LIMIT_OPTIONS = OPTIONS.filter((o) => o.yaml.startsWith('limits.'));

/**
 * Applies one tenant's runtime-config overrides (keys as in the `limits` section, e.g. ingestion_rate_mb) over
 * the base limits. Keys Pyroscope has and we do not act upon are returned as ignored; a near miss of one we
 * implement is an error that names it.
 */
export function applyLimitOverrides(
  base: Limits,
  overrides: unknown,
  where: string
): { limits: Limits; ignored: string[] } {
  if (overrides === null || typeof overrides !== 'object' || Array.isArray(overrides)) {
    throw new Error(`${where} must be a mapping of limit names to values`);
  }
  const c = { limits: { ...base } } as Config;
  const ignored: string[] = [];
  const names = LIMIT_OPTIONS.map((o) => o.yaml.slice('limits.'.length));
  for (const [key, v] of Object.entries(overrides as Record<string, unknown>)) {
    const o = LIMIT_OPTIONS.find((x) => x.yaml === `limits.${key}`);
    if (!o) {
      const near = nearMiss(key, names);
      if (near) {
        throw new Error(`${where}: unknown limit "${key}" (did you mean "${near}"?)`);
      }
      ignored.push(key);
      continue;
    }
    if (v === null || v === undefined || typeof v === 'object') {
      throw new Error(`${where}.${key}: expected a single value`);
    }
    try {
      o.set(c, convert(o, String(v)) as never);
    } catch (e) {
      throw new Error(`${where}.${key}: ${(e as Error).message.replace(/^-[^:]+: /, '')}`);
    }
  }
  return { limits: c.limits, ignored };
}
