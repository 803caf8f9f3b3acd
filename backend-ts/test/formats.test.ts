// Text and other ingest formats: folded, lines, speedscope, OTLP profiles (opentelemetry-proto v1.10.0).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import type { NormalizedProfile } from '../src/model/profile.js';
import { FormatError } from '../src/formats/formatError.js';
import { parseFolded, readFolded } from '../src/formats/folded.js';
import { parseLines, readLines } from '../src/formats/lines.js';
import { parseSampleRate, resolveTextProfileType, textSeriesLabels } from '../src/formats/textTypes.js';
import { readSpeedscope, SPEEDSCOPE_SCHEMA } from '../src/formats/speedscope.js';
import { decodeOtlpRequest, otlpBodyKind } from '../src/formats/otlp/decodeOtlpRequest.js';
import { parseOtlp, readOtlpProfiles } from '../src/formats/otlp/readOtlpProfiles.js';
import { OTLP_PROTO_RELEASE } from '../src/formats/otlp/release.js';
import { speedscopeEvented, speedscopeFile, speedscopeSampled } from './helpers.js';
import { handEncodedRequest, Pb, SPAN_ID, STRINGS, TIME_NS, TRACE_ID } from './otlpWire.js';

// ---- helpers -------------------------------------------------------------------------------------------

/** Root-first `fn;fn;fn` (with `@label=value` and `#span` suffixes when present) → summed value of type t. */
function collapse(p: NormalizedProfile, t = 0, withMeta = false): Map<string, number> {
  const out = new Map<string, number>();
  for (let i = 0; i < p.sampleStack.length; i++) {
    const s = p.sampleStack[i];
    const names: string[] = [];
    for (let j = p.stackOffsets[s + 1] - 1; j >= p.stackOffsets[s]; j--) {
      names.push(p.strings[p.fnName[p.frameFn[p.stackFrames[j]]]]);
    }
    let key = names.join(';');
    if (withMeta) {
      for (const [k, v] of p.labelSets[p.sampleLabelSet[i]]) {
        key += ` @${k}=${v}`;
      }
      if (p.sampleSpan[i] !== 0) {
        key += ` #${p.strings[p.sampleSpan[i]]}`;
      }
    }
    out.set(key, (out.get(key) ?? 0) + p.sampleValues[t][i]);
  }
  return out;
}

function total(p: NormalizedProfile, t = 0): number {
  return p.sampleValues[t].reduce((a, b) => a + b, 0);
}

function typeId(labels: Array<[string, string]>, p: NormalizedProfile): string {
  const name = labels.find(([k]) => k === '__name__')?.[1];
  return [name, p.sampleTypes[0].type, p.sampleTypes[0].unit, p.periodType.type, p.periodType.unit].join(':');
}

function label(labels: Array<[string, string]>, name: string): string | undefined {
  return labels.find(([k]) => k === name)?.[1];
}

/** Asserts fn throws a FormatError whose message matches re (and returns it for more checks). */
function throwsFormat(fn: () => unknown, re: RegExp): FormatError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof FormatError, `expected a FormatError, got ${String(caught)}`);
  assert.match(caught.message, re);
  return caught;
}

/** Every table of a normalized profile has unique entries (the readers dedupe through Maps). */
function assertDeduped(p: NormalizedProfile): void {
  assert.equal(new Set(p.strings).size, p.strings.length, 'strings unique');
  const fns = new Set<string>();
  for (let i = 0; i < p.fnName.length; i++) {
    fns.add(`${p.fnName[i]},${p.fnSystemName[i]},${p.fnFilename[i]},${p.fnStartLine[i]}`);
  }
  assert.equal(fns.size, p.fnName.length, 'functions unique');
  const frames = new Set<string>();
  for (let i = 0; i < p.frameFn.length; i++) {
    frames.add(`${p.frameFn[i]},${p.frameLine[i]}`);
  }
  assert.equal(frames.size, p.frameFn.length, 'frames unique');
  const stacks = new Set<string>();
  for (let s = 0; s + 1 < p.stackOffsets.length; s++) {
    stacks.add(Array.from(p.stackFrames.subarray(p.stackOffsets[s], p.stackOffsets[s + 1])).join(','));
  }
  assert.equal(stacks.size, p.stackOffsets.length - 1, 'stacks unique');
}

