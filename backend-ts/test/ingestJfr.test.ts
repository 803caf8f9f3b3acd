// JFR through /ingest as the Java agent sends it (multipart jfr + labels), read back over the query API:
// labels snapshots become per-sample labels, span contexts answer span-profile queries, bad bodies are 4xx
// with nothing stored. Also OTLP profiles over HTTP.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { connectJson, FIXTURES, NO_FIXTURES, startInProcess, type Running } from './helpers.js';
import {
  assertSameStacks,
  flameGraphStacks,
  pprofStacks,
  profileTypesOf,
  range,
  selectMergeProfile,
  type Stacks,
} from './readBack.js';
import { CPU } from './wire.js';

const jfrDir = join(FIXTURES, 'jfr');

/** Per-sample values and labels from the reference parser's pprof text dump. */
function expectedSamples(file: string): Array<{ value: number; labels: Record<string, string> }> {
  const out: Array<{ value: number; labels: Record<string, string> }> = [];
  for (const line of gunzipSync(readFileSync(join(jfrDir, file)))
    .toString()
    .split('\n')) {
    const s = /^\s+(\d+): [\d ]+$/.exec(line);
    if (s) {
      out.push({ value: Number(s[1]), labels: {} });
      continue;
    }
    if (out.length > 0 && /^\s+\w+:\[/.test(line)) {
      for (const m of line.matchAll(/(\w+):\[([^\]]*)\]/g)) {
        out[out.length - 1].labels[m[1]] = m[2];
      }
    }
  }
  return out;
}

interface Recording {
  name: string;
  /** The recording as the agent writes it (gunzipped fixture). */
  jfr: Buffer;
  /** The LabelsSnapshot part as stored in the fixtures (gzipped). */
  labels?: Buffer;
  /** Expected collapsed files: sample-type key (e.g. `memory_alloc_sample_objects__count+alloc_sample_bytes__bytes`) and lines. */
  expected: Array<{ file: string; key: string; lines: string[] }>;
}

/**
 * Every recording in the fixtures with its expected collapsed files, matched by the recording's name followed by
 * `_<digits>_` exactly (`wall` is a prefix of `wall_tick_sample`).
 */
function loadRecordings(): Recording[] {
  const files = readdirSync(jfrDir);
  return files
    .filter((f) => f.endsWith('.jfr.gz'))
    .map((f) => {
      const name = f.slice(0, -'.jfr.gz'.length);
      const labelsFile = files.find((x) => x === `${name}.labels.pb.gz` || x === `${name}.labels.gz`);
      const expected: Recording['expected'] = [];
      for (const x of files) {
        const m = /^(\d+)_(.+)_expected_collapsed\.txt\.gz$/.exec(
          x.startsWith(`${name}_`) ? x.slice(name.length + 1) : ''
        );
        if (m) {
          const lines = gunzipSync(readFileSync(join(jfrDir, x)))
            .toString()
            .split('\n')
            .filter((l) => l !== '');
          expected.push({ file: x, key: m[2], lines });
        }
      }
      return {
        name,
        jfr: gunzipSync(readFileSync(join(jfrDir, f))),
        labels: labelsFile === undefined ? undefined : readFileSync(join(jfrDir, labelsFile)),
        expected,
      };
    });
}

/** One line of an expected collapsed file: `frame;frame;… [v1 v2 …]`, frames `function:line` root first. */
function parseCollapsed(line: string): { stack: string; values: number[] } {
  const m = /^(.*) \[(-?\d+(?: -?\d+)*)\]$/.exec(line);
  assert.ok(m, `unparsed collapsed line: ${line}`);
  return { stack: m[1], values: m[2].split(' ').map(Number) };
}

/** `f:1;g:2` → `f;g`: the reference stack with lines merged by function, as a flame graph shows it. */
const byFunction = (stack: string): string =>
  stack
    .split(';')
    .map((f) => f.replace(/:\d+$/, ''))
    .join(';');

/**
 * Reads a service back and checks it against an expected collapsed file: for each of the file's sample types,
 * SelectMergeProfile (binary pprof) gives the `function:line` stacks, and joined over the sample types they must
 * be the file's lines exactly; the flame graph of each type must be the file's column with lines merged by function.
 */
