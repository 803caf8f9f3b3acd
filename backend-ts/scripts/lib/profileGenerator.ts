// A deterministic generator of realistic CPU profiles of one Go service, for benchmarks: a few thousand
// functions named as Go names them (package.(*Type).method, closures, runtime), each with a file and lines; a
// fixed set of a few thousand distinct stacks of depth 10–60 that share prefixes the way real call trees do
// (every goroutine under runtime.goexit, HTTP/gRPC serving, middleware, handlers, domain code, libraries,
// runtime leaves); Zipf-like stack weights; 300–800 samples per 15 s profile following a daily load curve, and
// a day/night mix (more GC and background work at night). The same (seed, time) always gives the same profile,
// whatever the order profiles are generated in.
import { NormalizedProfileBuilder } from '../../src/formats/normalizedProfileBuilder.js';
import type { IngestProfile, NormalizedProfile } from '../../src/model/profile.js';
import { fmix32 } from '../../src/model/byteInterner.js';

export interface GeneratorOptions {
  seed?: number;
  /** Approximate number of distinct functions. */
  functions?: number;
  /** Number of distinct stacks the service ever shows. */
  stacks?: number;
  /** Exponent of the Zipf-like stack weights (1 = classic Zipf). */
  zipf?: number;
  minSamples?: number;
  maxSamples?: number;
  /** Sampling period: every sample is worth this many CPU nanoseconds (Go: 100 Hz = 10 ms). */
  periodNs?: number;
  /** Length of one profile, ms (the upload interval). */
  intervalMs?: number;
}

/** Small, fast, well-mixed 32-bit PRNG (mulberry32); the state is one integer. */
export class Prng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
}

/** Integer hash (a murmur3 finalizer) used to derive child choices from a node, so call paths are stable. */
export function mix(a: number, b: number): number {
  return fmix32((Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x632be5ab, 0xc2b2ae35)) >>> 0);
}

interface Fn {
  name: string;
  file: string;
  start: number;
}

// Layers of a Go service's call tree, root to leaf. A call mostly stays in its layer or goes one deeper.
const ENTRY = 0;
const FRAMEWORK = 1;
const HANDLER = 2;
const DOMAIN = 3;
const LIBRARY = 4;
const RUNTIME = 5;
const LAYERS = 6;
// odds out of 256 that a call goes one layer deeper: frameworks span ~7 frames, handlers ~3, domain code ~10,
// libraries ~8, and the runtime the rest
const ADVANCE = [256, 37, 85, 26, 32, 0];

const SERVICE = 'github.com/acme/checkout';
const STDLIB_ROOT = '/usr/local/go/src/';
const MOD_ROOT = '/go/pkg/mod/';
const APP_ROOT = '/app/';

const TYPES = [
  'Service',
  'Handler',
  'Client',
  'Store',
  'Repository',
  'Cache',
  'Pool',
  'Conn',
  'Encoder',
  'Decoder',
  'Builder',
  'Manager',
  'Worker',
  'Queue',
  'Resolver',
  'Validator',
  'Router',
  'Session',
  'Tx',
  'Batch',
  'Reader',
  'Writer',
  'Scheduler',
  'Limiter',
  'Tracer',
  'Span',
  'Registry',
  'Codec',
  'Stream',
  'Server',
];
const VERBS = [
  'Get',
  'Put',
  'List',
  'Create',
  'Update',
  'Delete',
  'Find',
  'Load',
  'Save',
  'Encode',
  'Decode',
  'Validate',
  'Apply',
  'Compute',
  'Resolve',
  'Handle',
  'Process',
  'Flush',
  'Read',
  'Write',
  'Marshal',
  'Unmarshal',
  'Scan',
  'Exec',
  'Query',
  'Send',
  'Recv',
  'Lookup',
  'Merge',
  'Render',
  'Check',
  'Build',
  'Parse',
  'Fetch',
  'Emit',
];
const NOUNS = [
  'Cart',
  'Item',
  'Order',
  'Price',
  'Quote',
  'Tax',
  'Discount',
  'Promo',
  'Stock',
  'Payment',
  'Refund',
  'Invoice',
  'Shipment',
  'Address',
  'Customer',
  'Session',
  'Token',
  'Rule',
  'Rate',
  'Batch',
  'Event',
  'Record',
  'Row',
  'Header',
  'Body',
  'Field',
  'Value',
  'Key',
  'Entry',
  'Page',
  'Metric',
  'Label',
];

