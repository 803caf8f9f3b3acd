import { gzipSync } from 'node:zlib';
import {
  Function as PprofFunction,
  Label,
  Line,
  Location,
  Profile,
  Sample,
  StringTable,
  ValueType,
} from 'pprof-format';
import { ingestPprof } from '../../support/pprof.mjs';

// A known regression, generated: service `checkout`, where after a switch time the leaf convertCurrency
// doubles and the leaf sendToPostProcessor halves while the root total stays the same.
export const SERVICE = 'checkout';
export const CPU = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';
const PERIOD = 10_000_000;
const MS = 1_000_000;

/** leaf-last stacks with their CPU time (ns) per profile, before and after the switch */
export const STACKS: Array<{ stack: string[]; before: number; after: number }> = [
  { stack: ['main', 'handleCheckout', 'convertCurrency'], before: 100 * MS, after: 200 * MS },
  { stack: ['main', 'handleCheckout', 'sendToPostProcessor'], before: 200 * MS, after: 100 * MS },
  { stack: ['main', 'handleCheckout', 'prepareOrder'], before: 300 * MS, after: 300 * MS },
];

/** A gzipped Go-style CPU pprof of leaf-last stacks (ns each), samples optionally labelled with a span id. */
function cpuPprof(stacks: Array<{ stack: string[]; value: number; spanId?: string }>): Buffer {
  const strings = new StringTable();
  const fnIds = new Map<string, number>();
  const functions: PprofFunction[] = [];
  const locations: Location[] = [];
  const locationOf = (name: string) => {
    let id = fnIds.get(name);
    if (id === undefined) {
      id = functions.length + 1;
      fnIds.set(name, id);
      functions.push(new PprofFunction({ id, name: strings.dedup(name), filename: strings.dedup(`${name}.go`) }));
      locations.push(new Location({ id, line: [new Line({ functionId: id, line: 1 })] }));
    }
    return id;
  };
  const spanKey = strings.dedup('span_id');
  const p = new Profile({
    sampleType: [
      new ValueType({ type: strings.dedup('samples'), unit: strings.dedup('count') }),
      new ValueType({ type: strings.dedup('cpu'), unit: strings.dedup('nanoseconds') }),
    ],
    sample: stacks.map(
      (s) =>
        new Sample({
          locationId: [...s.stack].reverse().map(locationOf),
          value: [s.value / PERIOD, s.value],
          label: s.spanId ? [new Label({ key: spanKey, str: strings.dedup(s.spanId) })] : [],
        })
    ),
    location: locations,
    function: functions,
    stringTable: strings,
    periodType: new ValueType({ type: strings.dedup('cpu'), unit: strings.dedup('nanoseconds') }),
    period: PERIOD,
    durationNanos: 10_000 * MS,
  });
  return gzipSync(Buffer.from(p.encode()));
}

export function checkoutProfile(after: boolean): Buffer {
  return cpuPprof(STACKS.map(({ stack, before, after: a }) => ({ stack, value: after ? a : before })));
}

export interface Regression {
  /** unix ms */
  switchAt: number;
  baseline: { start: number; end: number };
  comparison: { start: number; end: number };
  /** profiles per side */
  profiles: number;
  /** root total of one side, ns */
  sideTotal: number;
}

/** Eight profiles a minute apart on each side of the switch, 40 to 13 minutes before `now`. */
export async function ingestRegression(backendUrl: string, now = Date.now()): Promise<Regression> {
  const min = 60_000;
  const profiles = 8;
  const firstBefore = now - 40 * min;
  const firstAfter = now - 20 * min;
  for (let k = 0; k < profiles; k++) {
    for (const [t, after] of [
      [firstBefore + k * min, false],
      [firstAfter + k * min, true],
    ] as const) {
      const from = Math.floor(t / 1000);
      await ingestPprof(backendUrl, checkoutProfile(after), SERVICE, { from, until: from + 10 });
    }
  }
  const perProfile = STACKS.reduce((s, x) => s + x.before, 0);
  return {
    switchAt: now - 30 * min,
    baseline: { start: firstBefore - min, end: firstBefore + profiles * min },
    comparison: { start: firstAfter - min, end: firstAfter + profiles * min },
    profiles,
    sideTotal: perProfile * profiles,
  };
}

// Span-labelled profiles (trace to profile): samples carry the span_id of the request that recorded them.
export const SPAN_SERVICE = 'checkout-spans';
export const SPANS: Array<{ spanId: string | undefined; stack: string[]; value: number }> = [
  { spanId: '1a2b3c4d5e6f7081', stack: ['main', 'handleCheckout', 'convertCurrency'], value: 300 * MS },
  { spanId: '9f8e7d6c5b4a3921', stack: ['main', 'handleCheckout', 'prepareOrder'], value: 500 * MS },
  { spanId: undefined, stack: ['main', 'backgroundFlush'], value: 200 * MS },
];

export function spanProfile(): Buffer {
  return cpuPprof(SPANS);
}

/** Three span-labelled profiles, a minute apart, ending 5 minutes before `now`; returns when they start (ms). */
export async function ingestSpanProfiles(backendUrl: string, now = Date.now()): Promise<number> {
  const first = now - 8 * 60_000;
  for (let k = 0; k < 3; k++) {
    const from = Math.floor((first + k * 60_000) / 1000);
    await ingestPprof(backendUrl, spanProfile(), SPAN_SERVICE, { from, until: from + 10 });
  }
  return first;
}

// The same two shapes at the same time, told apart by a label: a diff of region=eu against region=us.
export const REGION_SERVICE = 'checkout-regions';

/** One profile per region, 3 minutes before `now`: eu has the "before" shape, us the "after" one. */
export async function ingestRegions(backendUrl: string, now = Date.now()): Promise<number> {
  const at = now - 3 * 60_000;
  const from = Math.floor(at / 1000);
  await ingestPprof(backendUrl, checkoutProfile(false), `${REGION_SERVICE}{region=eu}`, { from, until: from + 10 });
  await ingestPprof(backendUrl, checkoutProfile(true), `${REGION_SERVICE}{region=us}`, { from, until: from + 10 });
  return at;
}
