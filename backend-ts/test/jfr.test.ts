// JFR reader against the recordings in ../shared/fixtures/jfr (ground truth: grafana/jfr-parser's output for
// each profile type), plus truncation and corruption of real recordings.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { JfrParseError } from '../src/formats/jfr/jfr-parse-error.js';
import { parseJfr, type JfrProfile } from '../src/formats/jfr/parse-jfr.js';
import type { NormalizedProfile } from '../src/model/profile.js';

const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const FIXTURES = join(projectRoot, '..', 'shared', 'fixtures', 'jfr');
const skip = existsSync(FIXTURES)
  ? false
  : `JFR fixtures not found at ${FIXTURES} (../shared/fixtures is absent in this checkout)`;

interface Recording {
  name: string;
  jfr: Uint8Array;
  labels: Uint8Array | undefined;
  /** Expected files by profile type key (e.g. "memory_alloc_in_new_tlab_objects__count+alloc_in_new_tlab_bytes__bytes"). */
  collapsed: Map<string, string[]>;
  dumps: Map<string, string[]>;
}

function loadRecordings(): Recording[] {
  const files = readdirSync(FIXTURES);
  // Plain Uint8Array copies: Buffer#slice would share memory, and the corruption tests below slice and mutate.
  const gz = (f: string): Uint8Array => new Uint8Array(gunzipSync(readFileSync(join(FIXTURES, f))));
  return files
    .filter((f) => f.endsWith('.jfr.gz'))
    .map((f) => {
      const name = f.slice(0, -'.jfr.gz'.length);
      const labelsFile = files.find((x) => x === `${name}.labels.pb.gz` || x === `${name}.labels.gz`);
      const collapsed = new Map<string, string[]>();
      const dumps = new Map<string, string[]>();
      for (const x of files) {
        if (!x.startsWith(`${name}_`)) {
          continue;
        }
        const m = /^(\d+)_(.+)_expected(_collapsed)?\.txt\.gz$/.exec(x.slice(name.length + 1));
        if (m === null) {
          continue;
        }
        // Some recordings have two files for one type (written by two reference versions); both must hold.
        const key = m[2]!;
        const target = m[3] === undefined ? dumps : collapsed;
        const lines = new TextDecoder()
          .decode(gz(x))
          .split('\n')
          .filter((l) => l !== '');
        const prev = target.get(key);
        if (prev !== undefined) {
          assert.deepEqual([...lines].sort(), [...prev].sort(), `${x} disagrees with its twin`);
        }
        target.set(key, lines);
      }
      return { name, jfr: gz(f), labels: labelsFile === undefined ? undefined : gz(labelsFile), collapsed, dumps };
    });
}

function typeKey(p: JfrProfile): string {
  return `${p.name}_${p.profile.sampleTypes.map((t) => `${t.type}__${t.unit}`).join('+')}`;
}

/** Frame text as the reference prints it: `name:line`, the line as an unsigned 32-bit number (-1 is 4294967295). */
function frameText(p: NormalizedProfile, frame: number): string {
  return `${p.strings[p.fnName[p.frameFn[frame]!]!]}:${p.frameLine[frame]! >>> 0}`;
}

function rootFirst(p: NormalizedProfile, stack: number): string {
  const parts: string[] = [];
  for (let i = p.stackOffsets[stack + 1]! - 1; i >= p.stackOffsets[stack]!; i--) {
    parts.push(frameText(p, p.stackFrames[i]!));
  }
  return parts.join(';');
}

function sampleLabels(p: NormalizedProfile, s: number): string {
  const pairs = [...p.labelSets[p.sampleLabelSet[s]!]!];
  const span = p.sampleSpan[s]!;
  // The reference writes the span id as the legacy pprof label profile_id.
  if (span !== 0) {
    pairs.push(['profile_id', p.strings[span]!]);
  }
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return pairs.map(([k, v]) => `${k}:[${v}]`).join(' ');
}

/** Sums values per key; keys whose values are all zero are dropped, as the reference's collapse does. */
function aggregate(entries: Iterable<[string, number[]]>): string[] {
  const m = new Map<string, number[]>();
  for (const [k, v] of entries) {
    const cur = m.get(k);
    if (cur === undefined) {
      m.set(k, [...v]);
    } else {
      v.forEach((x, i) => (cur[i]! += x));
    }
  }
  return [...m]
    .filter(([, v]) => v.some((x) => x !== 0))
    .map(([k, v]) => `${k} [${v.join(' ')}]`)
    .sort();
}

