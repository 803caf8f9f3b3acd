// settings.v1.RecordingRulesService (issue 16): what Pyroscope OSS serves with its metrics exporter off, kept per
// tenant in the object store. Requests written and answers read by hand from the field numbers of Pyroscope's
// api/settings/v1/recording_rules.proto; the Connect JSON call is the one the official app makes on every flame
// graph view.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { connectJson, startAzurite, startInProcess, type Azurite, type Running } from './helpers.js';
import { connectProto, PbReader, PbWriter } from './wire.js';

const SERVICE = 'settings.v1.RecordingRulesService';
const CPU_TYPE = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';

interface RuleIn {
  id?: string;
  metricName: string;
  matchers: string[];
  groupBy?: string[];
  externalLabels?: Array<[string, string]>;
  generation?: number;
  functionName?: string;
}

interface RuleOut {
  id: string;
  metricName: string;
  profileType: string;
  matchers: string[];
  groupBy: string[];
  externalLabels: Array<[string, string]>;
  generation: number;
  functionName?: string;
}

/**
 * UpsertRecordingRuleRequest{id=1, metric_name=2, matchers=3, group_by=4, external_labels=5 LabelPair{name=1,
 * value=2}, generation=6, stacktrace_filter=7 StacktraceFilter{function_name=1 {function_name=1, metric_type=2}}}.
 */
function encodeUpsert(r: RuleIn): Buffer {
  const w = new PbWriter();
  if (r.id) {
    w.string(1, r.id);
  }
  w.string(2, r.metricName);
  r.matchers.forEach((m) => w.string(3, m));
  (r.groupBy ?? []).forEach((g) => w.string(4, g));
  for (const [name, value] of r.externalLabels ?? []) {
    w.bytes(5, new PbWriter().string(1, name).string(2, value).finish());
  }
  if (r.generation) {
    w.int64(6, r.generation);
  }
  if (r.functionName) {
    w.bytes(7, new PbWriter().bytes(1, new PbWriter().string(1, r.functionName).finish()).finish());
  }
  return w.finish();
}

/**
 * RecordingRule{id=1, metric_name=2, profile_type=3, matchers=4, group_by=5, external_labels=6, generation=7,
 * stacktrace_filter=8, provisioned=9}.
 */
function decodeRule(buf: Buffer): RuleOut {
  const out: RuleOut = {
    id: '',
    metricName: '',
    profileType: '',
    matchers: [],
    groupBy: [],
    externalLabels: [],
    generation: 0,
  };
  for (const { f, v } of new PbReader(buf).fields()) {
    const s = () => (v as Buffer).toString('utf8');
    if (f === 1) {
      out.id = s();
    } else if (f === 2) {
      out.metricName = s();
    } else if (f === 3) {
      out.profileType = s();
    } else if (f === 4) {
      out.matchers.push(s());
    } else if (f === 5) {
      out.groupBy.push(s());
    } else if (f === 6) {
      const pair = new PbReader(v as Buffer).fields();
      out.externalLabels.push([
        (pair.find((x) => x.f === 1)?.v as Buffer).toString(),
        (pair.find((x) => x.f === 2)?.v as Buffer).toString(),
      ]);
    } else if (f === 7) {
      out.generation = Number(v);
    } else if (f === 8) {
      const fn = new PbReader(v as Buffer).fields().find((x) => x.f === 1);
      const name = fn && new PbReader(fn.v as Buffer).fields().find((x) => x.f === 1);
      out.functionName = name ? (name.v as Buffer).toString() : '';
    } else if (f === 9) {
      assert.equal(v, 0n, 'no rule is provisioned here');
    }
  }
  return out;
}

/** A response whose field 1 is a rule (Upsert and Get), or whose repeated field 1 is the rules (List). */
function rulesOf(body: Buffer): RuleOut[] {
  return new PbReader(body)
    .fields()
    .filter((x) => x.f === 1)
    .map((x) => decodeRule(x.v as Buffer));
}

interface Answer {
  status: number;
  code?: string;
  message?: string;
  rules: RuleOut[];
}