const FRAMEWORK_PKGS = [
  'net/http',
  'net/http/internal',
  'github.com/go-chi/chi/v5',
  'github.com/go-chi/chi/v5/middleware',
  'google.golang.org/grpc',
  'google.golang.org/grpc/internal/transport',
  'go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp',
  'github.com/prometheus/client_golang/prometheus/promhttp',
  `${SERVICE}/internal/middleware`,
  `${SERVICE}/internal/server`,
];
const APP_PKGS = [
  'api',
  'cart',
  'pricing',
  'inventory',
  'payments',
  'orders',
  'shipping',
  'tax',
  'promo',
  'auth',
  'customers',
  'catalog',
  'events',
  'store',
  'cache',
  'search',
  'recommend',
  'fraud',
  'ledger',
  'notify',
].map((p) => `${SERVICE}/internal/${p}`);
const LIBRARY_PKGS = [
  'encoding/json',
  'encoding/binary',
  'bufio',
  'bytes',
  'strings',
  'strconv',
  'fmt',
  'sort',
  'reflect',
  'regexp',
  'time',
  'context',
  'sync',
  'io',
  'compress/gzip',
  'compress/flate',
  'crypto/tls',
  'crypto/sha256',
  'crypto/aes',
  'math/big',
  'database/sql',
  'net',
  'internal/poll',
  'github.com/jackc/pgx/v5',
  'github.com/jackc/pgx/v5/pgconn',
  'github.com/jackc/pgx/v5/pgtype',
  'github.com/redis/go-redis/v9',
  'github.com/redis/go-redis/v9/internal/pool',
  'google.golang.org/protobuf/internal/impl',
  'google.golang.org/protobuf/proto',
  'go.uber.org/zap',
  'go.uber.org/zap/zapcore',
  'go.opentelemetry.io/otel/sdk/trace',
  'github.com/prometheus/client_golang/prometheus',
  'github.com/segmentio/kafka-go',
  'github.com/google/uuid',
];
const RUNTIME_FNS = [
  'runtime.mallocgc',
  'runtime.memmove',
  'runtime.memclrNoHeapPointers',
  'runtime.nextFreeFast',
  'runtime.(*mcache).refill',
  'runtime.(*mcentral).cacheSpan',
  'runtime.growslice',
  'runtime.makeslice',
  'runtime.newobject',
  'runtime.mapaccess1_faststr',
  'runtime.mapaccess2',
  'runtime.mapassign_faststr',
  'runtime.aeshashbody',
  'runtime.concatstrings',
  'runtime.slicebytetostring',
  'runtime.convTstring',
  'runtime.assertE2I2',
  'runtime.typedmemmove',
  'runtime.bulkBarrierPreWrite',
  'runtime.gcWriteBarrier',
  'runtime.wbBufFlush',
  'runtime.scanobject',
  'runtime.greyobject',
  'runtime.findObject',
  'runtime.markBits.isMarked',
  'runtime.(*gcWork).tryGet',
  'runtime.gcDrain',
  'runtime.markroot',
  'runtime.scanstack',
  'runtime.lock2',
  'runtime.unlock2',
  'runtime.futex',
  'runtime.futexsleep',
  'runtime.futexwakeup',
  'runtime.notesleep',
  'runtime.stopm',
  'runtime.schedule',
  'runtime.findRunnable',
  'runtime.netpoll',
  'runtime.epollwait',
  'runtime.park_m',
  'runtime.mcall',
  'runtime.gopark',
  'runtime.selectgo',
  'runtime.chanrecv',
  'runtime.chansend',
  'runtime.usleep',
  'runtime.nanotime',
  'runtime.walltime',
  'runtime.procyield',
  'runtime.deferreturn',
  'runtime.morestack',
  'runtime.newstack',
  'runtime.copystack',
  'runtime.memequal',
  'runtime.cmpstring',
  'runtime.duffcopy',
  'runtime.duffzero',
  'syscall.Syscall',
  'syscall.RawSyscall6',
  'internal/runtime/syscall.Syscall6',
  'syscall.read',
  'syscall.write',
  'internal/poll.ignoringEINTRIO',
  'crypto/internal/fips140/aes/gcm.gcmAesEnc',
  'crypto/sha256.block',
  'compress/flate.(*compressor).deflate',
  'compress/flate.(*compressor).findMatch',
  'encoding/json.stateInString',
  'encoding/json.(*decodeState).rescanLiteral',
  'strconv.ParseFloat',
  'strings.IndexByte',
  'indexbytebody',
  'sync.(*Mutex).Lock',
  'sync.(*Mutex).lockSlow',
  'sync/atomic.(*Int64).Add',
  'time.Now',
];
const ENTRY_FNS = [
  'net/http.(*conn).serve',
  'google.golang.org/grpc.(*Server).serveStreams.func2.1',
  'google.golang.org/grpc/internal/transport.(*http2Server).HandleStreams',
  'runtime.gcBgMarkWorker',
  'runtime.bgsweep',
  'runtime.bgscavenge',
  `${SERVICE}/internal/events.(*Consumer).Run`,
  `${SERVICE}/internal/orders.(*Reconciler).loop`,
  `${SERVICE}/internal/cache.(*Refresher).run`,
  'go.opentelemetry.io/otel/sdk/trace.(*batchSpanProcessor).processQueue',
  'github.com/prometheus/client_golang/prometheus.(*Registry).Gather.func1',
  'main.main',
];
// how often each entry point roots a stack: HTTP serving dominates, GC and background loops follow
const ENTRY_WEIGHTS = [40, 14, 8, 10, 2, 1, 6, 4, 2, 3, 2, 2];

