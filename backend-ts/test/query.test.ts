// Query engine (issue 3), shown over the wire: every pprof fixture read back through Connect (JSON and binary
// protobuf) and the legacy render API equals an independent decode of the same file with pprof-format; span
// selections, diffs, max_nodes, the render timeline, the objects a query reads, and the query limits.
// Requests and responses of the binary transport are written and read by hand from Pyroscope's published field
// numbers, and flame graphs are decoded here, so no check goes through our own generated code or encoders.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import {
  Function as PprofFunction,
  Label,
  Line,
  Location,
  Profile,
  Sample,
  StringTable,
  ValueType,
} from 'pprof-format';
import { legacyUnits } from '../src/encode/flamebearer.js';
import { loadConfig } from '../src/config/config.js';
import { createService, type Service } from '../src/server.js';
import { WHOLE_READ_BYTES } from '../src/storage/segmentReader.js';
import { FilesystemStore } from '../src/storage/filesystem.js';
import { CountingStore } from './countingStore.js';
import {
  connectJson,
  ingest,
  NO_FIXTURES,
  pprofFixtureFiles,
  RESERVED_LABEL_NAMES,
  startInProcess,
  withoutTime,
  type Running,
} from './helpers.js';
import { CPU, encodePush, PbReader, PbWriter, push, tinyPprof } from './wire.js';

/** Large enough that no fixture's flame graph is truncated (and Pyroscope's maximum). */
const ALL_NODES = 1_048_576;
/** Joins frame names into a path; a control character, because real function names contain ';' and ' '. */
const SEP = '\u001f';
const show = (path: string) => path.split(SEP).join(' > ');

type Stacks = Map<string, number>;

// ---------------------------------------------------------------------------------------------------------
// Protobuf by hand

interface SelectRequest {
  profileTypeID: string;
  labelSelector: string;
  start: number;
  end: number;
  maxNodes?: number;
  /** ProfileFormat: FLAMEGRAPH = 1, TREE = 2, DOT = 3 */
  format?: number;
  spanSelector?: string[];
}

/** querier.v1.SelectMergeStacktracesRequest{profile_typeID=1, label_selector=2, start=3, end=4, max_nodes=5, format=6, span_selector=11} */
function encodeSelectMergeStacktraces(r: SelectRequest): Buffer {
  const w = new PbWriter().string(1, r.profileTypeID).string(2, r.labelSelector).int64(3, r.start).int64(4, r.end);
  if (r.maxNodes !== undefined) {
    w.int64(5, r.maxNodes);
  }
  if (r.format) {
    w.int64(6, r.format);
  }
  for (const s of r.spanSelector ?? []) {
    w.string(11, s);
  }
  return w.finish();
}

/** querier.v1.SelectMergeProfileRequest{profile_typeID=1, label_selector=2, start=3, end=4, max_nodes=5} */
function encodeSelectMergeProfile(r: SelectRequest): Buffer {
  const w = new PbWriter().string(1, r.profileTypeID).string(2, r.labelSelector).int64(3, r.start).int64(4, r.end);
  if (r.maxNodes !== undefined) {
    w.int64(5, r.maxNodes);
  }
  return w.finish();
}

interface FlameGraph {
  names: string[];
  levels: number[][];
  total: number;
  maxSelf: number;
  /** FlameGraphDiff only */
  leftTicks?: number;
  rightTicks?: number;
}

/**
 * FlameGraph{names=1, levels=2 (Level{values=1 packed int64}), total=3, max_self=4}; FlameGraphDiff has the same
 * four and leftTicks=5, rightTicks=6.
 */
function decodeFlameGraph(buf: Buffer): FlameGraph {
  const r = new PbReader(buf);
  const fg: FlameGraph = { names: [], levels: [], total: 0, maxSelf: 0 };
  while (!r.done()) {
    const [f, wt] = r.key();
    if (f === 1 && wt === 2) {
      fg.names.push(r.bytes().toString());
    } else if (f === 2 && wt === 2) {
      const lr = new PbReader(r.bytes());
      const values: number[] = [];
      while (!lr.done()) {
        const [lf, lwt] = lr.key();
        if (lf === 1 && lwt === 2) {
          const p = new PbReader(lr.bytes());
          while (!p.done()) {
            values.push(Number(BigInt.asIntN(64, p.varint())));
          }
        } else if (lf === 1 && lwt === 0) {
          values.push(Number(BigInt.asIntN(64, lr.varint())));
        } else {
          lr.skip(lwt);
        }
      }
      fg.levels.push(values);
    } else if (f === 3 && wt === 0) {
      fg.total = Number(r.varint());
    } else if (f === 4 && wt === 0) {
      fg.maxSelf = Number(r.varint());
    } else if (f === 5 && wt === 0) {
      fg.leftTicks = Number(r.varint());
    } else if (f === 6 && wt === 0) {
      fg.rightTicks = Number(r.varint());
    } else {
      r.skip(wt);
    }
  }
  return fg;
}

/** SelectMergeStacktracesResponse{flamegraph=1, tree=2, dot=3} */
function decodeSelectResponse(buf: Buffer): { flamegraph?: FlameGraph; tree?: Buffer; dot?: string } {
  const r = new PbReader(buf);
  const out: { flamegraph?: FlameGraph; tree?: Buffer; dot?: string } = {};
  while (!r.done()) {
    const [f, wt] = r.key();
    if (f === 1 && wt === 2) {
      out.flamegraph = decodeFlameGraph(r.bytes());
    } else if (f === 2 && wt === 2) {
      out.tree = r.bytes();
    } else if (f === 3 && wt === 2) {
      out.dot = r.bytes().toString();
    } else {
      r.skip(wt);
    }
  }
  return out;
}

/** Pyroscope's TREE bytes: pre-order from a nameless root, per node uvarint(len) name uvarint(self) uvarint(children). */
function treeBytesToStacks(buf: Buffer): Stacks {
  const out: Stacks = new Map();
  const r = new PbReader(buf);
  const open: Array<{ path: string | null; left: number }> = [{ path: null, left: buf.length > 0 ? 1 : 0 }];
  while (open.length > 0) {
    const top = open[open.length - 1];
    if (top.left === 0) {
      open.pop();
      continue;
    }
    top.left--;
    const len = Number(r.varint());
    const name = buf.subarray(r.pos, r.pos + len).toString();
    r.pos += len;
    const self = Number(r.varint());
    const children = Number(r.varint());
    const path = top.path === null ? '' : top.path === '' ? name : top.path + SEP + name;
    if (self !== 0) {
      out.set(path, (out.get(path) ?? 0) + self);
    }
    open.push({ path, left: children });
  }
  assert.ok(r.done(), 'tree bytes fully consumed');
  return out;
}