async function call(url: string, method: string, body: Buffer, tenant?: string): Promise<Answer> {
  const r = await connectProto(url, `${SERVICE}/${method}`, body, tenant ? { 'x-scope-orgid': tenant } : {});
  if (r.status !== 200) {
    const e = JSON.parse(r.body.toString()) as { code: string; message: string };
    return { status: r.status, code: e.code, message: e.message, rules: [] };
  }
  return { status: 200, rules: rulesOf(r.body) };
}

const upsert = (url: string, r: RuleIn, tenant?: string) => call(url, 'UpsertRecordingRule', encodeUpsert(r), tenant);
const list = async (url: string, tenant?: string) => {
  const a = await call(url, 'ListRecordingRules', Buffer.alloc(0), tenant);
  assert.equal(a.status, 200, a.message);
  return a.rules;
};
/** GetRecordingRuleRequest{id=1} and DeleteRecordingRuleRequest{id=1}. */
const byId = (url: string, method: string, id: string, tenant?: string) =>
  call(url, method, new PbWriter().string(1, id).finish(), tenant);

const valid = (n: number): RuleIn => ({
  metricName: `profiles_recorded_rule_${n}`,
  matchers: [`{__profile_type__="${CPU_TYPE}", service_name="svc${n}"}`],
});

async function created(url: string, r: RuleIn, tenant?: string): Promise<RuleOut> {
  const a = await upsert(url, r, tenant);
  assert.equal(a.status, 200, a.message);
  assert.equal(a.rules.length, 1);
  return a.rules[0];
}