async function assertReadsBack(url: string, service: string, exp: Recording['expected'][number]): Promise<void> {
  const selector = `{service_name="${service}"}`;
  const types = await profileTypesOf(url, selector);
  // key = <name>_<type>__<unit>+<type>__<unit>…: the stored profile type of every column
  const candidates = [...new Set(types.map((id) => id.split(':')[0]))]
    .filter((name) => exp.key.startsWith(`${name}_`))
    .map((name) =>
      exp.key
        .slice(name.length + 1)
        .split('+')
        .map((col) => {
          const cut = col.lastIndexOf('__');
          return types.find((id) => id.startsWith(`${name}:${col.slice(0, cut)}:${col.slice(cut + 2)}:`));
        })
    )
    .filter((cols): cols is string[] => cols.every((id) => id !== undefined));
  assert.equal(candidates.length, 1, `${exp.file}: the stored profile types ${types.join(', ')}`);
  const ids = candidates[0];
  assert.ok(ids.length > 0, `${exp.file}: no sample types in ${exp.key}`);
  const expectedRows = exp.lines.map(parseCollapsed);
  for (const r of expectedRows) {
    assert.equal(r.values.length, ids.length, `${exp.file}: ${r.stack} has ${r.values.length} values`);
  }

  // SelectMergeProfile per sample type, joined into the file's lines
  const columns: Stacks[] = [];
  for (const id of ids) {
    columns.push(pprofStacks(await selectMergeProfile(url, id, selector)));
  }
  const joined = new Map<string, number[]>();
  columns.forEach((col, i) => {
    for (const [stack, v] of col) {
      const row = joined.get(stack) ?? ids.map(() => 0);
      row[i] = v;
      joined.set(stack, row);
    }
  });
  const actualLines = new Map([...joined].map(([stack, v]) => [`${stack} [${v.join(' ')}]`, 1]));
  assertSameStacks(actualLines, new Map(exp.lines.map((l) => [l, 1])), `${service} ${exp.file} (SelectMergeProfile)`);
  assert.equal(actualLines.size, exp.lines.length, `${exp.file}: the file has repeated lines`);

  // the flame graph of each sample type: the file's column with lines merged by function
  for (const [i, id] of ids.entries()) {
    const want: Stacks = new Map();
    for (const r of expectedRows) {
      if (r.values[i] !== 0) {
        const k = byFunction(r.stack);
        want.set(k, (want.get(k) ?? 0) + r.values[i]);
      }
    }
    const fg = await flameGraphStacks(url, id, selector);
    assertSameStacks(fg.stacks, want, `${service} ${exp.file} ${id} (flame graph)`);
    assert.equal(
      fg.total,
      [...want.values()].reduce((a, b) => a + b, 0),
      `${service} ${exp.file} ${id} flame graph total`
    );
  }
}

/** Sum of the first value of every line of a collapsed file. */
function readCollapsedTotal(lines: string[]): number {
  return lines.reduce((a, l) => a + parseCollapsed(l).values[0], 0);
}

async function pushJfr(
  url: string,
  name: string,
  jfr: Buffer,
  labels?: Buffer,
  opts: { raw?: boolean } = {}
): Promise<Response> {
  const now = Math.floor(Date.now() / 1000);
  const q = new URLSearchParams({
    name,
    from: String(now - 10),
    until: String(now),
    format: 'jfr',
    spyName: 'javaspy',
  });
  if (opts.raw) {
    return fetch(`${url}/ingest?${q}`, {
      method: 'POST',
      body: new Uint8Array(jfr),
      headers: { 'content-type': 'application/octet-stream' },
    });
  }
  const form = new FormData();
  form.append('jfr', new Blob([new Uint8Array(jfr)]), 'jfr');
  if (labels) {
    form.append('labels', new Blob([new Uint8Array(labels)]), 'labels');
  }
  return fetch(`${url}/ingest?${q}`, { method: 'POST', body: form });
}

