// The demo workload: the seed's thirteen services as real agent traffic. Every 15 s per service it sends a 10 s
// profile over the protocol each agent uses (eBPF for all, the SDKs for their richer types), runs the real
// Node.js SDK in two worker processes, and appends every span it labels to $DATA_DIR/demo/spans.jsonl (and,
// with OTEL_EXPORTER_OTLP_ENDPOINT, exports it to Tempo with pyroscope.profile.id).
//
// Environment: PYROSCOPE_URL (http://127.0.0.1:4040), DATA_DIR (./data), DEMO_INTERVAL_MS (15000),
// DEMO_BACKFILL_MINUTES (0: history pushed at start, one round a minute,
// only for the time an earlier run on the same DATA_DIR did not cover), DEMO_REGRESSION_AT (ISO time or
// unix ms; default: half-way through the backfill, else 5 minutes after start), DEMO_NODE_SDK (1),
// OTEL_EXPORTER_OTLP_ENDPOINT (unset: no span export).
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REGRESSION, SERVICES, type ServiceDef } from './catalog.js';
import { exportSpans } from './otlp.js';
import { buildTick, instanceLabels, type DemoSpan, type WorkloadOptions } from './workload.js';

const url = (process.env.PYROSCOPE_URL ?? 'http://127.0.0.1:4040').replace(/\/$/, '');
const dataDir = resolve(process.env.DATA_DIR ?? './data');
const intervalMs = Number(process.env.DEMO_INTERVAL_MS ?? 15_000);
const backfillMinutes = Number(process.env.DEMO_BACKFILL_MINUTES ?? 0);
const otlp = process.env.OTEL_EXPORTER_OTLP_ENDPOINT?.replace(/\/$/, '');
const startedAt = Date.now();
mkdirSync(join(dataDir, 'demo'), { recursive: true });

function parseTime(s: string | undefined): number | undefined {
  if (!s) {
    return undefined;
  }
  const n = Number(s);
  return Number.isFinite(n) ? n : Date.parse(s);
}

/**
 * What an earlier run on the same data folder already sent: a restart continues its story (same regression
 * time) and backfills only the gap, instead of pushing the same minutes twice.
 */
interface DemoState {
  regressionAtMs: number;
  lastEndMs: number;
}
const stateFile = join(dataDir, 'demo', 'state.json');
function readState(): DemoState | undefined {
  try {
    const st = JSON.parse(readFileSync(stateFile, 'utf8')) as DemoState;
    // Older than the backend's default reject-older-than (1 h): nothing to continue.
    return st.lastEndMs > startedAt - 55 * 60_000 ? st : undefined;
  } catch {
    return undefined;
  }
}
const previous = readState();
const backfillFromMs = Math.max(startedAt - backfillMinutes * 60_000, previous?.lastEndMs ?? 0);
const regressionAtMs =
  parseTime(process.env.DEMO_REGRESSION_AT) ??
  previous?.regressionAtMs ??
  (backfillMinutes > 0 ? startedAt - (backfillMinutes * 60_000) / 2 : startedAt + 5 * 60_000);
let lastSavedMs = 0;
function saveState(endMs: number): void {
  if (endMs - lastSavedMs < 5000) {
    return;
  }
  lastSavedMs = endMs;
  writeFileSync(stateFile, JSON.stringify({ regressionAtMs, lastEndMs: endMs } satisfies DemoState));
}

const opts: WorkloadOptions = { url, regressionAtMs, namespace: process.env.DEMO_NAMESPACE ?? 'otel-demo' };
const spansFile = join(dataDir, 'demo', 'spans.jsonl');

const log = (msg: string) => console.log(`[demo] ${msg}`);

// One error line per service and kind a minute: a backend that is down should not flood the terminal.
const lastError = new Map<string, number>();
function reportError(key: string, e: unknown): void {
  const now = Date.now();
  if ((lastError.get(key) ?? 0) + 60_000 > now) {
    return;
  }
  lastError.set(key, now);
  console.error(`[demo] ${key}: ${e instanceof Error ? e.message : String(e)}`);
}