describe('recording rules on the filesystem store', () => {
  let be: Running;
  before(async () => {
    be = await startInProcess();
  });
  after(async () => be?.stop());

  test('the official app’s call: ListRecordingRules in Connect JSON answers an empty list, not 404', async () => {
    const r = await connectJson<{ rules?: unknown[] }>(be.url, 'ListRecordingRules', {}, { service: SERVICE });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.deepEqual(r.json.rules ?? [], []);
  });

  test('a rule is created with a 10-letter id and generation 1, its profile type read from its matcher', async () => {
    const rule = await created(be.url, {
      ...valid(1),
      groupBy: ['region'],
      externalLabels: [['team', 'payments']],
      functionName: 'main.work',
    });
    assert.match(rule.id, /^[a-zA-Z]{10}$/);
    assert.deepEqual(rule, {
      id: rule.id,
      metricName: 'profiles_recorded_rule_1',
      profileType: CPU_TYPE,
      matchers: valid(1).matchers,
      groupBy: ['region'],
      externalLabels: [['team', 'payments']],
      generation: 1,
      functionName: 'main.work',
    });
    const got = await byId(be.url, 'GetRecordingRule', rule.id);
    assert.deepEqual(got.rules, [rule]);
    // a client-chosen id is kept
    const named = await created(be.url, { ...valid(2), id: 'myRule' });
    assert.equal(named.id, 'myRule');
    assert.deepEqual(
      (await list(be.url)).map((r) => r.id),
      [rule.id, 'myRule']
    );
    // in Connect JSON, int64 generation as a string and the names in lowerCamel
    const json = await connectJson<{ rule: Record<string, unknown> }>(
      be.url,
      'GetRecordingRule',
      { id: 'myRule' },
      { service: SERVICE }
    );
    assert.equal(json.json.rule.generation, '1');
    assert.equal(json.json.rule.profileType, CPU_TYPE);
    assert.equal(json.json.rule.metricName, 'profiles_recorded_rule_2');
    for (const id of [rule.id, 'myRule']) {
      assert.equal((await byId(be.url, 'DeleteRecordingRule', id)).status, 200);
    }
  });

  test('validation: what Pyroscope refuses is invalid_argument, and nothing is stored', async () => {
    const bad: Array<[string, RuleIn, RegExp]> = [
      ['no profile type', { metricName: 'profiles_recorded_x', matchers: ['{service_name="a"}'] }, /__profile_type__/],
      [
        'two profile types',
        {
          metricName: 'profiles_recorded_x',
          matchers: [`{__profile_type__="${CPU_TYPE}"}`, `{__profile_type__="${CPU_TYPE}"}`],
        },
        /exactly one "__profile_type__"/,
      ],
      [
        'a regex profile type',
        { metricName: 'profiles_recorded_x', matchers: ['{__profile_type__=~"process_cpu.*"}'] },
        /must have type "="/,
      ],
      ['a matcher that does not parse', { metricName: 'profiles_recorded_x', matchers: ['{a=}'] }, /is invalid/],
      ['no metric name', { metricName: '  ', matchers: valid(1).matchers }, /metric_name is required/],
      [
        'a metric name outside the prefix',
        { metricName: 'cpu_total', matchers: valid(1).matchers },
        /profiles_recorded_/,
      ],
      [
        'a metric name Prometheus refuses',
        { metricName: 'profiles_recorded_a-b', matchers: valid(1).matchers },
        /invalid metric name/,
      ],
      ['an id with digits', { ...valid(1), id: 'rule1' }, /id "rule1" must match/],
      ['a bad group_by label', { ...valid(1), groupBy: ['a.b'] }, /group_by label "a.b"/],
      ['a bad external label', { ...valid(1), externalLabels: [['1x', 'v']] }, /external_labels name "1x"/],
    ];
    for (const [what, rule, msg] of bad) {
      const a = await upsert(be.url, rule);
      assert.equal(a.status, 400, what);
      assert.equal(a.code, 'invalid_argument', what);
      assert.match(a.message ?? '', msg, what);
    }
    assert.deepEqual(await list(be.url), []);
    for (const method of ['GetRecordingRule', 'DeleteRecordingRule']) {
      const empty = await byId(be.url, method, ' ');
      assert.deepEqual([empty.status, empty.code], [400, 'invalid_argument'], method);
      const missing = await byId(be.url, method, 'nosuchrule');
      assert.deepEqual([missing.status, missing.code], [404, 'not_found'], method);
    }
  });

  test('an update with a stale generation is already_exists; the current one moves the generation on', async () => {
    const rule = await created(be.url, valid(3));
    const v2 = await created(be.url, { ...valid(3), id: rule.id, generation: 1, groupBy: ['pod'] });
    assert.deepEqual([v2.generation, v2.groupBy], [2, ['pod']]);
    const stale = await upsert(be.url, { ...valid(3), id: rule.id, generation: 1, groupBy: ['node'] });
    assert.deepEqual([stale.status, stale.code], [409, 'already_exists']);
    assert.match(stale.message ?? '', /conflicting update/);
    const kept = await byId(be.url, 'GetRecordingRule', rule.id);
    assert.deepEqual([kept.rules[0].generation, kept.rules[0].groupBy], [2, ['pod']]);
    assert.equal((await byId(be.url, 'DeleteRecordingRule', rule.id)).status, 200);
    const gone = await byId(be.url, 'DeleteRecordingRule', rule.id);
    assert.deepEqual([gone.status, gone.code], [404, 'not_found']);
  });

  test('at most 25 rules per tenant: the 26th is resource_exhausted, updates still pass, a freed slot is reusable', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) {
      ids.push((await created(be.url, valid(100 + i))).id);
    }
    const over = await upsert(be.url, valid(200));
    assert.deepEqual([over.status, over.code], [429, 'resource_exhausted']);
    assert.match(over.message ?? '', /limit \(25\)/);
    const updated = await created(be.url, { ...valid(100), id: ids[0], generation: 1, groupBy: ['x'] });
    assert.equal(updated.generation, 2);
    assert.equal((await list(be.url)).length, 25);
    assert.equal((await byId(be.url, 'DeleteRecordingRule', ids[1])).status, 200);
    await created(be.url, valid(200));
    // another tenant is counted apart (multitenancy is off here: every request is "anonymous", so the tenant
    // test below runs with it on)
    for (const r of await list(be.url)) {
      assert.equal((await byId(be.url, 'DeleteRecordingRule', r.id)).status, 200);
    }
  });
});

