// Reading ingested profiles back over the query API for the ingest tests, independently of our own encoders:
// SelectMergeProfile over Connect binary protobuf (request written by hand from Pyroscope's field numbers, the
// pprof answer decoded with pprof-format) and SelectMergeStacktraces flame graphs decoded here from the format.
import assert from 'node:assert/strict';
import { Profile } from 'pprof-format';
import { connectJson } from './helpers.js';
import { PbWriter } from './wire.js';

/** Large enough that no flame graph of the tests is truncated (Pyroscope's maximum). */
export const ALL_NODES = 1_048_576;

/** Stack (frames root first, joined with ';') → value. */
export type Stacks = Map<string, number>;

export const range = (): { start: number; end: number } => ({
  start: Date.now() - 3_600_000,
  end: Date.now() + 60_000,
});

/** querier.v1.SelectMergeProfileRequest{profile_typeID=1, label_selector=2, start=3, end=4} */
export function encodeSelectMergeProfile(profileTypeID: string, labelSelector: string, start: number, end: number) {
  return new PbWriter().string(1, profileTypeID).string(2, labelSelector).int64(3, start).int64(4, end).finish();
}

/** SelectMergeProfile over Connect with binary protobuf; the answer decoded with pprof-format. */
export async function selectMergeProfile(url: string, profileTypeID: string, labelSelector: string): Promise<Profile> {
  const { start, end } = range();
  const r = await fetch(`${url}/querier.v1.QuerierService/SelectMergeProfile`, {
    method: 'POST',
    headers: { 'content-type': 'application/proto', 'connect-protocol-version': '1' },
    body: new Uint8Array(encodeSelectMergeProfile(profileTypeID, labelSelector, start, end)),
  });
  const body = Buffer.from(await r.arrayBuffer());
  assert.equal(r.status, 200, `SelectMergeProfile ${profileTypeID} ${labelSelector}: ${body.toString()}`);
  assert.match(r.headers.get('content-type') ?? '', /^application\/proto/);
  return Profile.decode(body);
}

/**
 * A pprof's stacks as `function:line` frames, root first (inlined frames outermost first); a line is printed as
 * an unsigned 32-bit number, as the JFR reference output does (-1 is 4294967295). Zero values are left out.
 */
export function pprofStacks(p: Profile, valueIndex = 0, frame: 'function:line' | 'function' = 'function:line'): Stacks {
  const str = (i: number | bigint) => String(p.stringTable.strings[Number(i)] ?? '');
  const fnName = new Map(p.function.map((f) => [Number(f.id), str(f.name)]));
  const locFrames = new Map(
    p.location.map((l) => [
      Number(l.id),
      l.line
        .map((ln) => {
          const name = fnName.get(Number(ln.functionId));
          assert.ok(
            name !== undefined,
            `location ${l.id} names function ${ln.functionId}, which is not in the profile`
          );
          return frame === 'function' ? name : `${name}:${Number(BigInt.asUintN(32, BigInt(ln.line)))}`;
        })
        .reverse(),
    ])
  );
  const out: Stacks = new Map();
  for (const s of p.sample) {
    const v = Number(s.value[valueIndex] ?? 0);
    if (v === 0) {
      continue;
    }
    const frames: string[] = [];
    for (let i = s.locationId.length - 1; i >= 0; i--) {
      const f = locFrames.get(Number(s.locationId[i]));
      assert.ok(f, `sample names location ${s.locationId[i]}, which is not in the profile`);
      frames.push(...f);
    }
    const key = frames.join(';');
    out.set(key, (out.get(key) ?? 0) + v);
  }
  for (const [k, v] of out) {
    if (v === 0) {
      out.delete(k);
    }
  }
  return out;
}

interface FlameGraphJson {
  names: string[];
  levels: Array<{ values?: string[] }>;
  total: string;
}

/**
 * SelectMergeStacktraces (Connect JSON, no node limit) decoded into self value per stack of function names.
 * Levels are [x delta, total, self, name] per node; a node's parent is the node of the level above whose span
 * contains it.
 */
export async function flameGraphStacks(
  url: string,
  profileTypeID: string,
  labelSelector: string,
  opts: { tenant?: string } = {}
): Promise<{ stacks: Stacks; total: number }> {
  const r = await connectJson<{ flamegraph?: FlameGraphJson }>(
    url,
    'SelectMergeStacktraces',
    { profileTypeID, labelSelector, maxNodes: ALL_NODES, ...range() },
    opts
  );
  assert.equal(r.status, 200, `SelectMergeStacktraces ${profileTypeID} ${labelSelector}: ${JSON.stringify(r.json)}`);
  const fg = r.json.flamegraph;
  const stacks: Stacks = new Map();
  if (!fg) {
    return { stacks, total: 0 };
  }
  let above: Array<{ x: number; t: number; path: string }> = [];
  fg.levels.forEach((level, depth) => {
    const values = (level.values ?? []).map(Number);
    assert.equal(values.length % 4, 0, `level ${depth} has ${values.length} numbers`);
    const nodes: typeof above = [];
    let end = 0;
    for (let i = 0; i < values.length; i += 4) {
      const x = end + values[i];
      const t = values[i + 1];
      const self = values[i + 2];
      end = x + t;
      const name = fg.names[values[i + 3]];
      assert.ok(name !== undefined, `name index ${values[i + 3]} out of range`);
      let path = '';
      if (depth > 0) {
        const parent = above.find((p) => p.t > 0 && p.x <= x && x + t <= p.x + p.t);
        assert.ok(parent, `node ${name} on level ${depth} lies under no node of the level above`);
        path = depth === 1 ? name : `${parent.path};${name}`;
      }
      nodes.push({ x, t, path });
      if (self !== 0) {
        stacks.set(path, (stacks.get(path) ?? 0) + self);
      }
    }
    above = nodes;
  });
  return { stacks, total: Number(fg.total ?? 0) };
}

/** Profile type ids (`name:type:unit:periodType:periodUnit`) that a series selector has data for. */
export async function profileTypesOf(url: string, labelSelector: string): Promise<string[]> {
  const r = await connectJson<{ names?: string[] }>(url, 'LabelValues', {
    name: '__profile_type__',
    matchers: [labelSelector],
    ...range(),
  });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  return [...(r.json.names ?? [])].sort();
}

/** Fails with the first few differing stacks of each side. */
export function assertSameStacks(actual: Stacks, expected: Stacks, what: string): void {
  const bad: string[] = [];
  for (const [k, v] of expected) {
    if (actual.get(k) !== v) {
      bad.push(`  ${k}: expected ${v}, got ${actual.get(k) ?? 'nothing'}`);
    }
  }
  for (const [k, v] of actual) {
    if (!expected.has(k)) {
      bad.push(`  ${k}: expected nothing, got ${v}`);
    }
  }
  const cut = (s: string) => (s.length > 500 ? `…${s.slice(-500)}` : s);
  assert.ok(
    bad.length === 0,
    `${what}: ${bad.length} of ${expected.size} stacks differ:\n${bad.slice(0, 4).map(cut).join('\n')}`
  );
}