// ---- folded and lines --------------------------------------------------------------------------------

describe('folded', () => {
  it('reads the app.cpu example: service app, process_cpu in nanoseconds, total 150,000,000', () => {
    const out = readFolded('foo;bar 10\nfoo 5\n', { appName: 'app.cpu', sampleRate: '100' });
    assert.equal(out.length, 1);
    const { labels, profile } = out[0];
    assert.deepEqual(labels, [
      ['__name__', 'process_cpu'],
      ['pyroscope_spy', 'unknown'],
      ['service_name', 'app'],
    ]);
    assert.equal(typeId(labels, profile), 'process_cpu:cpu:nanoseconds:cpu:nanoseconds');
    assert.equal(profile.period, 10_000_000);
    assert.equal(total(profile), 150_000_000);
    assert.deepEqual(
      collapse(profile),
      new Map([
        ['foo;bar', 100_000_000],
        ['foo', 50_000_000],
      ])
    );
    assertDeduped(profile);
    assert.equal(profile.strings.filter((s) => s === 'foo').length, 1);
  });

  it('splits at the last space, skips blank lines, accepts CRLF and sums repeated stacks', () => {
    const body = new TextEncoder().encode('main;do work;run job 3\r\n\r\n   \nmain;do work;run job 2\nmain 1');
    assert.deepEqual(parseFolded(body), [
      { frames: ['main', 'do work', 'run job'], value: 5 },
      { frames: ['main'], value: 1 },
    ]);
    const [{ profile }] = readFolded(body, { appName: 'svc.alloc_space' });
    assert.deepEqual(
      collapse(profile),
      new Map([
        ['main;do work;run job', 5],
        ['main', 1],
      ])
    );
    assert.equal(typeId([['__name__', 'memory']], profile), 'memory:alloc_space:bytes::');
    // stacks are stored leaf first and share the frame of `main`
    assert.equal(profile.frameFn.length, 3);
    assertDeduped(profile);
  });

  it('writes nothing for an empty or all-zero body', () => {
    assert.deepEqual(readFolded('', { appName: 'app.cpu' }), []);
    assert.deepEqual(readFolded('a;b 0\n', { appName: 'app.cpu' }), []);
  });

  it('rejects lines without a proper count', () => {
    throwsFormat(() => parseFolded('a;b 1\nfoo;bar\n'), /line 2: "foo;bar" has no count/);
    throwsFormat(() => parseFolded('foo;bar ten'), /line 1: count "ten" is not an integer/);
    throwsFormat(() => parseFolded('foo 1.5'), /count "1.5" is not an integer/);
    throwsFormat(() => parseFolded('foo -3'), /out of range/);
    throwsFormat(() => parseFolded('foo 99999999999999999999'), /out of range/);
    throwsFormat(() => parseFolded(' 7'), /line 1: empty stack/);
  });
});

describe('lines', () => {
  it('counts repeated lines as samples', () => {
    assert.deepEqual(parseLines('a;b\na;b\n\na\r\na;b\n'), [
      { frames: ['a', 'b'], value: 3 },
      { frames: ['a'], value: 1 },
    ]);
  });

  it('reads app.wall with sampleRate 250 as wall nanoseconds', () => {
    const [{ labels, profile }] = readLines('main;work\nmain;work\nmain\n', {
      appName: 'api.wall',
      sampleRate: 250,
      spyName: 'nodespy',
      labels: [['env', 'prod']],
    });
    assert.deepEqual(labels, [
      ['__name__', 'wall'],
      ['env', 'prod'],
      ['pyroscope_spy', 'nodespy'],
      ['service_name', 'api'],
    ]);
    assert.equal(typeId(labels, profile), 'wall:wall:nanoseconds:cpu:nanoseconds');
    assert.equal(profile.period, 4_000_000);
    assert.deepEqual(
      collapse(profile),
      new Map([
        ['main;work', 8_000_000],
        ['main', 4_000_000],
      ])
    );
  });
});

// ---- app-name suffix rules ---------------------------------------------------------------------------