describe('recording rules per tenant', () => {
  let be: Running;
  before(async () => {
    be = await startInProcess(['-auth.multitenancy-enabled=true', '-recording-rules.max-rules-per-tenant=2']);
  });
  after(async () => be?.stop());

  test('each tenant sees and counts only its own rules', async () => {
    const a = await created(be.url, valid(1), 'tenant-a');
    await created(be.url, valid(2), 'tenant-a');
    const b = await created(be.url, valid(3), 'tenant-b');
    assert.deepEqual(
      (await list(be.url, 'tenant-b')).map((r) => r.id),
      [b.id]
    );
    assert.equal((await list(be.url, 'tenant-a')).length, 2);
    const notHers = await byId(be.url, 'GetRecordingRule', a.id, 'tenant-b');
    assert.equal(notHers.code, 'not_found');
    const full = await upsert(be.url, valid(4), 'tenant-a');
    assert.equal(full.code, 'resource_exhausted', 'the limit flag applies per tenant');
    await created(be.url, valid(5), 'tenant-b');
    const anonymous = await connectJson(be.url, 'ListRecordingRules', {}, { service: SERVICE });
    assert.equal(anonymous.status, 401, 'no tenant header with multitenancy on');
  });
});

describe('recording rules shared by processes on one store', () => {
  let az: Azurite;
  before(async () => {
    az = await startAzurite();
  });
  after(async () => az?.stop());

  const onAzure = () =>
    startInProcess(['-storage.backend=azure', `-storage.azure.connection-string=${az.connectionString}`]);

  test('racing upserts from two processes (Azurite): new rules are all kept; of two updates of one generation exactly one wins', async () => {
    const [p, q] = await Promise.all([onAzure(), onAzure()]);
    try {
      const made = await Promise.all(
        Array.from({ length: 8 }, (_, i) => upsert(i % 2 === 0 ? p.url : q.url, valid(10 + i)))
      );
      for (const a of made) {
        assert.equal(a.status, 200, a.message);
      }
      const ids = made.map((a) => a.rules[0].id).sort();
      assert.deepEqual((await list(p.url)).map((r) => r.id).sort(), ids);
      assert.deepEqual((await list(q.url)).map((r) => r.id).sort(), ids);
      const target = made[0].rules[0];
      const both = await Promise.all([
        upsert(p.url, { ...valid(10), id: target.id, generation: 1, groupBy: ['from_p'] }),
        upsert(q.url, { ...valid(10), id: target.id, generation: 1, groupBy: ['from_q'] }),
      ]);
      const winners = both.filter((a) => a.status === 200);
      assert.equal(winners.length, 1, JSON.stringify(both.map((a) => [a.status, a.code])));
      assert.equal(both.find((a) => a.status !== 200)?.code, 'already_exists');
      const stored = (await byId(q.url, 'GetRecordingRule', target.id)).rules[0];
      assert.deepEqual([stored.generation, stored.groupBy], [2, winners[0].rules[0].groupBy]);
    } finally {
      await Promise.all([p.stop(), q.stop()]);
    }
  });

  test('rules survive a restart (Azurite, then the filesystem store)', async () => {
    const first = await onAzure();
    const before = await list(first.url);
    const rule = await created(first.url, { ...valid(50), id: 'survivor' });
    await first.stop();
    const second = await onAzure();
    try {
      const after = await list(second.url);
      assert.equal(after.length, before.length + 1);
      assert.deepEqual(
        after.find((r) => r.id === 'survivor'),
        rule
      );
    } finally {
      await second.stop();
    }
    const dir = mkdtempSync(join(tmpdir(), 'bts-rules-'));
    const one = await startInProcess([], dir);
    const kept = await created(one.url, { ...valid(51), id: 'onDisk' });
    await one.stop();
    const two = await startInProcess([], dir);
    try {
      assert.deepEqual(await list(two.url), [kept]);
    } finally {
      await two.stop();
    }
  });
});
