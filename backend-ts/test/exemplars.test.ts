// Exemplars on SelectSeries and SelectHeatmap (issue 16), over the wire: requests written and answers read by
// hand from the field numbers of Pyroscope's querier.proto and types.proto (2026-08), expectations worked out
// here from the data pushed, following Pyroscope's time-series and heatmap models (pkg/model/timeseries,
// pkg/model/heatmap).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Profile } from 'pprof-format';
import { startInProcess, type Running } from './helpers.js';
import { connectProto, CPU, encodePush, handPprof, PbWriter, push, readFields, type Field } from './wire.js';

const STEP_S = 60;
const STEP = STEP_S * 1000;

interface Exemplar {
  ts: number;
  profileId: string;
  spanId: string;
  value: number;
  labels: Record<string, string>;
  traceId: string;
}

const str = (x: Field) => (x.v as Buffer).toString('utf8');

/** The sum of a pprof's first sample type (decoded with pprof-format). */
function pprofTotal(body: Buffer): number {
  return Profile.decode(body).sample.reduce((n, s) => n + Number(s.value[0]), 0);
}

/** LabelPair{name=1, value=2} */
function labelPair(buf: Buffer): [string, string] {
  const fs = readFields(buf);
  return [
    str(fs.find((x) => x.f === 1) ?? { f: 1, v: Buffer.alloc(0) }),
    str(fs.find((x) => x.f === 2) ?? { f: 2, v: Buffer.alloc(0) }),
  ];
}

/** Exemplar{timestamp=1, profile_id=2, span_id=3, value=4, labels=5, trace_id=6} */
function exemplar(buf: Buffer): Exemplar {
  const e: Exemplar = { ts: 0, profileId: '', spanId: '', value: 0, labels: {}, traceId: '' };
  for (const x of readFields(buf)) {
    if (x.f === 1) {
      e.ts = Number(x.v);
    } else if (x.f === 2) {
      e.profileId = str(x);
    } else if (x.f === 3) {
      e.spanId = str(x);
    } else if (x.f === 4) {
      e.value = Number(x.v);
    } else if (x.f === 5) {
      const [n, v] = labelPair(x.v as Buffer);
      e.labels[n] = v;
    } else if (x.f === 6) {
      e.traceId = str(x);
    }
  }
  return e;
}

interface SeriesOut {
  labels: string;
  points: Array<{ ts: number; value: number; exemplars: Exemplar[] }>;
}

const labelsText = (pairs: Array<[string, string]>) => pairs.map(([n, v]) => `${n}=${v}`).join(',');

/** SelectSeriesResponse{series=1: Series{labels=1, points=2: Point{value=1 double, timestamp=2, exemplars=4}}} */
function decodeSeries(buf: Buffer): SeriesOut[] {
  return readFields(buf)
    .filter((x) => x.f === 1)
    .map((s) => {
      const fs = readFields(s.v as Buffer);
      return {
        labels: labelsText(fs.filter((x) => x.f === 1).map((x) => labelPair(x.v as Buffer))),
        points: fs
          .filter((x) => x.f === 2)
          .map((p) => {
            const pf = readFields(p.v as Buffer);
            return {
              value: Number(pf.find((x) => x.f === 1)?.v ?? 0),
              ts: Number(pf.find((x) => x.f === 2)?.v ?? 0),
              exemplars: pf.filter((x) => x.f === 4).map((x) => exemplar(x.v as Buffer)),
            };
          }),
      };
    });
}

/** Packed repeated double (wire type 2): 8 bytes little endian each. */
function doubles(b: Buffer): number[] {
  const out: number[] = [];
  for (let i = 0; i < b.length; i += 8) {
    out.push(b.readDoubleLE(i));
  }
  return out;
}

/** Packed repeated int32: varints one after the other. */
function varints(b: Buffer): number[] {
  const out: number[] = [];
  let pos = 0;
  while (pos < b.length) {
    let v = 0;
    let mul = 1;
    let byte: number;
    do {
      byte = b[pos++];
      v += (byte & 0x7f) * mul;
      mul *= 128;
    } while (byte & 0x80);
    out.push(v);
  }
  return out;
}