function fileOf(pkg: string, base: string): string {
  const root = pkg.includes('.') ? (pkg.startsWith(SERVICE) ? APP_ROOT : MOD_ROOT) : STDLIB_ROOT;
  const rel = pkg.startsWith(SERVICE) ? pkg.slice(SERVICE.length + 1) : pkg;
  return `${root}${rel}/${base}.go`;
}

function lower(s: string): string {
  return s[0].toLowerCase() + s.slice(1);
}

/** Go-style function names for a package: methods on pointer and value receivers, plain functions, closures. */
function packageFunctions(rng: Prng, pkg: string, count: number): Fn[] {
  const out: Fn[] = [];
  const seen = new Set<string>();
  const files = Array.from(
    { length: 2 + rng.int(5) },
    () => lower(rng.pick(NOUNS)) + (rng.int(3) === 0 ? '_impl' : '')
  );
  let guard = 0;
  while (out.length < count && guard++ < count * 20) {
    const kind = rng.int(10);
    const type = rng.pick(TYPES);
    const method = rng.pick(VERBS) + (rng.int(2) === 0 ? rng.pick(NOUNS) : '');
    let name: string;
    if (kind < 5) {
      name = `${pkg}.(*${type}).${method}`;
    } else if (kind < 7) {
      name = `${pkg}.${type}.${method}`;
    } else if (kind < 9) {
      name = `${pkg}.${rng.int(2) === 0 ? lower(method) : method}`;
    } else {
      name = `${pkg}.(*${type}).${method}.func${1 + rng.int(4)}`;
    }
    if (seen.has(name)) {
      continue;
    }
    seen.add(name);
    out.push({ name, file: fileOf(pkg, rng.pick(files)), start: 20 + rng.int(1500) });
  }
  return out;
}

