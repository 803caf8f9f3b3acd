// SelectSeries over Connect JSON is written by encode/seriesJson.ts, not by protobuf-es's reflective writer (a
// warm All services query at 300 services spent ~40 % of its CPU there). The text must be exactly what
// protobuf-es writes for the same message, and a server's JSON and binary answers must hold the same series,
// gzip'd or not.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { create, fromBinary, toJsonString } from '@bufbuild/protobuf';
import { selectSeriesJson, type SeriesJsonIn } from '../src/encode/seriesJson.js';
import { SelectSeriesResponseSchema } from '../src/gen/querier/v1/querier_pb.js';
import type { ProfilePoint } from '../src/model/profilePoints.js';
import { startInProcess, type Running } from './helpers.js';
import { prng } from './loadRun.js';
import { connectProto, CPU, encodePush, handPprof, PbWriter, push } from './wire.js';

/** A series with its points as objects: how the cases are written, and how protobuf-es is given them. */
interface PointsIn {
  labels: SeriesJsonIn['labels'];
  points: Array<{ timestamp: number; value: number; exemplar?: ProfilePoint }>;
}

/** The columns the query hands to the writer. */
function columns(series: PointsIn[]): SeriesJsonIn[] {
  return series.map((s) => ({
    labels: s.labels,
    timestamps: Float64Array.from(s.points, (p) => p.timestamp),
    values: Float64Array.from(s.points, (p) => p.value),
    exemplars: s.points.map((p) => p.exemplar),
  }));
}

/** The message api/connect.ts builds for protobuf-es (the binary answer, and the JSON answer before). */
function reference(series: PointsIn[]): string {
  return toJsonString(
    SelectSeriesResponseSchema,
    create(SelectSeriesResponseSchema, {
      series: series.map((s) => ({
        labels: s.labels.map(([name, value]) => ({ name, value })),
        points: s.points.map((p) => ({
          value: p.value,
          timestamp: BigInt(p.timestamp),
          exemplars: p.exemplar
            ? [
                {
                  timestamp: BigInt(p.exemplar.ts),
                  profileId: p.exemplar.profileId,
                  spanId: p.exemplar.spanId,
                  traceId: p.exemplar.traceId,
                  value: BigInt(Math.round(p.exemplar.value)),
                  labels: p.exemplar.labels.map(([name, value]) => ({ name, value })),
                },
              ]
            : [],
        })),
      })),
    })
  );
}

const STRINGS = ['', 'svc', 'a"b', 'back\\slash', 'new\nline', 'tab\t', 'ünï©ødé', '😀', '\u0001', '</script>'];
const VALUES = [
  0,
  -0,
  1,
  -1,
  10,
  123_456_789_012,
  // the integer writer's digit counts and eight-digit halves (zeros inside a half are written, not dropped)
  9,
  99,
  100,
  99_999_999,
  100_000_000,
  100_000_007,
  1_000_000_000_000_007,
  8_000_000_000_000_001,
  1_234_567_800_000_009,
  2 ** 53 - 1,
  1.5,
  0.1 + 0.2,
  1e21,
  1e-7,
  -3e-300,
  2 ** 53,
  2 ** 53 + 2,
  NaN,
  Infinity,
  -Infinity,
];

function generate(r: () => number): PointsIn[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const labels = () =>
    Array.from({ length: Math.floor(r() * 4) }, () => [pick(STRINGS), pick(STRINGS)] as [string, string]);
  return Array.from({ length: Math.floor(r() * 5) }, () => ({
    labels: labels(),
    points: Array.from({ length: Math.floor(r() * 6) }, () => {
      const exemplar: ProfilePoint | undefined =
        r() < 0.4
          ? {
              ts: pick([0, 1_796_570_764_000, 12]),
              profileId: pick(['', '0f8a6c2e-1111-4222-8333-944445555666']),
              spanId: pick(['', '00000000000000ff']),
              traceId: pick(['', '0123456789abcdef0123456789abcdef']),
              value: pick([0, 7, 1.6, -2.5, 2 ** 60, 123_456_789_012]),
              labels: labels(),
            }
          : undefined;
      return {
        value: r() < 0.5 ? pick(VALUES) : r() * 1e10,
        timestamp: pick([0, 1_796_570_764_000, 15_000]),
        ...(exemplar ? { exemplar } : {}),
      };
    }),
  }));
}