describe('text profile types', () => {
  const cases: Array<[string, string, number]> = [
    // app name, profile type id (sampleRate 100), scale
    ['app', 'process_cpu:cpu:nanoseconds:cpu:nanoseconds', 1e7],
    ['app.cpu', 'process_cpu:cpu:nanoseconds:cpu:nanoseconds', 1e7],
    ['app.itimer', 'process_cpu:cpu:nanoseconds:cpu:nanoseconds', 1e7],
    ['app.wall', 'wall:wall:nanoseconds:cpu:nanoseconds', 1e7],
    ['app.seconds', 'wall:wall:nanoseconds:cpu:nanoseconds', 1e7],
    ['app.milliseconds', 'wall:wall:nanoseconds:cpu:nanoseconds', 1e7],
    ['app.microseconds', 'wall:wall:nanoseconds:cpu:nanoseconds', 1e7],
    ['app.nanoseconds', 'wall:wall:nanoseconds:cpu:nanoseconds', 1e7],
    ['app.alloc_objects', 'memory:alloc_objects:count::', 1],
    ['app.alloc_space', 'memory:alloc_space:bytes::', 1],
    ['app.inuse_objects', 'memory:inuse_objects:count::', 1],
    ['app.inuse_space', 'memory:inuse_space:bytes::', 1],
    ['app.alloc_in_new_tlab_objects', 'memory:alloc_in_new_tlab_objects:count::', 1],
    ['app.alloc_in_new_tlab_bytes', 'memory:alloc_in_new_tlab_bytes:bytes::', 1],
    ['app.alloc_outside_tlab_objects', 'memory:alloc_outside_tlab_objects:count::', 1],
    ['app.alloc_outside_tlab_bytes', 'memory:alloc_outside_tlab_bytes:bytes::', 1],
    ['app.live', 'memory:live:count::', 1],
    ['app.bytes', 'memory:samples:bytes::', 1],
    ['app.goroutines', 'goroutine:goroutines:count::', 1],
    ['app.mutex_count', 'mutex:contentions:count::', 1],
    ['app.mutex_duration', 'mutex:delay:nanoseconds::', 1],
    ['app.block_count', 'block:contentions:count::', 1],
    ['app.block_duration', 'block:delay:nanoseconds::', 1],
    ['app.lock_count', 'block:contentions:count::', 1],
    ['app.lock_duration', 'block:delay:nanoseconds::', 1],
    ['app.exceptions', 'exceptions:samples:count::', 1],
  ];
  for (const [app, id, scale] of cases) {
    it(`${app} → ${id}`, () => {
      const t = resolveTextProfileType(app, 100);
      assert.equal(t.profileTypeId, id);
      assert.equal(t.serviceName, 'app');
      assert.equal(t.scale, scale);
      const [{ profile }] = readFolded('x;y 3', { appName: app });
      assert.equal(total(profile), 3 * scale);
    });
  }

  it('keeps dots inside the service name and scales by Go integer division', () => {
    const t = resolveTextProfileType('my.app.cpu', 3);
    assert.equal(t.serviceName, 'my.app');
    assert.equal(t.period, 333_333_333);
    assert.equal(t.scale, 333_333_333);
  });

  it('leaves counts unscaled for sampleRate 0', () => {
    const t = resolveTextProfileType('app.cpu', 0);
    assert.equal(t.profileTypeId, 'process_cpu:samples:count::');
    assert.equal(t.scale, 1);
  });

  it('treats a non-numeric sampleRate as the default and rejects impossible ones', () => {
    assert.equal(parseSampleRate('abc'), 100);
    assert.equal(parseSampleRate(undefined), 100);
    assert.equal(parseSampleRate(' 19 '), 19);
    throwsFormat(() => parseSampleRate(-5), /invalid sampleRate -5/);
    throwsFormat(() => parseSampleRate('2000000000'), /invalid sampleRate/);
  });

  it('rejects an unknown suffix, naming it', () => {
    const e = throwsFormat(
      () => resolveTextProfileType('app.heap', 100),
      /unknown profile type "heap" in app name "app.heap"/
    );
    assert.equal(e.status, 400);
    throwsFormat(() => readFolded('a 1', { appName: 'app.toString' }), /unknown profile type "toString"/);
  });

  it('adds app_name when the client set service_name, and drops reserved labels', () => {
    const t = resolveTextProfileType('app.cpu', 100);
    const labels = textSeriesLabels(
      {
        appName: 'app.cpu',
        spyName: 'gospy',
        labels: [
          ['service_name', 'checkout'],
          ['__name__', 'evil'],
          ['__delta__', 'true'],
          ['__session_id__', 'abc'],
        ],
      },
      t
    );
    assert.deepEqual(labels, [
      ['__name__', 'process_cpu'],
      ['__session_id__', 'abc'],
      ['app_name', 'app'],
      ['pyroscope_spy', 'gospy'],
      ['service_name', 'checkout'],
    ]);
  });

  it('discards v0 span-profile uploads labelled profile_id, as Pyroscope does', () => {
    assert.deepEqual(readFolded('a 1', { appName: 'app.cpu', labels: [['profile_id', 'abc']] }), []);
  });
});