export class ProfileGenerator {
  readonly seed: number;
  readonly periodNs: number;
  readonly intervalMs: number;
  private readonly minSamples: number;
  private readonly maxSamples: number;
  /** Functions, and frames (function, line) referenced by stacks. */
  readonly fns: Fn[] = [];
  private readonly frameFn: number[] = [];
  private readonly frameLine: number[] = [];
  /** Distinct stacks, leaf first, as global frame ids. */
  readonly stacks: Int32Array[] = [];
  /** Cumulative weights of the stacks, for the day mix and the night mix. */
  private readonly dayCdf: Float64Array;
  private readonly nightCdf: Float64Array;

  constructor(opts: GeneratorOptions = {}) {
    this.seed = opts.seed ?? 1;
    this.periodNs = opts.periodNs ?? 10_000_000;
    this.intervalMs = opts.intervalMs ?? 15_000;
    this.minSamples = opts.minSamples ?? 300;
    this.maxSamples = opts.maxSamples ?? 800;
    const rng = new Prng(this.seed);
    const nFns = opts.functions ?? 3000;
    const nStacks = opts.stacks ?? 4000;

    // Functions by layer, in roughly the proportions of a real service's symbol table.
    const layers: number[][] = Array.from({ length: LAYERS }, () => []);
    const add = (layer: number, fns: Fn[]) => {
      for (const f of fns) {
        layers[layer].push(this.fns.length);
        this.fns.push(f);
      }
    };
    const goexit = this.fns.length;
    this.fns.push({ name: 'runtime.goexit', file: `${STDLIB_ROOT}runtime/asm_amd64.s`, start: 1693 });
    add(
      ENTRY,
      ENTRY_FNS.map((name) => ({
        name,
        file: fileOf(name.replace(/\.[^./]*$/, '').replace(/\.\(.*$/, ''), 'main'),
        start: 100 + rng.int(900),
      }))
    );
    const budget = nFns - this.fns.length - RUNTIME_FNS.length;
    for (const pkg of FRAMEWORK_PKGS) {
      add(FRAMEWORK, packageFunctions(rng, pkg, Math.round((budget * 0.1) / FRAMEWORK_PKGS.length)));
    }
    for (const pkg of APP_PKGS) {
      const fns = packageFunctions(rng, pkg, Math.round((budget * 0.5) / APP_PKGS.length));
      // handlers are the app's exported entry points; the rest is domain logic
      const cut = Math.ceil(fns.length / 4);
      add(HANDLER, fns.slice(0, cut));
      add(DOMAIN, fns.slice(cut));
    }
    for (const pkg of LIBRARY_PKGS) {
      add(LIBRARY, packageFunctions(rng, pkg, Math.round((budget * 0.4) / LIBRARY_PKGS.length)));
    }
    add(
      RUNTIME,
      RUNTIME_FNS.map((name) => ({
        name,
        file: `${STDLIB_ROOT}${name.startsWith('runtime.') ? 'runtime' : name.replace(/\.[^./]*$/, '').replace(/\.\(.*$/, '')}/${lower(rng.pick(NOUNS))}.go`,
        start: 50 + rng.int(3000),
      }))
    );

    const frameIds = new Map<number, number>();
    const frame = (fn: number, line: number): number => {
      const key = fn * 65536 + line;
      let id = frameIds.get(key);
      if (id === undefined) {
        id = this.frameFn.length;
        this.frameFn.push(fn);
        this.frameLine.push(line);
        frameIds.set(key, id);
      }
      return id;
    };
    // The call tree is implicit: a node is identified by a hash of its path, and its function, line and
    // possible callees are derived from that hash, so two stacks that take the same choices share a prefix.
    // Pools are ordered by package, and a few functions of each layer are called from everywhere (mallocgc,
    // json encoding, the logger): a callee is drawn with a skew to the front of its layer's pool, and a call
    // within a layer sometimes stays near its caller (the same package). A node's first callee is the most
    // popular choice; stacks made first are the hot ones (see the weights below) and mostly take first callees,
    // later, rarely sampled stacks branch off more and reach the tail of the pools.
    const nodeFn = (h: number, layer: number, callerLayer: number, callerPos: number, skew: number): number => {
      const pool = layers[layer];
      if (layer === callerLayer && (h & 0x300) === 0) {
        return (callerPos + 1 + ((h >>> 10) % 4)) % pool.length;
      }
      const u = ((h >>> 12) & 0xffff) / 65536;
      return Math.floor(pool.length * Math.pow(u, skew));
    };
    const entryCdf = cdf(ENTRY_WEIGHTS);
    const seen = new Set<string>();
    const path: number[] = [];
    let attempts = 0;
    while (this.stacks.length < nStacks && attempts++ < nStacks * 50) {
      path.length = 0;
      const branch = 0.1 + 0.5 * (this.stacks.length / nStacks);
      // depth 10..60, most around 25-35 (a beta-like bump from the mean of three uniforms)
      const depth = 10 + Math.floor(((rng.next() + rng.next() + rng.next()) / 3) * 51);
      const entry = pickCdf(entryCdf, rng.next());
      let h = mix(this.seed, entry);
      path.push(frame(goexit, 1694));
      const entryFn = layers[ENTRY][entry];
      path.push(frame(entryFn, this.fns[entryFn].start + (h % 40)));
      const isGc = ENTRY_FNS[entry].startsWith('runtime.');
      let layer = isGc ? RUNTIME : FRAMEWORK;
      let pos = -1;
      let posLayer = -1;
      while (path.length < depth) {
        // a node has 1-6 callees, fewer near the root (every request goes through the same server and
        // middleware frames); the first ones are far more likely (hot paths)
        const fanout = path.length < 8 ? 1 + (h % 4 === 0 ? 1 : 0) : 1 + (h % 5);
        let c = 0;
        while (c < fanout - 1 && rng.next() < branch) {
          c++;
        }
        h = mix(h, c + 1);
        // go one layer deeper with the layer's own odds (how many frames a layer spans), decided by the node
        // alone so that stacks through the same node agree; a stack's depth only decides where it ends
        if (layer < RUNTIME && (h & 0xff) < ADVANCE[layer]) {
          layer++;
        }
        pos = nodeFn(h, layer, posLayer, pos, c === 0 ? 8 : c === 1 ? 4 : 2);
        posLayer = layer;
        const fn = layers[layer][pos];
        path.push(frame(fn, this.fns[fn].start + 1 + ((h >>> 3) % 120)));
      }
      // the leaf: most samples land in the runtime or a library (allocation, hashing, syscalls)
      if (layer < LIBRARY) {
        const leafLayer = (h & 1) === 0 ? RUNTIME : LIBRARY;
        const leaf = layers[leafLayer][nodeFn(mix(h, 99), leafLayer, -1, -1, 4)];
        path[path.length - 1] = frame(leaf, this.fns[leaf].start + 1 + ((h >>> 5) % 60));
      }
      const key = path.join(',');
      if (seen.has(key)) {
        continue;
      }
      seen.add(key);
      this.stacks.push(Int32Array.from(path).reverse());
    }

    // Zipf-like weights over two rankings, the day mix (request serving) and the night mix: both follow the
    // order stacks were made in (hot stacks first), each shuffled locally by its own amount.
    const s = opts.zipf ?? 1.1;
    const rank = (salt: number, jitter: number): Float64Array => {
      const r = new Prng(mix(this.seed, salt));
      const key = Array.from(this.stacks.keys(), (i) => i + r.next() * jitter);
      const order = Array.from(this.stacks.keys()).sort((a, b) => key[a] - key[b]);
      const w = new Float64Array(order.length);
      order.forEach((st, k) => (w[st] = 1 / Math.pow(k + 1, s)));
      return w;
    };
    this.dayCdf = cdf(rank(11, 300));
    this.nightCdf = cdf(rank(12, 1500));
  }

  /** Load of the service at a time of day in [0, 1]: lowest around 04:00 UTC, highest around 16:00. */
  load(timeMs: number): number {
    const hourOfDay = (timeMs / 3_600_000) % 24;
    return 0.5 - 0.5 * Math.cos((2 * Math.PI * (hourOfDay - 4)) / 24);
  }

  /**
   * The service's symbols and every stack, built once with the same builder the text formats use. Stack i of
   * the template is this.stacks[i].
   */
  private template(): NormalizedProfile {
    if (!this.tmpl) {
      const b = new NormalizedProfileBuilder({
        sampleTypes: [{ type: 'cpu', unit: 'nanoseconds' }],
        periodType: { type: 'cpu', unit: 'nanoseconds' },
        period: this.periodNs,
      });
      const fnIds = this.fns.map((fn) => b.function(fn.name, fn.name, fn.file, fn.start));
      const frameIds = this.frameFn.map((f, i) => b.frame(fnIds[f], this.frameLine[i]));
      this.stacks.forEach((st, i) => {
        if (b.stack(Array.from(st, (g) => frameIds[g])) !== i) {
          throw new Error('generator stacks must be distinct');
        }
      });
      this.tmpl = b.build();
    }
    return this.tmpl;
  }
  private tmpl: NormalizedProfile | null = null;

  /** How many samples land on each stack in the profile at timeMs (index = stack id). */
  private draw(timeMs: number): { stacks: Int32Array; counts: Int32Array } {
    const rng = new Prng(mix(this.seed, Math.floor(timeMs / 1000)));
    const load = this.load(timeMs);
    const noise = 0.9 + 0.2 * rng.next();
    const n = Math.max(
      this.minSamples,
      Math.min(this.maxSamples, Math.round((this.minSamples + (this.maxSamples - this.minSamples) * load) * noise))
    );
    const count = new Int32Array(this.stacks.length);
    const order: number[] = [];
    for (let i = 0; i < n; i++) {
      const table = rng.next() < 0.35 + 0.6 * load ? this.dayCdf : this.nightCdf;
      const st = pickCdf(table, rng.next());
      if (count[st]++ === 0) {
        order.push(st);
      }
    }
    return { stacks: Int32Array.from(order), counts: Int32Array.from(order, (st) => count[st]) };
  }

  /**
   * The profile covering [timeMs, timeMs + interval): the same for the same (seed, timeMs). It shares the
   * service's symbol tables (every function, frame and stack) and carries only its own samples; a segment keeps
   * only what samples reference, so it stores what a pprof listing just its own locations would give, without
   * string work per profile (generating 5,760 profiles stays a small part of a benchmark's set-up).
   */
  profile(timeMs: number): NormalizedProfile {
    const t = this.template();
    const { stacks, counts } = this.draw(timeMs);
    return {
      ...t,
      sampleStack: stacks,
      sampleValues: [Float64Array.from(counts, (c) => c * this.periodNs)],
      sampleLabelSet: new Int32Array(stacks.length),
      sampleSpan: new Int32Array(stacks.length),
      labelSets: [[]],
      timeMs,
      durationNanos: this.intervalMs * 1e6,
    };
  }

  /** The profile as the ingest path hands it to the segment writer (series labels of a Go service). */
  ingestProfile(timeMs: number, service = 'checkout', extra: Array<[string, string]> = []): IngestProfile {
    return {
      labels: [['service_name', service], ['pyroscope_spy', 'gospy'], ...extra, ['__name__', 'process_cpu']],
      profile: this.profile(timeMs),
      timeMs,
    };
  }
}

function cdf(weights: ArrayLike<number>): Float64Array {
  const out = new Float64Array(weights.length);
  let acc = 0;
  for (let i = 0; i < weights.length; i++) {
    acc += weights[i];
    out[i] = acc;
  }
  for (let i = 0; i < out.length; i++) {
    out[i] /= acc;
  }
  return out;
}

/** Index of the first cumulative weight above u (binary search). */
function pickCdf(c: Float64Array, u: number): number {
  let lo = 0;
  let hi = c.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (c[mid] > u) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo;
}