interface HeatSlot {
  ts: number;
  yMin: number[];
  counts: number[];
  exemplars: Exemplar[];
}

/**
 * SelectHeatmapResponse{series=1: HeatmapSeries{labels=1, slots=2: HeatmapSlot{timestamp=1, y_min=2 packed double,
 * counts=3 packed int32, exemplars=4}}}
 */
function decodeHeatmap(buf: Buffer): Array<{ labels: string; slots: HeatSlot[] }> {
  return readFields(buf)
    .filter((x) => x.f === 1)
    .map((s) => {
      const fs = readFields(s.v as Buffer);
      return {
        labels: labelsText(fs.filter((x) => x.f === 1).map((x) => labelPair(x.v as Buffer))),
        slots: fs
          .filter((x) => x.f === 2)
          .map((slot) => {
            const sf = readFields(slot.v as Buffer);
            return {
              ts: Number(sf.find((x) => x.f === 1)?.v ?? 0),
              yMin: sf.filter((x) => x.f === 2).flatMap((x) => (Buffer.isBuffer(x.v) ? doubles(x.v) : [Number(x.v)])),
              counts: sf.filter((x) => x.f === 3).flatMap((x) => (Buffer.isBuffer(x.v) ? varints(x.v) : [Number(x.v)])),
              exemplars: sf.filter((x) => x.f === 4).map((x) => exemplar(x.v as Buffer)),
            };
          }),
      };
    });
}

interface SeriesReq {
  selector: string;
  start: number;
  end: number;
  groupBy?: string[];
  aggregation?: number;
  exemplarType?: number;
}

/**
 * SelectSeriesRequest{profile_typeID=1, label_selector=2, start=3, end=4, group_by=5, step=6 (double),
 * aggregation=7, exemplar_type=10}
 */
function encodeSeries(r: SeriesReq): Buffer {
  const w = new PbWriter().string(1, CPU).string(2, r.selector).int64(3, r.start).int64(4, r.end);
  (r.groupBy ?? []).forEach((g) => w.string(5, g));
  w.double(6, STEP_S);
  if (r.aggregation !== undefined) {
    w.int64(7, r.aggregation);
  }
  if (r.exemplarType !== undefined) {
    w.int64(10, r.exemplarType);
  }
  return w.finish();
}

interface HeatReq {
  selector: string;
  start: number;
  end: number;
  step?: number;
  groupBy?: string[];
  queryType?: number;
  exemplarType?: number;
  limit?: number;
}

/**
 * SelectHeatmapRequest{profile_typeID=1, label_selector=2, start=3, end=4, step=5 (double), group_by=6,
 * query_type=7, exemplar_type=8, limit=9}
 */
function encodeHeatmap(r: HeatReq): Buffer {
  const w = new PbWriter().string(1, CPU).string(2, r.selector).int64(3, r.start).int64(4, r.end);
  w.double(5, r.step ?? STEP_S);
  (r.groupBy ?? []).forEach((g) => w.string(6, g));
  if (r.queryType !== undefined) {
    w.int64(7, r.queryType);
  }
  if (r.exemplarType !== undefined) {
    w.int64(8, r.exemplarType);
  }
  if (r.limit !== undefined) {
    w.int64(9, r.limit);
  }
  return w.finish();
}

const EXEMPLAR = { NONE: 1, INDIVIDUAL: 2, SPAN: 3 };
const HEATMAP = { INDIVIDUAL: 1, SPAN: 2 };

interface P {
  at: number;
  labels: Record<string, string>;
  samples: Array<{ fn: string; value: number; span?: string; pod?: string }>;
}

