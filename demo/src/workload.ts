// One tick of one service: the profiles its agents would send for the 10 s ending at `endMs`, as ready-to-run
// sends over the agents' own protocols, plus the spans whose samples those profiles label with span_id.
import { REGRESSION, type ServiceDef, type Weighted } from './catalog.js';
import { writeJfr } from './jfr/jfr-writer.js';
import { PprofBuilder, type Frame, type ValueType } from './pprof.js';
import { dailyShape, hashString, randomHex, seededRng, type Rng } from './shape.js';
import { appName, fileField, ingest, push, type PushSeries } from './transport.js';

export const PROFILE_MS = 10_000;
export const SPAN_PROFILE_TYPE = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';

export interface DemoSpan {
  traceId: string;
  spanId: string;
  service: string;
  name: string;
  /** Unix ms. */
  start: number;
  end: number;
  /** The profile type whose samples carry this span's id, and those samples: folded stack (root first) -> value. */
  profileTypeId: string;
  stacks: Record<string, number>;
}

export interface Send {
  what: string;
  run(): Promise<void>;
}

export interface Tick {
  sends: Send[];
  spans: DemoSpan[];
}

export interface WorkloadOptions {
  /** Base URL of the Pyroscope API. */
  url: string;
  regressionAtMs: number;
  namespace: string;
}

const EBPF_HZ = 97;
const SDK_HZ = 100;
const SDK_PERIOD = 1e9 / SDK_HZ;
const REGIONS: Record<string, string> = { email: 'us-east-1', 'fraud-detection': 'us-east-1', currency: 'us-east-1' };
const SPAN_NAMES: Record<string, string> = {
  checkout: 'oteldemo.CheckoutService/PlaceOrder',
  'product-catalog': 'oteldemo.ProductCatalogService/GetProduct',
  cart: 'POST /oteldemo.CartService/GetCart',
  recommendation: '/oteldemo.RecommendationService/ListRecommendations',
  shipping: 'POST /get-quote',
};

/** The Kubernetes identity Alloy's discovery gives the pod (and the SDKs' tags repeat). */
export function instanceLabels(svc: ServiceDef, endMs: number, opts: WorkloadOptions): Record<string, string> {
  const h = hashString(svc.name).toString(36);
  const regressed = svc.name === REGRESSION.service && endMs >= opts.regressionAtMs;
  return {
    namespace: opts.namespace,
    pod: `${svc.name}-${h.slice(0, 5)}${regressed ? 'c' : 'b'}8d9-${h.slice(-5)}`,
    region: REGIONS[svc.name] ?? 'eu-west-1',
    // The regression ships with a release: the version label tells the two sides apart.
    version: regressed ? bumpPatch(svc.version) : svc.version,
  };
}

function bumpPatch(v: string): string {
  const p = v.split('.');
  p[p.length - 1] = String(Number(p[p.length - 1]) + 1);
  return p.join('.');
}

function frames(stack: string): Frame[] {
  return stack.split(';').map((name) => ({ name }));
}

function leaf(stack: string): string {
  return stack.slice(stack.lastIndexOf(';') + 1);
}

/** Weights at time t: after the switch the regression service's slower leaf doubles and its faster leaf halves. */
export function weightsAt(
  svc: ServiceDef,
  stacks: readonly Weighted[],
  endMs: number,
  opts: WorkloadOptions
): Weighted[] {
  if (svc.name !== REGRESSION.service || endMs < opts.regressionAtMs) {
    return [...stacks];
  }
  return stacks.map((s) => {
    const f = leaf(s.stack);
    if (f === REGRESSION.slower) {
      return { ...s, weight: s.weight * 2 };
    }
    if (f === REGRESSION.faster) {
      return { ...s, weight: s.weight / 2 };
    }
    return s;
  });
}

/** Splits `units` over the stacks by weight, each share jittered by ±20 % (sampling noise). */
function distribute(stacks: readonly Weighted[], units: number, rng: Rng): Array<[Weighted, number]> {
  const total = stacks.reduce((a, s) => a + s.weight, 0);
  const out: Array<[Weighted, number]> = [];
  for (const s of stacks) {
    const n = Math.round(((units * s.weight) / total) * (0.8 + 0.4 * rng()));
    if (n > 0) {
      out.push([s, n]);
    }
  }
  return out;
}

