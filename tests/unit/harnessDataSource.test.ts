/**
 * @jest-environment node
 */
import {
  callResource,
  checkHealth,
  flamebearerToNestedSet,
  queryData,
  seriesDisplay,
  profileUnit,
} from '../harness/pyroscope-datasource.mjs';

// The harness's stand-in for Grafana's Pyroscope data source back end: what it sends to the server (binary
// Connect, field numbers of Pyroscope's querier.proto) and the frames it makes of the answers. Requests are read
// and answers written here with a few lines of protobuf of the test's own, not the harness's.

type Field = { field: number; wire: number; varint?: bigint; bytes?: Buffer };

function decode(buf: Buffer): Field[] {
  const out: Field[] = [];
  let pos = 0;
  const varint = () => {
    let v = BigInt(0);
    for (let shift = BigInt(0); ; shift += BigInt(7)) {
      const b = buf[pos++];
      v |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) {
        return v;
      }
    }
  };
  while (pos < buf.length) {
    const key = Number(varint());
    const f: Field = { field: key >> 3, wire: key & 7 };
    if (f.wire === 0) {
      f.varint = varint();
    } else if (f.wire === 1) {
      f.bytes = buf.subarray(pos, pos + 8);
      pos += 8;
    } else if (f.wire === 2) {
      const n = Number(varint());
      f.bytes = buf.subarray(pos, pos + n);
      pos += n;
    } else {
      throw new Error(`wire type ${f.wire}`);
    }
    out.push(f);
  }
  return out;
}

const strings = (fs: Field[], n: number) => fs.filter((f) => f.field === n).map((f) => f.bytes!.toString());
const int = (fs: Field[], n: number) => {
  const f = fs.find((x) => x.field === n);
  return f ? Number(f.varint) : undefined;
};
const dbl = (fs: Field[], n: number) => fs.find((x) => x.field === n)?.bytes?.readDoubleLE(0);

function varint(v: number): number[] {
  const out: number[] = [];
  let n = BigInt(v);
  while (n >= BigInt(0x80)) {
    out.push(Number(n & BigInt(0x7f)) | 0x80);
    n >>= BigInt(7);
  }
  out.push(Number(n));
  return out;
}
const len = (field: number, bytes: number[] | Buffer) => [
  ...varint((field << 3) | 2),
  ...varint(bytes.length),
  ...bytes,
];
const str = (field: number, s: string) => len(field, Buffer.from(s));
const i64 = (field: number, v: number) => [...varint(field << 3), ...varint(v)];
const f64 = (field: number, v: number) => {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(v);
  return [...varint((field << 3) | 1), ...b];
};

/** A FlameGraph message (names 1, levels 2 as Level{values 1 packed}, total 3, max_self 4). */
function flameGraph(names: string[], levels: number[][]) {
  return [
    ...names.flatMap((n) => str(1, n)),
    ...levels.flatMap((l) => len(2, len(1, l.flatMap(varint)))),
    ...i64(3, levels[0][1]),
    ...i64(4, 1),
  ];
}

interface Seen {
  url: string;
  headers: Record<string, string>;
  fields: Field[];
}

function stubServer(answer: (method: string) => { status: number; body: Buffer | string }) {
  const seen: Seen[] = [];
  const fetchImpl = (async (url: string, init: { headers: Record<string, string>; body: Buffer }) => {
    seen.push({ url, headers: init.headers, fields: decode(Buffer.from(init.body)) });
    const a = answer(url.split('/').pop()!);
    return new Response(typeof a.body === 'string' ? a.body : new Uint8Array(a.body), { status: a.status });
  }) as unknown as typeof fetch;
  return { seen, fetchImpl };
}

// total 10 -> a 6 (self 1) -> b 3, c 2; total -> d 4 (self 1) -> e 3
const NAMES = ['total', 'a', 'b', 'c', 'd', 'e'];
const LEVELS = [
  [0, 10, 0, 0],
  [0, 6, 1, 1, 0, 4, 1, 4],
  [1, 3, 3, 2, 0, 2, 2, 3, 1, 3, 3, 5],
];
const CPU = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';
const DS = { pyroscope: { type: 'grafana-pyroscope-datasource', url: 'http://pyroscope.test/' } };