/** Each profile its own RawSample (one ingested profile), at its own time (pprof time_nanos). */
async function pushProfiles(be: Running, service: string, profiles: P[]): Promise<void> {
  const body = encodePush(
    profiles.map((p) => ({
      labels: { __name__: 'process_cpu', service_name: service, ...p.labels },
      samples: [
        {
          raw: handPprof({
            sampleTypes: [['cpu', 'nanoseconds']],
            periodType: ['cpu', 'nanoseconds'],
            period: 10_000_000,
            timeNanos: BigInt(p.at) * 1_000_000n,
            samples: p.samples.map((s) => ({
              stack: [s.fn, 'main'],
              values: [s.value],
              labels: { ...(s.span ? { span_id: s.span } : {}), ...(s.pod ? { pod: s.pod } : {}) },
            })),
            gzip: true,
          }),
        },
      ],
    }))
  );
  const r = await push(be.url, body);
  assert.equal(r.status, 200, await r.text());
}

async function call(be: Running, method: string, body: Buffer) {
  return connectProto(be.url, `querier.v1.QuerierService/${method}`, body);
}

describe('exemplars and heatmaps', () => {
  let be: Running;
  /** A minute boundary 10 minutes ago: every profile time is a fixed offset from it. */
  let base: number;

  before(async () => {
    be = await startInProcess();
    base = Math.floor(Date.now() / STEP) * STEP - 10 * STEP;
    await pushProfiles(be, 'exm', [
      { at: base + 10_000, labels: { region: 'eu' }, samples: [{ fn: 'a', value: 100, pod: 'a' }] },
      { at: base + 20_000, labels: { region: 'eu' }, samples: [{ fn: 'b', value: 300, pod: 'b' }] },
      { at: base + 70_000, labels: { region: 'eu' }, samples: [{ fn: 'a', value: 50, pod: 'a' }] },
      { at: base + 30_000, labels: { region: 'us' }, samples: [{ fn: 'c', value: 7, pod: 'c' }] },
    ]);
    await pushProfiles(be, 'exspan', [
      {
        at: base + 10_000,
        labels: {},
        samples: [
          { fn: 'a', value: 10, span: 'aaaaaaaaaaaaaaaa' },
          { fn: 'b', value: 25, span: 'bbbbbbbbbbbbbbbb' },
          { fn: 'c', value: 5, span: 'bbbbbbbbbbbbbbbb' },
          { fn: 'd', value: 400 },
        ],
      },
      { at: base + 40_000, labels: {}, samples: [{ fn: 'e', value: 20, span: 'cccccccccccccccc' }] },
      { at: base + 70_000, labels: {}, samples: [{ fn: 'f', value: 9 }] },
    ]);
    // values chosen so that the 20 buckets from 100 to 2100 are 100 wide
    await pushProfiles(be, 'heat', [
      { at: base - 30_000, labels: { region: 'eu' }, samples: [{ fn: 'a', value: 100, pod: 'p1' }] },
      { at: base + 10_000, labels: { region: 'eu' }, samples: [{ fn: 'a', value: 150, pod: 'p1' }] },
      { at: base + 40_000, labels: { region: 'eu' }, samples: [{ fn: 'a', value: 160, pod: 'p2' }] },
      { at: base + 60_000, labels: { region: 'eu' }, samples: [{ fn: 'a', value: 1050, pod: 'p1' }] },
      { at: base + 61_000, labels: { region: 'eu' }, samples: [{ fn: 'a', value: 2100, pod: 'p1' }] },
      { at: base + 100_000, labels: { region: 'us' }, samples: [{ fn: 'a', value: 120, pod: 'p3' }] },
      { at: base + 170_000, labels: { region: 'us' }, samples: [{ fn: 'a', value: 1999, pod: 'p3' }] },
      // outside the range: (end, ...]
      { at: base + 181_000, labels: { region: 'us' }, samples: [{ fn: 'a', value: 5000, pod: 'p3' }] },
    ]);
  });
  after(async () => be?.stop());

  test('SelectSeries INDIVIDUAL: each point has its highest-value profile, with the labels the series lacks', async () => {
    for (const aggregation of [0, 1]) {
      const res = await call(
        be,
        'SelectSeries',
        encodeSeries({
          selector: '{service_name="exm"}',
          start: base,
          end: base + 3 * STEP,
          groupBy: ['region'],
          aggregation,
          exemplarType: EXEMPLAR.INDIVIDUAL,
        })
      );
      assert.equal(res.status, 200, res.body.toString());
      const series = decodeSeries(res.body);
      assert.deepEqual(
        series.map((s) => [s.labels, s.points.map((p) => [p.ts - base, p.value])]),
        [
          [
            'region=eu',
            [
              [STEP, aggregation === 0 ? 400 : 200],
              [2 * STEP, 50],
            ],
          ],
          ['region=us', [[STEP, 7]]],
        ],
        `aggregation ${aggregation}`
      );
      const best = series[0].points[0].exemplars;
      assert.equal(best.length, 1, 'one exemplar per point');
      assert.deepEqual([best[0].ts - base, best[0].value, best[0].spanId, best[0].traceId], [20_000, 300, '', '']);
      assert.equal(best[0].labels.pod, 'b');
      assert.equal(best[0].labels.service_name, 'exm');
      assert.equal(best[0].labels.region, undefined, 'the series’ own label is not repeated');
      assert.deepEqual(
        [series[0].points[1].exemplars[0].value, series[1].points[0].exemplars[0].labels.pod],
        [50, 'c']
      );
    }
    // without exemplar_type (and with NONE) the points carry none
    for (const exemplarType of [undefined, EXEMPLAR.NONE]) {
      const res = await call(
        be,
        'SelectSeries',
        encodeSeries({ selector: '{service_name="exm"}', start: base, end: base + 3 * STEP, exemplarType })
      );
      assert.ok(decodeSeries(res.body).every((s) => s.points.every((p) => p.exemplars.length === 0)));
    }
  });

  test('an exemplar’s profile, selected by its id on SelectMergeProfile (7) and SelectMergeStacktraces (8), has the exemplar’s value', async () => {
    const seen: Exemplar[] = [];
    const series = await call(
      be,
      'SelectSeries',
      encodeSeries({
        selector: '{service_name="exm"}',
        start: base,
        end: base + 3 * STEP,
        groupBy: ['region'],
        exemplarType: EXEMPLAR.INDIVIDUAL,
      })
    );
    decodeSeries(series.body).forEach((x) => x.points.forEach((p) => seen.push(...p.exemplars)));
    const heat = await call(
      be,
      'SelectHeatmap',
      encodeHeatmap({
        selector: '{service_name="heat"}',
        start: base,
        end: base + 3 * STEP,
        queryType: HEATMAP.INDIVIDUAL,
        exemplarType: EXEMPLAR.INDIVIDUAL,
      })
    );
    decodeHeatmap(heat.body).forEach((x) => x.slots.forEach((slot) => seen.push(...slot.exemplars)));
    // exm: 300, 50, 7; heat: one per non-empty cell
    assert.deepEqual(
      seen.map((e) => e.value),
      [300, 50, 7, 100, 160, 1050, 120, 2100, 1999]
    );
    assert.equal(new Set(seen.map((e) => e.profileId)).size, seen.length, 'each exemplar its own profile');
    for (const e of seen) {
      assert.match(e.profileId, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'a UUID');
      const service = e.labels.service_name;
      // the whole range of the data pushed: the id alone selects the profile
      const sel = { selector: `{service_name="${service}"}`, start: base - 10 * STEP, end: base + 10 * STEP };
      const viaProfile = await call(
        be,
        'SelectMergeProfile',
        new PbWriter()
          .string(1, CPU)
          .string(2, sel.selector)
          .int64(3, sel.start)
          .int64(4, sel.end)
          .string(7, e.profileId)
          .finish()
      );
      assert.equal(viaProfile.status, 200, viaProfile.body.toString());
      assert.equal(pprofTotal(viaProfile.body), e.value, `SelectMergeProfile ${e.profileId}`);
      // SelectMergeStacktraces format PPROF (4): PprofProfile in field 5, its profile in field 1
      const viaStacks = await call(
        be,
        'SelectMergeStacktraces',
        new PbWriter()
          .string(1, CPU)
          .string(2, sel.selector)
          .int64(3, sel.start)
          .int64(4, sel.end)
          .int64(6, 4)
          .string(8, e.profileId)
          .finish()
      );
      assert.equal(viaStacks.status, 200, viaStacks.body.toString());
      const wrapped = readFields(viaStacks.body).find((x) => x.f === 5)!.v as Buffer;
      const pprof = readFields(wrapped).find((x) => x.f === 1)!.v as Buffer;
      assert.equal(pprofTotal(pprof), e.value, `SelectMergeStacktraces ${e.profileId}`);
    }
  });

  test('SelectSeries SPAN: each point has its highest-value span (samples of one span in a profile summed)', async () => {
    const res = await call(
      be,
      'SelectSeries',
      encodeSeries({
        selector: '{service_name="exspan"}',
        start: base,
        end: base + 3 * STEP,
        exemplarType: EXEMPLAR.SPAN,
      })
    );
    assert.equal(res.status, 200, res.body.toString());
    const [s] = decodeSeries(res.body);
    assert.deepEqual(
      s.points.map((p) => [p.ts - base, p.value, p.exemplars.map((e) => [e.spanId, e.value, e.ts - base])]),
      [
        [STEP, 460, [['bbbbbbbbbbbbbbbb', 30, 10_000]]],
        // a point whose profiles have no span has no span exemplar
        [2 * STEP, 9, []],
      ]
    );
  });

  test('SelectHeatmap INDIVIDUAL: 20 value buckets over every series, slots (t - step, t], one exemplar per cell', async () => {
    const res = await call(
      be,
      'SelectHeatmap',
      encodeHeatmap({
        selector: '{service_name="heat"}',
        start: base,
        end: base + 3 * STEP,
        groupBy: ['region'],
        queryType: HEATMAP.INDIVIDUAL,
        exemplarType: EXEMPLAR.INDIVIDUAL,
      })
    );
    assert.equal(res.status, 200, res.body.toString());
    const heat = decodeHeatmap(res.body);
    const yMin = Array.from({ length: 20 }, (_, i) => 100 + 100 * i);
    const cells = (counts: Record<number, number>) => Array.from({ length: 20 }, (_, i) => counts[i] ?? 0);
    assert.deepEqual(
      heat.map((s) => [s.labels, s.slots.map((x) => [x.ts - base, x.counts])]),
      [
        [
          'region=eu',
          [
            // base - 30 s lies in (base - step, base]
            [0, cells({ 0: 1 })],
            // 150 and 160 in [100, 200); 1050 in [1000, 1100); base + 60 s is the slot's right edge
            [STEP, cells({ 0: 2, 9: 1 })],
            // the maximum falls in the last bucket
            [2 * STEP, cells({ 19: 1 })],
          ],
        ],
        [
          'region=us',
          [
            [2 * STEP, cells({ 0: 1 })],
            [3 * STEP, cells({ 18: 1 })],
          ],
        ],
      ]
    );
    for (const s of heat) {
      for (const slot of s.slots) {
        assert.deepEqual(slot.yMin, yMin, 'the same buckets in every slot of every series');
      }
    }
    const cell = heat[0].slots[1].exemplars;
    assert.deepEqual(
      cell.map((e) => [e.value, e.ts - base, e.labels.pod, e.labels.region]),
      [
        [160, 40_000, 'p2', undefined],
        [1050, 60_000, 'p1', undefined],
      ],
      'the highest value of each non-empty bucket, in bucket order'
    );
    // NONE: the same cells without exemplars
    const none = decodeHeatmap(
      (
        await call(
          be,
          'SelectHeatmap',
          encodeHeatmap({
            selector: '{service_name="heat"}',
            start: base,
            end: base + 3 * STEP,
            groupBy: ['region'],
            queryType: HEATMAP.INDIVIDUAL,
            exemplarType: EXEMPLAR.NONE,
          })
        )
      ).body
    );
    assert.deepEqual(
      none.map((s) => s.slots.map((x) => x.counts)),
      heat.map((s) => s.slots.map((x) => x.counts))
    );
    assert.ok(none.every((s) => s.slots.every((x) => x.exemplars.length === 0)));
  });

  test('SelectHeatmap limit keeps the series with the most points, largest first', async () => {
    const res = await call(
      be,
      'SelectHeatmap',
      encodeHeatmap({
        selector: '{service_name="heat"}',
        start: base,
        end: base + 3 * STEP,
        groupBy: ['pod'],
        queryType: HEATMAP.INDIVIDUAL,
        limit: 2,
      })
    );
    assert.equal(res.status, 200, res.body.toString());
    const heat = decodeHeatmap(res.body);
    // p1: 4 profiles in range, p3: 2, p2: 1
    assert.deepEqual(
      heat.map((s) => [s.labels, s.slots.reduce((a, x) => a + x.counts.reduce((b, c) => b + c, 0), 0)]),
      [
        ['pod=p1', 4],
        ['pod=p3', 2],
      ]
    );
  });

  test('SelectHeatmap SPAN: a point per span of each profile; samples without a span make none', async () => {
    const res = await call(
      be,
      'SelectHeatmap',
      encodeHeatmap({
        selector: '{service_name="exspan"}',
        start: base,
        end: base + 3 * STEP,
        queryType: HEATMAP.SPAN,
        exemplarType: EXEMPLAR.SPAN,
      })
    );
    assert.equal(res.status, 200, res.body.toString());
    const [s, ...rest] = decodeHeatmap(res.body);
    assert.equal(rest.length, 0);
    // points 10 (span a), 30 (span b), 20 (span c): buckets of 1 from 10 to 30, the last holding the maximum
    const yMin = Array.from({ length: 20 }, (_, i) => 10 + i);
    assert.deepEqual(s.slots[0].yMin, yMin);
    assert.deepEqual(
      s.slots.map((x) => [x.ts - base, x.counts.flatMap((c, i) => (c > 0 ? [[i, c]] : []))]),
      [
        [
          STEP,
          [
            [0, 1],
            [10, 1],
            [19, 1],
          ],
        ],
      ]
    );
    assert.deepEqual(
      s.slots[0].exemplars.map((e) => [e.spanId, e.value]),
      [
        ['aaaaaaaaaaaaaaaa', 10],
        ['cccccccccccccccc', 20],
        ['bbbbbbbbbbbbbbbb', 30],
      ]
    );
  });

  test('what Pyroscope refuses in SelectHeatmap is invalid_argument', async () => {
    const ok: HeatReq = { selector: '{}', start: base, end: base + STEP, queryType: HEATMAP.INDIVIDUAL };
    const bad: Array<[string, HeatReq, RegExp]> = [
      ['no query type', { ...ok, queryType: undefined }, /query type/],
      ['a step under 1 ms', { ...ok, step: 0.0001 }, /step/],
      ['start not before end', { ...ok, end: base }, /start time must be before end time/],
      ['span exemplars on individual points', { ...ok, exemplarType: EXEMPLAR.SPAN }, /span exemplars only/],
      ['an unknown exemplar type', { ...ok, exemplarType: 9 }, /unknown exemplar type/],
    ];
    for (const [what, req, msg] of bad) {
      const res = await call(be, 'SelectHeatmap', encodeHeatmap(req));
      assert.equal(res.status, 400, what);
      const err = JSON.parse(res.body.toString()) as { code: string; message: string };
      assert.equal(err.code, 'invalid_argument', what);
      assert.match(err.message, msg, what);
    }
  });
});
