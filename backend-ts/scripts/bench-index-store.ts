// `npm run bench-index`: the hour index as one blob document (what we ship, storage/index.ts) against the same
// index in Azure Table Storage, side by side on Azurite. The issue asked to choose between the two by
// measurement; docs/storage.md chose the document without one. Both sides hold the same hour as the compactor
// leaves it at 10x (300 services, three profile types each) in the middle of the hour, built with the real
// SegmentBuilder, decodeMeta and addBlock, so the JSON is the bytes production writes; the Table side is
// rebuilt into the same IndexDoc and compared with the blob's (deepStrictEqual) before and after the runs.
//
// Per operation: BENCH_INDEX_RUNS (30) timed runs after 3 warm-up runs, blob and table alternating run by run
// (a drift in the box's load hits both alike), against Azurite directly. Round trips and bytes come from one
// extra run of each through a counting proxy (request and response bodies, headers left out), untimed, so
// the timings carry no proxy hop. Operations that change the index are undone after each run (untimed), so
// every run starts from the same document. Timings are printed, never asserted.
//
// Azurite is an emulator: its timings are its own (Node and LokiJS in one process, on loopback), not Azure's
// (no network, no replication, different query engine). What carries over is the shape: round trips, bytes,
// and which work grows with the document.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import {
  AzureNamedKeyCredential,
  odata,
  TableClient,
  type TableEntity,
  type TableEntityResult,
  type TransactionAction,
} from '@azure/data-tables';
import { NormalizedProfileBuilder } from '../src/formats/normalizedProfileBuilder.js';
import type { LabelSet } from '../src/model/labels.js';
import type { IngestProfile, NormalizedProfile } from '../src/model/profile.js';
import { AzureStore } from '../src/storage/azure.js';
import { SegmentBuilder } from '../src/storage/format/builder.js';
import { decodeMeta, type SegmentMeta } from '../src/storage/format/meta.js';
import {
  addBlock,
  emptyDoc,
  IndexStore,
  IndexUpdateAborted,
  type BlockEntry,
  type IndexDoc,
} from '../src/storage/index.js';
import { blockKey, hourDir, HOUR_MS, indexKey, l0Key, MINUTE_MS, minuteDir, WINDOW_MS } from '../src/storage/keys.js';
import { freePort, PROJECT_ROOT, sleep, startAzurite, stopProcess } from '../test/helpers.js';
import { Prng } from './lib/profileGenerator.js';
import { svcName } from './lib/benchProfiles.js';

const RUNS = Math.max(1, Number(process.env.BENCH_INDEX_RUNS ?? 30));
const WARMUP = 3;
const SERVICES = 300;
const TENANT = 'anonymous';
/** Covered sources of the hour (level-0 segments already in a block), replaced blocks awaiting deletion. */
const COVERED = 3000;
const GARBAGE = 20;
/** Sources of one writer step (the compactor's SOURCES_PER_STEP is 500: see the 100-operation note). */
const STEP_SOURCES = 90;
/** The compactor's SOURCES_PER_STEP, for the note on Table's transaction limit. */
const COMPACTOR_STEP_SOURCES = 500;
/** Characters per string property: Table takes 64 KiB per property, UTF-16, so 32K characters. */
const CHUNK = 32_000;
const ACCOUNT = 'devstoreaccount1';
const ACCOUNT_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const CALL_TIMEOUT_MS = 30_000;
/** The whole run: past it, Azurite is killed and the script fails (a stalled emulator must not hang the box). */
const BOUND_MS = Math.max(120, 60 + RUNS * 4) * 1000;

// ---- the hour as the compactor leaves it --------------------------------------------------------------------
// Mid-hour, at minute 51: windows 0-3 settled (one level-2 block each), window 4 ended but not settled yet (an
// early level-2 block and 7 level-1 blocks since), window 5 open (5 level-1 blocks). Every block holds every
// service, as at 10x each level-0 segment does.
const HOUR = Math.floor(Date.now() / HOUR_MS) - 1;
const H0 = HOUR * HOUR_MS;
const NOW = H0 + 51 * MINUTE_MS;
const win = (i: number): [number, number] => [H0 + i * WINDOW_MS, H0 + (i + 1) * WINDOW_MS];

interface NewBlock {
  key: string;
  size: number;
  window: [number, number];
  meta: SegmentMeta;
}

