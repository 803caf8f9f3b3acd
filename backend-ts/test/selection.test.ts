// Selecting samples and profiles by id (issue 16), over the wire: SelectMergeStacktraces with
// PROFILE_FORMAT_PPROF (its span-filtered pprof included), trace_id_selector on SelectMergeProfile (field 8) and
// SelectMergeStacktraces (field 10), profile_id_selector (7 and 8), and the ids a client gets wrong. Requests are
// written and answers read by hand from the field numbers of Pyroscope's querier.proto (2026-08), and pprof
// answers decoded with pprof-format, so nothing here goes through our generated code.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Profile } from 'pprof-format';
import { startInProcess, type Running } from './helpers.js';
import { connectProto, CPU, encodePush, handPprof, PbReader, PbWriter, push } from './wire.js';

const SPAN_A = '1111111111111111';
const SPAN_B = '2222222222222222';
const TRACE_A = '0af7651916cd43dd8448eb211c80319c';
const TRACE_B = 'b7ad6b7169203331f0e8e6b9a8d5d1a4';

interface Req {
  start: number;
  end: number;
  selector: string;
  maxNodes?: number;
  format?: number;
  profileIds?: string[];
  traces?: string[];
  spans?: string[];
}

/**
 * SelectMergeStacktracesRequest{profile_typeID=1, label_selector=2, start=3, end=4, max_nodes=5, format=6,
 * profile_id_selector=8, trace_id_selector=10, span_selector=11}.
 */
function mergeStacktraces(r: Req): Buffer {
  const w = new PbWriter().string(1, CPU).string(2, r.selector).int64(3, r.start).int64(4, r.end);
  if (r.maxNodes !== undefined) {
    w.int64(5, r.maxNodes);
  }
  if (r.format) {
    w.int64(6, r.format);
  }
  for (const id of r.profileIds ?? []) {
    w.string(8, id);
  }
  for (const id of r.traces ?? []) {
    w.string(10, id);
  }
  for (const id of r.spans ?? []) {
    w.string(11, id);
  }
  return w.finish();
}

/** SelectMergeProfileRequest{profile_typeID=1, label_selector=2, start=3, end=4, profile_id_selector=7, trace_id_selector=8}. */
function mergeProfile(r: Req): Buffer {
  const w = new PbWriter().string(1, CPU).string(2, r.selector).int64(3, r.start).int64(4, r.end);
  for (const id of r.profileIds ?? []) {
    w.string(7, id);
  }
  for (const id of r.traces ?? []) {
    w.string(8, id);
  }
  return w.finish();
}

/** Leaf function name -> summed value of a pprof's first sample type. */
function leaves(p: Profile): Map<string, number> {
  const str = (i: number | bigint) => String(p.stringTable.strings[Number(i)]);
  const fnName = new Map(p.function.map((f) => [Number(f.id), str(f.name)]));
  const locFn = new Map(p.location.map((l) => [Number(l.id), fnName.get(Number(l.line[0].functionId))!]));
  const out = new Map<string, number>();
  for (const s of p.sample) {
    const leaf = locFn.get(Number(s.locationId[0]))!;
    out.set(leaf, (out.get(leaf) ?? 0) + Number(s.value[0]));
  }
  return out;
}

/** SelectMergeStacktracesResponse{..., pprof=5: PprofProfile{profile=1: google.v1.Profile}}: the pprof bytes. */
function pprofOfResponse(body: Buffer): Buffer {
  const fields = new PbReader(body).fields();
  assert.deepEqual(
    fields.map((f) => f.f),
    [5],
    'only field 5 (pprof) in the answer'
  );
  const inner = new PbReader(fields[0].v as Buffer).fields();
  assert.deepEqual(
    inner.map((f) => f.f),
    [1],
    'PprofProfile holds the profile in field 1'
  );
  return inner[0].v as Buffer;
}

async function call(be: Running, method: string, body: Buffer, headers: Record<string, string> = {}) {
  return connectProto(be.url, `querier.v1.QuerierService/${method}`, body, headers);
}