// ---- speedscope ---------------------------------------------------------------------------------------

const speedscope = (profiles: unknown[], frames?: unknown[]): string =>
  speedscopeFile(profiles, frames, { exporter: 'test' });

describe('speedscope', () => {
  it('reads a sampled profile in milliseconds as cpu nanoseconds, keeping file and line', () => {
    const body = speedscope(
      [
        speedscopeSampled(
          'main thread',
          'milliseconds',
          [0, 10],
          [
            [0, 1],
            [0, 1, 2],
            [0, 1],
          ],
          [5, 2.5, 1]
        ),
      ],
      [{ name: 'a', file: 'a.js', line: 3 }, { name: 'b' }, { name: 'c', file: 'c.js', line: 7, col: 2 }]
    );
    const out = readSpeedscope(new TextEncoder().encode(body), { appName: 'web' });
    assert.equal(out.length, 1);
    const { labels, profile } = out[0];
    assert.deepEqual(labels, [
      ['__name__', 'process_cpu'],
      ['profile_name', 'main thread'],
      ['pyroscope_spy', 'unknown'],
      ['service_name', 'web'],
    ]);
    assert.equal(typeId(labels, profile), 'process_cpu:cpu:nanoseconds:cpu:nanoseconds');
    assert.deepEqual(
      collapse(profile),
      new Map([
        ['a;b', 6_000_000],
        ['a;b;c', 2_500_000],
      ])
    );
    assert.equal(total(profile), 8_500_000);
    const c = profile.frameFn.findIndex((fn) => profile.strings[profile.fnName[fn]] === 'c');
    assert.equal(profile.strings[profile.fnFilename[profile.frameFn[c]]], 'c.js');
    assert.equal(profile.frameLine[c], 7);
    assertDeduped(profile);
  });

  it('reads an evented profile: time between events goes to the open stack', () => {
    // unit none: one tick is a sample at 100 Hz, 10 ms
    const events = [
      { type: 'O', frame: 0, at: 0 },
      { type: 'O', frame: 1, at: 1 },
      { type: 'O', frame: 2, at: 2 },
      { type: 'C', frame: 2, at: 4 },
      { type: 'C', frame: 1, at: 5 },
      { type: 'C', frame: 0, at: 7 },
    ];
    const [{ profile }] = readSpeedscope(speedscope([speedscopeEvented('simple.txt', 'none', [0, 7], events)]), {
      appName: 'foo',
    });
    assert.deepEqual(
      collapse(profile),
      new Map([
        ['a', 3e7],
        ['a;b', 2e7],
        ['a;b;c', 2e7],
      ])
    );
  });

  it('gives several profiles their own series, typed by unit (app.seconds → wall, app.bytes → memory)', () => {
    const body = speedscope([
      speedscopeSampled('two', 'seconds', [5, 9], [[0, 1]], [2]),
      speedscopeSampled('one', 'seconds', [0, 4], [[0, 1], [0]], [1.5, 1]),
      speedscopeSampled('heap', 'bytes', [10, 10], [[3]], [4096]),
    ]);
    const out = readSpeedscope(body, { appName: 'foo', labels: [['x', 'y']] });
    assert.deepEqual(
      out.map(({ labels, profile }) => [
        label(labels, 'profile_name'),
        label(labels, 'service_name'),
        typeId(labels, profile),
        total(profile),
      ]),
      [
        ['one', 'foo', 'wall:wall:nanoseconds:cpu:nanoseconds', 2.5e9],
        ['two', 'foo', 'wall:wall:nanoseconds:cpu:nanoseconds', 2e9],
        ['heap', 'foo', 'memory:samples:bytes::', 4096],
      ]
    );
    assert.equal(label(out[0].labels, 'x'), 'y');
    assert.deepEqual(
      collapse(out[0].profile),
      new Map([
        ['a;b', 1.5e9],
        ['a', 1e9],
      ])
    );
  });

  it('merges profiles with the same name, type, unit and start, evented ones each on their own timeline', () => {
    const sampled = speedscopeSampled('one', 'milliseconds', [0, 1], [[0, 1]], [1]);
    const evented = speedscopeEvented(
      'ev',
      'milliseconds',
      [100, 102],
      [
        { type: 'O', frame: 3, at: 100 },
        { type: 'C', frame: 3, at: 102 },
      ]
    );
    const out = readSpeedscope(speedscope([sampled, sampled, sampled, evented, evented]), { appName: 'foo' });
    assert.equal(out.length, 2);
    assert.deepEqual(collapse(out[0].profile), new Map([['a;b', 3e6]]));
    assert.deepEqual(collapse(out[1].profile), new Map([['d', 4e6]]));
  });

  it('rejects malformed files with a message saying what is wrong', () => {
    const ok = speedscopeSampled('p', 'milliseconds', [0, 1], [[0]], [1]);
    throwsFormat(() => readSpeedscope('{"$schema": ', { appName: 'a' }), /speedscope: invalid JSON/);
    throwsFormat(
      () => readSpeedscope(JSON.stringify({ $schema: 'x', shared: { frames: [] }, profiles: [] }), { appName: 'a' }),
      /unknown \$schema "x"/
    );
    throwsFormat(
      () => readSpeedscope(speedscope([{ ...ok, unit: 'parsecs' }]), { appName: 'a' }),
      /profiles\[0\]\.unit "parsecs" is unknown/
    );
    throwsFormat(
      () => readSpeedscope(speedscope([{ ...ok, type: 'chrome' }]), { appName: 'a' }),
      /profiles\[0\]\.type "chrome" is not supported/
    );
    throwsFormat(
      () => readSpeedscope(speedscope([{ ...ok, samples: [[0, 9]] }]), { appName: 'a' }),
      /samples\[0\]\[1\] = 9 is not a frame index \(0\.\.3\)/
    );
    throwsFormat(
      () => readSpeedscope(speedscope([{ ...ok, weights: [] }]), { appName: 'a' }),
      /has 1 samples but 0 weights/
    );
    throwsFormat(
      () => readSpeedscope(speedscope([{ ...ok, weights: [-1] }]), { appName: 'a' }),
      /weights\[0\] = -1 is negative/
    );
    throwsFormat(
      () => readSpeedscope(speedscope([{ ...ok, weights: ['1'] }]), { appName: 'a' }),
      /weights\[0\] must be a finite number/
    );
    throwsFormat(
      () => readSpeedscope(speedscope([ok], [{ file: 'x' }]), { appName: 'a' }),
      /shared\.frames\[0\]\.name must be a string/
    );
    const ev = (events: unknown[]): string => speedscope([speedscopeEvented('e', 'none', [0, 9], events)]);
    throwsFormat(
      () =>
        readSpeedscope(
          ev([
            { type: 'O', frame: 0, at: 5 },
            { type: 'C', frame: 0, at: 4 },
          ]),
          { appName: 'a' }
        ),
      /events\[1\] at 4 is before the previous event \(5\)/
    );
    throwsFormat(
      () =>
        readSpeedscope(
          ev([
            { type: 'O', frame: 0, at: 0 },
            { type: 'O', frame: 1, at: 1 },
            { type: 'C', frame: 0, at: 2 },
          ]),
          { appName: 'a' }
        ),
      /closes frame 0 but the innermost open frame is 1/
    );
    throwsFormat(() => readSpeedscope(ev([{ type: 'C', frame: 0, at: 0 }]), { appName: 'a' }), /no frame is open/);
    throwsFormat(() => readSpeedscope(ev([{ type: 'X', frame: 0, at: 0 }]), { appName: 'a' }), /type "X" is unknown/);
  });
});