function cpuSeconds(svc: ServiceDef, endMs: number, rng: Rng): number {
  return svc.cores * dailyShape(endMs) * (0.9 + 0.2 * rng()) * (PROFILE_MS / 1000);
}

function meta(endMs: number, sampleTypes: ValueType[], periodType: ValueType, period: number) {
  return { sampleTypes, periodType, period, timeNanos: (endMs - PROFILE_MS) * 1e6, durationNanos: PROFILE_MS * 1e6 };
}

const vt = (type: string, unit: string): ValueType => ({ type, unit });

function makeSpans(svc: ServiceDef, stacks: readonly Weighted[], endMs: number, period: number, rng: Rng): DemoSpan[] {
  const eligible = stacks.filter((s) => s.span);
  if (!svc.spans || eligible.length === 0) {
    return [];
  }
  const spans: DemoSpan[] = [];
  for (let i = 0; i < 2; i++) {
    const start = endMs - PROFILE_MS + Math.floor(rng() * (PROFILE_MS - 1500));
    const samples: Record<string, number> = {};
    const k = 1 + Math.floor(rng() * 3);
    for (let j = 0; j < k; j++) {
      const s = eligible[Math.floor(rng() * eligible.length)]!;
      samples[s.stack] = (samples[s.stack] ?? 0) + (1 + Math.floor(rng() * 4)) * period;
    }
    spans.push({
      traceId: randomHex(rng, 16),
      spanId: randomHex(rng, 8),
      service: svc.name,
      name: SPAN_NAMES[svc.name] ?? 'request',
      start,
      end: start + 20 + Math.floor(rng() * 900),
      profileTypeId: SPAN_PROFILE_TYPE,
      stacks: samples,
    });
  }
  return spans;
}

/** Adds the spans' samples, labelled with their span_id; `values(v)` maps a CPU value to the sample's values. */
function addSpanSamples(b: PprofBuilder, spans: readonly DemoSpan[], values: (ns: number) => number[]): void {
  for (const sp of spans) {
    for (const [stack, ns] of Object.entries(sp.stacks)) {
      b.add(frames(stack), values(ns), { span_id: sp.spanId });
    }
  }
}