/** One CPU and one memory profile per service (labels as a Go agent sends them), built once and reused. */
function serviceProfiles(): Array<{ labels: Array<[string, string]>; cpu: NormalizedProfile; mem: NormalizedProfile }> {
  const rnd = new Prng(42);
  const out = [];
  for (let s = 0; s < SERVICES; s++) {
    const svc = svcName(s);
    // a Deployment's pod name: the ReplicaSet's hash and the pod's own suffix
    const chars = (alphabet: string, n: number) => Array.from({ length: n }, () => rnd.pick([...alphabet])).join('');
    const pod = `${svc}-${chars('0123456789abcdef', 10)}-${chars('bcdfghjklmnpqrstvwxz2456789', 5)}`;
    const build = (sampleTypes: Array<{ type: string; unit: string }>, periodType: { type: string; unit: string }) => {
      const b = new NormalizedProfileBuilder({ sampleTypes, periodType, period: 10_000_000 });
      const fns = ['runtime.goexit', 'net/http.(*conn).serve', `${svc}/api.(*Server).Handle`, `${svc}/store.Query`];
      const frames = fns.map((f, i) => b.frame(b.function(f, f, `${f.split('.')[0]}.go`, 10 * i), 20 * i + 3));
      for (let depth = 1; depth <= frames.length; depth++) {
        const values = sampleTypes.map(() => (1 + rnd.int(400)) * 10_000_000);
        b.addSample(b.stack(frames.slice(0, depth).reverse()), values);
      }
      return b.build();
    };
    out.push({
      labels: [
        ['service_name', svc],
        ['namespace', `team-${s % 12}`],
        ['pod', pod],
      ] as Array<[string, string]>,
      cpu: build([{ type: 'cpu', unit: 'nanoseconds' }], { type: 'cpu', unit: 'nanoseconds' }),
      mem: build(
        [
          { type: 'alloc_space', unit: 'bytes' },
          { type: 'inuse_space', unit: 'bytes' },
        ],
        { type: 'space', unit: 'bytes' }
      ),
    });
  }
  return out;
}

/** A block as the compactor writes it: encoded for real, its meta read back from its header. */
function makeBlock(
  profiles: ReturnType<typeof serviceProfiles>,
  level: number,
  w: [number, number],
  createdAt: number
): NewBlock {
  const b = new SegmentBuilder(TENANT);
  b.level = level;
  profiles.forEach((p, s) => {
    const timeMs = w[0] + ((s * 1999) % (WINDOW_MS - 15_000));
    const add = (name: string, profile: NormalizedProfile) =>
      b.add({ labels: [...p.labels, ['__name__', name]], profile, timeMs } satisfies IngestProfile);
    add('process_cpu', p.cpu);
    add('memory', p.mem);
  });
  const data = b.encode(createdAt);
  const meta = decodeMeta(data);
  if ('need' in meta) {
    throw new Error('a block without a header');
  }
  return { key: blockKey('', TENANT, HOUR, b.minTime, b.maxTime, createdAt), size: data.length, window: w, meta };
}

/** A level-0 source key relative to the tenant's folder, as `covered` records it. */
function sourceKey(at: number): string {
  return l0Key('', TENANT, at - 15_000, at, at).slice(`${TENANT}/`.length);
}

interface Hour {
  /** The document as the store holds it at the start (canonical order). */
  doc: IndexDoc;
  /** The 8 blocks of window 4, which the merge swaps for `merged`. */
  window4: NewBlock[];
  merged: NewBlock;
  /** The level-1 block of the writer step (window 5). */
  step: NewBlock;
}

function buildHour(): Hour {
  const profiles = serviceProfiles();
  const blocks: NewBlock[] = [];
  for (let i = 0; i < 4; i++) {
    blocks.push(makeBlock(profiles, 2, win(i), win(i)[1] + 150_000));
  }
  const window4 = [makeBlock(profiles, 2, win(4), win(4)[0] + 8.5 * MINUTE_MS)];
  for (let i = 0; i < 7; i++) {
    window4.push(makeBlock(profiles, 1, win(4), win(4)[0] + (9 + i) * MINUTE_MS + i * 7_000));
  }
  blocks.push(...window4);
  for (let i = 0; i < 5; i++) {
    blocks.push(makeBlock(profiles, 1, win(5), win(5)[0] + i * 12_000 + 15_000));
  }
  const covered: Record<string, number> = {};
  for (let i = 0; i < COVERED; i++) {
    const at = H0 + Math.floor((i * 51 * MINUTE_MS) / COVERED);
    covered[sourceKey(at)] = at + 20_000;
  }
  const garbage: Array<[string, number]> = [];
  for (let i = 0; i < GARBAGE; i++) {
    const w = win(2 + (i % 2));
    garbage.push([blockKey('', TENANT, HOUR, w[0], w[1] - 1000, w[0] + i * 20_000), w[1] + 150_000]);
  }
  const doc = emptyDoc(HOUR);
  for (const b of [...blocks].sort((a, b) => (a.key < b.key ? -1 : 1))) {
    addBlock(doc, b);
  }
  doc.covered = covered;
  doc.garbage = garbage;
  return {
    doc: canonical(doc),
    window4,
    merged: makeBlock(profiles, 2, win(4), NOW + 5_000),
    step: makeBlock(profiles, 1, win(5), NOW + 2_000),
  };
}

/**
 * A document in one order whatever wrote it: blocks by key, series numbered by first use in them (what pack()
 * leaves), garbage by key. The blob document and the one rebuilt from Table entities compare equal in it.
 */