// ---- OTLP ------------------------------------------------------------------------------------------------

function otlpJson(): unknown {
  const kv = (key: string, value: string) => ({ key, value: { stringValue: value } });
  return {
    resourceProfiles: [
      {
        resource: {
          attributes: [
            kv('service.name', 'checkout'),
            kv('k8s.pod.name', 'pod-1'),
            { key: 'process.pid', value: { intValue: '42' } },
          ],
        },
        scopeProfiles: [
          {
            scope: { name: 'ebpf-profiler', attributes: [kv('scope.attr', 'x')] },
            profiles: [
              {
                sampleType: { typeStrindex: 1, unitStrindex: 2 },
                samples: [
                  { stackIndex: 1, attributeIndices: [1], linkIndex: 1, values: ['3'] },
                  { stackIndex: 2, timestampsUnixNano: [TIME_NS.toString(), (TIME_NS + 1n).toString()] },
                  { stackIndex: 1, attributeIndices: [2], values: [1] },
                  { stackIndex: 3, values: ['1', '1', '2'] },
                ],
                timeUnixNano: TIME_NS.toString(),
                durationNano: '10000000000',
                periodType: { typeStrindex: 3, unitStrindex: 4 },
                period: '50000000',
                futureField: 'ignored',
              },
            ],
          },
        ],
      },
    ],
    dictionary: {
      mappingTable: [{}, { filenameStrindex: 13 }],
      locationTable: [
        {},
        { lines: [{ functionIndex: 1, line: '10' }] },
        { lines: [{ functionIndex: 2, line: 20 }] },
        {
          lines: [
            { functionIndex: 3, line: 30 },
            { functionIndex: 2, line: 21 },
          ],
        },
        { mappingIndex: 1, address: String(0x7f12) },
      ],
      functionTable: [
        {},
        { nameStrindex: 5, systemNameStrindex: 5, filenameStrindex: 8 },
        { nameStrindex: 6, filenameStrindex: 8 },
        { nameStrindex: 7, filenameStrindex: 8 },
      ],
      // OTLP/JSON: trace and span ids in hex
      linkTable: [{}, { traceId: Buffer.from(TRACE_ID).toString('hex'), spanId: Buffer.from(SPAN_ID).toString('hex') }],
      stringTable: STRINGS,
      attributeTable: [
        {},
        { keyStrindex: 9, value: { stringValue: 'worker' } },
        { keyStrindex: 11, value: { stringValue: 'svc-b' } },
      ],
      stackTable: [{}, { locationIndices: [2, 1] }, { locationIndices: [3, 1] }, { locationIndices: [4, 1] }],
    },
  };
}

