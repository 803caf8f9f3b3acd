// JFR through /ingest as the Java agent sends it (multipart jfr + labels), read back over the query API:
// labels snapshots become per-sample labels, span contexts answer span-profile queries, bad bodies are 4xx
// with nothing stored. Also OTLP profiles over HTTP.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { connectJson, FIXTURES, NO_FIXTURES, startInProcess, type Running } from './helpers.js';

const CPU = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';
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

async function pushJfr(url: string, name: string, jfr: Buffer, labels?: Buffer): Promise<Response> {
  const form = new FormData();
  form.append('jfr', new Blob([new Uint8Array(jfr)]), 'jfr');
  if (labels) {
    form.append('labels', new Blob([new Uint8Array(labels)]), 'labels');
  }
  const now = Math.floor(Date.now() / 1000);
  const q = new URLSearchParams({
    name,
    from: String(now - 10),
    until: String(now),
    format: 'jfr',
    spyName: 'javaspy',
  });
  return fetch(`${url}/ingest?${q}`, { method: 'POST', body: form });
}

const range = () => ({ start: Date.now() - 3_600_000, end: Date.now() + 60_000 });

describe('JFR over /ingest', { skip: NO_FIXTURES }, () => {
  let be: Running;
  before(async () => {
    be = await startInProcess();
  });
  after(async () => be?.stop());

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