function canonical(doc: IndexDoc, series: (id: number) => [LabelSet, string] = (id) => doc.series[id]): IndexDoc {
  const out = emptyDoc(doc.hour);
  const ids = new Map<number, number>();
  out.blocks = [...doc.blocks]
    .sort((a, b) => (a.key < b.key ? -1 : 1))
    .map((b) => ({
      ...b,
      series: b.series.map(([s, profiles, total, minTime, maxTime]): BlockEntry['series'][number] => {
        let id = ids.get(s);
        if (id === undefined) {
          id = out.series.length;
          out.series.push(series(s));
          ids.set(s, id);
        }
        return [id, profiles, total, minTime, maxTime];
      }),
    }));
  out.covered = doc.covered;
  out.garbage = [...doc.garbage].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]));
  return out;
}

/** The entry addBlock makes of a block in this document (its series numbered as the document has them). */
function entryOf(doc: IndexDoc, b: NewBlock): BlockEntry {
  const scratch: IndexDoc = { ...emptyDoc(doc.hour), series: [...doc.series] };
  addBlock(scratch, b);
  // every block holds the same services: a new series would need an entity of its own (see the design)
  assert.equal(scratch.series.length, doc.series.length);
  return scratch.blocks[0];
}

// ---- the Table design --------------------------------------------------------------------------------------
// One partition per tenant and hour (`{tenant}|{hour}`): an entity-group transaction spans one partition, and
// the partition is what a reader queries. Row keys are the index's keys with '/' (not allowed in keys) as '|',
// behind a kind prefix, so a kind is one row-key range:
// - `!v`: the partition's version. Every transaction rewrites it, so a reader revalidates with one point read
//   of it (the 304 of the blob design; Table has no conditional GET), and a reader that paged through the
//   partition checks it again at the end: a query of several pages is no snapshot, and a transaction landing
//   between two pages could show a block's covered sources without the block (the reader would then skip
//   level-0 data no block it read holds). Writers do not CAS on it: their guards are the inserts and deletes.
// - `b:{block key}`: one entity per block, the BlockEntry's scalars as typed properties, its `series` and
//   `datasets` JSON cut into string properties of at most CHUNK characters (series0.., datasets0..).
// - `s:{id}`: the series table, one entity per series (labels JSON, profile type), ids fixed once written.
//   Not embedded per block: every block holds the same ~900 label sets, so embedding would send them once per
//   block (17x here) to every reader; as entities they are sent once, append-only (a writer learns the ones
//   above the highest id it knows with a small range query; a new series is one more insert in its
//   transaction, and two writers picking the same id collide on the insert and retry).
// - `c:{source key}`: one entity per covered source, not packed into the block entity that holds it: the
//   compactor drops a covered entry only once its source is gone, source by source and long after merges
//   replaced the block that recorded it, and its "already covered?" check before a step becomes the
//   transaction's inserts failing (409) on an existing one, which is the blob design's IndexUpdateAborted.
// - `g:{block key}`: one entity per replaced block (garbage).
const PK = `${TENANT}|${hourDir(HOUR)}`;
const VERSION_ROW = '!v';
type Kind = 'b' | 'c' | 'g';
const rowKey = (kind: Kind, key: string) => `${kind}:${key.replaceAll('/', '|')}`;
const keyOfRow = (row: string) => row.slice(2).replaceAll('|', '/');
const seriesRow = (id: number) => `s:${String(id).padStart(6, '0')}`;
type Props = Record<string, unknown>;
type Entity = TableEntity<Props>;

/** A number as Table stores it: Int32 when it fits, else a Double (an unannotated large integer is refused). */
const num = (n: number) => (Number.isInteger(n) && Math.abs(n) < 2 ** 31 ? n : { value: n, type: 'Double' as const });

function chunked(into: Props, name: string, s: string): void {
  for (let i = 0; i * CHUNK < s.length; i++) {
    into[`${name}${i}`] = s.slice(i * CHUNK, (i + 1) * CHUNK);
  }
}

function unchunked(e: Props, name: string): string {
  let s = '';
  for (let i = 0; typeof e[`${name}${i}`] === 'string'; i++) {
    s += e[`${name}${i}`] as string;
  }
  return s;
}

function numberOf(e: Props, name: string): number {
  const v = e[name];
  if (typeof v !== 'number') {
    throw new Error(`entity property ${name}: ${typeof v}`);
  }
  return v;
}

function blockEntity(e: BlockEntry): Entity {
  const ent: Entity = {
    partitionKey: PK,
    rowKey: rowKey('b', e.key),
    size: num(e.size),
    level: num(e.level),
    w0: num(e.window[0]),
    w1: num(e.window[1]),
    minTime: num(e.minTime),
    maxTime: num(e.maxTime),
    createdAt: num(e.createdAt),
    version: num(e.version),
    profiles: num(e.profiles),
    samples: num(e.samples),
  };
  chunked(ent, 'series', JSON.stringify(e.series));
  chunked(ent, 'datasets', JSON.stringify(e.datasets));
  return ent;
}

const keyEntity = (kind: 'c' | 'g', key: string, at: number): Entity => ({
  partitionKey: PK,
  rowKey: rowKey(kind, key),
  at: num(at),
});
const versionEntity = (): Entity => ({ partitionKey: PK, rowKey: VERSION_ROW });
const bump = (): TransactionAction => ['upsert', versionEntity(), 'Replace'];
const del = (row: string): TransactionAction => ['delete', { partitionKey: PK, rowKey: row }];