/** What the hand-made request must read back as, whichever encoding carried it. */
function assertOtlpReadBack(out: ReturnType<typeof readOtlpProfiles>): void {
  assert.equal(out.length, 2);
  const checkout = out.find(({ labels }) => label(labels, 'service_name') === 'checkout');
  const svcB = out.find(({ labels }) => label(labels, 'service_name') === 'svc-b');
  assert.ok(checkout && svcB);
  assert.deepEqual(checkout.labels, [
    ['__name__', 'process_cpu'],
    ['__otel__', 'true'],
    ['k8s.pod.name', 'pod-1'],
    ['scope.attr', 'x'],
    ['service.name', 'checkout'],
    ['service_name', 'checkout'],
  ]);
  const p = checkout.profile;
  assert.equal(typeId(checkout.labels, p), 'process_cpu:cpu:nanoseconds:cpu:nanoseconds');
  assert.equal(p.period, 50_000_000);
  assert.equal(p.timeMs, 1_700_000_000_123);
  assert.equal(p.durationNanos, 10_000_000_000);
  const spanHex = Buffer.from(SPAN_ID).toString('hex');
  assert.deepEqual(
    collapse(p, 0, true),
    new Map([
      [`main;foo @thread.name=worker #${spanHex}`, 3 * 50_000_000],
      ['main;foo;bar', 2 * 50_000_000],
      ['main;libc.so.6 0x7f12', 4 * 50_000_000],
    ])
  );
  // file and line survive; bar is inlined into foo at line 21
  const fn = (name: string) => p.fnName.findIndex((n) => p.strings[n] === name);
  assert.equal(p.strings[p.fnFilename[fn('foo')]], 'main.go');
  const lines = Array.from(p.frameFn, (f, i) => `${p.strings[p.fnName[f]]}:${p.frameLine[i]}`).sort();
  assert.deepEqual(lines, ['bar:30', 'foo:20', 'foo:21', 'libc.so.6 0x7f12:0', 'main:10']);
  assertDeduped(p);
  assert.deepEqual(collapse(svcB.profile), new Map([['main;foo', 50_000_000]]));
  assert.equal(label(svcB.labels, 'k8s.pod.name'), 'pod-1');
}