export function buildTick(svc: ServiceDef, endMs: number, opts: WorkloadOptions): Tick {
  const rng = seededRng(hashString(`${svc.name}@${endMs}`));
  const inst = instanceLabels(svc, endMs, opts);
  const sends: Send[] = [];
  let spans: DemoSpan[] = [];
  const cpuSec = cpuSeconds(svc, endMs, rng);

  // eBPF: every service, Alloy's pyroscope.ebpf push (plain binary proto).
  {
    const period = Math.round(1e9 / EBPF_HZ);
    const b = new PprofBuilder(meta(endMs, [vt('cpu', 'nanoseconds')], vt('cpu', 'nanoseconds'), period));
    for (const [s, n] of distribute(weightsAt(svc, svc.ebpf, endMs, opts), cpuSec * EBPF_HZ, rng)) {
      b.add(frames(s.stack), [n * period]);
    }
    const labels = {
      __name__: 'process_cpu',
      service_name: svc.name,
      ...inst,
      container: svc.name,
      node: `aks-system-${(hashString(inst.pod) % 3) + 1}`,
    };
    const body = b.encode();
    sends.push({ what: 'ebpf', run: () => push(opts.url, [{ labels, profiles: [body] }], { gzip: false }) });
  }

  const cpuStacks = weightsAt(svc, svc.cpu ?? svc.ebpf, endMs, opts);
  const cpuSamples = distribute(cpuStacks, cpuSec * SDK_HZ, rng);
  const from = endMs - PROFILE_MS;
  const tags = inst;

  switch (svc.sdk) {
    case 'go': {
      spans = makeSpans(svc, cpuStacks, endMs, SDK_PERIOD, rng);
      const goSend = (what: string, b: PprofBuilder, stc?: object) => {
        const body = b.encode();
        sends.push({
          what,
          run: () => {
            const form = new FormData();
            fileField(form, 'profile', body, 'profile.pprof');
            if (stc) {
              fileField(
                form,
                'sample_type_config',
                new TextEncoder().encode(JSON.stringify(stc)),
                'sample_type_config.json'
              );
            }
            // pyroscope-go sends times in nanoseconds.
            return ingest(
              opts.url,
              {
                name: appName(svc.name, tags),
                from: String(from * 1e6),
                until: String(endMs * 1e6),
                spyName: 'gospy',
                sampleRate: String(SDK_HZ),
              },
              form
            );
          },
        });
      };
      const cpu = new PprofBuilder(
        meta(endMs, [vt('samples', 'count'), vt('cpu', 'nanoseconds')], vt('cpu', 'nanoseconds'), SDK_PERIOD)
      );
      for (const [s, n] of cpuSamples) {
        cpu.add(frames(s.stack), [n, n * SDK_PERIOD]);
      }
      addSpanSamples(cpu, spans, (ns) => [ns / SDK_PERIOD, ns]);
      goSend('go cpu', cpu);

      const mem = new PprofBuilder(
        meta(
          endMs,
          [
            vt('alloc_objects', 'count'),
            vt('alloc_space', 'bytes'),
            vt('inuse_objects', 'count'),
            vt('inuse_space', 'bytes'),
          ],
          vt('space', 'bytes'),
          512 * 1024
        )
      );
      for (const [s, n] of distribute(svc.alloc ?? [], 400 * dailyShape(endMs), rng)) {
        const size = 64 + (hashString(s.stack) % 4096);
        const live = Math.max(1, Math.round(n * 0.1));
        mem.add(frames(s.stack), [n, n * size, live, live * size]);
      }
      goSend('go memory', mem, {
        alloc_objects: { units: 'objects' },
        alloc_space: { units: 'bytes' },
        inuse_objects: { units: 'objects', aggregation: 'average' },
        inuse_space: { units: 'bytes', aggregation: 'average' },
      });

      const gor = new PprofBuilder(meta(endMs, [vt('goroutine', 'count')], vt('goroutine', 'count'), 1));
      for (const s of svc.goroutines ?? []) {
        gor.add(frames(s.stack), [Math.max(1, Math.round(s.weight * (0.8 + 0.4 * rng())))]);
      }
      goSend('go goroutines', gor, {
        goroutine: { 'display-name': 'goroutines', units: 'goroutines', aggregation: 'average' },
      });

      for (const [kind, stacks] of [
        ['mutex', svc.locks ?? []],
        ['block', svc.block ?? []],
      ] as const) {
        const b = new PprofBuilder(
          meta(endMs, [vt('contentions', 'count'), vt('delay', 'nanoseconds')], vt('contentions', 'count'), 1)
        );
        for (const [s, n] of distribute(stacks, 60 * dailyShape(endMs), rng)) {
          b.add(frames(s.stack), [n, n * (20_000 + (hashString(s.stack) % 200_000))]);
        }
        goSend(`go ${kind}`, b, {
          contentions: { 'display-name': `${kind}_count`, units: 'lock_samples' },
          delay: { 'display-name': `${kind}_duration`, units: 'lock_nanoseconds' },
        });
      }
      break;
    }

    case 'dotnet': {
      spans = makeSpans(svc, cpuStacks, endMs, SDK_PERIOD, rng);
      // One pprof with every provider's sample type, as the Pyroscope .NET profiler sends it; `-` becomes `_`.
      const b = new PprofBuilder(
        meta(
          endMs,
          [
            vt('cpu', 'nanoseconds'),
            vt('alloc-samples', 'count'),
            vt('alloc-size', 'bytes'),
            vt('lock-count', 'count'),
            vt('lock-time', 'nanoseconds'),
            vt('exception', 'count'),
          ],
          vt('cpu', 'nanoseconds'),
          SDK_PERIOD
        )
      );
      for (const [s, n] of cpuSamples) {
        b.add(frames(s.stack), [n * SDK_PERIOD, 0, 0, 0, 0, 0]);
      }
      addSpanSamples(b, spans, (ns) => [ns, 0, 0, 0, 0, 0]);
      for (const [s, n] of distribute(svc.alloc ?? [], 200 * dailyShape(endMs), rng)) {
        b.add(frames(s.stack), [0, n, n * (100 + (hashString(s.stack) % 8000)), 0, 0, 0]);
      }
      for (const [s, n] of distribute(svc.locks ?? [], 40 * dailyShape(endMs), rng)) {
        b.add(frames(s.stack), [0, 0, 0, n, n * 150_000, 0]);
      }
      for (const [s, n] of distribute(svc.exceptions ?? [], 6 * dailyShape(endMs), rng)) {
        b.add(frames(s.stack), [0, 0, 0, 0, 0, n]);
      }
      const body = b.encode();
      sends.push({
        what: 'dotnet',
        run: () =>
          ingest(
            opts.url,
            {
              name: appName(svc.name, tags),
              from: String(Math.floor(from / 1000)),
              until: String(Math.floor(endMs / 1000)),
              format: 'pprof',
              spyName: 'dotnetspy',
              sampleRate: String(SDK_HZ),
            },
            body
          ),
      });
      break;
    }

    case 'jfr': {
      const allocs = distribute(svc.alloc ?? [], 120 * dailyShape(endMs), rng).map(([s, n], i) => ({
        stack: s.stack.split(';'),
        objectClass: ['[B', 'java/lang/String', 'java/util/ArrayList', '[Ljava/lang/Object;'][i % 4]!,
        count: n,
        bytes: 256 * 1024 + (hashString(s.stack) % (1024 * 1024)),
      }));
      const jfr = writeJfr({
        startNanos: from * 1e6,
        durationNanos: PROFILE_MS * 1e6,
        executionSamples: cpuSamples.map(([s, n]) => ({ stack: s.stack.split(';'), count: n })),
        allocations: allocs,
      });
      sends.push({
        what: 'jfr',
        run: () => {
          const form = new FormData();
          fileField(form, 'jfr', jfr, 'jfr');
          return ingest(
            opts.url,
            {
              name: appName(svc.name, tags),
              from: String(Math.floor(from / 1000)),
              until: String(Math.floor(endMs / 1000)),
              format: 'jfr',
              spyName: 'javaspy',
              sampleRate: String(SDK_HZ),
            },
            form
          );
        },
      });
      break;
    }

    case 'python':
    case 'rust': {
      spans = makeSpans(svc, cpuStacks, endMs, SDK_PERIOD, rng);
      const spy = svc.sdk === 'python' ? 'pyspy' : 'pyroscope-rs';
      const base = { service_name: svc.name, ...tags, pyroscope_spy: spy };
      const cpu = new PprofBuilder(meta(endMs, [vt('cpu', 'nanoseconds')], vt('cpu', 'nanoseconds'), SDK_PERIOD));
      for (const [s, n] of cpuSamples) {
        cpu.add(frames(s.stack), [n * SDK_PERIOD]);
      }
      addSpanSamples(cpu, spans, (ns) => [ns]);
      const series: PushSeries[] = [{ labels: { __name__: 'process_cpu', ...base }, profiles: [cpu.encode()] }];
      if (svc.alloc) {
        const mem = new PprofBuilder(
          meta(endMs, [vt('alloc_objects', 'count'), vt('alloc_space', 'bytes')], vt('space', 'bytes'), 1)
        );
        for (const [s, n] of distribute(svc.alloc, 300 * dailyShape(endMs), rng)) {
          mem.add(frames(s.stack), [n, n * (48 + (hashString(s.stack) % 2000))]);
        }
        series.push({ labels: { __name__: 'memory', ...base }, profiles: [mem.encode()] });
      }
      sends.push({ what: spy, run: () => push(opts.url, series, { gzip: true }) });
      break;
    }

    default:
      // eBPF only, or the Node.js SDK, which runs in its own worker process.
      break;
  }
  return { sends, spans };
}