/** The document the partition's entities make (the reader's work after its query). */
function rebuild(entities: Array<TableEntityResult<Props>>): IndexDoc {
  const doc = emptyDoc(HOUR);
  const series = new Map<number, [LabelSet, string]>();
  for (const e of entities) {
    const row = e.rowKey ?? '';
    if (row.startsWith('b:')) {
      doc.blocks.push({
        key: keyOfRow(row),
        size: numberOf(e, 'size'),
        level: numberOf(e, 'level'),
        window: [numberOf(e, 'w0'), numberOf(e, 'w1')],
        minTime: numberOf(e, 'minTime'),
        maxTime: numberOf(e, 'maxTime'),
        createdAt: numberOf(e, 'createdAt'),
        version: numberOf(e, 'version'),
        profiles: numberOf(e, 'profiles'),
        samples: numberOf(e, 'samples'),
        series: JSON.parse(unchunked(e, 'series')) as BlockEntry['series'],
        datasets: JSON.parse(unchunked(e, 'datasets')) as BlockEntry['datasets'],
      });
    } else if (row.startsWith('c:')) {
      doc.covered[keyOfRow(row)] = numberOf(e, 'at');
    } else if (row.startsWith('g:')) {
      doc.garbage.push([keyOfRow(row), numberOf(e, 'at')]);
    } else if (row.startsWith('s:')) {
      series.set(Number(row.slice(2)), [JSON.parse(e.labels as string) as LabelSet, e.type as string]);
    }
  }
  return canonical(doc, (id) => {
    const s = series.get(id);
    if (!s) {
      throw new Error(`a block refers to series ${id}, which has no entity`);
    }
    return s;
  });
}

/** Every entity of a query, all pages. */
async function collect(t: TableClient, filter: string, select?: string[]): Promise<Array<TableEntityResult<Props>>> {
  const out: Array<TableEntityResult<Props>> = [];
  const it = t.listEntities<Props>({
    queryOptions: { filter, select },
    abortSignal: AbortSignal.timeout(CALL_TIMEOUT_MS),
  });
  for await (const e of it) {
    out.push(e);
  }
  return out;
}

/** The partition as one consistent document: paged through, then the version checked again (see `!v`). */
async function readPartition(t: TableClient): Promise<{ doc: IndexDoc; version: string }> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const all = await collect(t, odata`PartitionKey eq ${PK}`);
    const v = all.find((e) => e.rowKey === VERSION_ROW)?.etag;
    const now = await t.getEntity(PK, VERSION_ROW, { abortSignal: AbortSignal.timeout(CALL_TIMEOUT_MS) });
    if (v !== undefined && now.etag === v) {
      return { doc: rebuild(all), version: v };
    }
  }
  throw new Error('the partition changed under every read');
}

const submit = (t: TableClient, actions: TransactionAction[]) => {
  assert.ok(actions.length <= 100, `${actions.length} operations in one transaction`);
  return t.submitTransaction(actions, { abortSignal: AbortSignal.timeout(CALL_TIMEOUT_MS) });
};

async function loadTable(t: TableClient, doc: IndexDoc): Promise<void> {
  await t.createTable({ abortSignal: AbortSignal.timeout(CALL_TIMEOUT_MS) });
  const entities: Entity[] = [
    versionEntity(),
    ...doc.blocks.map(blockEntity),
    ...doc.series.map(([labels, type], id) => ({
      partitionKey: PK,
      rowKey: seriesRow(id),
      labels: JSON.stringify(labels),
      type,
    })),
    ...Object.entries(doc.covered).map(([k, at]) => keyEntity('c', k, at)),
    ...doc.garbage.map(([k, at]) => keyEntity('g', k, at)),
  ];
  // a transaction takes 4 MiB: blocks (~0.1 MB of JSON each) go ten at a time
  for (let i = 0; i < entities.length;) {
    const n = entities[i].rowKey.startsWith('b:') ? 10 : 100;
    await submit(
      t,
      entities.slice(i, i + n).map((e): TransactionAction => ['create', e])
    );
    i += n;
  }
}

/** Azure's size of an entity (its documented formula): the 1 MiB limit is on this, strings counted in UTF-16. */
function azureEntityBytes(e: Entity): number {
  let n = 4 + 2 * e.partitionKey.length + 2 + 2 * e.rowKey.length + 2;
  for (const [k, v] of Object.entries(e)) {
    if (k === 'partitionKey' || k === 'rowKey') {
      continue;
    }
    n += 8 + 2 * k.length + (typeof v === 'string' ? 2 * v.length + 4 : typeof v === 'number' ? 4 : 8);
  }
  return n;
}

// ---- Azurite and a counting proxy ---------------------------------------------------------------------------
interface Proc {
  port: number;
  stop(): Promise<void>;
  kill(): void;
}