/** SelectMergeStacktracesResponse{flamegraph=1: FlameGraph{total=3}}: the flame graph's total. */
function flameGraphTotal(body: Buffer): number {
  const fg = new PbReader(body).fields().find((f) => f.f === 1);
  return fg ? Number(new PbReader(fg.v as Buffer).fields().find((f) => f.f === 3)?.v ?? 0) : 0;
}

function errorCode(body: Buffer): string {
  return (JSON.parse(body.toString()) as { code: string }).code;
}

describe('selection by id', () => {
  let be: Running;
  let range: { start: number; end: number };
  const selector = '{service_name="sel"}';

  before(async () => {
    be = await startInProcess();
    // one profile, four samples: span A / trace A, span B / trace B, trace A without a span, and neither
    const raw = handPprof({
      sampleTypes: [['cpu', 'nanoseconds']],
      periodType: ['cpu', 'nanoseconds'],
      period: 10_000_000,
      samples: [
        { stack: ['fa', 'main'], values: [10], labels: { span_id: SPAN_A, trace_id: TRACE_A } },
        { stack: ['fb', 'main'], values: [20], labels: { span_id: SPAN_B, trace_id: TRACE_B } },
        { stack: ['fc', 'main'], values: [40], labels: { trace_id: TRACE_A.toUpperCase() } },
        { stack: ['fd', 'main'], values: [80] },
      ],
      gzip: true,
    });
    const r = await push(
      be.url,
      encodePush([{ labels: { __name__: 'process_cpu', service_name: 'sel' }, samples: [{ raw }] }])
    );
    assert.equal(r.status, 200, await r.text());
    const now = Date.now();
    range = { start: now - 600_000, end: now + 60_000 };
  });
  after(async () => be?.stop());

  test('SelectMergeStacktraces with PROFILE_FORMAT_PPROF answers the pprof in field 5, as SelectMergeProfile does', async () => {
    const res = await call(be, 'SelectMergeStacktraces', mergeStacktraces({ ...range, selector, format: 4 }));
    assert.equal(res.status, 200, res.body.toString());
    const viaStacktraces = Profile.decode(pprofOfResponse(res.body));
    const direct = await call(be, 'SelectMergeProfile', mergeProfile({ ...range, selector }));
    assert.equal(direct.status, 200, direct.body.toString());
    const viaProfile = Profile.decode(direct.body);
    const want = new Map([
      ['fa', 10],
      ['fb', 20],
      ['fc', 40],
      ['fd', 80],
    ]);
    assert.deepEqual(leaves(viaStacktraces), want);
    assert.deepEqual(leaves(viaProfile), want);
  });

  test('a span-filtered pprof: span_selector with PROFILE_FORMAT_PPROF keeps only those spans’ samples', async () => {
    const one = await call(
      be,
      'SelectMergeStacktraces',
      mergeStacktraces({ ...range, selector, format: 4, spans: [SPAN_B] })
    );
    assert.equal(one.status, 200, one.body.toString());
    assert.deepEqual(leaves(Profile.decode(pprofOfResponse(one.body))), new Map([['fb', 20]]));
    const both = await call(
      be,
      'SelectMergeStacktraces',
      mergeStacktraces({ ...range, selector, format: 4, spans: [SPAN_A, SPAN_B] })
    );
    assert.deepEqual(
      leaves(Profile.decode(pprofOfResponse(both.body))),
      new Map([
        ['fa', 10],
        ['fb', 20],
      ])
    );
  });

  test('trace_id_selector keeps only the samples of those traces: SelectMergeProfile field 8, SelectMergeStacktraces field 10', async () => {
    const cases: Array<[string[], Map<string, number>]> = [
      // the trace id as the sample label had it in upper case is the same trace
      [
        [TRACE_A],
        new Map([
          ['fa', 10],
          ['fc', 40],
        ]),
      ],
      [[TRACE_B], new Map([['fb', 20]])],
      [
        [TRACE_A, TRACE_B],
        new Map([
          ['fa', 10],
          ['fb', 20],
          ['fc', 40],
        ]),
      ],
      [['ffffffffffffffffffffffffffffffff'], new Map()],
    ];
    for (const [traces, want] of cases) {
      const viaProfile = await call(be, 'SelectMergeProfile', mergeProfile({ ...range, selector, traces }));
      assert.equal(viaProfile.status, 200, viaProfile.body.toString());
      assert.deepEqual(leaves(Profile.decode(viaProfile.body)), want, `SelectMergeProfile ${traces.join(',')}`);
      const viaStacks = await call(
        be,
        'SelectMergeStacktraces',
        mergeStacktraces({ ...range, selector, format: 4, traces })
      );
      assert.equal(viaStacks.status, 200, viaStacks.body.toString());
      assert.deepEqual(
        leaves(Profile.decode(pprofOfResponse(viaStacks.body))),
        want,
        `SelectMergeStacktraces ${traces.join(',')}`
      );
    }
    // the flame graph answer (format 0) is filtered the same way: its total is the selected samples' sum
    const fg = await call(be, 'SelectMergeStacktraces', mergeStacktraces({ ...range, selector, traces: [TRACE_A] }));
    assert.equal(fg.status, 200, fg.body.toString());
    assert.equal(flameGraphTotal(fg.body), 50);
    // a SPAN exemplar names its span's trace: SelectSeries{..., step=6, exemplar_type=10 (SPAN=3)}
    const series = await call(
      be,
      'SelectSeries',
      new PbWriter()
        .string(1, CPU)
        .string(2, selector)
        .int64(3, range.start)
        .int64(4, range.end)
        .double(6, 3600)
        .int64(10, 3)
        .finish()
    );
    assert.equal(series.status, 200, series.body.toString());
    // Series{points=2: Point{exemplars=4: Exemplar{span_id=3, value=4, trace_id=6}}}
    const exemplars = new PbReader(series.body)
      .fields()
      .filter((f) => f.f === 1)
      .flatMap((x) => new PbReader(x.v as Buffer).fields().filter((f) => f.f === 2))
      .flatMap((p) => new PbReader(p.v as Buffer).fields().filter((f) => f.f === 4))
      .map((e) => new PbReader(e.v as Buffer).fields());
    assert.deepEqual(
      exemplars.map((e) => [
        (e.find((f) => f.f === 3)?.v as Buffer).toString(),
        Number(e.find((f) => f.f === 4)?.v),
        (e.find((f) => f.f === 6)?.v as Buffer).toString(),
      ]),
      [[SPAN_B, 20, TRACE_B]]
    );
  });

  test('profile_id_selector keeps whole profiles by their server-assigned UUID: SelectMergeProfile 7, SelectMergeStacktraces 8', async () => {
    // two ingested profiles (two RawSamples), told apart by a label; their ids come from SelectSeries exemplars
    const body = encodePush(
      ['one', 'two'].map((which, i) => ({
        labels: { __name__: 'process_cpu', service_name: 'byid', which },
        samples: [
          {
            raw: handPprof({
              sampleTypes: [['cpu', 'nanoseconds']],
              periodType: ['cpu', 'nanoseconds'],
              period: 10_000_000,
              samples: [
                { stack: [`only_${which}`, 'main'], values: [100 * (i + 1)] },
                { stack: ['shared', 'main'], values: [1] },
              ],
              gzip: true,
            }),
          },
        ],
      }))
    );
    const r = await push(be.url, body);
    assert.equal(r.status, 200, await r.text());
    const byId = '{service_name="byid"}';
    const ids = new Map<string, string>();
    // SelectSeriesRequest{profile_typeID=1, label_selector=2, start=3, end=4, group_by=5, step=6, exemplar_type=10 (INDIVIDUAL=2)}
    const series = await call(
      be,
      'SelectSeries',
      new PbWriter()
        .string(1, CPU)
        .string(2, byId)
        .int64(3, range.start)
        .int64(4, range.end)
        .string(5, 'which')
        .double(6, 3600)
        .int64(10, 2)
        .finish()
    );
    assert.equal(series.status, 200, series.body.toString());
    // Series{labels=1: LabelPair{name=1, value=2}, points=2: Point{exemplars=4: Exemplar{profile_id=2}}}
    for (const s of new PbReader(series.body).fields().filter((f) => f.f === 1)) {
      const fields = new PbReader(s.v as Buffer).fields();
      const label = new PbReader(fields.find((f) => f.f === 1)!.v as Buffer).fields();
      const which = (label.find((f) => f.f === 2)!.v as Buffer).toString();
      const point = new PbReader(fields.find((f) => f.f === 2)!.v as Buffer).fields();
      const exemplar = new PbReader(point.find((f) => f.f === 4)!.v as Buffer).fields();
      ids.set(which, (exemplar.find((f) => f.f === 2)!.v as Buffer).toString());
    }
    assert.deepEqual([...ids.keys()].sort(), ['one', 'two']);
    const cases: Array<[string[], Map<string, number>]> = [
      [
        [ids.get('one')!],
        new Map([
          ['only_one', 100],
          ['shared', 1],
        ]),
      ],
      // upper case is the same UUID
      [
        [ids.get('two')!.toUpperCase()],
        new Map([
          ['only_two', 200],
          ['shared', 1],
        ]),
      ],
      [
        [ids.get('one')!, ids.get('two')!],
        new Map([
          ['only_one', 100],
          ['only_two', 200],
          ['shared', 2],
        ]),
      ],
      // a UUID no profile has selects nothing
      [['7c9e6679-7425-40de-944b-e07fc1f90ae7'], new Map()],
    ];
    for (const [profileIds, want] of cases) {
      const viaProfile = await call(be, 'SelectMergeProfile', mergeProfile({ ...range, selector: byId, profileIds }));
      assert.equal(viaProfile.status, 200, viaProfile.body.toString());
      assert.deepEqual(leaves(Profile.decode(viaProfile.body)), want, `SelectMergeProfile ${profileIds.join(',')}`);
      const viaStacks = await call(
        be,
        'SelectMergeStacktraces',
        mergeStacktraces({ ...range, selector: byId, format: 4, profileIds })
      );
      assert.equal(viaStacks.status, 200, viaStacks.body.toString());
      assert.deepEqual(
        leaves(Profile.decode(pprofOfResponse(viaStacks.body))),
        want,
        `SelectMergeStacktraces ${profileIds.join(',')}`
      );
    }
  });

  test('ids a client got wrong are invalid_argument: a non-UUID profile id, a trace id that is not 32 hex digits, spans with traces', async () => {
    const cases: Array<[string, Buffer, RegExp]> = [
      ['SelectMergeStacktraces', mergeStacktraces({ ...range, selector, profileIds: ['not-a-uuid'] }), /profile id/],
      [
        'SelectMergeProfile',
        mergeProfile({ ...range, selector, profileIds: ['7c9e6679-7425-40de-944b-e07fc1f90ae'] }),
        /profile id/,
      ],
      // a span id where a trace id belongs, as our plugin wrote field 8 before
      ['SelectMergeProfile', mergeProfile({ ...range, selector, traces: [SPAN_A] }), /trace id/],
      ['SelectMergeStacktraces', mergeStacktraces({ ...range, selector, traces: [`${TRACE_A}0`] }), /trace id/],
      [
        'SelectMergeStacktraces',
        mergeStacktraces({ ...range, selector, traces: [TRACE_A], spans: [SPAN_A] }),
        /cannot be combined/,
      ],
    ];
    for (const [method, body, msg] of cases) {
      const res = await call(be, method, body);
      assert.equal(res.status, 400, `${method}: ${res.body.toString()}`);
      assert.equal(errorCode(res.body), 'invalid_argument');
      assert.match((JSON.parse(res.body.toString()) as { message: string }).message, msg);
    }
  });
});