function* samples(p: NormalizedProfile, withLabels: boolean): Generator<[string, number[]]> {
  for (let s = 0; s < p.sampleStack.length; s++) {
    const stack = rootFirst(p, p.sampleStack[s]!);
    yield [withLabels ? `${stack} {${sampleLabels(p, s)}}` : stack, p.sampleValues.map((c) => c[s]!)];
  }
}

/** Parses pprof's text dump (Profile.String()) into (root-first stack {labels}, values) pairs. */
function* dumpSamples(lines: string[]): Generator<[string, number[]]> {
  const locations = new Map<string, string>();
  let i = lines.indexOf('Locations');
  for (i++; i < lines.length && lines[i] !== 'Mappings'; i++) {
    const m = /^\s*(\d+): 0x[0-9a-f]+ M=\d+ (.*) :(\d+):\d+ s=\d+\(.*\)$/.exec(lines[i]!);
    assert.ok(m, `unparsed location line: ${lines[i]}`);
    locations.set(m[1]!, `${m[2]}:${m[3]}`);
  }
  const start = lines.indexOf('Samples:') + 2;
  for (let j = start; j < lines.length && lines[j] !== 'Locations'; j++) {
    const m = /^\s*([\d ]+): ([\d ]*)$/.exec(lines[j]!);
    assert.ok(m, `unparsed sample line: ${lines[j]}`);
    const values = m[1]!.trim().split(/\s+/).map(Number);
    const stack = m[2]!
      .trim()
      .split(' ')
      .filter((x) => x !== '')
      .reverse()
      .map((id) => locations.get(id)!)
      .join(';');
    let labels = '';
    const next = lines[j + 1];
    if (next !== undefined && /^\s+\S+:\[/.test(next)) {
      labels = [...next.matchAll(/(\S+?):\[([^\]]*)\]/g)]
        .map((x) => `${x[1]}:[${x[2]}]`)
        .sort()
        .join(' ');
      j++;
    }
    yield [`${stack} {${labels}}`, values];
  }
}

function diff(actual: string[], expected: string[]): string {
  const a = new Set(actual);
  const e = new Set(expected);
  const onlyA = actual.filter((x) => !e.has(x));
  const onlyE = expected.filter((x) => !a.has(x));
  const show = (xs: string[]): string =>
    xs
      .slice(0, 3)
      .map((x) => `    ${x.length > 400 ? `…${x.slice(-400)}` : x}`)
      .join('\n');
  return `${onlyA.length} lines only in ours:\n${show(onlyA)}\n${onlyE.length} lines only in the expected file:\n${show(onlyE)}`;
}

const PROFILE_TYPE_IDS = new Set([
  'process_cpu:cpu:nanoseconds:cpu:nanoseconds',
  'wall:wall:nanoseconds:wall:nanoseconds',
  'memory:alloc_in_new_tlab_objects:count:space:bytes',
  'memory:alloc_in_new_tlab_bytes:bytes:space:bytes',
  'memory:alloc_outside_tlab_objects:count:space:bytes',
  'memory:alloc_outside_tlab_bytes:bytes:space:bytes',
  'memory:alloc_sample_objects:count:space:bytes',
  'memory:alloc_sample_bytes:bytes:space:bytes',
  'memory:live:count:objects:count',
  'mutex:contentions:count:mutex:count',
  'mutex:delay:nanoseconds:mutex:count',
  'block:contentions:count:block:count',
  'block:delay:nanoseconds:block:count',
  // Pyroscope's JFR reader gives malloc profiles no period type.
  'memory:malloc_objects:count::',
  'memory:malloc_bytes:bytes::',
]);