describe('JFR over /ingest', { skip: NO_FIXTURES }, () => {
  let be: Running;
  before(async () => {
    be = await startInProcess();
  });
  after(async () => be?.stop());

  const recordings = NO_FIXTURES === false ? loadRecordings() : [];

  test('the fixtures hold recordings with expected collapsed files', () => {
    assert.ok(recordings.length >= 11, `${recordings.length} recordings`);
    for (const rec of recordings) {
      assert.ok(rec.expected.length > 0, `${rec.name} has no expected collapsed file`);
    }
  });

  for (const rec of recordings) {
    test(`${rec.name}: every profile type read back (SelectMergeProfile and flame graph) equals its expected collapsed file`, async () => {
      const service = `jfr-fixture-${rec.name}`;
      const r = await pushJfr(be.url, service, rec.jfr, rec.labels);
      assert.equal(r.status, 200, `${rec.name}: ${await r.text()}`);
      // nothing stored beyond the types of the expected files
      const types = await profileTypesOf(be.url, `{service_name="${service}"}`);
      const columns = rec.expected.reduce((n, e) => n + e.key.split('+').length, 0);
      const distinct = new Set(rec.expected.map((e) => e.key));
      assert.equal(
        types.length,
        [...distinct].reduce((n, k) => n + k.split('+').length, 0),
        `${rec.name}: stored types ${types.join(', ')} for ${[...distinct].join(', ')} (${columns} columns)`
      );
      for (const exp of rec.expected) {
        await assertReadsBack(be.url, service, exp);
      }
    });
  }

  test('raw, gzipped raw and gzipped multipart bodies each ingest and read back', async () => {
    const rec = recordings.find((x) => x.name === 'wall')!;
    const cases: Array<[string, () => Promise<Response>]> = [
      ['raw', () => pushJfr(be.url, 'jfr-body-raw', rec.jfr, undefined, { raw: true })],
      ['raw-gz', () => pushJfr(be.url, 'jfr-body-raw-gz', gzipSync(rec.jfr), undefined, { raw: true })],
      ['multipart-gz', () => pushJfr(be.url, 'jfr-body-multipart-gz', gzipSync(rec.jfr))],
    ];
    for (const [name, send] of cases) {
      const r = await send();
      assert.equal(r.status, 200, `${name}: ${await r.text()}`);
      assert.equal((await profileTypesOf(be.url, `{service_name="jfr-body-${name}"}`)).length, 2, name);
      for (const exp of rec.expected) {
        await assertReadsBack(be.url, `jfr-body-${name}`, exp);
      }
    }
  });

  test('a multi-chunk body whose later chunk is truncated or corrupted, a corrupt labels part, a cut gzip part: 4xx, still serving, no series at all', async () => {
    const first = recordings.find((x) => x.name === 'example')!.jfr;
    const second = recordings.find((x) => x.name === 'wall')!.jfr;
    const corruptMagic = Buffer.from(second);
    corruptMagic.write('XLR', 0, 'latin1');
    // the second chunk's size (offset 8, int64) claims more bytes than the body has
    const badSize = Buffer.from(second);
    badSize.writeBigInt64BE(BigInt(second.length + 4096), 8);
    // the second chunk's constant pool offset (offset 16) points past its end
    const badPool = Buffer.from(second);
    badPool.writeBigInt64BE(BigInt(second.length + 100), 16);
    const bodies: Array<[string, Buffer]> = [
      ['truncated', Buffer.concat([first, second.subarray(0, second.length >> 1)])],
      ['truncated-header', Buffer.concat([first, second.subarray(0, 30)])],
      ['bad-magic', Buffer.concat([first, corruptMagic])],
      ['bad-size', Buffer.concat([first, badSize])],
      ['bad-pool-offset', Buffer.concat([first, badPool])],
    ];
    for (const [name, body] of bodies) {
      const service = `jfr-multichunk-${name}`;
      for (const [how, send] of [
        ['multipart', () => pushJfr(be.url, service, body)],
        ['raw', () => pushJfr(be.url, service, body, undefined, { raw: true })],
      ] as const) {
        const r = await send();
        const text = await r.text();
        assert.ok(r.status >= 400 && r.status < 500, `${name} (${how}): ${r.status} ${text}`);
        assert.ok((JSON.parse(text) as { message: string }).message.length > 0, `${name}: ${text}`);
        assert.equal((await fetch(`${be.url}/ready`)).status, 200, `${name}: still serving`);
      }
      const s = await connectJson<{ labelsSet?: unknown[] }>(be.url, 'Series', {
        matchers: [`{service_name="${service}"}`],
        labelNames: [],
        ...range(),
      });
      assert.equal(s.status, 200);
      assert.deepEqual(s.json.labelsSet ?? [], [], `${name}: no series from a rejected body`);
    }
    // a good recording with a corrupt labels snapshot, or a jfr part that claims gzip and is cut short
    const dump1 = recordings.find((x) => x.name === 'dump1')!;
    const gz = gzipSync(dump1.jfr);
    const partCases: Array<[string, Buffer, Buffer | undefined]> = [
      ['bad-labels', dump1.jfr, Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f])],
      ['bad-gzip-part', gz.subarray(0, gz.length >> 1), undefined],
    ];
    for (const [name, jfr, labels] of partCases) {
      const r = await pushJfr(be.url, `jfr-multichunk-${name}`, jfr, labels);
      const text = await r.text();
      assert.ok(r.status >= 400 && r.status < 500, `${name}: ${r.status} ${text}`);
      assert.equal((await fetch(`${be.url}/ready`)).status, 200, `${name}: still serving`);
    }
    const names = await connectJson<{ names?: string[] }>(be.url, 'LabelValues', { name: 'service_name', ...range() });
    assert.equal(names.status, 200);
    assert.deepEqual(
      (names.json.names ?? []).filter((n) => n.startsWith('jfr-multichunk-')),
      [],
      'no service of a rejected body'
    );
    // the same two chunks intact are ingested whole: both recordings' samples, so a partial write would show
    const r = await pushJfr(be.url, 'jfr-multichunk-intact', Buffer.concat([first, second]));
    assert.equal(r.status, 200, await r.text());
    const cpu = await flameGraphStacks(be.url, CPU, '{service_name="jfr-multichunk-intact"}');
    const sum = (file: string) =>
      readCollapsedTotal(recordings.flatMap((x) => x.expected).find((e) => e.file === file)!.lines);
    assert.equal(
      cpu.total,
      sum('example_3_process_cpu_cpu__nanoseconds_expected_collapsed.txt.gz') +
        sum('wall_0_process_cpu_cpu__nanoseconds_expected_collapsed.txt.gz')
    );
  });

  test('new_spancontext: span-profile queries return exactly each span’s samples', async () => {
    // the labels part is sent gzipped, as the agent may
    const r = await pushJfr(
      be.url,
      'jfr-spans',
      gunzipSync(readFileSync(join(jfrDir, 'new_spancontext.jfr.gz'))),
      readFileSync(join(jfrDir, 'new_spancontext.labels.gz'))
    );
    assert.equal(r.status, 200, await r.text());
    const samples = expectedSamples('new_spancontext_0_process_cpu_cpu__nanoseconds_expected.txt.gz');
    const perSpan = new Map<string, number>();
    for (const s of samples) {
      if (s.labels.profile_id) {
        perSpan.set(s.labels.profile_id, (perSpan.get(s.labels.profile_id) ?? 0) + s.value);
      }
    }
    assert.ok(perSpan.size >= 2, `spans in the dump: ${[...perSpan.keys()]}`);
    for (const [span, want] of perSpan) {
      const a = await connectJson<{ flamegraph?: { total: string } }>(be.url, 'SelectMergeSpanProfile', {
        profileTypeID: CPU,
        labelSelector: '{service_name="jfr-spans"}',
        spanSelector: [span],
        ...range(),
      });
      assert.equal(a.status, 200, JSON.stringify(a.json));
      assert.equal(Number(a.json.flamegraph?.total), want, `span ${span}`);
    }
    const all = await connectJson<{ flamegraph?: { total: string } }>(be.url, 'SelectMergeStacktraces', {
      profileTypeID: CPU,
      labelSelector: '{service_name="jfr-spans"}',
      ...range(),
    });
    assert.equal(
      Number(all.json.flamegraph?.total),
      samples.reduce((a, s) => a + s.value, 0)
    );
    // span_name is a series label, as in Pyroscope
    const names = await connectJson<{ names: string[] }>(be.url, 'LabelValues', {
      name: 'span_name',
      matchers: ['{service_name="jfr-spans"}'],
      ...range(),
    });
    const wantNames = [...new Set(samples.map((s) => s.labels.span_name).filter(Boolean))].sort();
    assert.deepEqual(names.json.names, wantNames);
  });

  test('dump1: the labels snapshot becomes per-sample labels with the reference values and totals', async () => {
    const r = await pushJfr(
      be.url,
      'jfr-dump1',
      gunzipSync(readFileSync(join(jfrDir, 'dump1.jfr.gz'))),
      gunzipSync(readFileSync(join(jfrDir, 'dump1.labels.pb.gz')))
    );
    assert.equal(r.status, 200, await r.text());
    const samples = expectedSamples('dump1_0_process_cpu_cpu__nanoseconds_expected.txt.gz');
    const perThread = new Map<string, number>();
    for (const s of samples) {
      perThread.set(s.labels.thread_name ?? '', (perThread.get(s.labels.thread_name ?? '') ?? 0) + s.value);
    }
    const v = await connectJson<{ names: string[] }>(be.url, 'LabelValues', {
      name: 'thread_name',
      matchers: ['{service_name="jfr-dump1"}'],
      ...range(),
    });
    assert.deepEqual(v.json.names, [...perThread.keys()].filter(Boolean).sort());
    for (const [thread, want] of [...perThread].slice(0, 5)) {
      const fg = await connectJson<{ flamegraph?: { total: string } }>(be.url, 'SelectMergeStacktraces', {
        profileTypeID: CPU,
        labelSelector: `{service_name="jfr-dump1",thread_name="${thread}"}`,
        ...range(),
      });
      assert.equal(Number(fg.json.flamegraph?.total), want, `thread ${thread}`);
    }
  });

  test('truncated and corrupted recordings: 4xx with a message, nothing stored, still serving', async () => {
    const jfr = gunzipSync(readFileSync(join(jfrDir, 'example.jfr.gz')));
    const bad = [
      jfr.subarray(0, jfr.length >> 1),
      jfr.subarray(0, 40),
      Buffer.concat([jfr.subarray(0, 100), Buffer.alloc(64, 0xff), jfr.subarray(164)]),
    ];
    for (const [i, body] of bad.entries()) {
      const r = await pushJfr(be.url, `jfr-bad-${i}`, body);
      assert.ok(r.status >= 400 && r.status < 500, `case ${i}: ${r.status}`);
      const e = (await r.json()) as { code: string; message: string };
      assert.ok(e.message.length > 0);
      assert.equal((await fetch(`${be.url}/ready`)).status, 200);
      const s = await connectJson<{ labelsSet?: unknown[] }>(be.url, 'Series', {
        matchers: [`{service_name="jfr-bad-${i}"}`],
        labelNames: [],
        ...range(),
      });
      assert.equal((s.json.labelsSet ?? []).length, 0, `no partial series for case ${i}`);
    }
  });
});