describe('harness Pyroscope data source: frames', () => {
  it('turns flame graph levels into depth-first nested-set rows', () => {
    expect(flamebearerToNestedSet(NAMES, LEVELS)).toEqual([
      { level: 0, value: 10, self: 0, label: 'total' },
      { level: 1, value: 6, self: 1, label: 'a' },
      { level: 2, value: 3, self: 3, label: 'b' },
      { level: 2, value: 2, self: 2, label: 'c' },
      { level: 1, value: 4, self: 1, label: 'd' },
      { level: 2, value: 3, self: 3, label: 'e' },
    ]);
    expect(flamebearerToNestedSet([], [])).toEqual([]);
  });

  it('gives the units Grafana gives, and a rate per second for cumulative types only', () => {
    expect(profileUnit(CPU)).toBe('ns');
    expect(profileUnit('memory:alloc_objects:count:space:bytes')).toBe('short');
    expect(profileUnit('memory:alloc_space:bytes:space:bytes')).toBe('bytes');
    const cpu = seriesDisplay(CPU, 15);
    expect([cpu.unit, cpu.rate, cpu.transform(30e9)]).toEqual(['cores', true, 2]);
    const alloc = seriesDisplay('memory:alloc_space:bytes:space:bytes', 10);
    expect([alloc.unit, alloc.transform(100)]).toEqual(['binBps', 10]);
    expect(seriesDisplay('memory:alloc_objects:count:space:bytes', 10).unit).toBe('ops');
    const inuse = seriesDisplay('memory:inuse_space:bytes:space:bytes', 10);
    expect([inuse.unit, inuse.rate, inuse.transform(100)]).toEqual(['bytes', false, 100]);
    expect(seriesDisplay('goroutines:goroutine:count:goroutine:count', 10).rate).toBe(false);
    // types Grafana does not know: cumulative when measured in time or bytes, never in cores
    const wall = seriesDisplay('wall:wall:nanoseconds:wall:nanoseconds', 20);
    expect([wall.unit, wall.rate, wall.transform(40)]).toEqual(['ns', true, 2]);
    expect(seriesDisplay('custom:thing:count:x:y', 20).rate).toBe(false);
  });
});

