// Property-based fuzzing (fast-check) of every parser the backend exposes to agents and users: pprof, JFR, the
// JFR labels snapshot, folded/lines/speedscope, OTLP, `name=app{...}` and the time parameters, Prometheus label
// selectors, the YAML config and the flags, and the Connect protobuf/JSON request bodies over HTTP against an
// in-process server. Every input either parses or is rejected with the parser's typed error (or a 4xx with a
// {code, message} body over HTTP) whose message says what is wrong; no call may hang (each is timed) and the
// process must not grow without bound (RSS is checked at the end).
//
// Bounded in `npm test` (about a minute); `npm run test:fuzz` runs the same properties FUZZ_SCALE times longer.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { stringify as yamlStringify } from 'yaml';
import { loadConfig, OPTIONS } from '../src/config/config.js';
import { FormatError } from '../src/formats/formatError.js';
import { readFolded } from '../src/formats/folded.js';
import { JfrParseError } from '../src/formats/jfr/jfr-parse-error.js';
import { decodeLabelsSnapshot } from '../src/formats/jfr/labels-snapshot.js';
import { parseJfr } from '../src/formats/jfr/parse-jfr.js';
import { readLines } from '../src/formats/lines.js';
import { parseOtlp } from '../src/formats/otlp/readOtlpProfiles.js';
import { parseAppName, parseTimeParam } from '../src/ingest/params.js';
import { parsePprof } from '../src/formats/pprof.js';
import { readSpeedscope, SPEEDSCOPE_SCHEMA } from '../src/formats/speedscope.js';
import { enableLinearRegex } from '../src/config/runtime.js';
import { matches, parseSelector, SelectorError } from '../src/model/selector.js';
import { FIXTURES, HAVE_FIXTURES, startInProcess, type Running } from './helpers.js';
import { CPU, encodePush, tinyPprof } from './wire.js';

enableLinearRegex();

const SCALE = Math.max(1, Number(process.env.FUZZ_SCALE ?? 1));
/** Parser-level properties run in-process and cheap: twice the listed count; HTTP ones use httpRuns. */
const runs = (n: number) => Math.round(n * 2 * SCALE);
const httpRuns = (n: number) => Math.round(n * SCALE);
/** A fixed seed in `npm test` (reproducible); the long run explores new inputs every time (the seed is printed). */
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : SCALE > 1 ? Date.now() % 2 ** 31 : 20250101;
/** One parse of an input of a few KB must never take this long: a hang or a super-linear blow-up. */
const MAX_CALL_MS = 3000;
const MiB = 1024 * 1024;
const counts: Record<string, { ok: number; rejected: number }> = {};

/**
 * Runs a parser on one input: it may return or throw one of the allowed error types with a non-empty message;
 * anything else (TypeError, a bare RangeError, a hang) fails the property with the input's size in the message.
 */