test('OTLP profiles over HTTP (JSON): samples, resource labels and service read back', async () => {
  const be = await startInProcess();
  try {
    const nowNs = String(BigInt(Date.now() - 5000) * 1_000_000n);
    // opentelemetry-proto v1.10.0 profiles/v1development, JSON mapping
    const body = {
      resourceProfiles: [
        {
          resource: {
            attributes: [
              { key: 'service.name', value: { stringValue: 'otlp-svc' } },
              { key: 'deployment.environment', value: { stringValue: 'test' } },
            ],
          },
          scopeProfiles: [
            {
              profiles: [
                {
                  // what eBPF collectors send: sample counts with a cpu period
                  sampleType: { typeStrindex: 1, unitStrindex: 2 },
                  periodType: { typeStrindex: 3, unitStrindex: 4 },
                  period: '10000000',
                  timeUnixNano: nowNs,
                  durationNano: '10000000000',
                  samples: [
                    { stackIndex: 1, values: ['3'] },
                    { stackIndex: 2, values: ['1'] },
                  ],
                },
              ],
            },
          ],
        },
      ],
      dictionary: {
        stringTable: ['', 'samples', 'count', 'cpu', 'nanoseconds', 'main', 'work', 'idle'],
        functionTable: [{}, { nameStrindex: 5 }, { nameStrindex: 6 }, { nameStrindex: 7 }],
        locationTable: [
          {},
          { lines: [{ functionIndex: 1 }] },
          { lines: [{ functionIndex: 2 }] },
          { lines: [{ functionIndex: 3 }] },
        ],
        stackTable: [{}, { locationIndices: [2, 1] }, { locationIndices: [3, 1] }],
        mappingTable: [{}],
        attributeTable: [{}],
      },
    };
    const r = await fetch(`${be.url}/v1development/profiles`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await r.text();
    assert.equal(r.status, 200, text);
    const types = await connectJson<{ profileTypes?: Array<{ ID: string }> }>(be.url, 'ProfileTypes', range());
    const id = types.json.profileTypes?.[0]?.ID;
    assert.ok(id?.startsWith('process_cpu:cpu:nanoseconds'), `types: ${JSON.stringify(types.json)}`);
    const fg = await connectJson<{ flamegraph?: { total: string; names: string[] } }>(
      be.url,
      'SelectMergeStacktraces',
      { profileTypeID: id, labelSelector: '{service_name="otlp-svc"}', ...range() }
    );
    assert.equal(Number(fg.json.flamegraph?.total), 40_000_000, JSON.stringify(fg.json));
    assert.ok(fg.json.flamegraph?.names.includes('work'));
    const env = await connectJson<{ names: string[] }>(be.url, 'LabelValues', {
      name: 'deployment.environment',
      matchers: ['{service_name="otlp-svc"}'],
      ...range(),
    });
    assert.deepEqual(env.json.names, ['test']);
  } finally {
    await be.stop();
  }
});