describe('harness Pyroscope data source: /api/ds/query', () => {
  const from = 1_700_000_000_000;
  const to = from + 3_600_000;

  it('asks SelectSeries in binary Connect with the step Grafana uses, and answers series frames', async () => {
    const { seen, fetchImpl } = stubServer(() => ({
      status: 200,
      body: Buffer.from(
        len(1, [
          ...len(1, [...str(1, 'region'), ...str(2, 'eu')]),
          ...len(2, [...f64(1, 30e9), ...i64(2, from + 60_000)]),
          ...len(2, [...f64(1, 60e9), ...i64(2, from + 120_000)]),
        ])
      ),
    }));
    const query = {
      refId: 'A',
      datasource: { uid: 'pyroscope' },
      queryType: 'metrics',
      profileTypeId: CPU,
      labelSelector: '{service_name="x"}',
      groupBy: ['region'],
      limit: 5,
      intervalMs: 60_000,
    };
    const answer = await queryData({ from: String(from), to: String(to), queries: [query] }, DS, fetchImpl);
    expect(answer.status).toBe(200);
    expect(seen).toHaveLength(1);
    expect(seen[0].url).toBe('http://pyroscope.test/querier.v1.QuerierService/SelectSeries');
    expect(seen[0].headers['content-type']).toBe('application/proto');
    expect(seen[0].headers['connect-protocol-version']).toBe('1');
    const f = seen[0].fields;
    expect(strings(f, 1)).toEqual([CPU]);
    expect(strings(f, 2)).toEqual(['{service_name="x"}']);
    expect([int(f, 3), int(f, 4)]).toEqual([from, to]);
    expect(strings(f, 5)).toEqual(['region']);
    expect(dbl(f, 6)).toBe(60);
    expect(int(f, 9)).toBe(5);
    expect(int(f, 10)).toBe(1); // exemplars: none, as Grafana without the profilesExemplars feature
    const frames = answer.body.results!.A.frames!;
    expect(frames).toHaveLength(1);
    expect(frames[0].schema).toMatchObject({
      name: 'series',
      refId: 'A',
      meta: { preferredVisualisationType: 'graph', custom: { rateCalculated: true } },
    });
    expect(frames[0].schema.fields[1]).toMatchObject({
      name: 'cpu',
      labels: { region: 'eu' },
      config: { unit: 'cores' },
    });
    expect(frames[0].data.values).toEqual([
      [from + 60_000, from + 120_000],
      [0.5, 1],
    ]);
  });

  it('uses at least the 15 s minimum step (or the data source minStep)', async () => {
    const { seen, fetchImpl } = stubServer(() => ({ status: 200, body: Buffer.alloc(0) }));
    const body = {
      from: String(from),
      to: String(to),
      queries: [{ refId: 'A', datasource: 'pyroscope', queryType: 'metrics', profileTypeId: CPU, intervalMs: 2000 }],
    };
    await queryData(body, DS, fetchImpl);
    expect(dbl(seen[0].fields, 6)).toBe(15);
    await queryData(body, { pyroscope: { ...DS.pyroscope, jsonData: { minStep: '1m' } } }, fetchImpl);
    expect(dbl(seen[1].fields, 6)).toBe(60);
    expect(int(seen[1].fields, 9)).toBeUndefined();
  });

  it('asks SelectMergeStacktraces, or SelectMergeSpanProfile with a span selector, and answers the flame graph frame', async () => {
    const { seen, fetchImpl } = stubServer(() => ({
      status: 200,
      body: Buffer.from(len(1, flameGraph(NAMES, LEVELS))),
    }));
    const base = {
      datasource: { uid: 'pyroscope' },
      queryType: 'profile',
      profileTypeId: 'memory:alloc_space:bytes:space:bytes',
      labelSelector: '{}',
      maxNodes: 100,
    };
    const answer = await queryData(
      {
        from: String(from),
        to: String(to),
        queries: [
          { ...base, refId: 'P' },
          { ...base, refId: 'S', spanSelector: ['00000000000000aa', '00000000000000bb'] },
        ],
      },
      DS,
      fetchImpl
    );
    expect(answer.status).toBe(200);
    const plain = seen.find((s) => s.url.endsWith('/SelectMergeStacktraces'))!.fields;
    expect([strings(plain, 1), strings(plain, 2), int(plain, 3), int(plain, 4), int(plain, 5)]).toEqual([
      ['memory:alloc_space:bytes:space:bytes'],
      ['{}'],
      from,
      to,
      100,
    ]);
    const span = seen.find((s) => s.url.endsWith('/SelectMergeSpanProfile'))!.fields;
    expect(strings(span, 3)).toEqual(['00000000000000aa', '00000000000000bb']);
    expect([int(span, 4), int(span, 5), int(span, 6)]).toEqual([from, to, 100]);
    for (const refId of ['P', 'S']) {
      const [frame] = answer.body.results![refId].frames!;
      expect(frame.schema.name).toBe('response');
      expect(frame.schema.meta.preferredVisualisationType).toBe('flamegraph');
      expect(frame.schema.fields.map((x) => [x.name, x.type, x.config?.unit])).toEqual([
        ['level', 'number', undefined],
        ['value', 'number', 'bytes'],
        ['self', 'number', 'bytes'],
        ['label', 'enum', undefined],
      ]);
      const text = frame.schema.fields[3].config!.type!.enum!.text;
      expect((frame.data.values[3] as number[]).map((i) => text[i])).toEqual(['total', 'a', 'b', 'c', 'd', 'e']);
      expect(frame.data.values.slice(0, 3)).toEqual([
        [0, 1, 2, 2, 1, 2],
        [10, 6, 3, 2, 4, 3],
        [0, 1, 3, 2, 1, 3],
      ]);
    }
  });

  it("passes the server's error on as the query's error, with a 400 for the request", async () => {
    const { fetchImpl } = stubServer(() => ({
      status: 400,
      body: JSON.stringify({ code: 'invalid_argument', message: 'parse error: unexpected }' }),
    }));
    const answer = await queryData(
      {
        from: String(from),
        to: String(to),
        queries: [{ refId: 'A', datasource: { uid: 'pyroscope' }, queryType: 'both', profileTypeId: CPU }],
      },
      DS,
      fetchImpl
    );
    expect(answer.status).toBe(400);
    expect(answer.body.results!.A).toEqual({
      status: 500,
      error: 'received error from client while getting series: invalid_argument: parse error: unexpected }',
      errorSource: 'downstream',
    });
  });

  it('answers 404 for a data source it does not have, and reads relative times', async () => {
    const { seen, fetchImpl } = stubServer(() => ({ status: 200, body: Buffer.alloc(0) }));
    const missing = await queryData(
      { from: 'now-1h', to: 'now', queries: [{ refId: 'A', datasource: { uid: 'nope' } }] },
      DS,
      fetchImpl
    );
    expect(missing).toEqual({ status: 404, body: { message: 'Data source not found' } });
    const before = Date.now();
    await queryData(
      {
        from: 'now-1h',
        to: 'now',
        queries: [{ refId: 'A', datasource: { uid: 'pyroscope' }, queryType: 'profile', profileTypeId: CPU }],
      },
      DS,
      fetchImpl
    );
    const [start, end] = [int(seen[0].fields, 3)!, int(seen[0].fields, 4)!];
    expect(end - start).toBe(3_600_000);
    expect(end).toBeGreaterThanOrEqual(before);
  });
});