function recordSpans(spans: DemoSpan[]): void {
  if (spans.length === 0) {
    return;
  }
  appendFileSync(spansFile, spans.map((s) => JSON.stringify(s)).join('\n') + '\n');
  if (otlp) {
    exportSpans(otlp, spans).catch((e) => reportError('otlp export', e));
  }
}

async function runTick(svc: ServiceDef, endMs: number): Promise<void> {
  const tick = buildTick(svc, endMs, opts);
  for (const s of tick.sends) {
    try {
      await s.run();
    } catch (e) {
      reportError(`${svc.name} ${s.what}`, e);
    }
  }
  // Spans are recorded once their profile is stored, so a span in the file can always be followed.
  recordSpans(tick.spans);
}

async function waitForBackend(): Promise<void> {
  for (let i = 0; i < 600; i++) {
    try {
      const r = await fetch(`${url}/ready`);
      if (r.ok) {
        return;
      }
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`backend ${url} not ready after 5 minutes`);
}

const workers: ChildProcess[] = [];
function startNodeSdkWorkers(): void {
  const worker = fileURLToPath(new URL('./node-sdk-worker.ts', import.meta.url));
  for (const svc of SERVICES.filter((s) => s.sdk === 'nodejs')) {
    // The worker is TypeScript too: it inherits this process's loader flags (--import tsx).
    const child = spawn(process.execPath, [...process.execArgv, worker], {
      env: {
        ...process.env,
        DEMO_APP: svc.name,
        DEMO_TAGS: JSON.stringify(instanceLabels(svc, Date.now(), opts)),
        PYROSCOPE_URL: url,
        DEMO_INTERVAL_MS: String(intervalMs),
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('exit', (code, sig) => {
      if (!stopping) {
        console.error(`[demo] ${svc.name} SDK worker exited (${sig ?? code})`);
      }
    });
    workers.push(child);
  }
}

const timers: NodeJS.Timeout[] = [];
let stopping = false;

async function backfill(): Promise<void> {
  // Oldest first, one round a minute, one request at a time: history without starving the live ticks.
  const now = Date.now();
  let rounds = 0;
  for (let endMs = Math.ceil(backfillFromMs / 60_000) * 60_000; endMs < now - 30_000 && !stopping; endMs += 60_000) {
    for (const svc of SERVICES) {
      if (stopping) {
        return;
      }
      await runTick(svc, endMs);
    }
    rounds++;
  }
  log(`backfilled ${rounds} minute(s) of history`);
}

async function main(): Promise<void> {
  await waitForBackend();
  log(
    `pushing ${SERVICES.length} services to ${url} every ${intervalMs / 1000} s; regression in ${REGRESSION.service} at ${new Date(regressionAtMs).toISOString()}; spans -> ${spansFile}`
  );
  if (process.env.DEMO_NODE_SDK !== '0') {
    startNodeSdkWorkers();
  }
  // First round at once, so every service shows up right away; then each service on its own phase of the
  // interval, as independent agents would be.
  const first = Date.now();
  await Promise.all(SERVICES.map((svc) => runTick(svc, first)));
  saveState(first);
  log(`first round sent (${SERVICES.length} services)`);
  SERVICES.forEach((svc, i) => {
    const phase = Math.floor((i * intervalMs) / SERVICES.length);
    const t = setTimeout(() => {
      const tick = () => {
        if (!stopping) {
          const endMs = Date.now();
          void runTick(svc, endMs).then(() => saveState(endMs));
        }
      };
      tick();
      timers.push(setInterval(tick, intervalMs));
    }, intervalMs + phase);
    timers.push(t);
  });
  if (backfillMinutes > 0) {
    await backfill();
  }
}

function stop(): void {
  if (stopping) {
    return;
  }
  stopping = true;
  timers.forEach((t) => clearTimeout(t));
  for (const w of workers) {
    w.kill('SIGTERM');
  }
  const pending = workers.filter((w) => w.exitCode === null && w.signalCode === null);
  if (pending.length === 0) {
    process.exit(0);
  }
  let left = pending.length;
  for (const w of pending) {
    w.once('exit', () => {
      if (--left === 0) {
        process.exit(0);
      }
    });
  }
  setTimeout(() => process.exit(0), 5000).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

main().catch((e) => {
  console.error(`[demo] ${e instanceof Error ? e.message : String(e)}`);
  stop();
  process.exitCode = 1;
});