async function connectProto(
  url: string,
  method: string,
  body: Buffer
): Promise<{ status: number; contentType: string; body: Buffer }> {
  const r = await fetch(`${url}/querier.v1.QuerierService/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/proto', 'connect-protocol-version': '1' },
    body: new Uint8Array(body),
  });
  return {
    status: r.status,
    contentType: r.headers.get('content-type') ?? '',
    body: Buffer.from(await r.arrayBuffer()),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Independent decodes

interface Side {
  /** self per path (stacks), as in the profile */
  stacks: Stacks;
  /** total per path (every node of the graph) */
  totals: Stacks;
}

/**
 * Flame graph levels -> stacks, written here from the format's definition: per level [x delta, total, self, name]
 * (4 ints) or [left x delta, total, self, right x delta, total, self, name] (7 ints); a node's parent is the node
 * of the level above whose span contains it, on a side where the node has width.
 */
function decodeLevels(names: string[], levels: number[][], width: 4 | 7): Side[] {
  const offsets = width === 4 ? [0] : [0, 3];
  const out: Side[] = offsets.map(() => ({ stacks: new Map(), totals: new Map() }));
  let above: Array<{ x: number[]; t: number[]; path: string }> = [];
  levels.forEach((level, depth) => {
    assert.equal(level.length % width, 0, `level ${depth} has ${level.length} numbers`);
    const nodes: typeof above = [];
    const end = offsets.map(() => 0);
    for (let i = 0; i < level.length; i += width) {
      const x = offsets.map((o, k) => end[k] + level[i + o]);
      const t = offsets.map((o) => level[i + o + 1]);
      offsets.forEach((_, k) => (end[k] = x[k] + t[k]));
      const name = names[level[i + width - 1]];
      assert.ok(name !== undefined, `name index ${level[i + width - 1]} out of range`);
      let path = '';
      if (depth > 0) {
        const s = Math.max(
          0,
          t.findIndex((v) => v > 0)
        );
        const parent = above.find((p) => p.t[s] > 0 && p.x[s] <= x[s] && x[s] + t[s] <= p.x[s] + p.t[s]);
        assert.ok(parent, `node ${name} on level ${depth} lies under no node of the level above`);
        path = depth === 1 ? name : parent.path + SEP + name;
      }
      nodes.push({ x, t, path });
      offsets.forEach((o, k) => {
        const self = level[i + o + 2];
        if (t[k] !== 0) {
          out[k].totals.set(path, (out[k].totals.get(path) ?? 0) + t[k]);
        }
        if (self !== 0) {
          out[k].stacks.set(path, (out[k].stacks.get(path) ?? 0) + self);
        }
      });
    }
    above = nodes;
  });
  return out;
}

function flameStacks(fg: FlameGraph): Side {
  return decodeLevels(fg.names, fg.levels, 4)[0];
}

interface FlameGraphJson {
  names: string[];
  levels: Array<{ values?: string[] }>;
  total: string;
  maxSelf: string;
}

function fromJson(fg: FlameGraphJson): FlameGraph {
  return {
    names: fg.names,
    levels: fg.levels.map((l) => (l.values ?? []).map(Number)),
    total: Number(fg.total ?? 0),
    maxSelf: Number(fg.maxSelf ?? 0),
  };
}

function decodePprof(buf: Buffer): Profile {
  return Profile.decode(buf[0] === 0x1f && buf[1] === 0x8b ? gunzipSync(buf) : buf);
}

/**
 * Sums a pprof's samples per stack of function names, root first: a location's lines are frames of their own
 * (inlined calls, innermost first in the file), and a location without lines is named by its address.
 */
function pprofStacks(p: Profile, valueIndex: number, keep: (s: Sample) => boolean = () => true): Stacks {
  const str = (i: number | bigint) => String(p.stringTable.strings[Number(i)] ?? '');
  // writers that leave ids out (the .NET profiler) number functions and locations by position, from 1
  const fnName = new Map(p.function.map((f, i) => [Number(f.id) || i + 1, str(f.name)]));
  const locFrames = new Map(
    p.location.map((l, i) => {
      const frames =
        l.line.length === 0
          ? [BigInt(l.address) === 0n ? 'unknown' : `0x${BigInt(l.address).toString(16)}`]
          : l.line.map((ln) => fnName.get(Number(ln.functionId)) ?? '').reverse();
      return [Number(l.id) || i + 1, frames];
    })
  );
  const out: Stacks = new Map();
  for (const s of p.sample) {
    const v = Number(s.value[valueIndex] ?? 0);
    if (v === 0 || !keep(s)) {
      continue;
    }
    const frames: string[] = [];
    for (let i = s.locationId.length - 1; i >= 0; i--) {
      frames.push(...locFrames.get(Number(s.locationId[i]))!);
    }
    const key = frames.join(SEP);
    out.set(key, (out.get(key) ?? 0) + v);
  }
  for (const [k, v] of out) {
    if (v === 0) {
      out.delete(k);
    }
  }
  return out;
}

function sampleLabel(p: Profile, s: Sample, key: string): string | undefined {
  const l = s.label.find((x) => p.stringTable.strings[Number(x.key)] === key);
  return l ? String(p.stringTable.strings[Number(l.str)]) : undefined;
}

function sum(m: Stacks): number {
  let t = 0;
  for (const v of m.values()) {
    t += v;
  }
  return t;
}

/** Total of every path prefix, from stacks. */
function pathTotals(stacks: Stacks): Stacks {
  const out: Stacks = new Map([['', sum(stacks)]]);
  for (const [k, v] of stacks) {
    if (k === '') {
      continue;
    }
    const parts = k.split(SEP);
    for (let i = 1; i <= parts.length; i++) {
      const p = parts.slice(0, i).join(SEP);
      out.set(p, (out.get(p) ?? 0) + v);
    }
  }
  return out;
}

/** Equal stack maps, with the first differences spelled out instead of two thousand-line dumps. */
function assertSameStacks(actual: Stacks, expected: Stacks, what: string): void {
  const diffs: string[] = [];
  for (const [k, v] of expected) {
    if (actual.get(k) !== v) {
      diffs.push(`${show(k)}: got ${actual.get(k)}, want ${v}`);
    }
  }
  for (const [k, v] of actual) {
    if (!expected.has(k)) {
      diffs.push(`${show(k)}: got ${v}, want none`);
    }
  }
  assert.ok(
    diffs.length === 0,
    `${what}: ${diffs.length} of ${expected.size} stacks differ:\n  ${diffs.slice(0, 5).join('\n  ')}`
  );
}

// ---------------------------------------------------------------------------------------------------------
// The fixtures, ingested and decoded

interface TypeCase {
  index: number;
  id: string;
  stacks: Stacks;
  total: number;
}

interface FixtureCase {
  name: string;
  svc: string;
  p: Profile;
  types: TypeCase[];
}

const selectorOf = (c: FixtureCase) => `{service_name="${c.svc}"}`;

describe('query API over every pprof fixture', { skip: NO_FIXTURES }, () => {
  let be: Running;
  const cases: FixtureCase[] = [];
  let start = 0;
  let end = 0;
  const pairs = () => cases.flatMap((c) => c.types.map((t) => ({ c, t })));

  before(async () => {
    be = await startInProcess();
    for (const f of pprofFixtureFiles()) {
      const buf = readFileSync(f);
      let p: Profile;
      try {
        p = decodePprof(buf);
      } catch {
        continue; // the malformed fixture: ingest rejects it (tested with the formats)
      }
      const svc = `q-${basename(f).replace(/[^A-Za-z0-9_.-]/g, '_')}`;
      const r = await ingest(be.url, withoutTime(buf), svc);
      assert.equal(r.status, 200, `ingest ${f}: ${await r.text()}`);
      cases.push({ name: basename(f), svc, p, types: [] });
    }
    const now = Date.now();
    start = now - 3_600_000;
    end = now + 60_000;
    for (const c of cases) {
      const { json } = await connectJson<{ labelsSet?: Array<{ labels: Array<{ name: string; value: string }> }> }>(
        be.url,
        'Series',
        { start, end, labelNames: ['__profile_type__'], matchers: [selectorOf(c)] }
      );
      const ids = (json.labelsSet ?? []).map((ls) => ls.labels.find((l) => l.name === '__profile_type__')!.value);
      const str = (i: number | bigint) => String(c.p.stringTable.strings[Number(i)]);
      c.p.sampleType.forEach((st, index) => {
        const stacks = pprofStacks(c.p, index);
        if (stacks.size === 0) {
          return;
        } // an all-zero sample type makes no series, as in Pyroscope
        const id = ids.find((x) => {
          const [, type, unit] = x.split(':');
          return type === str(st.type) && unit === str(st.unit);
        });
        assert.ok(id, `${c.name}: no series for sample type ${str(st.type)}/${str(st.unit)} among ${ids}`);
        c.types.push({ index, id, stacks, total: sum(stacks) });
      });
    }
  });
  after(async () => be?.stop());

  test('flame graphs over Connect JSON equal the independent decode, every stack of every sample type', async (t) => {
    for (const { c, t: ty } of pairs()) {
      const { status, json } = await connectJson<{ flamegraph: FlameGraphJson }>(be.url, 'SelectMergeStacktraces', {
        profileTypeID: ty.id,
        labelSelector: selectorOf(c),
        start,
        end,
        maxNodes: ALL_NODES,
      });
      assert.equal(status, 200, `${c.name} ${ty.id}: ${JSON.stringify(json)}`);
      const fg = fromJson(json.flamegraph);
      assert.equal(fg.total, ty.total, `${c.name} ${ty.id} total`);
      assert.equal(fg.levels[0][1], ty.total, `${c.name} ${ty.id} root`);
      assertSameStacks(flameStacks(fg).stacks, ty.stacks, `${c.name} ${ty.id}`);
      assert.equal(fg.maxSelf, Math.max(...ty.stacks.values()), `${c.name} ${ty.id} maxSelf`);
    }
    const n = pairs().length;
    t.diagnostic(
      `${cases.length} fixtures, ${n} sample types, ${pairs().reduce((a, x) => a + x.t.stacks.size, 0)} stacks`
    );
    assert.ok(cases.length >= 14 && n >= 25, `${cases.length} fixtures, ${n} sample types`);
  });

  test('Connect binary protobuf: FLAMEGRAPH and TREE equal the independent decode', async () => {
    for (const { c, t } of pairs()) {
      const req = { profileTypeID: t.id, labelSelector: selectorOf(c), start, end, maxNodes: ALL_NODES };
      const fg = await connectProto(be.url, 'SelectMergeStacktraces', encodeSelectMergeStacktraces(req));
      assert.equal(fg.status, 200, `${c.name} ${t.id}: ${fg.body.toString()}`);
      assert.match(fg.contentType, /^application\/proto/);
      const graph = decodeSelectResponse(fg.body).flamegraph!;
      assert.equal(graph.total, t.total, `${c.name} ${t.id} total`);
      assertSameStacks(flameStacks(graph).stacks, t.stacks, `${c.name} ${t.id} (binary)`);

      const tr = await connectProto(
        be.url,
        'SelectMergeStacktraces',
        encodeSelectMergeStacktraces({ ...req, format: 2 })
      );
      assert.equal(tr.status, 200);
      assertSameStacks(treeBytesToStacks(decodeSelectResponse(tr.body).tree!), t.stacks, `${c.name} ${t.id} (TREE)`);
    }
  });

  test('SelectMergeProfile returns a pprof with the same stacks and totals', async () => {
    for (const { c, t } of pairs()) {
      const r = await connectProto(
        be.url,
        'SelectMergeProfile',
        encodeSelectMergeProfile({ profileTypeID: t.id, labelSelector: selectorOf(c), start, end })
      );
      assert.equal(r.status, 200, `${c.name} ${t.id}: ${r.body.toString()}`);
      const p = Profile.decode(r.body);
      const str = (i: number | bigint) => p.stringTable.strings[Number(i)];
      assert.equal(p.sampleType.length, 1);
      const [, type, unit, periodType, periodUnit] = t.id.split(':');
      assert.deepEqual([str(p.sampleType[0].type), str(p.sampleType[0].unit)], [type, unit]);
      assert.deepEqual([str(p.periodType!.type), str(p.periodType!.unit)], [periodType, periodUnit]);
      const got = pprofStacks(p, 0);
      assert.equal(sum(got), t.total, `${c.name} ${t.id} pprof total`);
      assertSameStacks(got, t.stacks, `${c.name} ${t.id} (pprof)`);
    }
  });

  test('SelectSeries points sum to the same totals', async () => {
    for (const { c, t } of pairs()) {
      const { status, json } = await connectJson<{ series?: Array<{ points: Array<{ value: number }> }> }>(
        be.url,
        'SelectSeries',
        { profileTypeID: t.id, labelSelector: selectorOf(c), start, end, step: 15, groupBy: [] }
      );
      assert.equal(status, 200, JSON.stringify(json));
      assert.equal(json.series?.length, 1, `${c.name} ${t.id}: one series without group_by`);
      const total = json.series!.flatMap((s) => s.points).reduce((a, p) => a + Number(p.value), 0);
      assert.equal(total, t.total, `${c.name} ${t.id} series sum`);
    }
  });

  test('/pyroscope/render: numTicks and every stack as in the decode, Pyroscope’s units', async () => {
    for (const { c, t } of pairs()) {
      const q = encodeURIComponent(t.id + selectorOf(c));
      const r = await fetch(
        `${be.url}/pyroscope/render?query=${q}&from=${start}&until=${end}&format=json&max-nodes=${ALL_NODES}`
      );
      assert.equal(r.status, 200, await r.clone().text());
      const j = (await r.json()) as {
        flamebearer: { names: string[]; levels: number[][]; numTicks: number; maxSelf: number };
        metadata: { format: string; units: string; sampleRate: number; spyName: string; name: string };
        timeline: { samples: number[] };
      };
      assert.equal(j.flamebearer.numTicks, t.total, `${c.name} ${t.id} numTicks`);
      assertSameStacks(
        decodeLevels(j.flamebearer.names, j.flamebearer.levels, 4)[0].stacks,
        t.stacks,
        `${c.name} render`
      );
      assert.equal(j.metadata.format, 'single');
      assert.equal(j.metadata.spyName, 'gospy');
      assert.equal(
        j.timeline.samples.reduce((a, b) => a + b, 0),
        t.total,
        `${c.name} ${t.id} timeline sum`
      );
      // units and sampleRate exactly as Pyroscope's ExportToFlamebearer sets them for the sample type
      const [, type, unit] = t.id.split(':');
      // (the table's rows whose units differ from the sample unit are the sample types with a rule of their own)
      const rule = PYROSCOPE_UNITS.find(([ty, u, units]) => ty === type && units !== u);
      const want = rule ? [rule[2], rule[3]] : [unit, 100];
      assert.deepEqual([j.metadata.units, j.metadata.sampleRate], want, `${c.name} ${t.id} units`);
      assert.equal(j.metadata.name, type);
    }
  });

  test('span profiles: one span id, or several, select exactly their samples (cpu-exemplars.pb.gz)', async (t) => {
    const ex = cases.find((c) => c.name === 'cpu-exemplars.pb.gz');
    if (!ex) {
      t.skip('cpu-exemplars.pb.gz is not in the corpus');
      return;
    }
    const ids = [
      ...new Set(
        ex.p.sample.map((s) => sampleLabel(ex.p, s, 'profile_id')).filter((x): x is string => x !== undefined)
      ),
    ];
    assert.equal(ids.length, 432, 'distinct profile_id values');
    const chosen = ids.filter((_, i) => i % 36 === 0);
    const groups = [...chosen.map((id) => [id]), chosen.slice(0, 5), chosen];
    for (const ty of ex.types) {
      for (const group of groups) {
        const want = pprofStacks(ex.p, ty.index, (s) => group.includes(sampleLabel(ex.p, s, 'profile_id') ?? ''));
        assert.ok(want.size > 0);
        const body: SelectRequest = {
          profileTypeID: ty.id,
          labelSelector: selectorOf(ex),
          start,
          end,
          maxNodes: ALL_NODES,
        };
        for (const method of ['SelectMergeSpanProfile', 'SelectMergeStacktraces']) {
          const { status, json } = await connectJson<{ flamegraph: FlameGraphJson }>(be.url, method, {
            ...body,
            spanSelector: group,
          });
          assert.equal(status, 200, JSON.stringify(json));
          const fg = fromJson(json.flamegraph);
          assert.equal(fg.total, sum(want), `${method} ${ty.id} ${group.length} span(s) total`);
          assertSameStacks(flameStacks(fg).stacks, want, `${method} ${ty.id} spans ${group.join(',')}`);
        }
        // the Tempo path from Grafana's Go data source: binary protobuf, span_selector = 11
        const pb = await connectProto(
          be.url,
          'SelectMergeStacktraces',
          encodeSelectMergeStacktraces({ ...body, spanSelector: group })
        );
        assertSameStacks(flameStacks(decodeSelectResponse(pb.body).flamegraph!).stacks, want, 'binary span_selector');
      }
    }
    // several ids together are the sum of each alone
    const cpu = ex.types.find((x) => x.id.split(':')[1] === 'cpu')!;
    const each = chosen.map((id) =>
      sum(pprofStacks(ex.p, cpu.index, (s) => sampleLabel(ex.p, s, 'profile_id') === id))
    );
    const { json } = await connectJson<{ flamegraph: FlameGraphJson }>(be.url, 'SelectMergeSpanProfile', {
      profileTypeID: cpu.id,
      labelSelector: selectorOf(ex),
      spanSelector: chosen,
      start,
      end,
    });
    assert.equal(
      Number(json.flamegraph.total),
      each.reduce((a, b) => a + b, 0)
    );
    t.diagnostic(
      `${chosen.length} span ids one by one, 5 and ${chosen.length} together, ${ex.types.length} sample types`
    );

    // the current label name, span_id, in another fixture
    const sg = cases.find((c) => c.name === 'single_group_with_optional_span_id.pb.gz');
    if (sg) {
      const spans = [
        ...new Set(sg.p.sample.map((s) => sampleLabel(sg.p, s, 'span_id')).filter((x) => x !== undefined)),
      ];
      for (const ty of sg.types) {
        const want = pprofStacks(sg.p, ty.index, (s) => sampleLabel(sg.p, s, 'span_id') === spans[0]);
        const { json } = await connectJson<{ flamegraph: FlameGraphJson }>(be.url, 'SelectMergeSpanProfile', {
          profileTypeID: ty.id,
          labelSelector: selectorOf(sg),
          spanSelector: [spans[0]],
          start,
          end,
        });
        assertSameStacks(flameStacks(fromJson(json.flamegraph)).stacks, want, `span_id ${spans[0]} ${ty.id}`);
      }
    }
  });

  test('Diff of a profile with itself: every node’s left equals its right', async () => {
    for (const { c, t } of pairs()) {
      const side = { profileTypeID: t.id, labelSelector: selectorOf(c), start, end, maxNodes: ALL_NODES };
      const { status, json } = await connectJson<{
        flamegraph: FlameGraphJson & { leftTicks: string; rightTicks: string };
      }>(be.url, 'Diff', { left: side, right: side });
      assert.equal(status, 200, JSON.stringify(json));
      const d = json.flamegraph;
      assert.equal(Number(d.leftTicks), t.total);
      assert.equal(Number(d.rightTicks), t.total);
      assert.equal(Number(d.total), 2 * t.total);
      for (const level of d.levels) {
        const v = (level.values ?? []).map(Number);
        assert.equal(v.length % 7, 0);
        for (let i = 0; i < v.length; i += 7) {
          assert.deepEqual(v.slice(i + 3, i + 6), v.slice(i, i + 3), `${c.name} ${t.id}: node ${d.names[v[i + 6]]}`);
        }
      }
      const [l, r] = decodeLevels(d.names, fromJson(d).levels, 7);
      assertSameStacks(l.stacks, t.stacks, `${c.name} diff left`);
      assertSameStacks(r.stacks, t.stacks, `${c.name} diff right`);
    }
  });

  test('Diff of two fixtures matches their two flame graphs (Connect and /pyroscope/render-diff)', async () => {
    const byId = new Map<string, Array<{ c: FixtureCase; t: TypeCase }>>();
    for (const x of pairs()) {
      byId.set(x.t.id, [...(byId.get(x.t.id) ?? []), x]);
    }
    const shared = [...byId.values()].filter((l) => l.length >= 2);
    assert.ok(shared.length > 0, 'two fixtures with a common profile type');
    for (const [a, b] of shared.map((l) => [l[0], l[1]])) {
      const single = async (x: { c: FixtureCase; t: TypeCase }) => {
        const { json } = await connectJson<{ flamegraph: FlameGraphJson }>(be.url, 'SelectMergeStacktraces', {
          profileTypeID: x.t.id,
          labelSelector: selectorOf(x.c),
          start,
          end,
          maxNodes: ALL_NODES,
        });
        return flameStacks(fromJson(json.flamegraph)).stacks;
      };
      const [ls, rs] = [await single(a), await single(b)];
      const req = (x: { c: FixtureCase; t: TypeCase }) => ({
        profileTypeID: x.t.id,
        labelSelector: selectorOf(x.c),
        start,
        end,
        maxNodes: ALL_NODES,
      });
      const { status, json } = await connectJson<{
        flamegraph: FlameGraphJson & { leftTicks: string; rightTicks: string };
      }>(be.url, 'Diff', { left: req(a), right: req(b) });
      assert.equal(status, 200, JSON.stringify(json));
      const [l, r] = decodeLevels(json.flamegraph.names, fromJson(json.flamegraph).levels, 7);
      const what = `${a.c.name} vs ${b.c.name} (${a.t.id})`;
      assertSameStacks(l.stacks, ls, `${what} left`);
      assertSameStacks(r.stacks, rs, `${what} right`);
      assertSameStacks(l.stacks, a.t.stacks, `${what} left vs decode`);
      assertSameStacks(r.stacks, b.t.stacks, `${what} right vs decode`);
      assert.deepEqual([Number(json.flamegraph.leftTicks), Number(json.flamegraph.rightTicks)], [a.t.total, b.t.total]);

      const qs = new URLSearchParams({
        leftQuery: a.t.id + selectorOf(a.c),
        rightQuery: b.t.id + selectorOf(b.c),
        leftFrom: String(start),
        leftUntil: String(end),
        rightFrom: String(start),
        rightUntil: String(end),
        'max-nodes': String(ALL_NODES),
      });
      const h = await fetch(`${be.url}/pyroscope/render-diff?${qs}`);
      assert.equal(h.status, 200, await h.clone().text());
      const j = (await h.json()) as {
        flamebearer: { names: string[]; levels: number[][] };
        metadata: { format: string };
        leftTicks: number;
        rightTicks: number;
      };
      assert.equal(j.metadata.format, 'double');
      assert.deepEqual([j.leftTicks, j.rightTicks], [a.t.total, b.t.total]);
      const [hl, hr] = decodeLevels(j.flamebearer.names, j.flamebearer.levels, 7);
      assertSameStacks(hl.stacks, ls, `render-diff ${what} left`);
      assertSameStacks(hr.stacks, rs, `render-diff ${what} right`);
    }
  });

  test('max_nodes below the node count: totals unchanged, kept nodes exact, the rest under "other"', async (t) => {
    // the fixture sample type with the most distinct call paths
    const { c, t: ty } = pairs().sort((x, y) => pathTotals(y.t.stacks).size - pathTotals(x.t.stacks).size)[0];
    const full = pathTotals(ty.stacks);
    t.diagnostic(`${c.name} ${ty.id}: ${full.size - 1} nodes`);
    for (const maxNodes of [5, 16, 200]) {
      assert.ok(maxNodes < full.size - 1);
      const req = { profileTypeID: ty.id, labelSelector: selectorOf(c), start, end, maxNodes };
      const { status, json } = await connectJson<{ flamegraph: FlameGraphJson }>(be.url, 'SelectMergeStacktraces', req);
      assert.equal(status, 200);
      const fg = fromJson(json.flamegraph);
      assert.equal(fg.total, ty.total);
      assert.ok(fg.names.includes('other'), `an "other" node with max_nodes=${maxNodes}`);
      const got = flameStacks(fg);
      assert.equal(sum(got.stacks), ty.total, 'selfs add up to the total');
      // Pyroscope keeps the nodes whose total reaches the max_nodes-th largest node total (ties included)
      const threshold = [...full.entries()]
        .filter(([p]) => p !== '')
        .map(([, v]) => v)
        .sort((a, b) => b - a)[maxNodes - 1];
      const kept = [...got.totals.keys()].filter((p) => p !== '' && p.split(SEP).pop() !== 'other');
      const want = [...full.keys()].filter((p) => p !== '' && full.get(p)! >= threshold);
      assert.deepEqual(kept.sort(), want.sort(), `max_nodes=${maxNodes}: the nodes kept`);
      for (const path of kept) {
        assert.equal(got.totals.get(path), full.get(path), `max_nodes=${maxNodes}: total of ${show(path)}`);
      }

      const tr = await connectProto(
        be.url,
        'SelectMergeStacktraces',
        encodeSelectMergeStacktraces({ ...req, format: 2 })
      );
      const treeStacks = treeBytesToStacks(decodeSelectResponse(tr.body).tree!);
      assert.equal(sum(treeStacks), ty.total, `TREE with max_nodes=${maxNodes}`);
      assert.ok([...treeStacks.keys()].some((k) => k.split(SEP).pop() === 'other'));

      // the merged pprof is cut as Pyroscope's pprof resolver cuts it (exact cases in the test on data made
      // here): the same total, fewer call paths, and the cut parts under "other"
      const pp = await connectProto(be.url, 'SelectMergeProfile', encodeSelectMergeProfile(req));
      const cutStacks = pprofStacks(Profile.decode(pp.body), 0);
      assert.equal(sum(cutStacks), ty.total, `pprof total with max_nodes=${maxNodes}`);
      assert.ok(pathTotals(cutStacks).size < full.size, `pprof with max_nodes=${maxNodes} is cut`);
      assert.ok([...cutStacks.keys()].some((k) => k.split(SEP).pop() === 'other'));
    }
  });

  test('/pyroscope/render format=dot: Graphviz with at most the asked number of nodes', async () => {
    const { c, t } = pairs().sort((x, y) => pathTotals(y.t.stacks).size - pathTotals(x.t.stacks).size)[0];
    const q = encodeURIComponent(t.id + selectorOf(c));
    const nodeCount = (dot: string) => dot.split('\n').filter((l) => /^N\d+ \[/.test(l)).length;
    for (const n of [3, 10, 40]) {
      const r = await fetch(
        `${be.url}/pyroscope/render?query=${q}&from=${start}&until=${end}&format=dot&max-nodes=${n}`
      );
      assert.equal(r.status, 200);
      const dot = await r.text();
      assert.match(dot, /^digraph "[^"]*" \{/);
      assert.ok(nodeCount(dot) > 0 && nodeCount(dot) <= n, `max-nodes=${n}: ${nodeCount(dot)} nodes`);
      assert.match(dot, new RegExp(`Type: ${t.id.split(':')[1]}`));
    }
    // Pyroscope draws 100 nodes when max-nodes is absent
    const r = await fetch(`${be.url}/pyroscope/render?query=${q}&from=${start}&until=${end}&format=dot`);
    assert.ok(nodeCount(await r.text()) <= 100);
    // and Connect's DOT format takes max_nodes the same way
    const pb = await connectProto(
      be.url,
      'SelectMergeStacktraces',
      encodeSelectMergeStacktraces({
        profileTypeID: t.id,
        labelSelector: selectorOf(c),
        start,
        end,
        maxNodes: 7,
        format: 3,
      })
    );
    const dot = decodeSelectResponse(pb.body).dot!;
    assert.ok(nodeCount(dot) > 0 && nodeCount(dot) <= 7, `Connect DOT: ${nodeCount(dot)} nodes`);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Tests that make their own data (folded text through /ingest, at known times)

/** A folded profile of type memory:inuse_objects pushed at a time given in whole seconds. */
async function pushFolded(url: string, app: string, atSec: number, body: string, labels = ''): Promise<void> {
  const r = await ingest(url, Buffer.from(body), `${app}.inuse_objects${labels}`, {
    from: atSec,
    format: 'folded',
    contentType: 'text/plain',
  });
  assert.equal(r.status, 200, await r.text());
}

const INUSE = 'memory:inuse_objects:count::';

describe('query API on data made here: timeline, a synthetic pprof, JSON, errors and limits', () => {
  let be: Running;
  before(async () => {
    // profiles at chosen times up to a day back
    be = await startInProcess(['-validation.reject-older-than=0']);
  });
  after(async () => be?.stop());

  test('/pyroscope/render timeline: Pyroscope’s step, buckets and zero fill', async () => {
    const nowSec = Math.floor(Date.now() / 1000);
    // from is 7 s past a 15 s boundary, so snapping shows; the whole hour lies in the past
    const aligned = Math.floor(nowSec / 15) * 15 - 3660;
    const from = aligned + 7;
    const until = from + 3600;
    // [offset from `from` in seconds, value]
    const pushes: Array<[number, number]> = [
      [0, 3],
      [1, 5],
      [15, 7],
      [16, 11],
      [100, 13],
      [3580, 19],
      [3598, 17],
    ];
    for (const [off, v] of pushes) {
      await pushFolded(be.url, 'timeline', from + off, `main;work ${v}\n`);
    }
    const q = encodeURIComponent(`${INUSE}{service_name="timeline"}`);
    const r = await fetch(`${be.url}/pyroscope/render?query=${q}&from=${from}&until=${until}`);
    assert.equal(r.status, 200, await r.clone().text());
    const j = (await r.json()) as {
      flamebearer: { numTicks: number };
      timeline: { startTime: number; durationDelta: number; samples: number[] };
    };
    assert.equal(j.flamebearer.numTicks, 3 + 5 + 7 + 11 + 13 + 19 + 17);
    // 1 h / 1500 points is below Pyroscope's 15 s minimum step
    assert.equal(j.timeline.durationDelta, 15);
    assert.equal(j.timeline.startTime, aligned, 'from snapped down to the step');
    // one sample per step from the snapped from up to the snapped until (exclusive)
    assert.equal(j.timeline.samples.length, 240);
    // sample i is SelectSeries' point at from + i·step, which holds the profiles in (T − step, T]:
    // from+0 → 0; from+1 and from+15 → 1; from+16 → 2; from+100 → 7; from+3580 → 239; from+3598 belongs to
    // the point at from+3600, past the snapped until, and is not drawn (as in Pyroscope)
    const want = new Array<number>(240).fill(0);
    want[0] = 3;
    want[1] = 12;
    want[2] = 11;
    want[7] = 13;
    want[239] = 19;
    assert.deepEqual(j.timeline.samples, want);

    // the same grid from SelectSeries: empty steps omitted, point timestamps in ms
    const { json } = await connectJson<{ series: Array<{ points: Array<{ timestamp: string; value: number }> }> }>(
      be.url,
      'SelectSeries',
      {
        profileTypeID: INUSE,
        labelSelector: '{service_name="timeline"}',
        start: from * 1000,
        end: until * 1000,
        step: 15,
      }
    );
    assert.deepEqual(
      json.series[0].points.map((p) => [(Number(p.timestamp) / 1000 - from) / 15, p.value]),
      [
        [0, 3],
        [1, 12],
        [2, 11],
        [7, 13],
        [239, 19],
        [240, 17],
      ]
    );

    // longer ranges: Pyroscope's rounded intervals (range / 1500, rounded as Grafana does)
    for (const [hours, step] of [
      [6, 15],
      [12, 30],
      [24, 60],
    ]) {
      const u = nowSec;
      const f = u - hours * 3600;
      const res = await fetch(`${be.url}/pyroscope/render?query=${q}&from=${f}&until=${u}`);
      const tl = ((await res.json()) as { timeline: { startTime: number; durationDelta: number; samples: number[] } })
        .timeline;
      assert.equal(tl.durationDelta, step, `${hours}h range`);
      assert.equal(tl.startTime, Math.floor(f / step) * step);
      assert.equal(tl.samples.length, Math.floor(u / step) - Math.floor(f / step));
    }
  });

  test('SelectSeries: group_by, AVERAGE, limit, sorted by labels; render groups', async () => {
    const nowSec = Math.floor(Date.now() / 1000);
    const base = Math.floor(nowSec / 60) * 60 - 600;
    await pushFolded(be.url, 'grp', base + 5, 'main 10\n', '{region=eu}');
    await pushFolded(be.url, 'grp', base + 6, 'main 20\n', '{region=eu}');
    await pushFolded(be.url, 'grp', base + 5, 'main 1\n', '{region=us}');
    await pushFolded(be.url, 'grp', base + 65, 'main 4\n', '{region=ap}');
    const series = async (extra: Record<string, unknown>) => {
      const { status, json } = await connectJson<{
        series: Array<{
          labels: Array<{ name: string; value: string }>;
          points: Array<{ timestamp: string; value: number }>;
        }>;
      }>(be.url, 'SelectSeries', {
        profileTypeID: INUSE,
        labelSelector: '{service_name="grp"}',
        start: base * 1000,
        end: (base + 120) * 1000,
        step: 60,
        groupBy: ['region'],
        ...extra,
      });
      assert.equal(status, 200, JSON.stringify(json));
      return json.series.map((x) => [
        x.labels.map((l) => `${l.name}=${l.value}`).join(','),
        x.points.map((pt) => [(Number(pt.timestamp) / 1000 - base) / 60, pt.value]),
      ]);
    };
    // a point at T holds the profiles in (T - step, T], on the grid start + k * step
    assert.deepEqual(await series({}), [
      ['region=ap', [[2, 4]]],
      ['region=eu', [[1, 30]]],
      ['region=us', [[1, 1]]],
    ]);
    assert.deepEqual(await series({ aggregation: 'TIME_SERIES_AGGREGATION_TYPE_AVERAGE' }), [
      ['region=ap', [[2, 4]]],
      ['region=eu', [[1, 15]]],
      ['region=us', [[1, 1]]],
    ]);
    assert.deepEqual(await series({ limit: 2 }), [
      ['region=ap', [[2, 4]]],
      ['region=eu', [[1, 30]]],
    ]);
    const q = encodeURIComponent(`${INUSE}{service_name="grp"}`);
    const r = await fetch(`${be.url}/pyroscope/render?query=${q}&from=${base}&until=${base + 120}&groupBy=region`);
    const j = (await r.json()) as { groups: Record<string, { samples: number[] }>; timeline: { samples: number[] } };
    assert.deepEqual(Object.keys(j.groups).sort(), ['ap', 'eu', 'us']);
    const total = (x: { samples: number[] }) => x.samples.reduce((a, b) => a + b, 0);
    assert.deepEqual([total(j.groups.ap), total(j.groups.eu), total(j.groups.us), total(j.timeline)], [4, 30, 1, 35]);
  });

  test('a pprof made here: inlined lines, unsymbolized locations, spans and call sites', async () => {
    const st = new StringTable();
    const fn = (id: number, name: string) =>
      new PprofFunction({ id, name: st.dedup(name), filename: st.dedup('m.go') });
    const line = (functionId: number, n: number) => new Line({ functionId, line: n });
    const span = (id: string) => new Label({ key: st.dedup('span_id'), str: st.dedup(id) });
    const sample = (locationId: number[], cpu: number, label: Label[] = []) =>
      new Sample({ locationId, value: [cpu / 10_000_000, cpu, 0], label });
    const p = new Profile({
      sampleType: [
        new ValueType({ type: st.dedup('samples'), unit: st.dedup('count') }),
        new ValueType({ type: st.dedup('cpu'), unit: st.dedup('nanoseconds') }),
        new ValueType({ type: st.dedup('unused'), unit: st.dedup('count') }),
      ],
      periodType: new ValueType({ type: st.dedup('cpu'), unit: st.dedup('nanoseconds') }),
      period: 10_000_000,
      function: [fn(1, 'main'), fn(2, 'work'), fn(3, 'helper'), fn(4, 'leaf')],
      location: [
        new Location({ id: 1, line: [line(1, 10)] }),
        // helper inlined into work: innermost line first
        new Location({ id: 2, line: [line(3, 5), line(2, 20)] }),
        new Location({ id: 3, address: 0x4a3f10 }),
        new Location({ id: 4 }),
        new Location({ id: 5, line: [line(4, 30)] }),
      ],
      sample: [
        sample([5, 2, 1], 10_000_000, [span('aaaaaaaaaaaaaaaa')]),
        sample([3, 1], 20_000_000),
        sample([4, 3, 2, 1], 30_000_000, [span('bbbbbbbbbbbbbbbb')]),
        sample([2, 1], 40_000_000),
        sample([5, 2, 1], 50_000_000, [span('bbbbbbbbbbbbbbbb')]),
      ],
      stringTable: st,
    });
    const body = Buffer.from(p.encode());
    const r = await ingest(be.url, body, 'madehere');
    assert.equal(r.status, 200, await r.text());
    const now = Date.now();
    const range = { start: now - 600_000, end: now + 60_000 };
    const path = (...names: string[]) => names.join(SEP);
    const cpuWant = new Map([
      [path('main', 'work', 'helper', 'leaf'), 60_000_000],
      [path('main', '0x4a3f10'), 20_000_000],
      [path('main', 'work', 'helper', '0x4a3f10', 'unknown'), 30_000_000],
      [path('main', 'work', 'helper'), 40_000_000],
    ]);
    assertSameStacks(pprofStacks(decodePprof(body), 1), cpuWant, 'the decode of the profile made here');
    const types = await connectJson<{ profileTypes: Array<{ ID: string }> }>(be.url, 'ProfileTypes', range);
    const ids = types.json.profileTypes.map((x) => x.ID);
    assert.ok(ids.includes('process_cpu:cpu:nanoseconds:cpu:nanoseconds'), `${ids}`);
    assert.ok(ids.includes('process_cpu:samples:count:cpu:nanoseconds'));
    assert.ok(!ids.some((x) => x.includes(':unused:')), 'an all-zero sample type makes no series');

    const select = async (extra: Record<string, unknown>, method = 'SelectMergeStacktraces') => {
      const { status, json } = await connectJson<{ flamegraph: FlameGraphJson }>(be.url, method, {
        profileTypeID: 'process_cpu:cpu:nanoseconds:cpu:nanoseconds',
        labelSelector: '{service_name="madehere"}',
        ...range,
        ...extra,
      });
      assert.equal(status, 200, JSON.stringify(json));
      return flameStacks(fromJson(json.flamegraph)).stacks;
    };
    assertSameStacks(await select({}), cpuWant, 'flame graph');
    const only = (keep: (k: string) => boolean) => new Map([...cpuWant].filter(([k]) => keep(k)));
    assertSameStacks(
      await select({ spanSelector: ['bbbbbbbbbbbbbbbb'] }, 'SelectMergeSpanProfile'),
      new Map([
        [path('main', 'work', 'helper', 'leaf'), 50_000_000],
        [path('main', 'work', 'helper', '0x4a3f10', 'unknown'), 30_000_000],
      ]),
      'span bbbb'
    );
    // stack_trace_selector.call_site keeps the stacks that start with the given frames, root first
    const callSite = { stackTraceSelector: { callSite: [{ name: 'main' }, { name: 'work' }] } };
    assertSameStacks(
      await select(callSite),
      only((k) => k.startsWith(path('main', 'work'))),
      'call site'
    );
    const series = await connectJson<{ series: Array<{ points: Array<{ value: number }> }> }>(be.url, 'SelectSeries', {
      profileTypeID: 'process_cpu:cpu:nanoseconds:cpu:nanoseconds',
      labelSelector: '{service_name="madehere"}',
      step: 60,
      ...range,
      ...callSite,
    });
    assert.equal(
      series.json.series[0].points.reduce((a, x) => a + x.value, 0),
      130_000_000
    );
    // SelectMergeProfile with stack_trace_selector = 6 {call_site = 1 [{name = 1}]}
    const site = new PbWriter()
      .bytes(1, new PbWriter().string(1, 'main').finish())
      .bytes(1, new PbWriter().string(1, 'work').finish());
    const req = new PbWriter()
      .string(1, 'process_cpu:cpu:nanoseconds:cpu:nanoseconds')
      .string(2, '{service_name="madehere"}')
      .int64(3, range.start)
      .int64(4, range.end)
      .bytes(6, site.finish());
    const pp = await connectProto(be.url, 'SelectMergeProfile', req.finish());
    assert.equal(pp.status, 200);
    assertSameStacks(
      pprofStacks(Profile.decode(pp.body), 0),
      only((k) => k.startsWith(path('main', 'work'))),
      'pprof call site'
    );
  });

  test('Connect JSON as Connect writes it; proto field names accepted; errors as Connect error JSON', async () => {
    const nowSec = Math.floor(Date.now() / 1000);
    await pushFolded(be.url, 'jsonshape', nowSec - 30, 'main;a 2\nmain;b 3\n');
    const range = { start: (nowSec - 600) * 1000, end: (nowSec + 60) * 1000 };
    const camel = await connectJson<Record<string, unknown>>(be.url, 'SelectMergeStacktraces', {
      profileTypeID: INUSE,
      labelSelector: '{service_name="jsonshape"}',
      ...range,
    });
    assert.equal(camel.status, 200);
    const fg = camel.json.flamegraph as Record<string, unknown>;
    // int64 as strings, lowerCamel names
    assert.equal(fg.total, '5');
    assert.equal(fg.maxSelf, '3');
    assert.ok(!('max_self' in fg));
    assert.deepEqual((fg.levels as Array<{ values: unknown[] }>)[0].values, ['0', '5', '0', '0']);

    // the same request with the proto field names, and an enum by name
    const snake = await connectJson<Record<string, unknown>>(be.url, 'SelectMergeStacktraces', {
      profile_typeID: INUSE,
      label_selector: '{service_name="jsonshape"}',
      max_nodes: '10',
      ...range,
    });
    assert.equal(snake.status, 200, JSON.stringify(snake.json));
    assert.deepEqual(snake.json, camel.json);
    const tree = await connectJson<{ tree: string }>(be.url, 'SelectMergeStacktraces', {
      profileTypeID: INUSE,
      labelSelector: '{service_name="jsonshape"}',
      format: 'PROFILE_FORMAT_TREE',
      ...range,
    });
    assertSameStacks(
      treeBytesToStacks(Buffer.from(tree.json.tree, 'base64')),
      new Map([
        [`main${SEP}a`, 2],
        [`main${SEP}b`, 3],
      ]),
      'TREE as base64'
    );

    const series = await connectJson<{ series: Array<{ points: Array<Record<string, unknown>> }> }>(
      be.url,
      'SelectSeries',
      { profile_typeID: INUSE, label_selector: '{service_name="jsonshape"}', step: 60, group_by: [], ...range }
    );
    assert.equal(series.status, 200);
    const pt = series.json.series[0].points[0];
    assert.equal(typeof pt.timestamp, 'string');
    assert.equal(pt.value, 5);

    const stats = await connectJson<Record<string, unknown>>(be.url, 'GetProfileStats', {});
    assert.equal(stats.json.dataIngested, true);
    assert.equal(typeof stats.json.oldestProfileTime, 'string');

    // errors: status, then {code, message}
    const bad = await connectJson<{ code: string; message: string }>(be.url, 'SelectMergeStacktraces', {
      profileTypeID: INUSE,
      labelSelector: '{service_name=',
      ...range,
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.code, 'invalid_argument');
    assert.ok(bad.json.message.length > 0);
    const badType = await connectJson<{ code: string }>(be.url, 'SelectMergeStacktraces', {
      profileTypeID: 'cpu',
      labelSelector: '{}',
      ...range,
    });
    assert.equal(badType.status, 400);
    const tooMany = await connectJson<{ code: string; message: string }>(be.url, 'SelectMergeStacktraces', {
      profileTypeID: INUSE,
      labelSelector: '{}',
      maxNodes: 1_048_577,
      ...range,
    });
    assert.equal(tooMany.status, 400);
    assert.match(tooMany.json.message, /max_nodes/);
    const missing = await connectJson<{ code: string; message: string }>(be.url, 'NoSuchMethod', {});
    assert.equal(missing.status, 404);
    assert.equal(missing.json.code, 'not_found');
    assert.ok(missing.json.message);
  });

  test('limits: a range over -querier.max-query-length is a 4xx with a message; Grafana’s health check passes', async () => {
    const now = Date.now();
    const long = { start: now - 25 * 3_600_000, end: now };
    for (const method of ['SelectMergeStacktraces', 'SelectSeries', 'SelectMergeProfile']) {
      const r = await connectJson<{ code: string; message: string }>(be.url, method, {
        profileTypeID: INUSE,
        labelSelector: '{}',
        step: 60,
        ...long,
      });
      assert.ok(r.status >= 400 && r.status < 500, `${method}: ${r.status}`);
      assert.match(r.json.message, /max-query-length/, method);
    }
    const q = encodeURIComponent(`${INUSE}{}`);
    const h = await fetch(`${be.url}/pyroscope/render?query=${q}&from=${long.start}&until=${long.end}`);
    assert.equal(h.status, 400);
    assert.match(((await h.json()) as { message: string }).message, /max-query-length/);

    // a range wholly before -querier.max-query-lookback (7 days) selects nothing, as in Pyroscope
    const old = await connectJson<{ flamegraph: FlameGraphJson }>(be.url, 'SelectMergeStacktraces', {
      profileTypeID: INUSE,
      labelSelector: '{}',
      start: now - 9 * 86_400_000,
      end: now - 8 * 86_400_000,
    });
    assert.equal(old.status, 200, JSON.stringify(old.json));
    // (proto3 JSON leaves a zero total out)
    assert.equal(Number(old.json.flamegraph?.total ?? 0), 0);

    // Grafana's data source health check: ProfileTypes{start: 1000, end: 4000} in binary protobuf
    const hc = await connectProto(be.url, 'ProfileTypes', Buffer.from([0x08, 0xe8, 0x07, 0x10, 0xa0, 0x1f]));
    assert.equal(hc.status, 200, hc.body.toString());
    assert.match(hc.contentType, /^application\/proto/);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Binary protobuf written by hand (Grafana's Go data source), legacy HTTP details, and Pyroscope's rules

/** The units/sampleRate Pyroscope's ExportToFlamebearer sets (grafana/pyroscope pkg/model/flamegraph.go). */
const PYROSCOPE_UNITS: ReadonlyArray<[string, string, string, number]> = [
  // [sample type, sample unit, units, sampleRate]
  ['cpu', 'nanoseconds', 'samples', 1e9],
  ['samples', 'count', 'objects', 100],
  ['inuse_objects', 'count', 'objects', 100],
  ['alloc_objects', 'count', 'objects', 100],
  ['goroutine', 'count', 'objects', 100],
  // every other type keeps its sample unit as it is, at sampleRate 100
  ['goroutines', 'count', 'count', 100],
  ['contentions', 'count', 'count', 100],
  ['delay', 'nanoseconds', 'nanoseconds', 100],
  ['alloc_in_new_tlab_objects', 'count', 'count', 100],
  ['inuse_space', 'bytes', 'bytes', 100],
  ['alloc_space', 'bytes', 'bytes', 100],
  ['wall', 'nanoseconds', 'nanoseconds', 100],
  ['exception', 'count', 'count', 100],
  ['lock_time', 'nanoseconds', 'nanoseconds', 100],
];

/** querier.v1.SelectMergeSpanProfileRequest{profile_typeID=1, label_selector=2, span_selector=3, start=4, end=5, max_nodes=6, format=7} */
function encodeSelectMergeSpanProfile(r: SelectRequest): Buffer {
  const w = new PbWriter().string(1, r.profileTypeID).string(2, r.labelSelector);
  for (const s of r.spanSelector ?? []) {
    w.string(3, s);
  }
  w.int64(4, r.start).int64(5, r.end);
  if (r.maxNodes !== undefined) {
    w.int64(6, r.maxNodes);
  }
  if (r.format) {
    w.int64(7, r.format);
  }
  return w.finish();
}

interface SeriesRequest {
  profileTypeID: string;
  labelSelector: string;
  start: number;
  end: number;
  groupBy: string[];
  step: number;
  /** TimeSeriesAggregationType: SUM = 0, AVERAGE = 1 */
  aggregation?: number;
  limit?: number;
}

/** querier.v1.SelectSeriesRequest{profile_typeID=1, label_selector=2, start=3, end=4, group_by=5, step=6 (double), aggregation=7, limit=9} */
function encodeSelectSeries(r: SeriesRequest): Buffer {
  const w = new PbWriter().string(1, r.profileTypeID).string(2, r.labelSelector).int64(3, r.start).int64(4, r.end);
  for (const g of r.groupBy) {
    w.string(5, g);
  }
  w.double(6, r.step);
  if (r.aggregation !== undefined) {
    w.int64(7, r.aggregation);
  }
  if (r.limit !== undefined) {
    w.int64(9, r.limit);
  }
  return w.finish();
}

/** SelectSeriesResponse{series=1: Series{labels=1: LabelPair{name=1, value=2}, points=2: Point{value=1 double, timestamp=2}}} */
function decodeSelectSeries(buf: Buffer): Array<{ labels: string; points: Array<[number, number]> }> {
  const out: Array<{ labels: string; points: Array<[number, number]> }> = [];
  const r = new PbReader(buf);
  while (!r.done()) {
    const [f, wt] = r.key();
    if (f !== 1 || wt !== 2) {
      r.skip(wt);
      continue;
    }
    const sr = new PbReader(r.bytes());
    const labels: string[] = [];
    const points: Array<[number, number]> = [];
    while (!sr.done()) {
      const [sf, swt] = sr.key();
      if (sf === 1 && swt === 2) {
        const lr = new PbReader(sr.bytes());
        let name = '';
        let value = '';
        while (!lr.done()) {
          const [lf, lwt] = lr.key();
          if (lf === 1 && lwt === 2) {
            name = lr.bytes().toString();
          } else if (lf === 2 && lwt === 2) {
            value = lr.bytes().toString();
          } else {
            lr.skip(lwt);
          }
        }
        labels.push(`${name}=${value}`);
      } else if (sf === 2 && swt === 2) {
        const pr = new PbReader(sr.bytes());
        let value = 0;
        let ts = 0;
        while (!pr.done()) {
          const [pf, pwt] = pr.key();
          if (pf === 1 && pwt === 1) {
            value = pr.double();
          } else if (pf === 2 && pwt === 0) {
            ts = Number(pr.varint());
          } else {
            pr.skip(pwt);
          }
        }
        points.push([ts, value]);
      } else {
        sr.skip(swt);
      }
    }
    out.push({ labels: labels.join(','), points });
  }
  return out;
}

/** DiffRequest{left=1, right=2}, each a SelectMergeStacktracesRequest */
function encodeDiff(left: SelectRequest, right: SelectRequest): Buffer {
  return new PbWriter()
    .bytes(1, encodeSelectMergeStacktraces(left))
    .bytes(2, encodeSelectMergeStacktraces(right))
    .finish();
}

/** DiffResponse{flamegraph=1: FlameGraphDiff} */
function decodeDiffResponse(buf: Buffer): FlameGraph {
  const r = new PbReader(buf);
  let fg: FlameGraph | undefined;
  while (!r.done()) {
    const [f, wt] = r.key();
    if (f === 1 && wt === 2) {
      fg = decodeFlameGraph(r.bytes());
    } else {
      r.skip(wt);
    }
  }
  assert.ok(fg, 'a flamegraph in the DiffResponse');
  return fg;
}

/** A pprof made here with pprof-format: one stack per entry (function names root first) and its values. */
function pprofOf(
  types: Array<[string, string]>,
  period: [string, string],
  stacks: Array<[string[], number[]]>
): Buffer {
  const st = new StringTable();
  const fnIds = new Map<string, number>();
  const functions: PprofFunction[] = [];
  const locations: Location[] = [];
  const idOf = (name: string) => {
    let id = fnIds.get(name);
    if (id === undefined) {
      id = functions.length + 1;
      fnIds.set(name, id);
      functions.push(new PprofFunction({ id, name: st.dedup(name), filename: st.dedup('x.go') }));
      locations.push(new Location({ id, line: [new Line({ functionId: id, line: 1 })] }));
    }
    return id;
  };
  const p = new Profile({
    sampleType: types.map(([t, u]) => new ValueType({ type: st.dedup(t), unit: st.dedup(u) })),
    periodType: new ValueType({ type: st.dedup(period[0]), unit: st.dedup(period[1]) }),
    period: 1,
    sample: stacks.map(([names, value]) => new Sample({ locationId: names.map(idOf).reverse(), value })),
    function: functions,
    location: locations,
    stringTable: st,
  });
  return Buffer.from(p.encode());
}

describe('binary protobuf by hand, legacy HTTP and Pyroscope’s rules on data made here', () => {
  let be: Running;
  before(async () => {
    be = await startInProcess(['-validation.reject-older-than=0']);
  });
  after(async () => be?.stop());

  test('legacy units and sampleRate are ExportToFlamebearer’s, by sample type (pkg/model/flamegraph.go)', () => {
    for (const [type, unit, units, sampleRate] of PYROSCOPE_UNITS) {
      assert.deepEqual(legacyUnits(type, unit), { units, sampleRate }, `${type}:${unit}`);
    }
  });

  test('/pyroscope/render metadata: units, sampleRate and name as Pyroscope sets them (mutex, memory, cpu)', async () => {
    const mutex = pprofOf(
      [
        ['contentions', 'count'],
        ['delay', 'nanoseconds'],
      ],
      ['contentions', 'count'],
      [
        [
          ['main', 'lock'],
          [3, 3000],
        ],
        [
          ['main', 'wait'],
          [1, 500],
        ],
      ]
    );
    assert.equal((await ingest(be.url, mutex, 'units-mutex')).status, 200);
    await pushFolded(be.url, 'units-mem', Math.floor(Date.now() / 1000) - 20, 'main;alloc 7\n');
    const r = await push(
      be.url,
      encodePush([
        {
          labels: { __name__: 'process_cpu', service_name: 'units-cpu' },
          samples: [{ raw: tinyPprof({ fn: 'spin', value: 250 }) }],
        },
      ])
    );
    assert.equal(r.status, 200, await r.text());
    const now = Date.now();
    const cases: Array<[string, string, string, number, string, number]> = [
      // [query, units, sampleRate, name, numTicks]
      ['mutex:contentions:count:contentions:count', '{service_name="units-mutex"}', 'count', 100, 'contentions', 4],
      ['mutex:delay:nanoseconds:contentions:count', '{service_name="units-mutex"}', 'nanoseconds', 100, 'delay', 3500],
      [INUSE, '{service_name="units-mem"}', 'objects', 100, 'inuse_objects', 7],
      [CPU, '{service_name="units-cpu"}', 'samples', 1e9, 'cpu', 250],
    ];
    for (const [type, sel, units, sampleRate, name, numTicks] of cases) {
      const q = encodeURIComponent(type + sel);
      const res = await fetch(`${be.url}/pyroscope/render?query=${q}&from=${now - 600_000}&until=${now + 60_000}`);
      assert.equal(res.status, 200, await res.clone().text());
      const j = (await res.json()) as {
        flamebearer: { numTicks: number };
        metadata: { format: string; units: string; sampleRate: number; name: string };
      };
      assert.deepEqual(
        [j.flamebearer.numTicks, j.metadata.format, j.metadata.units, j.metadata.sampleRate, j.metadata.name],
        [numTicks, 'single', units, sampleRate, name],
        type
      );
    }
  });

  test('SelectMergeSpanProfile in binary protobuf (Tempo traces to profiles): FLAMEGRAPH and TREE', async () => {
    const A = 'aaaaaaaaaaaaaaaa';
    const B = 'bbbbbbbbbbbbbbbb';
    const r = await push(
      be.url,
      encodePush([
        {
          labels: { __name__: 'process_cpu', service_name: 'spanwire' },
          samples: [
            { raw: tinyPprof({ fn: 'fa', value: 10, labels: { span_id: A } }) },
            { raw: tinyPprof({ fn: 'fb', value: 20, labels: { span_id: B } }) },
            { raw: tinyPprof({ fn: 'fb', value: 5, labels: { span_id: B } }) },
            { raw: tinyPprof({ fn: 'fc', value: 40 }) },
          ],
        },
      ])
    );
    assert.equal(r.status, 200, await r.text());
    const now = Date.now();
    const req = {
      profileTypeID: CPU,
      labelSelector: '{service_name="spanwire"}',
      start: now - 600_000,
      end: now + 60_000,
    };
    const span = async (spans: string[], format?: number) => {
      const res = await connectProto(
        be.url,
        'SelectMergeSpanProfile',
        encodeSelectMergeSpanProfile({ ...req, spanSelector: spans, format })
      );
      assert.equal(res.status, 200, res.body.toString());
      assert.match(res.contentType, /^application\/proto/);
      return decodeSelectResponse(res.body);
    };
    // SelectMergeSpanProfileResponse{flamegraph=1, tree=2}: the same field numbers as SelectMergeStacktraces'
    const one = (await span([B])).flamegraph!;
    assert.deepEqual(one, {
      names: ['total', 'fb'],
      levels: [
        [0, 25, 0, 0],
        [0, 25, 25, 1],
      ],
      total: 25,
      maxSelf: 25,
    });
    const both = (await span([A, B])).flamegraph!;
    assert.equal(both.total, 35);
    assertSameStacks(
      flameStacks(both).stacks,
      new Map([
        ['fa', 10],
        ['fb', 25],
      ]),
      'spans A and B'
    );
    const tree = (await span([A, B], 2)).tree!;
    assertSameStacks(
      treeBytesToStacks(tree),
      new Map([
        ['fa', 10],
        ['fb', 25],
      ]),
      'TREE of spans A and B'
    );
    // an id with no samples: the empty flame graph, as Pyroscope's NewFlameGraph makes it of an empty tree
    assert.deepEqual((await span(['cccccccccccccccc'])).flamegraph, {
      names: ['total'],
      levels: [[0, 0, 0, 0]],
      total: 0,
      maxSelf: 0,
    });
  });

  test('SelectSeries in binary protobuf: group_by, step as a double, SUM, AVERAGE and limit', async () => {
    const nowSec = Math.floor(Date.now() / 1000);
    const base = Math.floor(nowSec / 60) * 60 - 600;
    await pushFolded(be.url, 'wire-series', base + 5, 'main 10\n', '{region=eu}');
    await pushFolded(be.url, 'wire-series', base + 6, 'main 20\n', '{region=eu}');
    await pushFolded(be.url, 'wire-series', base + 5, 'main 1\n', '{region=us}');
    await pushFolded(be.url, 'wire-series', base + 65, 'main 4\n', '{region=ap}');
    const series = async (extra: Partial<SeriesRequest>) => {
      const res = await connectProto(
        be.url,
        'SelectSeries',
        encodeSelectSeries({
          profileTypeID: INUSE,
          labelSelector: '{service_name="wire-series"}',
          start: base * 1000,
          end: (base + 120) * 1000,
          groupBy: ['region'],
          step: 60,
          ...extra,
        })
      );
      assert.equal(res.status, 200, res.body.toString());
      return decodeSelectSeries(res.body);
    };
    const at = (k: number) => (base + k * 60) * 1000;
    assert.deepEqual(await series({}), [
      { labels: 'region=ap', points: [[at(2), 4]] },
      { labels: 'region=eu', points: [[at(1), 30]] },
      { labels: 'region=us', points: [[at(1), 1]] },
    ]);
    assert.deepEqual(await series({ aggregation: 1 }), [
      { labels: 'region=ap', points: [[at(2), 4]] },
      { labels: 'region=eu', points: [[at(1), 15]] },
      { labels: 'region=us', points: [[at(1), 1]] },
    ]);
    assert.deepEqual(await series({ limit: 2 }), [
      { labels: 'region=ap', points: [[at(2), 4]] },
      { labels: 'region=eu', points: [[at(1), 30]] },
    ]);
    // a fractional step travels as a double: 30.5 s puts the three buckets at start + k * 30.5 s
    assert.deepEqual(await series({ groupBy: [], step: 30.5 }), [
      {
        labels: '',
        points: [
          [base * 1000 + 30_500, 31],
          [base * 1000 + 3 * 30_500, 4],
        ],
      },
    ]);
  });

  test('Diff in binary protobuf: the two trees aligned, every node exact', async () => {
    const nowSec = Math.floor(Date.now() / 1000);
    await pushFolded(be.url, 'wire-left', nowSec - 30, 'main;a 2\nmain;b 3\n');
    await pushFolded(be.url, 'wire-right', nowSec - 30, 'main;a 5\nmain;c 1\n');
    const side = (svc: string): SelectRequest => ({
      profileTypeID: INUSE,
      labelSelector: `{service_name="${svc}"}`,
      start: (nowSec - 600) * 1000,
      end: (nowSec + 60) * 1000,
    });
    const res = await connectProto(be.url, 'Diff', encodeDiff(side('wire-left'), side('wire-right')));
    assert.equal(res.status, 200, res.body.toString());
    const d = decodeDiffResponse(res.body);
    assert.deepEqual([d.total, d.maxSelf, d.leftTicks, d.rightTicks], [11, 5, 5, 6]);
    // [left x delta, left total, left self, right x delta, right total, right self, name], children by name as
    // Pyroscope's combineTree orders them; a side without the node has zeros
    const named = d.levels.map((l) => {
      const out: Array<Array<number | string>> = [];
      for (let i = 0; i < l.length; i += 7) {
        out.push([...l.slice(i, i + 6), d.names[l[i + 6]]]);
      }
      return out;
    });
    assert.deepEqual(named, [
      [[0, 5, 0, 0, 6, 0, 'total']],
      [[0, 5, 0, 0, 6, 0, 'main']],
      [
        [0, 2, 2, 0, 5, 5, 'a'],
        [0, 3, 3, 0, 0, 0, 'b'],
        [0, 0, 0, 0, 1, 1, 'c'],
      ],
    ]);
  });

  test('/pyroscope/render aggregation=avg: the timeline averages the profiles of a step, the flame graph sums', async () => {
    const nowSec = Math.floor(Date.now() / 1000);
    // a 15 s step (one hour / 1500 is below the minimum); from on a step boundary, well in the past
    const from = Math.floor(nowSec / 15) * 15 - 3600;
    const until = from + 3600;
    await pushFolded(be.url, 'avg', from + 20, 'main;a 10\n');
    await pushFolded(be.url, 'avg', from + 25, 'main;b 20\n');
    await pushFolded(be.url, 'avg', from + 50, 'main;a 6\n');
    const q = encodeURIComponent(`${INUSE}{service_name="avg"}`);
    const render = async (extra: string) => {
      const res = await fetch(`${be.url}/pyroscope/render?query=${q}&from=${from}&until=${until}${extra}`);
      assert.equal(res.status, 200, await res.clone().text());
      return (await res.json()) as {
        flamebearer: { numTicks: number };
        timeline: { startTime: number; durationDelta: number; samples: number[] };
      };
    };
    // (from+15, from+30] is sample 2, (from+45, from+60] sample 4
    const want = (a: number, b: number) => {
      const w = new Array<number>(240).fill(0);
      w[2] = a;
      w[4] = b;
      return w;
    };
    const avg = await render('&aggregation=avg');
    assert.deepEqual([avg.flamebearer.numTicks, avg.timeline.startTime, avg.timeline.durationDelta], [36, from, 15]);
    assert.deepEqual(avg.timeline.samples, want(15, 6));
    const sum = await render('&aggregation=sum');
    assert.equal(sum.flamebearer.numTicks, 36);
    assert.deepEqual(sum.timeline.samples, want(30, 6));
    assert.deepEqual((await render('')).timeline.samples, want(30, 6), 'sum is the default');
  });

  test('/pyroscope/label-values?label=__name__ lists profile type ids; /pyroscope/labels the label names', async () => {
    const fresh = await startInProcess();
    try {
      await pushFolded(fresh.url, 'lv-mem', Math.floor(Date.now() / 1000) - 20, 'main 3\n', '{region=eu}');
      const r = await push(
        fresh.url,
        encodePush([
          {
            labels: { __name__: 'process_cpu', service_name: 'lv-cpu', pod: 'p1' },
            samples: [{ raw: tinyPprof({ value: 5 }) }],
          },
        ])
      );
      assert.equal(r.status, 200, await r.text());
      const get = async (path: string) => {
        const res = await fetch(`${fresh.url}${path}`);
        assert.equal(res.status, 200, await res.clone().text());
        assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
        return (await res.json()) as string[];
      };
      assert.deepEqual(await get('/pyroscope/label-values?label=__name__'), [INUSE, CPU]);
      assert.deepEqual(await get('/pyroscope/label-values?label=service_name'), ['lv-cpu', 'lv-mem']);
      assert.deepEqual(await get('/pyroscope/label-values?label=region'), ['eu']);
      const names = await get('/pyroscope/labels');
      assert.deepEqual(names, [...RESERVED_LABEL_NAMES, 'pod', 'pyroscope_spy', 'region', 'service_name']);
      // scoped by a query's matchers
      assert.deepEqual(
        await get(`/pyroscope/labels?query=${encodeURIComponent(`${CPU}{service_name="lv-cpu"}`)}`),
        names.filter((n) => n !== 'region' && n !== 'pyroscope_spy')
      );
      const missing = await fetch(`${fresh.url}/pyroscope/label-values`);
      assert.equal(missing.status, 400);
    } finally {
      await fresh.stop();
    }
  });

  test('render-diff of two profile types is a 400 with a message', async () => {
    const nowSec = Math.floor(Date.now() / 1000);
    const qs = new URLSearchParams({
      leftQuery: `${INUSE}{service_name="wire-left"}`,
      rightQuery: `${CPU}{service_name="spanwire"}`,
      leftFrom: String(nowSec - 600),
      leftUntil: String(nowSec + 60),
      rightFrom: String(nowSec - 600),
      rightUntil: String(nowSec + 60),
    });
    const res = await fetch(`${be.url}/pyroscope/render-diff?${qs}`);
    assert.equal(res.status, 400);
    const j = (await res.json()) as { code: number; message: string };
    assert.match(j.message, /same profile type/);
    assert.ok(j.message.includes(INUSE) && j.message.includes(CPU), j.message);
  });

  test('max_nodes 0 over the wire: the default 8192 nodes, the rest in "other"', async () => {
    // 9000 leaves under one root, with values 1..9000: 9001 nodes
    const body = Array.from({ length: 9000 }, (_, i) => `root;leaf_${i} ${i + 1}`).join('\n') + '\n';
    await pushFolded(be.url, 'wide', Math.floor(Date.now() / 1000) - 20, body);
    const now = Date.now();
    const res = await connectProto(
      be.url,
      'SelectMergeStacktraces',
      encodeSelectMergeStacktraces({
        profileTypeID: INUSE,
        labelSelector: '{service_name="wide"}',
        start: now - 600_000,
        end: now + 60_000,
        maxNodes: 0,
      })
    );
    assert.equal(res.status, 200, res.body.toString());
    const fg = decodeSelectResponse(res.body).flamegraph!;
    assert.equal(fg.total, (9000 * 9001) / 2);
    // kept: the nodes whose total reaches the 8192nd largest (root and the leaves of 810..9000); the leaves of
    // 1..809 fold into one "other"
    const nodes = fg.levels.slice(1).reduce((a, l) => a + l.length / 4, 0);
    assert.equal(nodes, 8192 + 1);
    const got = flameStacks(fg);
    assert.equal(got.stacks.get(`root${SEP}other`), (809 * 810) / 2);
    assert.equal(got.stacks.get(`root${SEP}leaf_809`), 810);
    assert.equal(got.stacks.has(`root${SEP}leaf_808`), false);
  });

  test('SelectMergeProfile max_nodes cuts the call tree as Pyroscope’s pprof resolver does', async () => {
    // call tree by function: a 9, a;b 8, a;b;c 5, a;b;d 3, a;e 1, f 1 (six nodes)
    await pushFolded(be.url, 'pprof-cut', Math.floor(Date.now() / 1000) - 20, 'a;b;c 5\na;b;d 3\na;e 1\nf 1\n');
    const now = Date.now();
    const req = {
      profileTypeID: INUSE,
      labelSelector: '{service_name="pprof-cut"}',
      start: now - 600_000,
      end: now + 60_000,
    };
    const cut = async (maxNodes?: number) => {
      const res = await connectProto(be.url, 'SelectMergeProfile', encodeSelectMergeProfile({ ...req, maxNodes }));
      assert.equal(res.status, 200, res.body.toString());
      return pprofStacks(Profile.decode(res.body), 0);
    };
    const p = (...names: string[]) => names.join(SEP);
    const full = new Map([
      [p('a', 'b', 'c'), 5],
      [p('a', 'b', 'd'), 3],
      [p('a', 'e'), 1],
      [p('f'), 1],
    ]);
    // no max_nodes, 0, or at least the node count: nothing is cut (Pyroscope sets no default for pprof export)
    assertSameStacks(await cut(), full, 'no max_nodes');
    assertSameStacks(await cut(0), full, 'max_nodes 0');
    assertSameStacks(await cut(6), full, 'max_nodes 6');
    // 4: the threshold is the 4th largest node total, 3; e and f (1) are cut, a's stack ends in "other", f's
    // stack is cut entirely and becomes the sample [other]
    assertSameStacks(
      await cut(4),
      new Map([
        [p('a', 'b', 'c'), 5],
        [p('a', 'b', 'd'), 3],
        [p('a', 'other'), 1],
        [p('other'), 1],
      ]),
      'max_nodes 4'
    );
    // 3: the threshold is 5; d goes too
    assertSameStacks(
      await cut(3),
      new Map([
        [p('a', 'b', 'c'), 5],
        [p('a', 'b', 'other'), 3],
        [p('a', 'other'), 1],
        [p('other'), 1],
      ]),
      'max_nodes 3'
    );
    // 5 with a tie at the threshold (e and f both 1): ties are kept, as MinValue keeps every node >= it
    assertSameStacks(await cut(5), full, 'max_nodes 5');
  });

  test('unknown methods and services answer 404 (SelectHeatmap is served: exemplars.test.ts)', async () => {
    for (const path of ['querier.v1.QuerierService/NoSuchMethod', 'querier.v1.NoSuchService/SelectHeatmap']) {
      const res = await fetch(`${be.url}/${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      assert.equal(res.status, 404, path);
    }
  });
});