describe('JFR fixtures', { skip }, () => {
  const recordings = skip === false ? loadRecordings() : [];

  for (const rec of recordings) {
    test(`${rec.name}: every profile type reproduces its expected collapsed stacks`, () => {
      const profiles = parseJfr(rec.jfr, rec.labels);
      const byKey = new Map(profiles.map((p) => [typeKey(p), p]));
      assert.deepEqual([...byKey.keys()].sort(), [...rec.collapsed.keys()].sort(), 'profile types');
      assert.equal(byKey.size, profiles.length, 'one profile per type');
      for (const [key, expected] of rec.collapsed) {
        const actual = aggregate(samples(byKey.get(key)!.profile, false));
        const sortedExpected = [...expected].sort();
        assert.ok(
          actual.length === sortedExpected.length && actual.every((x, i) => x === sortedExpected[i]),
          `${rec.name} ${key}: ${diff(actual, sortedExpected)}`
        );
      }
      for (const p of profiles) {
        const ids = p.profile.sampleTypes.map(
          (t) => `${p.name}:${t.type}:${t.unit}:${p.profile.periodType.type}:${p.profile.periodType.unit}`
        );
        for (const id of ids) {
          assert.ok(PROFILE_TYPE_IDS.has(id), `unexpected profile type id ${id}`);
        }
      }
    });

    test(`${rec.name}: per-sample labels and span ids match the expected pprof dumps`, () => {
      const profiles = parseJfr(rec.jfr, rec.labels);
      const byKey = new Map(profiles.map((p) => [typeKey(p), p]));
      for (const [key, dump] of rec.dumps) {
        const p = byKey.get(key);
        assert.ok(p, `${rec.name}: no profile for ${key}`);
        const actual = aggregate(samples(p.profile, true));
        const expected = aggregate(dumpSamples(dump));
        assert.ok(
          actual.length === expected.length && actual.every((x, i) => x === expected[i]),
          `${rec.name} ${key}: ${diff(actual, expected)}`
        );
        // Span ids are per sample, never part of a label set.
        for (const ls of p.profile.labelSets) {
          for (const [k] of ls) {
            assert.ok(!['span_id', 'profile_id', 'trace_id'].includes(k), `label set carries ${k}`);
          }
        }
      }
    });
  }

  test('labels snapshots become per-sample labels (dump1: thread_name; new_spancontext: span name and id)', () => {
    const dump1 = recordings.find((r) => r.name === 'dump1')!;
    const withLabels = parseJfr(dump1.jfr, dump1.labels)[0]!.profile;
    const names = new Set(withLabels.labelSets.flatMap((ls) => ls.map(([k, v]) => `${k}=${v}`)));
    assert.ok(names.has('thread_name=pool-2-thread-7'), [...names].join(','));
    const without = parseJfr(dump1.jfr)[0]!.profile;
    assert.deepEqual(without.labelSets, [[]]);

    const spans = recordings.find((r) => r.name === 'new_spancontext')!;
    const p = parseJfr(spans.jfr, spans.labels)[0]!.profile;
    const spanNames = new Map<string, Set<string>>();
    for (let s = 0; s < p.sampleSpan.length; s++) {
      if (p.sampleSpan[s] === 0) {
        continue;
      }
      const span = p.strings[p.sampleSpan[s]!]!;
      const name = p.labelSets[p.sampleLabelSet[s]!]!.find(([k]) => k === 'span_name')?.[1] ?? '';
      spanNames.set(span, new Set([...(spanNames.get(span) ?? []), name]));
    }
    assert.deepEqual([...spanNames].map(([span, names]) => `${span}=${[...names].join(',')}`).sort(), [
      '00000000000000ef=Fibonachi',
      '0000000000001092=Infinite',
    ]);
  });

  test('a multi-chunk recording is the sum of its chunks', () => {
    const pick = (n: string): Recording => recordings.find((r) => r.name === n)!;
    const a = pick('example');
    const b = pick('wall');
    const c = pick('cpool-uint64-constant-index');
    const joined = new Uint8Array(a.jfr.length + b.jfr.length + c.jfr.length + a.jfr.length);
    joined.set(a.jfr, 0);
    joined.set(b.jfr, a.jfr.length);
    joined.set(c.jfr, a.jfr.length + b.jfr.length);
    joined.set(a.jfr, a.jfr.length + b.jfr.length + c.jfr.length);
    const collapsedByType = (ps: JfrProfile[]): Map<string, Array<[string, number[]]>> => {
      const m = new Map<string, Array<[string, number[]]>>();
      for (const p of ps) {
        m.set(typeKey(p), [...(m.get(typeKey(p)) ?? []), ...samples(p.profile, true)]);
      }
      return m;
    };
    const together = collapsedByType(parseJfr(joined));
    const apart = collapsedByType([...parseJfr(a.jfr), ...parseJfr(b.jfr), ...parseJfr(c.jfr), ...parseJfr(a.jfr)]);
    assert.deepEqual([...together.keys()].sort(), [...apart.keys()].sort());
    for (const [k, v] of apart) {
      const actual = aggregate(together.get(k)!);
      const expected = aggregate(v);
      assert.ok(
        actual.length === expected.length && actual.every((x, i) => x === expected[i]),
        `${k}: ${diff(actual, expected)}`
      );
    }
  });

  test('truncated recordings throw JfrParseError', () => {
    const rec = recordings.find((r) => r.name === 'new_spancontext')!;
    const full = rec.jfr;
    const offsets = new Set<number>();
    for (let i = 0; i < 200; i++) {
      offsets.add(i);
    }
    for (let i = 200; i < full.length; i += 61) {
      offsets.add(i);
    }
    offsets.add(full.length - 1);
    for (const n of offsets) {
      assert.throws(() => parseJfr(full.subarray(0, n), rec.labels), JfrParseError, `truncated at ${n}`);
    }
    // A chunk truncated inside a second chunk of a multi-chunk recording fails as a whole: no partial result.
    const two = new Uint8Array(full.length * 2);
    two.set(full, 0);
    two.set(full, full.length);
    for (const n of [full.length + 1, full.length + 68, full.length + 5000, two.length - 1]) {
      assert.throws(() => parseJfr(two.subarray(0, n)), JfrParseError, `two chunks truncated at ${n}`);
    }
  });

  test('truncations that keep the chunk header consistent are rejected or parsed, never crash', () => {
    const rec = recordings.find((r) => r.name === 'wall_tick_sample')!;
    let rejected = 0;
    for (let n = 68; n < rec.jfr.length; n += 97) {
      const cut = rec.jfr.slice(0, n);
      // Rewrite the chunk size so the reader goes past the header into the cut-off body.
      new DataView(cut.buffer).setBigInt64(8, BigInt(n));
      try {
        parseJfr(cut);
      } catch (e) {
        assert.ok(e instanceof JfrParseError, `cut at ${n}: ${String(e)}`);
        rejected++;
      }
    }
    assert.ok(rejected > 0);
  });

  test('random byte flips of real recordings yield a result or a JfrParseError', { timeout: 120_000 }, (t) => {
    let seed = 0x9e3779b9;
    const rand = (): number => {
      // mulberry32: deterministic, so a failure reproduces
      seed = (seed + 0x6d2b79f5) | 0;
      let t = seed;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    // Small recordings of both writers get most trials; the larger JDK ones (many more types) fewer.
    const targets = [
      'new_spancontext',
      'wall_tick_sample',
      'nativemem',
      'new_spancontext',
      'wall_tick_sample',
      'nativemem',
      'example',
      'dd-trace-java',
    ].map((n) => recordings.find((r) => r.name === n)!);
    const trials = 400;
    let ok = 0;
    let rejected = 0;
    for (let trial = 0; trial < trials; trial++) {
      const rec = targets[trial % targets.length]!;
      const bytes = rec.jfr.slice();
      const flips = 1 + Math.floor(rand() * 4);
      for (let f = 0; f < flips; f++) {
        // Half of the flips hit the first 16 KB, where the header, metadata and constant pools of these live.
        const limit = rand() < 0.5 ? Math.min(16384, bytes.length) : bytes.length;
        const at = Math.floor(rand() * limit);
        bytes[at] = bytes[at]! ^ (1 + Math.floor(rand() * 255));
      }
      try {
        parseJfr(bytes, rec.labels);
        ok++;
      } catch (e) {
        assert.ok(e instanceof JfrParseError, `trial ${trial}: ${e instanceof Error ? e.stack : String(e)}`);
        rejected++;
      }
    }
    assert.equal(ok + rejected, trials);
    t.diagnostic(`${trials} corrupted recordings: ${ok} parsed, ${rejected} rejected with JfrParseError`);
    assert.ok(rejected > 0, 'some corruptions must be detected');
  });

  test('a corrupt labels snapshot throws JfrParseError', () => {
    const rec = recordings.find((r) => r.name === 'dump1')!;
    assert.throws(() => parseJfr(rec.jfr, Uint8Array.of(0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f)), JfrParseError);
  });
});

test('a gzipped body is rejected with a message that says so', () => {
  assert.throws(() => parseJfr(gzipSync(new Uint8Array(100))), /gzip-compressed/);
});

test('not a JFR recording throws JfrParseError', () => {
  assert.throws(() => parseJfr(new Uint8Array(0)), JfrParseError);
  assert.throws(() => parseJfr(new TextEncoder().encode('this is not a flight recording, just text')), JfrParseError);
  assert.throws(() => parseJfr(Uint8Array.of(0x46, 0x4c, 0x52, 0x00, 0, 2, 0, 0)), JfrParseError);
});