function judge(name: string, allowed: Array<new (...a: never[]) => Error>, fn: () => unknown): void {
  const c = (counts[name] ??= { ok: 0, rejected: 0 });
  // CPU time of this thread's process, not wall time: a parser stuck in a loop burns CPU whatever the machine
  // does, while another process on a busy 2-core box only stretches the wall clock
  const t0 = cpuMs();
  try {
    fn();
    c.ok++;
  } catch (e) {
    if (!allowed.some((cls) => e instanceof cls)) {
      throw new Error(`${name}: unexpected ${(e as Error)?.name}: ${(e as Error)?.stack ?? String(e)}`);
    }
    assert.ok((e as Error).message.length > 5, `${name}: an error without a message`);
    c.rejected++;
  }
  const ms = cpuMs() - t0;
  assert.ok(ms < MAX_CALL_MS, `${name}: one call took ${ms.toFixed(0)} ms of CPU`);
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

// ---- a protobuf writer for structure-aware inputs (pprof, labels snapshot) ---------------------------------
function varint(n: number | bigint): number[] {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  while (v > 127n) {
    out.push(Number(v & 127n) | 128);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}
const lenField = (f: number, payload: Uint8Array) =>
  Buffer.concat([Buffer.from([...varint((f << 3) | 2), ...varint(payload.length)]), payload]);
const intField = (f: number, v: number | bigint) => Buffer.from([...varint(f << 3), ...varint(v)]);
const packed = (f: number, vs: number[]) => lenField(f, Buffer.from(vs.flatMap((v) => varint(v))));

/** Small ids, so that most references resolve and the decoder goes deep. */
const smallId = fc.integer({ min: 0, max: 8 });
const anyInt = fc.oneof(
  smallId,
  fc.integer({ min: -1000, max: 100_000 }),
  fc.constantFrom(2 ** 31, 2 ** 32, 2 ** 53, -1, -(2 ** 31))
);

/** A pprof message built from its field numbers (profile.proto), with random values and random field order. */
const pprofMessage: fc.Arbitrary<Buffer> = fc
  .array(
    fc.oneof(
      fc.tuple(smallId, smallId).map(([t, u]) => lenField(1, Buffer.concat([intField(1, t), intField(2, u)]))),
      fc
        .record({
          locs: fc.array(smallId, { maxLength: 6 }),
          values: fc.array(anyInt, { maxLength: 3 }),
          labels: fc.array(fc.tuple(smallId, smallId, anyInt), { maxLength: 2 }),
        })
        .map(({ locs, values, labels }) =>
          lenField(
            2,
            Buffer.concat([
              packed(1, locs),
              packed(
                2,
                values.map((v) => Number(BigInt.asUintN(64, BigInt(v))))
              ),
              ...labels.map(([k, s, n]) =>
                lenField(3, Buffer.concat([intField(1, k), intField(2, s), intField(3, n)]))
              ),
            ])
          )
        ),
      fc
        .record({ id: smallId, addr: anyInt, lines: fc.array(fc.tuple(smallId, anyInt), { maxLength: 3 }) })
        .map(({ id, addr, lines }) =>
          lenField(
            4,
            Buffer.concat([
              intField(1, id),
              intField(3, BigInt.asUintN(64, BigInt(addr))),
              ...lines.map(([fn, line]) =>
                lenField(4, Buffer.concat([intField(1, fn), intField(2, BigInt.asUintN(64, BigInt(line)))]))
              ),
            ])
          )
        ),
      fc
        .tuple(smallId, smallId, smallId, smallId, anyInt)
        .map(([id, name, sys, file, start]) =>
          lenField(
            5,
            Buffer.concat([
              intField(1, id),
              intField(2, name),
              intField(3, sys),
              intField(4, file),
              intField(5, BigInt.asUintN(64, BigInt(start))),
            ])
          )
        ),
      fc.oneof(fc.constant(''), fc.string({ maxLength: 12 })).map((s) => lenField(6, Buffer.from(s))),
      anyInt.map((v) => intField(9, BigInt.asUintN(64, BigInt(v)))),
      anyInt.map((v) => intField(12, BigInt.asUintN(64, BigInt(v)))),
      fc.tuple(smallId, smallId).map(([t, u]) => lenField(11, Buffer.concat([intField(1, t), intField(2, u)])))
    ),
    { maxLength: 40 }
  )
  .map((parts) => Buffer.concat([lenField(6, Buffer.alloc(0)), ...parts]));

/** Byte-level damage to a valid input: flips, a cut, an insertion. */
function mutated(valid: Uint8Array): fc.Arbitrary<Buffer> {
  return fc
    .record({
      flips: fc.array(fc.tuple(fc.nat(Math.max(0, valid.length - 1)), fc.integer({ min: 0, max: 255 })), {
        maxLength: 6,
      }),
      cut: fc.nat(valid.length),
      insertAt: fc.nat(valid.length),
      insert: fc.uint8Array({ maxLength: 16 }),
    })
    .map(({ flips, cut, insertAt, insert }) => {
      const b = Buffer.from(valid);
      for (const [at, v] of flips) {
        b[at] = v;
      }
      const withInsert = Buffer.concat([b.subarray(0, insertAt), insert, b.subarray(insertAt)]);
      return withInsert.subarray(0, Math.max(1, cut + insert.length));
    });
}

describe('fuzz: parsers reject bad input with their typed error, never crash or hang', () => {
  after(() => {
    const rss = process.memoryUsage().rss;
    console.log(
      `# fuzz (seed ${SEED}, scale ${SCALE}): ` +
        Object.entries(counts)
          .map(([k, v]) => `${k} ${v.ok} ok/${v.rejected} rejected`)
          .join(', ') +
        `; RSS ${(rss / MiB).toFixed(0)} MiB`
    );
    // a parser that kept what it allocated for one input, or sized a buffer by a declared count, shows here
    assert.ok(rss < 1536 * MiB, `RSS ${rss} bytes after fuzzing`);
  });

  test('pprof: structure-aware messages, damaged valid profiles, random bytes, gzip', () => {
    const opts = { maxBytes: 4 * MiB };
    fc.assert(
      fc.property(pprofMessage, fc.boolean(), (msg, gz) =>
        judge('pprof', [FormatError], () => parsePprof(gz ? gzipSync(msg) : msg, opts))
      ),
      { numRuns: runs(1500), seed: SEED }
    );
    const valid = tinyPprof({ gzip: false, labels: { span_id: 'abc', env: 'x' } });
    fc.assert(
      fc.property(mutated(valid), (b) => judge('pprof', [FormatError], () => parsePprof(b, opts))),
      { numRuns: runs(1500), seed: SEED + 1 }
    );
    fc.assert(
      fc.property(mutated(tinyPprof()), (b) => judge('pprof', [FormatError], () => parsePprof(b, opts))),
      { numRuns: runs(500), seed: SEED + 2 }
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (b) => judge('pprof', [FormatError], () => parsePprof(b, opts))),
      { numRuns: runs(500), seed: SEED + 3 }
    );
  });

  test('pprof: declared counts cannot make it allocate more than the body justifies', () => {
    // many sample types and many (empty) samples: values would be nTypes x nSamples numbers
    const types = Buffer.concat(Array.from({ length: 20_000 }, () => lenField(1, Buffer.alloc(0))));
    const samples = Buffer.concat(Array.from({ length: 50_000 }, () => lenField(2, Buffer.alloc(0))));
    const body = Buffer.concat([lenField(6, Buffer.alloc(0)), types, samples]);
    const before = process.memoryUsage().rss;
    judge('pprof', [FormatError], () => parsePprof(body, { maxBytes: 4 * MiB }));
    const grown = process.memoryUsage().rss - before;
    assert.ok(grown < 256 * MiB, `parsing ${body.length} bytes grew RSS by ${(grown / MiB).toFixed(0)} MiB`);
  });

  test('JFR recordings: damaged fixtures and random bytes', { skip: !HAVE_FIXTURES && 'no fixtures' }, () => {
    const dir = join(FIXTURES, 'jfr');
    const small = readdirSync(dir)
      .filter((f) => f.endsWith('.jfr.gz'))
      .map((f) => gunzipSync(readFileSync(join(dir, f))))
      .sort((a, b) => a.length - b.length)
      .slice(0, 2);
    assert.ok(small.length > 0);
    for (const [i, rec] of small.entries()) {
      fc.assert(
        fc.property(mutated(rec), (b) => judge('jfr', [JfrParseError], () => parseJfr(b))),
        { numRuns: runs(60), seed: SEED + 10 + i }
      );
    }
    // a valid chunk header followed by garbage reaches the metadata and constant-pool readers
    const header = small[0].subarray(0, 68);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (tail) =>
        judge('jfr', [JfrParseError], () => parseJfr(Buffer.concat([header, tail])))
      ),
      { numRuns: runs(300), seed: SEED + 12 }
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (b) => judge('jfr', [JfrParseError], () => parseJfr(b))),
      { numRuns: runs(300), seed: SEED + 13 }
    );
  });

  test('JFR labels snapshot: structure-aware and random', () => {
    // LabelsSnapshot{contexts map<int64, Context{labels map<int64,int64>}> = 1, strings map<int64,string> = 2}
    const entry = (k: number, v: Buffer) => Buffer.concat([intField(1, k), lenField(2, v)]);
    const snapshot = fc
      .record({
        contexts: fc.array(fc.tuple(anyInt, fc.array(fc.tuple(anyInt, anyInt), { maxLength: 4 })), { maxLength: 4 }),
        strings: fc.array(fc.tuple(anyInt, fc.string({ maxLength: 8 })), { maxLength: 6 }),
      })
      .map(({ contexts, strings }) =>
        Buffer.concat([
          ...contexts.map(([id, labels]) =>
            lenField(
              1,
              entry(
                id,
                Buffer.concat(
                  labels.map(([k, v]) =>
                    lenField(1, Buffer.concat([intField(1, BigInt.asUintN(64, BigInt(k))), intField(2, v)]))
                  )
                )
              )
            )
          ),
          ...strings.map(([id, s]) =>
            lenField(2, Buffer.concat([intField(1, BigInt.asUintN(64, BigInt(id))), lenField(2, Buffer.from(s))]))
          ),
        ])
      );
    fc.assert(
      fc.property(
        snapshot.chain((s) => fc.oneof(fc.constant(s), mutated(s))),
        (b) => judge('labels', [JfrParseError], () => decodeLabelsSnapshot(b))
      ),
      { numRuns: runs(800), seed: SEED + 20 }
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (b) =>
        judge('labels', [JfrParseError], () => decodeLabelsSnapshot(b))
      ),
      { numRuns: runs(400), seed: SEED + 21 }
    );
  });

  test('folded, lines and speedscope text', () => {
    const frame = fc.stringMatching(/^[a-z.;:() /<>-]{0,12}$/);
    const foldedLine = fc.oneof(
      fc
        .tuple(fc.array(frame, { maxLength: 5 }), fc.oneof(fc.nat(), fc.string({ maxLength: 4 })))
        .map(([fs, n]) => `${fs.join(';')} ${n}`),
      fc.string({ maxLength: 30 })
    );
    const body = fc
      .tuple(fc.array(foldedLine, { maxLength: 20 }), fc.constantFrom('\n', '\r\n'))
      .map(([ls, eol]) => ls.join(eol));
    const params = fc.record({
      appName: fc.constantFrom('app', 'app.cpu', 'app.alloc_objects', 'app.wall', 'x.unknownsuffix'),
      sampleRate: fc.oneof(fc.constant(null), fc.string({ maxLength: 6 }), fc.constantFrom('0', '-1', '1e309', '100')),
    });
    fc.assert(
      fc.property(body, params, (b, p) => {
        judge('folded', [FormatError], () => readFolded(b, p));
        judge('lines', [FormatError], () => readLines(b, p));
      }),
      { numRuns: runs(1000), seed: SEED + 30 }
    );
    const json = fc.json({ maxDepth: 5 });
    const speedscope = fc
      .record({
        frames: fc.array(
          fc.oneof(
            fc.record({ name: fc.string({ maxLength: 6 }) }),
            json.map((j) => JSON.parse(j) as unknown)
          ),
          {
            maxLength: 4,
          }
        ),
        profiles: fc.array(
          fc.oneof(
            fc.record({
              type: fc.constantFrom('sampled', 'evented', 'other'),
              name: fc.string({ maxLength: 4 }),
              unit: fc.constantFrom('none', 'nanoseconds', 'bytes', 'x'),
              startValue: fc.integer(),
              endValue: fc.integer(),
              samples: fc.array(fc.array(fc.integer({ min: -2, max: 6 }), { maxLength: 4 }), { maxLength: 4 }),
              weights: fc.array(fc.oneof(fc.integer(), fc.double()), { maxLength: 5 }),
              events: fc.array(
                fc.record({
                  type: fc.constantFrom('O', 'C', 'X'),
                  at: fc.integer(),
                  frame: fc.integer({ min: -1, max: 5 }),
                }),
                { maxLength: 6 }
              ),
            }),
            json.map((j) => JSON.parse(j) as unknown)
          ),
          { maxLength: 3 }
        ),
      })
      .map(({ frames, profiles }) => JSON.stringify({ $schema: SPEEDSCOPE_SCHEMA, shared: { frames }, profiles }));
    fc.assert(
      fc.property(fc.oneof(speedscope, fc.string({ maxLength: 100 }), json), (s) =>
        judge('speedscope', [FormatError], () => readSpeedscope(s, { appName: 'app' }))
      ),
      { numRuns: runs(1000), seed: SEED + 31 }
    );
  });

  test('OTLP profiles: random protobuf and JSON', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.boolean(), (b, gz) =>
        judge('otlp', [FormatError], () => parseOtlp(gz ? gzipSync(b) : b, 'application/x-protobuf'))
      ),
      { numRuns: runs(600), seed: SEED + 40 }
    );
    fc.assert(
      fc.property(fc.json({ maxDepth: 6 }), (j) =>
        judge('otlp', [FormatError], () => parseOtlp(Buffer.from(j), 'application/json'))
      ),
      { numRuns: runs(600), seed: SEED + 41 }
    );
    // the right top-level shape with random insides
    const inner = fc.json({ maxDepth: 4 }).map((j) => JSON.parse(j) as unknown);
    fc.assert(
      fc.property(inner, inner, (rp, dict) =>
        judge('otlp', [FormatError], () =>
          parseOtlp(
            Buffer.from(
              JSON.stringify({ resourceProfiles: [{ scopeProfiles: [{ profiles: [rp] }] }], dictionary: dict })
            ),
            'application/json'
          )
        )
      ),
      { numRuns: runs(600), seed: SEED + 42 }
    );
  });

  test('name=app{...} and the time parameters', () => {
    const piece = fc.oneof(
      fc.constantFrom('{', '}', ',', '=', ' ', 'app', 'k', 'v', '.', '/', '-', '__name__', 'service_name', '\\', '"'),
      fc.string({ maxLength: 4 })
    );
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 16 }).map((p) => p.join('')),
        (name) => {
          judge('name', [FormatError], () => {
            const { app, labels } = parseAppName(name);
            // what it accepts is what Pyroscope's grammar allows
            assert.match(app, /^[A-Za-z0-9_./-]+$/);
            for (const [k] of labels) {
              assert.match(k, /^[A-Za-z0-9_.]+$/);
            }
          });
        }
      ),
      { numRuns: runs(2000), seed: SEED + 50 }
    );
    const time = fc.oneof(
      fc.string({ maxLength: 22 }),
      fc.stringMatching(/^[0-9]{1,22}$/),
      fc.stringMatching(/^now ?[-+]? ?[0-9]{0,20} ?(ms|s|m|h|d|w|y|x)?$/)
    );
    fc.assert(
      fc.property(time, (t) =>
        judge('time', [FormatError], () => {
          const ms = parseTimeParam(t, 1_700_000_000_000);
          assert.equal(typeof ms, 'number');
        })
      ),
      { numRuns: runs(2000), seed: SEED + 51 }
    );
  });

  test('Prometheus label selectors, and matching with the regexes they accept is never slow', () => {
    const piece = fc.oneof(
      fc.constantFrom(
        '{',
        '}',
        ',',
        '=',
        '!=',
        '=~',
        '!~',
        '"',
        "'",
        '`',
        '\\',
        ' ',
        'a',
        'service_name',
        '.*',
        '(',
        ')',
        '+',
        '*',
        '|',
        '[',
        ']',
        '?',
        '{2,5}',
        '\\1',
        '(?=',
        '(a+)+'
      ),
      fc.string({ maxLength: 3 })
    );
    const selector = fc.oneof(
      fc.array(piece, { maxLength: 20 }).map((p) => p.join('')),
      fc
        .array(
          fc.tuple(
            fc.constantFrom('a', 'service_name', 'x.y'),
            fc.constantFrom('=', '!=', '=~', '!~'),
            fc.array(piece, { maxLength: 8 }).map((p) => p.join(''))
          ),
          { maxLength: 3 }
        )
        .map((ms) => `${CPU}{${ms.map(([n, op, v]) => `${n}${op}${JSON.stringify(v)}`).join(',')}}`)
    );
    const values = ['a'.repeat(64) + '!', 'service-a', '', 'x'.repeat(2048)];
    fc.assert(
      fc.property(selector, (s) =>
        judge('selector', [SelectorError], () => {
          const { matchers } = parseSelector(s);
          for (const v of values) {
            matches(matchers, [
              ['a', v],
              ['service_name', v],
              ['x.y', v],
            ]);
          }
        })
      ),
      { numRuns: runs(2000), seed: SEED + 60 }
    );
    // catastrophic backtracking in the classic shapes is refused or runs in linear time
    for (const re of ['(a+)+b', '(a|a)*b', '(a|aa)*c', '(.*)*x', '(a*)*b', '([a-z]+)*[0-9]']) {
      judge('selector', [SelectorError], () => {
        const { matchers } = parseSelector(`{a=~"${re}"}`);
        matches(matchers, [['a', 'a'.repeat(2048)]]);
      });
    }
  });

  test('the YAML config file and the flags', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bts-fuzz-cfg-'));
    const keys = OPTIONS.map((o) => o.yaml);
    const value = fc.oneof(
      fc.string({ maxLength: 8 }),
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.constantFrom('1h', '10m', '0', '-1', '1e999', '2h30m', '7d', 'true', 'azure', 'filesystem', '${X}'),
      fc.array(fc.integer(), { maxLength: 2 }),
      fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { maxKeys: 2 })
    );
    const doc = fc.dictionary(
      fc.oneof(fc.constantFrom(...keys, 'auth.tokens', 'overrides', 'storage.s3.bucket'), fc.string({ maxLength: 10 })),
      value,
      { maxKeys: 5 }
    );
    let n = 0;
    // the YAML library reports odd directives and tags as process warnings: expected here, and noise
    const emitWarning = process.emitWarning;
    process.emitWarning = () => {};
    after(() => {
      process.emitWarning = emitWarning;
    });
    const nest = (flat: Record<string, unknown>) => {
      const out: Record<string, unknown> = {};
      for (const [path, v] of Object.entries(flat)) {
        const parts = path.split('.');
        let cur = out;
        for (const p of parts.slice(0, -1)) {
          const next = cur[p];
          cur = (cur[p] = next !== null && typeof next === 'object' && !Array.isArray(next) ? next : {}) as Record<
            string,
            unknown
          >;
        }
        cur[parts[parts.length - 1]] = v;
      }
      return out;
    };
    const text = fc.oneof(
      doc.map((d) => yamlStringify(nest(d))),
      fc.string({ maxLength: 120 }),
      fc.constantFrom('{', '[1,2]', '- a', 'a: b: c', ': :', '&a [*a]', '!!binary x', 'server: {http_listen_port: x}')
    );
    fc.assert(
      fc.property(text, fc.boolean(), (t, expand) => {
        const file = join(dir, `c${n++}.yaml`);
        writeFileSync(file, t);
        judge('config', [Error], () =>
          loadConfig([`-config.file=${file}`, ...(expand ? ['-config.expand-env=true'] : [])], {})
        );
      }),
      { numRuns: runs(600), seed: SEED + 70 }
    );
    // any error from the config is a plain Error with a message naming what is wrong, never a TypeError
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.constantFrom(...OPTIONS.map((o) => `-${o.flag}`)).chain((f) =>
              fc.oneof(
                fc.constant(f),
                value.map((v) => `${f}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
              )
            ),
            fc.string({ maxLength: 12 }).filter((s) => !s.includes('config.file'))
          ),
          { maxLength: 5 }
        ),
        (argv) =>
          judge('flags', [Error], () => {
            try {
              loadConfig(argv, {});
            } catch (e) {
              assert.ok(!(e instanceof TypeError), `TypeError for ${JSON.stringify(argv)}: ${(e as Error).message}`);
              throw e;
            }
          })
      ),
      { numRuns: runs(1500), seed: SEED + 71 }
    );
  });
});

describe('fuzz over HTTP: Connect protobuf/JSON bodies and /ingest answer 200 or a 4xx with {code, message}', () => {
  let be: Running;
  let requests = 0;
  const statuses = new Map<number, number>();
  before(async () => {
    be = await startInProcess(['-validation.reject-older-than=0', '-distributor.ingestion-rate-limit-mb=0']);
  });
  after(async () => {
    console.log(
      `# fuzz over HTTP: ${requests} requests, statuses ${[...statuses].map(([s, n]) => `${s}x${n}`).join(' ')}`
    );
    await be?.stop();
  });

  async function send(path: string, body: Uint8Array | string, headers: Record<string, string>): Promise<void> {
    // the backend runs in this process: its CPU time, not the wall clock of a possibly busy machine
    const t0 = cpuMs();
    const r = await fetch(`${be.url}${path}`, {
      method: 'POST',
      body: typeof body === 'string' ? body : new Uint8Array(body),
      headers,
      signal: AbortSignal.timeout(10_000),
    });
    const text = await r.text();
    requests++;
    statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    const ms = cpuMs() - t0;
    assert.ok(ms < 5000, `${path} took ${ms.toFixed(0)} ms of CPU`);
    assert.ok(r.status === 200 || (r.status >= 400 && r.status < 500), `${path}: ${r.status} ${text.slice(0, 300)}`);
    if (r.status >= 400) {
      const err = JSON.parse(text) as { code?: unknown; message?: unknown };
      assert.equal(typeof err.code, 'string', text);
      assert.ok(typeof err.message === 'string' && err.message.length > 5, text);
    }
  }

  const QUERIER = [
    'ProfileTypes',
    'LabelNames',
    'LabelValues',
    'Series',
    'SelectMergeStacktraces',
    'SelectMergeSpanProfile',
    'SelectMergeProfile',
    'SelectSeries',
    'SelectHeatmap',
    'Diff',
    'GetProfileStats',
    'AnalyzeQuery',
  ];

  test('Connect JSON bodies for every querier method and settings', async () => {
    const now = Date.now();
    const field = fc.oneof(
      fc.json({ maxDepth: 2 }).map((j) => JSON.parse(j) as unknown),
      fc.constantFrom(now, String(now), -1, 0, '1e30', 'x', [], {}, null, 2 ** 63, CPU, '{a=~"(b"}', '{}')
    );
    const body = fc.oneof(
      fc
        .dictionary(
          fc.constantFrom(
            'start',
            'end',
            'profileTypeID',
            'profile_typeID',
            'labelSelector',
            'label_selector',
            'matchers',
            'name',
            'labelNames',
            'maxNodes',
            'format',
            'step',
            'groupBy',
            'aggregation',
            'spanSelector',
            'stackTraceSelector',
            'left',
            'right',
            'query',
            'limit',
            'setting',
            'queryType',
            'exemplarType',
            'traceIdSelector',
            'profileIdSelector',
            'id',
            'metricName'
          ),
          field,
          { maxKeys: 6 }
        )
        .map((d) => JSON.stringify(d)),
      fc.json({ maxDepth: 3 }),
      fc.string({ maxLength: 40 })
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(
          ...QUERIER.map((m) => `/querier.v1.QuerierService/${m}`),
          '/settings.v1.SettingsService/Get',
          '/settings.v1.SettingsService/Set',
          '/settings.v1.RecordingRulesService/UpsertRecordingRule',
          '/settings.v1.RecordingRulesService/GetRecordingRule'
        ),
        body,
        async (path, b) => send(path, b, { 'content-type': 'application/json' })
      ),
      { numRuns: httpRuns(500), seed: SEED + 80 }
    );
  });

  test('Connect binary protobuf bodies: Push (damaged valid requests, gzip) and queries (random bytes)', async () => {
    const valid = encodePush([
      { labels: { __name__: 'process_cpu', service_name: 'fuzz' }, samples: [{ raw: tinyPprof(), id: 'x' }] },
    ]);
    await fc.assert(
      fc.asyncProperty(fc.oneof(mutated(valid), fc.uint8Array({ maxLength: 300 })), fc.boolean(), async (b, gz) =>
        send('/push.v1.PusherService/Push', gz ? gzipSync(b) : b, {
          'content-type': 'application/proto',
          ...(gz ? { 'content-encoding': 'gzip' } : {}),
        })
      ),
      { numRuns: httpRuns(300), seed: SEED + 81 }
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...QUERIER), fc.uint8Array({ maxLength: 120 }), async (m, b) =>
        send(`/querier.v1.QuerierService/${m}`, b, { 'content-type': 'application/proto' })
      ),
      { numRuns: httpRuns(300), seed: SEED + 82 }
    );
  });

  test('Connect bodies in each accepted content encoding: identity (named or not) and gzip, whole or damaged', async () => {
    const now = Date.now();
    const valid = encodePush([
      { labels: { __name__: 'process_cpu', service_name: 'fuzz-enc' }, samples: [{ raw: tinyPprof(), id: 'y' }] },
    ]);
    const json = fc.oneof(
      fc.constantFrom(
        JSON.stringify({ start: now - 3_600_000, end: now }),
        JSON.stringify({ profileTypeID: CPU, labelSelector: '{}', start: now - 60_000, end: now }),
        JSON.stringify({ matchers: ['{service_name="fuzz-enc"}'] })
      ),
      fc.json({ maxDepth: 2 })
    );
    const encoding = fc.constantFrom('none', 'identity', 'gzip', 'gzip-truncated', 'gzip-damaged', 'gzip-empty');
    const encode = (b: Uint8Array, enc: string): { body: Uint8Array; headers: Record<string, string> } => {
      if (enc === 'none') {
        return { body: b, headers: {} };
      }
      if (enc === 'identity') {
        return { body: b, headers: { 'content-encoding': 'identity' } };
      }
      const gz = enc === 'gzip-empty' ? Buffer.alloc(0) : gzipSync(b);
      const body =
        enc === 'gzip-truncated'
          ? gz.subarray(0, Math.max(1, gz.length >> 1))
          : enc === 'gzip-damaged'
            ? Buffer.from(gz.map((x, i) => (i === gz.length >> 1 ? x ^ 0x5a : x)))
            : gz;
      return { body, headers: { 'content-encoding': 'gzip' } };
    };
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.record({
            path: fc.constant('/push.v1.PusherService/Push'),
            type: fc.constant('application/proto'),
            body: fc.oneof(mutated(valid), fc.constant(new Uint8Array(valid))),
          }),
          fc.record({
            path: fc.constantFrom(...QUERIER.map((m) => `/querier.v1.QuerierService/${m}`)),
            type: fc.constant('application/json'),
            body: json.map((j) => new Uint8Array(Buffer.from(j))),
          }),
          fc.record({
            path: fc.constantFrom(...QUERIER.map((m) => `/querier.v1.QuerierService/${m}`)),
            type: fc.constant('application/proto'),
            body: fc.uint8Array({ maxLength: 120 }),
          }),
          // the methods with a bound of their own (settings values, ad hoc files) read their bodies another way
          fc.record({
            path: fc.constantFrom('/settings.v1.SettingsService/Set', '/adhocprofiles.v1.AdHocProfileService/Upload'),
            type: fc.constant('application/json'),
            body: fc
              .oneof(
                fc.constantFrom(
                  JSON.stringify({ setting: { name: 'fuzz.enc', value: 'v' } }),
                  JSON.stringify({ name: 'fuzz.pb', profile: tinyPprof().toString('base64') }),
                  JSON.stringify({ name: 'fuzz.folded', profile: Buffer.from('a;b 1\n').toString('base64') })
                ),
                fc.json({ maxDepth: 2 })
              )
              .map((j) => new Uint8Array(Buffer.from(j))),
          })
        ),
        encoding,
        async (req, enc) => {
          const { body, headers } = encode(req.body, enc);
          await send(req.path, body, { 'content-type': req.type, ...headers });
        }
      ),
      { numRuns: httpRuns(300), seed: SEED + 83 }
    );
    // any other encoding is refused before the body is read, with Connect's code
    for (const enc of ['br', 'deflate', 'zstd', 'x-gzip', 'gzip, br']) {
      const r = await fetch(`${be.url}/push.v1.PusherService/Push`, {
        method: 'POST',
        body: new Uint8Array(valid),
        headers: { 'content-type': 'application/proto', 'content-encoding': enc },
      });
      assert.equal(r.status, 501, enc);
      assert.equal(((await r.json()) as { code: string }).code, 'unimplemented');
    }
  });

  test('/ingest: random names, formats, times and bodies', async () => {
    const q = fc.record({
      name: fc.oneof(fc.constantFrom('app', 'app.cpu{a=b}', 'app{', ''), fc.string({ maxLength: 12 })),
      format: fc.constantFrom('', 'pprof', 'folded', 'lines', 'speedscope', 'jfr', 'trie', 'tree', 'x'),
      from: fc.oneof(fc.constant(String(Math.floor(Date.now() / 1000))), fc.string({ maxLength: 6 })),
      spyName: fc.constantFrom('gospy', 'pyspy', 'dotnetspy', 'x'),
      sampleRate: fc.oneof(fc.constant('100'), fc.string({ maxLength: 4 })),
    });
    const body = fc.oneof(
      mutated(tinyPprof()),
      fc.uint8Array({ minLength: 1, maxLength: 200 }),
      fc.constant(Buffer.from('a;b;c 3\n'))
    );
    const ctype = fc.constantFrom(
      'application/octet-stream',
      'multipart/form-data; boundary=x',
      'multipart/form-data',
      'text/plain'
    );
    await fc.assert(
      fc.asyncProperty(q, body, ctype, async (params, b, ct) =>
        send(`/ingest?${new URLSearchParams(params)}`, b, { 'content-type': ct })
      ),
      { numRuns: httpRuns(300), seed: SEED + 83 }
    );
  });
});