// ---------------------------------------------------------------------------------------------------------
// What a query reads from the store

/** The filesystem store, counting which objects are read and how. */
describe('a query reads only the objects of its range and services', () => {
  let svc: Service;
  let url: string;
  let store: CountingStore;
  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bts-q-'));
    const cfg = loadConfig([
      '-storage.backend=filesystem',
      `-storage.filesystem.dir=${dir}`,
      '-validation.reject-older-than=0',
      // the objects as the writer left them: compaction would move them into blocks while the test reads
      '-compactor.compaction-interval=0',
      // scan-b's large object is one profile of 20,000 stacks, above the default samples limit
      '-validation.max-profile-stacktrace-samples=0',
    ]);
    store = new CountingStore(new FilesystemStore(dir));
    svc = await createService(cfg, { logLevel: 'warn', store });
    await svc.app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(svc.app.server.address() as { port: number }).port}`;
  });
  after(async () => svc?.close());

  test('objects outside the range are not touched, other services’ objects not decoded, every read counted', async () => {
    const nowSec = Math.floor(Date.now() / 1000);
    const t0 = nowSec - 3 * 3600; // another hour folder
    const t1 = nowSec - 40 * 60;
    const t2 = nowSec - 5 * 60;
    // each push is its own request, so its own object
    await pushFolded(url, 'scan-a', t0, 'a;x 1\n');
    await pushFolded(url, 'scan-a', t1, 'a;y 2\n');
    // scan-b's object is large (many distinct frames): a query for scan-a reads its header only; scan-c's is
    // small, and small objects are read whole in one request (a header read first would be a second round
    // trip), but its profiles are not decoded
    const big = Array.from({ length: 20_000 }, (_, i) => `b;frame_number_${i};z 1`).join('\n') + '\n';
    await pushFolded(url, 'scan-b', t1 + 1, big);
    await pushFolded(url, 'scan-c', t1 + 2, 'c;q 4\n');
    await pushFolded(url, 'scan-a', t2, 'a;w 8\n');
    const objects = (await svc.store.list('anonymous/l0/')).filter((o) => o.key.endsWith('.seg'));
    assert.equal(objects.length, 5);
    const at = (sec: number) => objects.find((o) => o.key.includes(`-${sec * 1000}-`))!;
    const [a0, a1, b1, c1, a2] = [at(t0), at(t1), at(t1 + 1), at(t1 + 2), at(t2)];
    assert.ok(a0 && a1 && b1 && c1 && a2, 'one object per push, named by its time range');
    assert.ok(b1.size > WHOLE_READ_BYTES, `${b1.size} bytes`);
    assert.ok(a1.size <= WHOLE_READ_BYTES && c1.size <= WHOLE_READ_BYTES, `${a1.size} and ${c1.size} bytes`);

    store.reset();
    const range = { start: (t1 - 60) * 1000, end: (t1 + 60) * 1000 };
    const r = await connectJson<{ flamegraph: FlameGraphJson }>(url, 'SelectMergeStacktraces', {
      profileTypeID: INUSE,
      labelSelector: '{service_name="scan-a"}',
      ...range,
    });
    assert.equal(r.status, 200);
    assert.equal(r.json.flamegraph.total, '2');
    // read in full, in one request each: the small objects of the range (scan-a's and scan-c's); scan-b's large
    // one: its header, by a range read
    assert.deepEqual(store.gets.sort(), [a1.key, c1.key].sort());
    assert.deepEqual([...new Set(store.ranges)], [b1.key]);
    const coldBytes = store.bytes;
    const headerBytes = coldBytes - a1.size - c1.size;
    assert.ok(headerBytes > 0 && headerBytes < b1.size, `b1's header read: ${headerBytes} bytes`);

    // the querier's own count of the same query (now with warm caches: the count is what a cold query reads),
    // and AnalyzeQuery's: every object request and its bytes, while only scan-a's one profile was decoded
    const params = { profileType: INUSE, selector: '{service_name="scan-a"}', ...range };
    store.reset();
    const { stats } = await svc.querier.selectMergeTree('anonymous', params);
    assert.equal(store.bytes, 0, 'the repeated query reads nothing from the store');
    assert.deepEqual(
      {
        listed: stats.objectsListed,
        read: stats.objectsRead,
        bytes: stats.bytesRead,
        profiles: stats.profiles,
        series: stats.series,
      },
      { listed: 3, read: 3, bytes: coldBytes, profiles: 1, series: 1 }
    );
    const an = await connectJson<{
      queryScopes: Array<Record<string, string>>;
      queryImpact: Record<string, string | boolean>;
    }>(url, 'AnalyzeQuery', { query: `${INUSE}{service_name="scan-a"}`, ...range });
    assert.equal(an.status, 200, JSON.stringify(an.json));
    const scope = an.json.queryScopes[0];
    assert.equal(Number(scope.blockCount), 3);
    assert.equal(Number(scope.profileBytes), coldBytes);
    assert.equal(Number(scope.profileCount), 1);
    assert.equal(Number(scope.seriesCount), 1);
    assert.equal(Number(an.json.queryImpact.totalBytesInTimeRange), a1.size + b1.size + c1.size);
    // a bare label selector, as Pyroscope also takes it, analyses every profile type of the service
    const bare = await connectJson<{ queryScopes: Array<Record<string, string>> }>(url, 'AnalyzeQuery', {
      query: '{service_name="scan-a"}',
      ...range,
    });
    assert.equal(bare.status, 200, JSON.stringify(bare.json));
    assert.deepEqual(bare.json.queryScopes[0], scope);

    // the whole span of scan-a: its three objects in full, scan-b's still only by its header, scan-c's whole
    const wide = { start: (t0 - 60) * 1000, end: (t2 + 60) * 1000 };
    store.reset();
    const w = await connectJson<{ flamegraph: FlameGraphJson }>(url, 'SelectMergeStacktraces', {
      profileTypeID: INUSE,
      labelSelector: '{service_name="scan-a"}',
      ...wide,
    });
    assert.equal(w.json.flamegraph.total, '11');
    assert.deepEqual(store.gets.sort(), [a0.key, a2.key].sort(), 'a1 is cached from before, the others read once');
    const ws = (await svc.querier.selectMergeTree('anonymous', { ...params, ...wide })).stats;
    const wideBytes = a0.size + a1.size + a2.size + c1.size + headerBytes;
    assert.deepEqual([ws.objectsListed, ws.objectsRead, ws.bytesRead, ws.profiles], [5, 5, wideBytes, 3]);
    const wa = await connectJson<{ queryScopes: Array<Record<string, string>> }>(url, 'AnalyzeQuery', {
      query: `${INUSE}{service_name="scan-a"}`,
      ...wide,
    });
    assert.equal(Number(wa.json.queryScopes[0].blockCount), 5);
    assert.equal(Number(wa.json.queryScopes[0].profileBytes), wideBytes);
    assert.equal(Number(wa.json.queryScopes[0].profileCount), 3);
  });
});
