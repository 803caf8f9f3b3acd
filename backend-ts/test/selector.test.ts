// Label selectors as Pyroscope parses them (Prometheus syntax, including Prometheus 3's quoted label names).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { enableLinearRegex } from '../src/config/runtime.js';
import { matches, parseMatchers, parseSelector, SelectorError } from '../src/model/selector.js';

enableLinearRegex();

const plain = (s: string): Array<[string, string, string]> => parseMatchers(s).map((m) => [m.name, m.op, m.value]);

test('matchers, a profile-type head and every quoting form', () => {
  assert.deepEqual(plain(`{service_name="api", env!='prod', pod=~"api-.*", zone!~\`eu-\\d\`}`), [
    ['service_name', '=', 'api'],
    ['env', '!=', 'prod'],
    ['pod', '=~', 'api-.*'],
    ['zone', '!~', 'eu-\\d'],
  ]);
  assert.deepEqual(
    parseSelector('process_cpu:cpu:nanoseconds:cpu:nanoseconds{a="1"}').head,
    'process_cpu:cpu:nanoseconds:cpu:nanoseconds'
  );
  assert.deepEqual(plain('{a="q\\"uote\\\\", b="x\\ny"}'), [
    ['a', '=', 'q"uote\\'],
    ['b', '=', 'x\ny'],
  ]);
  assert.deepEqual(plain('{}'), []);
  assert.deepEqual(plain('  { a = "1" , }  '), [['a', '=', '1']]);
});

test('quoted label names (OpenTelemetry attribute names with dots and dashes)', () => {
  assert.deepEqual(plain('{"thread.name"="main", \'k8s-pod\'=~"a.*", service_name="x"}'), [
    ['thread.name', '=', 'main'],
    ['k8s-pod', '=~', 'a.*'],
    ['service_name', '=', 'x'],
  ]);
  // the unquoted dotted form keeps working and means the same label
  assert.deepEqual(plain('{thread.name="main"}'), [['thread.name', '=', 'main']]);
  const ms = parseMatchers('{"thread.name"="main"}');
  assert.equal(matches(ms, [['thread.name', 'main']]), true);
  assert.equal(matches(ms, [['thread.name', 'worker']]), false);
});

test('bad selectors are SelectorErrors that say what is wrong', () => {
  const cases: Array<[string, RegExp]> = [
    ['{a=1}', /must be quoted/],
    ['{a="1"', /missing closing/],
    ['{a="1}', /unterminated string/],
    ['{""="x"}', /empty label name/],
    ['{"a="x"}', /expected =, !=, =~ or !~/],
    ['{a<"x"}', /expected =, !=, =~ or !~/],
    ['{a="x" b="y"}', /expected "," or "}"/],
    ['{9a="x"}', /expected a label name/],
    ['{a=~"("}', /bad regular expression/],
    ['{a=~"(x)\\\\1"}', /linear time/],
  ];
  for (const [s, re] of cases) {
    assert.throws(
      () => parseMatchers(s),
      (e: unknown) => e instanceof SelectorError && re.test(e.message),
      s
    );
  }
});

test('a missing label matches as the empty string, as in Prometheus', () => {
  assert.equal(matches(parseMatchers('{a=""}'), [['b', '1']]), true);
  assert.equal(matches(parseMatchers('{a!=""}'), [['b', '1']]), false);
  assert.equal(matches(parseMatchers('{a=~".*"}'), []), true);
  assert.equal(matches(parseMatchers('{a=~".+"}'), []), false);
});