describe('harness Pyroscope data source: resources and health', () => {
  const SETTINGS = DS.pyroscope;

  it('lists profile types as Grafana labels them, and checks health over a tiny range', async () => {
    const { seen, fetchImpl } = stubServer(() => ({
      status: 200,
      body: Buffer.from(len(1, [...str(1, CPU), ...str(2, 'process_cpu'), ...str(4, 'cpu'), ...str(5, 'nanoseconds')])),
    }));
    const types = await callResource('profileTypes', new URLSearchParams('start=5&end=9'), SETTINGS, fetchImpl);
    expect(types).toEqual({ status: 200, body: [{ id: CPU, label: 'process_cpu - cpu' }] });
    expect(seen[0].url).toBe('http://pyroscope.test/querier.v1.QuerierService/ProfileTypes');
    expect([int(seen[0].fields, 1), int(seen[0].fields, 2)]).toEqual([5, 9]);
    expect(await checkHealth(SETTINGS, fetchImpl)).toEqual({
      status: 200,
      body: { status: 'OK', message: 'Data source is working' },
    });
    expect([int(seen[1].fields, 1), int(seen[1].fields, 2)]).toEqual([1000, 4000]);
  });

  it('gives label names without private ones and those of the selector, and label values', async () => {
    const { seen, fetchImpl } = stubServer((method) => ({
      status: 200,
      body: Buffer.from(
        method === 'LabelNames'
          ? ['__name__', 'service_name', 'region', 'pod'].flatMap((n) => str(1, n))
          : ['eu', 'us'].flatMap((n) => str(1, n))
      ),
    }));
    const q = new URLSearchParams({ query: '{service_name="x"}', start: '10', end: '20' });
    expect(await callResource('labelNames', q, SETTINGS, fetchImpl)).toEqual({ status: 200, body: ['region', 'pod'] });
    expect([strings(seen[0].fields, 1), int(seen[0].fields, 2), int(seen[0].fields, 3)]).toEqual([
      ['{service_name="x"}'],
      10,
      20,
    ]);
    q.set('label', 'region');
    expect(await callResource('labelValues', q, SETTINGS, fetchImpl)).toEqual({ status: 200, body: ['eu', 'us'] });
    expect([strings(seen[1].fields, 1), strings(seen[1].fields, 2), int(seen[1].fields, 3)]).toEqual([
      ['region'],
      ['{service_name="x"}'],
      10,
    ]);
    expect((await callResource('nope', q, SETTINGS, fetchImpl)).status).toBe(404);
  });

  it('reports an unhealthy server', async () => {
    const { fetchImpl } = stubServer(() => ({
      status: 503,
      body: JSON.stringify({ code: 'unavailable', message: 'down' }),
    }));
    expect(await checkHealth(SETTINGS, fetchImpl)).toEqual({
      status: 400,
      body: { status: 'ERROR', message: 'unavailable: down' },
    });
  });
});