describe(`OTLP profiles (opentelemetry-proto ${OTLP_PROTO_RELEASE})`, () => {
  it('reads a hand-encoded protobuf request: samples, labels and service', () => {
    assertOtlpReadBack(parseOtlp(handEncodedRequest(), 'application/x-protobuf'));
  });

  it('decodes gzipped bodies by Content-Encoding and by magic bytes', () => {
    const gz = gzipSync(handEncodedRequest());
    assertOtlpReadBack(readOtlpProfiles(decodeOtlpRequest(gz, 'application/x-protobuf', { contentEncoding: 'gzip' })));
    assertOtlpReadBack(readOtlpProfiles(decodeOtlpRequest(gz, 'application/protobuf')));
    const req = decodeOtlpRequest(handEncodedRequest(), 'application/x-protobuf; charset=binary', {
      contentEncoding: 'identity',
    });
    assert.equal(req.dictionary?.stringTable.length, STRINGS.length);
  });

  it('reads the same request as OTLP/JSON (hex ids, int64 as strings, unknown fields ignored), gzipped too', () => {
    const json = new TextEncoder().encode(JSON.stringify(otlpJson()));
    assertOtlpReadBack(parseOtlp(json, 'application/json'));
    assertOtlpReadBack(parseOtlp(gzipSync(json), 'application/json; charset=utf-8', { contentEncoding: 'gzip' }));
  });

  it('falls back to unknown_service[:executable] without service.name', () => {
    const doc = otlpJson() as { resourceProfiles: Array<{ resource: { attributes: unknown[] } }> };
    doc.resourceProfiles[0].resource.attributes = [{ key: 'process.executable.name', value: { stringValue: 'nginx' } }];
    const out = parseOtlp(new TextEncoder().encode(JSON.stringify(doc)), 'application/json');
    assert.deepEqual(out.map(({ labels }) => label(labels, 'service_name')).sort(), ['svc-b', 'unknown_service:nginx']);
  });

  it('maps the content type for the HTTP layer', () => {
    assert.equal(otlpBodyKind('application/x-protobuf'), 'protobuf');
    assert.equal(otlpBodyKind('Application/JSON; charset=utf-8'), 'json');
    assert.equal(otlpBodyKind('text/plain'), undefined);
  });

  it('rejects bad requests with a FormatError saying what is wrong', () => {
    assert.equal(
      throwsFormat(() => decodeOtlpRequest(new Uint8Array(), 'text/plain'), /unsupported Content-Type "text\/plain"/)
        .status,
      415
    );
    assert.equal(
      throwsFormat(
        () => decodeOtlpRequest(handEncodedRequest(), 'application/x-protobuf', { contentEncoding: 'br' }),
        /unsupported Content-Encoding "br"/
      ).status,
      415
    );
    throwsFormat(
      () => decodeOtlpRequest(Uint8Array.from([0x0a, 0x05, 0x01]), 'application/x-protobuf'),
      /invalid protobuf ExportProfilesServiceRequest/
    );
    throwsFormat(
      () => decodeOtlpRequest(Uint8Array.from([0x1f, 0x8b, 0x08, 0, 1, 2, 3]), 'application/x-protobuf'),
      /invalid gzip data/
    );
    throwsFormat(
      () => decodeOtlpRequest(handEncodedRequest(), 'application/x-protobuf', { contentEncoding: 'gzip' }),
      /Content-Encoding is gzip but the body is not gzip/
    );
    const big = gzipSync(new Uint8Array(1 << 20));
    assert.equal(
      throwsFormat(
        () => decodeOtlpRequest(big, 'application/x-protobuf', { maxBytes: 1024 }),
        /above the limit of 1024/
      ).status,
      413
    );
    throwsFormat(
      () => parseOtlp(new TextEncoder().encode('{"resourceProfiles": ['), 'application/json'),
      /invalid JSON/
    );
    throwsFormat(
      () => parseOtlp(new TextEncoder().encode('{"resourceProfiles": 7}'), 'application/json'),
      /invalid JSON ExportProfilesServiceRequest/
    );
    throwsFormat(
      () => parseOtlp(handEncodedRequest({ stackIndex: 9 }), 'application/x-protobuf'),
      /resource_profiles\[0\]\.scope_profiles\[0\]\.profiles\[0\]: samples\[0\]\.stack_index 9 is out of range: stack_table has 4 entries/
    );
    throwsFormat(
      () => parseOtlp(handEncodedRequest({ withPeriod: false }), 'application/x-protobuf'),
      /cannot name profile type "samples:count"/
    );
    const noDict = new Pb().msg(1, (rp) => rp.msg(2, (sp) => sp.msg(2, (p) => p.msg(1, () => {})))).finish();
    throwsFormat(() => parseOtlp(noDict, 'application/x-protobuf'), /has profiles but no dictionary/);
    const noType = new Pb()
      .msg(1, (rp) => rp.msg(2, (sp) => sp.msg(2, (p) => p.int(6, 1))))
      .msg(2, (d) => d.str(5, ''))
      .finish();
    throwsFormat(() => parseOtlp(noType, 'application/x-protobuf'), /sample_type is missing/);
  });

  it('returns nothing for an empty export', () => {
    assert.deepEqual(parseOtlp(new Uint8Array(), 'application/x-protobuf'), []);
  });
});