describe('SelectSeries as JSON, written directly', () => {
  test('the text is exactly what protobuf-es writes (5,000 generated answers)', () => {
    const r = prng(14);
    for (let i = 0; i < 5000; i++) {
      const series = generate(r);
      assert.equal(
        selectSeriesJson(columns(series)).toString(),
        reference(series),
        `answer ${i}: ${JSON.stringify(series)}`
      );
    }
  });

  test('no series, a series without points, a point at zero and at -0', () => {
    const cases: PointsIn[][] = [
      [],
      [{ labels: [], points: [] }],
      [{ labels: [['a', '']], points: [{ value: 0, timestamp: 0 }] }],
      [{ labels: [], points: [{ value: -0, timestamp: 1 }] }],
    ];
    for (const series of cases) {
      assert.equal(selectSeriesJson(columns(series)).toString(), reference(series));
    }
  });
});

describe('SelectSeries over the wire: JSON and binary answers agree', () => {
  let be: Running;
  const base = Math.floor(Date.now() / 60_000) * 60_000 - 10 * 60_000;

  before(async () => {
    be = await startInProcess();
    const profiles = [];
    for (let s = 0; s < 40; s++) {
      for (let k = 0; k < 3; k++) {
        profiles.push({
          labels: { __name__: 'process_cpu', service_name: `svc-${s}`, pod: `p"${k}` },
          samples: [
            {
              raw: handPprof({
                sampleTypes: [['cpu', 'nanoseconds']],
                periodType: ['cpu', 'nanoseconds'],
                period: 10_000_000,
                timeNanos: BigInt(base + k * 60_000 + s * 1000) * 1_000_000n,
                samples: [{ stack: [`f${s}`, 'main'], values: [10 * (s + 1) + k] }],
                gzip: true,
              }),
            },
          ],
        });
      }
    }
    const r = await push(be.url, encodePush(profiles));
    assert.equal(r.status, 200, await r.text());
  });
  after(() => be.stop());

  const request = (exemplarType: number) => ({
    profileTypeID: CPU,
    labelSelector: '{}',
    start: String(base - 60_000),
    end: String(base + 10 * 60_000),
    groupBy: ['service_name'],
    step: 60,
    exemplarType,
  });

  for (const [name, exemplarType] of [
    ['without exemplars', 0],
    ['with exemplars', 2],
  ] as const) {
    test(name, async () => {
      const req = request(exemplarType);
      const w = new PbWriter()
        .string(1, CPU)
        .string(2, req.labelSelector)
        .int64(3, Number(req.start))
        .int64(4, Number(req.end));
      w.string(5, 'service_name').double(6, 60);
      if (exemplarType) {
        w.int64(10, exemplarType);
      }
      const bin = await connectProto(be.url, 'querier.v1.QuerierService/SelectSeries', w.finish());
      assert.equal(bin.status, 200, bin.body.toString());
      const expected = toJsonString(SelectSeriesResponseSchema, fromBinary(SelectSeriesResponseSchema, bin.body));
      assert.equal((JSON.parse(expected) as { series: unknown[] }).series.length, 40);

      for (const encoding of ['identity', 'gzip']) {
        const r = await fetch(`${be.url}/querier.v1.QuerierService/SelectSeries`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'accept-encoding': encoding },
          body: JSON.stringify(req),
        });
        assert.equal(r.status, 200);
        assert.equal(r.headers.get('content-type'), 'application/json');
        assert.equal(r.headers.get('content-encoding'), encoding === 'gzip' ? 'gzip' : null);
        assert.equal(await r.text(), expected, `accept-encoding ${encoding}`);
      }
    });
  }

  test('a bad request is still refused by connect-es, as JSON', async () => {
    const r = await fetch(`${be.url}/querier.v1.QuerierService/SelectSeries`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...request(0), labelSelector: '{service_name=' }),
    });
    assert.equal(r.status, 400);
    const body = (await r.json()) as { code: string; message: string };
    assert.equal(body.code, 'invalid_argument');
    assert.match(body.message, /\S/);
  });
});