/** Azurite's table service (test/helpers.ts starts only the blob one), in memory, on a free loopback port. */
async function startAzuriteTable(): Promise<Proc> {
  const port = await freePort();
  const main = join(PROJECT_ROOT, 'node_modules/azurite/dist/src/table/main.js');
  const args = ['--tableHost', '127.0.0.1', '--tablePort', String(port), '--silent', '--skipApiVersionCheck'];
  const proc = spawn(process.execPath, [main, ...args, '--disableTelemetry', '--loose', '--inMemoryPersistence'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout.on('data', (d) => (out += d));
  proc.stderr.on('data', (d) => (out += d));
  const t0 = Date.now();
  for (;;) {
    if (proc.exitCode !== null) {
      throw new Error(`azurite table exited: ${out}`);
    }
    const up = await fetch(`http://127.0.0.1:${port}/${ACCOUNT}/Tables`).then(
      () => true,
      () => false
    );
    if (up) {
      break;
    }
    if (Date.now() - t0 > 60_000) {
      proc.kill('SIGKILL');
      throw new Error(`azurite table did not start: ${out}`);
    }
    await sleep(100);
  }
  return {
    port,
    kill: () => proc.kill('SIGKILL'),
    stop: () => stopProcess(proc),
  };
}

interface Counts {
  requests: number;
  up: number;
  down: number;
}

/**
 * A proxy in this process that counts requests and body bytes both ways (scripts/lib/countingProxy.mjs counts
 * only what comes back, and an upload is what a write costs). Used for the untimed accounting runs only.
 */
async function countingProxy(target: number): Promise<{ port: number; counts: Counts; close(): Promise<void> }> {
  const counts: Counts = { requests: 0, up: 0, down: 0 };
  const server = createServer((req, res) => {
    counts.requests++;
    req.on('data', (d: Buffer) => (counts.up += d.length));
    const up = request(
      { host: '127.0.0.1', port: target, method: req.method, path: req.url, headers: req.headers },
      (ur) => {
        res.writeHead(ur.statusCode ?? 502, ur.headers);
        ur.on('data', (d: Buffer) => (counts.down += d.length));
        ur.pipe(res);
      }
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  const port = await new Promise<number>((res) =>
    server.listen(0, '127.0.0.1', () => res((server.address() as { port: number }).port))
  );
  return {
    port,
    counts,
    close: () =>
      new Promise((res) => {
        server.closeAllConnections();
        server.close(() => res());
      }),
  };
}

function blobStore(port: number): AzureStore {
  return new AzureStore({
    connectionString:
      `DefaultEndpointsProtocol=http;AccountName=${ACCOUNT};AccountKey=${ACCOUNT_KEY};` +
      `BlobEndpoint=http://127.0.0.1:${port}/${ACCOUNT};`,
    containerName: 'pyroscope-data',
    accountName: '',
    accountKey: '',
    endpointSuffix: '',
    maxRetries: 3,
    timeoutMs: CALL_TIMEOUT_MS,
  });
}

function tableClient(port: number): TableClient {
  return new TableClient(
    `http://127.0.0.1:${port}/${ACCOUNT}`,
    'pyroscopeindex',
    new AzureNamedKeyCredential(ACCOUNT, ACCOUNT_KEY),
    { allowInsecureConnection: true, retryOptions: { maxRetries: 3 } }
  );
}

// ---- the operations ------------------------------------------------------------------------------------------
/** One operation on one side: `run` is timed; `prepare` and `undo` (the index back as it was) are not. */
interface Op {
  prepare(): Promise<void>;
  run(): Promise<void>;
  undo(): Promise<void>;
}

interface Clients {
  store: AzureStore;
  table: TableClient;
}

interface Operation {
  name: string;
  blob: (c: Clients) => Op;
  table: (c: Clients) => Op;
}

const none = () => Promise.resolve();
const DOC_KEY = indexKey('', TENANT, HOUR);

/** The sources of one writer step: new level-0 segments of the last minute folder (earlier steps covered others). */
function stepSources(): { minute: number; keys: string[] } {
  const minute = Math.floor(NOW / MINUTE_MS) - 1;
  const keys: string[] = [];
  for (let i = 0; i < STEP_SOURCES; i++) {
    keys.push(sourceKey(minute * MINUTE_MS + Math.floor((i * MINUTE_MS) / STEP_SOURCES)));
  }
  return { minute, keys };
}

function operations(h: Hour): Operation[] {
  const stepEntry = entryOf(h.doc, h.step);
  const stepEntity = blockEntity(stepEntry);
  const mergedEntity = blockEntity(entryOf(h.doc, h.merged));
  const window4Entities = h.window4.map((b) => blockEntity(entryOf(h.doc, b)));
  const maxSeries = h.doc.series.length - 1;

  /** The reads a Table writer step needs: which of its minute's sources are covered, and series it lacks. */
  const stepReads = async (t: TableClient, minute: number) => {
    const lo = rowKey('c', `l0/${minuteDir(minute)}/`);
    const hi = `${lo.slice(0, -1)}}`;
    const [covered, fresh] = await Promise.all([
      collect(t, odata`PartitionKey eq ${PK} and RowKey ge ${lo} and RowKey lt ${hi}`, ['RowKey']),
      collect(t, odata`PartitionKey eq ${PK} and RowKey gt ${seriesRow(maxSeries)} and RowKey lt ${'s;'}`),
    ]);
    assert.equal(fresh.length, 0);
    return new Set(covered.map((e) => e.rowKey));
  };
  const stepActions = (keys: string[], at: number): TransactionAction[] => [
    ['create', stepEntity],
    ...keys.map((k): TransactionAction => ['create', keyEntity('c', k, at)]),
    bump(),
  ];
  const undoStepTable = (t: TableClient, keys: string[]) =>
    submit(t, [del(stepEntity.rowKey), ...keys.map((k) => del(rowKey('c', k))), bump()]).then(() => undefined);
  const undoStepBlob = (idx: IndexStore, keys: string[]) =>
    idx
      .update(TENANT, HOUR, (d) => {
        d.blocks = d.blocks.filter((b) => b.key !== h.step.key);
        keys.forEach((k) => delete d.covered[k]);
        return true;
      })
      .then(() => undefined);

  return [
    {
      name: 'reader, unchanged document (every warm query)',
      blob: ({ store }) => {
        const idx = new IndexStore(store, '');
        let cached: IndexDoc | undefined;
        return {
          prepare: async () => {
            cached = await idx.doc(TENANT, HOUR, 0);
          },
          // a 304: the cached document comes back as it was
          run: async () => assert.equal(await idx.doc(TENANT, HOUR, 0), cached),
          undo: none,
        };
      },
      table: ({ table }) => {
        let version = '';
        return {
          prepare: async () => {
            version ||= (await readPartition(table)).version;
          },
          run: async () => {
            const v = await table.getEntity(PK, VERSION_ROW, { abortSignal: AbortSignal.timeout(CALL_TIMEOUT_MS) });
            assert.equal(v.etag, version);
          },
          undo: none,
        };
      },
    },
    {
      name: 'reader, changed document (full read + parse)',
      blob: ({ store }) => ({
        prepare: none,
        // a reader without the document in its cache: what a 200 to its conditional GET costs as well
        run: async () => {
          const d = await new IndexStore(store, '').doc(TENANT, HOUR, 0);
          assert.equal(d.blocks.length, h.doc.blocks.length);
        },
        undo: none,
      }),
      table: ({ table }) => ({
        prepare: none,
        run: async () => {
          const { doc } = await readPartition(table);
          assert.equal(doc.blocks.length, h.doc.blocks.length);
        },
        undo: none,
      }),
    },
    {
      name: `writer step: 1 level-1 block + ${STEP_SOURCES} covered, with the reads it needs`,
      // IndexStore.update as compactStep calls it: the document read (its own last write dropped it from the
      // cache), the block and its sources added, a conditional PUT
      blob: ({ store }) => {
        const idx = new IndexStore(store, '');
        let keys: string[] = [];
        return {
          prepare: async () => {
            keys = stepSources().keys;
          },
          run: async () => {
            await idx.update(TENANT, HOUR, (d) => {
              if (keys.some((k) => d.covered[k] !== undefined)) {
                throw new IndexUpdateAborted();
              }
              addBlock(d, h.step);
              const at = Date.now();
              keys.forEach((k) => (d.covered[k] = at));
              return true;
            });
          },
          undo: () => undoStepBlob(idx, keys),
        };
      },
      // the step's own minute of covered entities and any new series (two small queries at once), then one
      // transaction; an already covered source fails it, as IndexUpdateAborted does on the blob side
      table: ({ table }) => {
        let step = stepSources();
        return {
          prepare: async () => {
            step = stepSources();
          },
          run: async () => {
            const covered = await stepReads(table, step.minute);
            const todo = step.keys.filter((k) => !covered.has(rowKey('c', k)));
            assert.equal(todo.length, step.keys.length);
            await submit(table, stepActions(todo, Date.now()));
          },
          undo: () => undoStepTable(table, step.keys),
        };
      },
    },
    {
      name: 'writer step, the write alone (blob: conditional PUT; table: the transaction)',
      blob: ({ store }) => {
        let read: { data: Buffer; version: string } | null = null;
        let doc: IndexDoc = h.doc;
        return {
          prepare: async () => {
            read = await store.getVersioned(DOC_KEY);
            doc = JSON.parse(read!.data.toString('utf8')) as IndexDoc;
            addBlock(doc, h.step);
            const at = Date.now();
            stepSources().keys.forEach((k) => (doc.covered[k] = at));
          },
          run: () =>
            store.put(DOC_KEY, Buffer.from(JSON.stringify(doc)), { ifVersion: read!.version }).then(() => undefined),
          undo: async () => {
            const now = await store.getVersioned(DOC_KEY);
            await store.put(DOC_KEY, read!.data, { ifVersion: now!.version });
          },
        };
      },
      table: ({ table }) => {
        let keys: string[] = [];
        return {
          prepare: async () => {
            keys = stepSources().keys;
          },
          run: () => submit(table, stepActions(keys, Date.now())).then(() => undefined),
          undo: () => undoStepTable(table, keys),
        };
      },
    },
    {
      name: 'merge swap: 8 blocks -> 1, 8 garbage, with the read it needs',
      // merge()'s index update: the window's blocks must all still be there, swapped for the merged one
      blob: ({ store }) => {
        const idx = new IndexStore(store, '');
        let gone = new Set<string>();
        return {
          prepare: none,
          run: async () => {
            await idx.update(TENANT, HOUR, (d) => {
              gone = new Set(d.blocks.filter((b) => b.window[0] === win(4)[0]).map((b) => b.key));
              if (gone.size !== h.window4.length) {
                throw new IndexUpdateAborted();
              }
              d.blocks = d.blocks.filter((x) => !gone.has(x.key));
              addBlock(d, h.merged);
              const at = Date.now();
              gone.forEach((k) => d.garbage.push([k, at]));
              return true;
            });
          },
          undo: async () => {
            await idx.update(TENANT, HOUR, (d) => {
              d.blocks = d.blocks.filter((b) => b.key !== h.merged.key);
              h.window4.forEach((b) => addBlock(d, b));
              d.garbage = d.garbage.filter(([k]) => !gone.has(k));
              return true;
            });
          },
        };
      },
      // the blocks' scalars only ($select: what merges() decides on), then one transaction: a block deleted
      // meanwhile fails the delete (404) and the whole swap
      table: ({ table }) => ({
        prepare: none,
        run: async () => {
          const blocks = await collect(
            table,
            odata`PartitionKey eq ${PK} and RowKey ge ${'b:'} and RowKey lt ${'b;'}`,
            ['RowKey', 'level', 'w0', 'w1', 'createdAt']
          );
          const rows = blocks.filter((b) => b.w0 === win(4)[0]).map((b) => b.rowKey ?? '');
          assert.equal(rows.length, h.window4.length);
          const at = Date.now();
          await submit(table, [
            ...rows.map(del),
            ['create', mergedEntity],
            ...rows.map((r): TransactionAction => ['create', keyEntity('g', keyOfRow(r), at)]),
            bump(),
          ]);
        },
        undo: async () => {
          await submit(table, [
            del(mergedEntity.rowKey),
            ...window4Entities.map((e): TransactionAction => ['create', e]),
            ...window4Entities.map((e) => del(rowKey('g', keyOfRow(e.rowKey)))),
            bump(),
          ]);
        },
      }),
    },
  ];
}

// ---- measuring ---------------------------------------------------------------------------------------------
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const fmtMs = (x: number) => (x < 10 ? x.toFixed(1) : x.toFixed(0));
const fmtBytes = (n: number) => (n < 10_000 ? `${n} B` : `${(n / 1024).toFixed(0)} KiB`);
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

/** One untimed run through the proxy: the requests and body bytes of `run` alone. */
async function account(op: Op, counts: Counts): Promise<Counts> {
  await op.prepare();
  const before = { ...counts };
  await op.run();
  const got = {
    requests: counts.requests - before.requests,
    up: counts.up - before.up,
    down: counts.down - before.down,
  };
  await op.undo();
  return got;
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const azuriteVersion = (
    JSON.parse(readFileSync(join(PROJECT_ROOT, 'node_modules/azurite/package.json'), 'utf8')) as { version: string }
  ).version;
  console.log(
    `bench-index-store: the ${hourDir(HOUR)} hour index of ${SERVICES} services (10x) at minute 51; ` +
      `${WARMUP} warm-up + ${RUNS} runs per operation, blob and table alternating; Azurite ${azuriteVersion} in ` +
      `memory on loopback (blob and table services, one process each)`
  );
  console.log(
    `machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ` +
      `node ${process.version}; load average ${load()} at start`
  );
  const g0 = performance.now();
  const hour = buildHour();
  const genMs = performance.now() - g0;
  const docBytes = Buffer.byteLength(JSON.stringify(hour.doc));

  const blob = await startAzurite();
  let tables: Proc | undefined;
  const bound = setTimeout(() => {
    console.error(`bench-index-store: not done after ${BOUND_MS / 1000} s; stopping Azurite`);
    blob.proc.kill('SIGKILL');
    tables?.kill();
    process.exit(1);
  }, BOUND_MS);
  const proxies: Array<Awaited<ReturnType<typeof countingProxy>>> = [];
  try {
    tables = await startAzuriteTable();
    const direct: Clients = { store: blobStore(blob.port), table: tableClient(tables.port) };
    const bp = await countingProxy(blob.port);
    const tp = await countingProxy(tables.port);
    proxies.push(bp, tp);
    const viaProxy: Clients = { store: blobStore(bp.port), table: tableClient(tp.port) };

    const l0 = performance.now();
    await direct.store.init();
    await direct.store.put(DOC_KEY, Buffer.from(JSON.stringify(hour.doc)), { ifVersion: null });
    await loadTable(direct.table, hour.doc);
    const loadMs = performance.now() - l0;

    // both sides hold the same index, or the comparison says nothing
    const check = async (when: string) => {
      const fromBlob = canonical(await new IndexStore(direct.store, '').doc(TENANT, HOUR, 0));
      const fromTable = (await readPartition(direct.table)).doc;
      assert.deepStrictEqual(fromTable, fromBlob, `the Table index differs from the blob document ${when}`);
      assert.deepStrictEqual(fromBlob, hour.doc, `the blob document is not the one written ${when}`);
    };
    await check('after loading');

    const entities = await collect(direct.table, odata`PartitionKey eq ${PK}`);
    const blockEntities = hour.doc.blocks.map(blockEntity);
    const biggest = Math.max(...blockEntities.map(azureEntityBytes));
    const chunks = Math.max(
      ...blockEntities.map((e) => Object.keys(e).filter((k) => /^(series|datasets)\d+$/.test(k)).length)
    );

    const rows: Array<{ name: string; blob: number[]; table: number[]; acct: { blob: Counts; table: Counts } }> = [];
    for (const o of operations(hour)) {
      const acct = {
        blob: await account(o.blob(viaProxy), bp.counts),
        table: await account(o.table(viaProxy), tp.counts),
      };
      const ops = { blob: o.blob(direct), table: o.table(direct) };
      const times: Record<'blob' | 'table', number[]> = { blob: [], table: [] };
      for (let i = 0; i < WARMUP + RUNS; i++) {
        for (const side of ['blob', 'table'] as const) {
          const op = ops[side];
          await op.prepare();
          const s = performance.now();
          await op.run();
          const took = performance.now() - s;
          await op.undo();
          if (i >= WARMUP) {
            times[side].push(took);
          }
        }
      }
      rows.push({ name: o.name, ...times, acct });
    }
    await check('after the runs');

    console.log('');
    console.log(
      '| operation | blob document p50 / p95 | Table Storage p50 / p95 | round trips (blob / table) | bytes blob ↑ / ↓ | bytes table ↑ / ↓ |'
    );
    console.log('| --- | --- | --- | --- | --- | --- |');
    for (const r of rows) {
      console.log(
        `| ${r.name} | ${fmtMs(pct(r.blob, 50))} / ${fmtMs(pct(r.blob, 95))} ms | ` +
          `${fmtMs(pct(r.table, 50))} / ${fmtMs(pct(r.table, 95))} ms | ${r.acct.blob.requests} / ${r.acct.table.requests} | ` +
          `${fmtBytes(r.acct.blob.up)} / ${fmtBytes(r.acct.blob.down)} | ${fmtBytes(r.acct.table.up)} / ${fmtBytes(r.acct.table.down)} |`
      );
    }
    console.log('');
    const count = (p: string) => entities.filter((e) => (e.rowKey ?? '').startsWith(p)).length;
    console.log(
      [
        `- the document: ${hour.doc.blocks.length} blocks (4 settled level-2, 1 early level-2, 12 level-1), ` +
          `${hour.doc.series.length} series, ${Object.keys(hour.doc.covered).length} covered sources, ` +
          `${hour.doc.garbage.length} garbage entries: ${(docBytes / 1024).toFixed(0)} KiB of JSON ` +
          `(generated with SegmentBuilder + addBlock in ${(genMs / 1000).toFixed(1)} s)`,
        `- the partition: ${entities.length} entities (1 version, ${count('b:')} blocks, ${count('s:')} series, ` +
          `${count('c:')} covered, ${count('g:')} garbage), ${Math.ceil(entities.length / 1000)} query pages of ` +
          `at most 1,000; loaded (blob PUT + ${Math.ceil((entities.length - count('b:')) / 100) + Math.ceil(count('b:') / 10)} transactions) ` +
          `in ${(loadMs / 1000).toFixed(1)} s`,
        `- largest block entity: ${(biggest / 1024).toFixed(0)} KiB by Azure's entity-size formula ` +
          `(${chunks} string properties of <= ${CHUNK.toLocaleString('en')} characters) of the 1 MiB entity limit; ` +
          `at 100x (3,000 services) ~${((10 * biggest) / 2 ** 20).toFixed(1)} MiB: a block would have to span several entities`,
        `- Table's 100 operations per transaction: this step is ${STEP_SOURCES + 2} (block + ${STEP_SOURCES} covered + version); ` +
          `the compactor's steps take up to ${COMPACTOR_STEP_SOURCES} sources (a minute's backlog) = ` +
          `${COMPACTOR_STEP_SOURCES + 2} operations, which ` +
          `cannot be one transaction: on Table a step would be cut to 98 sources, or lose its atomicity (split ` +
          `transactions cannot fail together when one source turns out covered already)`,
        `- round trips and bytes: one untimed run of each through a counting proxy; bytes are request / response ` +
          `bodies (headers left out). The Table reader's changed read is its pages plus one version read (a query ` +
          `of several pages is no snapshot); a writer step on the blob side is GET + conditional PUT`,
        `- Azurite is not Azure: the timings are an emulator's on loopback (LokiJS behind the table service); the ` +
          `round trips and bytes carry over`,
        `- both sides compared equal (deepStrictEqual of the rebuilt IndexDoc) after loading and after all runs; ` +
          `load average ${load()} at end; the bench took ${((performance.now() - t0) / 1000).toFixed(0)} s`,
      ].join('\n')
    );
  } finally {
    for (const p of proxies) {
      await p.close();
    }
    await tables?.stop();
    await blob.stop();
    // only now: a stop that hangs is bounded too
    clearTimeout(bound);
  }
}

await main();