// ---- robustness ------------------------------------------------------------------------------------------

describe('bad input never escapes as anything but FormatError', () => {
  /** Runs fn; it may return or throw a FormatError, nothing else. */
  function onlyFormatErrors(fn: () => unknown): void {
    try {
      fn();
    } catch (e) {
      if (!(e instanceof FormatError)) {
        throw e;
      }
    }
  }

  it('survives corrupted OTLP requests (byte flips, truncation, random bytes)', () => {
    const valid = handEncodedRequest();
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        fc.nat(valid.length),
        (flips, cut) => {
          const b = valid.slice(0, Math.max(cut, 1));
          for (const [at, v] of flips) {
            if (at < b.length) {
              b[at] = v;
            }
          }
          onlyFormatErrors(() => parseOtlp(b, 'application/x-protobuf'));
        }
      ),
      { numRuns: 400, seed: 42 }
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) =>
        onlyFormatErrors(() => parseOtlp(b, 'application/x-protobuf'))
      ),
      { numRuns: 300, seed: 7 }
    );
  });

  it('survives arbitrary text as folded, lines and speedscope', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        onlyFormatErrors(() => readFolded(s, { appName: 'app.cpu' }));
        onlyFormatErrors(() => readLines(s, { appName: 'app.cpu' }));
        onlyFormatErrors(() => readSpeedscope(s, { appName: 'app' }));
      }),
      { numRuns: 300, seed: 1 }
    );
    fc.assert(
      fc.property(fc.json({ maxDepth: 4 }), (j) => {
        onlyFormatErrors(() =>
          readSpeedscope(`{"$schema":"${SPEEDSCOPE_SCHEMA}","shared":{"frames":[{"name":"a"}]},"profiles":[${j}]}`, {
            appName: 'app',
          })
        );
        onlyFormatErrors(() => parseOtlp(new TextEncoder().encode(j), 'application/json'));
      }),
      { numRuns: 300, seed: 3 }
    );
  });
});
