import type { ByteReader } from './byte-reader.js';
import { CHUNK_HEADER_SIZE, type ChunkHeader } from './chunk-header.js';
import type { ChunkPools } from './constant-pools.js';
import type { JfrMetadata } from './metadata.js';
import { bindPlan, readBound, SlotValues, type BoundPlan, type FieldWant, type TypePlans } from './value-plan.js';

// The event kinds profiles are made of (async-profiler and JDK event types).
export const EV_EXECUTION_SAMPLE = 1;
export const EV_WALL_CLOCK_SAMPLE = 2;
export const EV_ALLOC_IN_NEW_TLAB = 3;
export const EV_ALLOC_OUTSIDE_TLAB = 4;
export const EV_ALLOC_SAMPLE = 5;
export const EV_MONITOR_ENTER = 6;
export const EV_THREAD_PARK = 7;
export const EV_LIVE_OBJECT = 8;
export const EV_MALLOC = 9;
export const EV_ACTIVE_SETTING = 10;

// Slots of the decoded event values (SlotValues), the same for every kind.
export const S_STACK = 0;
export const S_STATE = 1;
export const S_CONTEXT = 2;
export const S_SPAN_ID = 3;
export const S_SPAN_NAME = 4;
/** The event's measure: samples, TLAB size, allocation size, weight, duration or malloc size. */
export const S_VALUE = 5;
export const S_NAME = 6;
export const S_TEXT = 7;
const N_SLOTS = 8;

const NONE: FieldWant = { name: '\0', kind: 'long' };
const STACK: FieldWant = { name: 'stackTrace', kind: 'cp', poolType: 'jdk.types.StackTrace' };
const CONTEXT: FieldWant = { name: 'contextId', kind: 'long' };
const SPAN_ID: FieldWant = { name: 'spanId', kind: 'long' };
const SPAN_NAME: FieldWant = { name: 'spanName', kind: 'long' };

function wants(value: FieldWant, correlated: boolean, state = false): FieldWant[] {
  return [
    STACK,
    state ? { name: 'state', kind: 'cp', poolType: 'jdk.types.ThreadState' } : NONE,
    correlated ? CONTEXT : NONE,
    correlated ? SPAN_ID : NONE,
    correlated ? SPAN_NAME : NONE,
    value,
    NONE,
    NONE,
  ];
}

interface EventSpec {
  kind: number;
  wants: FieldWant[];
}

const EVENT_SPECS: ReadonlyMap<string, EventSpec> = new Map([
  ['jdk.ExecutionSample', { kind: EV_EXECUTION_SAMPLE, wants: wants(NONE, true, true) }],
  [
    'profiler.WallClockSample',
    { kind: EV_WALL_CLOCK_SAMPLE, wants: wants({ name: 'samples', kind: 'int' }, true, true) },
  ],
  [
    'jdk.ObjectAllocationInNewTLAB',
    { kind: EV_ALLOC_IN_NEW_TLAB, wants: wants({ name: 'tlabSize', kind: 'long' }, true) },
  ],
  [
    'jdk.ObjectAllocationOutsideTLAB',
    { kind: EV_ALLOC_OUTSIDE_TLAB, wants: wants({ name: 'allocationSize', kind: 'long' }, true) },
  ],
  ['jdk.ObjectAllocationSample', { kind: EV_ALLOC_SAMPLE, wants: wants({ name: 'weight', kind: 'long' }, false) }],
  ['jdk.JavaMonitorEnter', { kind: EV_MONITOR_ENTER, wants: wants({ name: 'duration', kind: 'long' }, true) }],
  ['jdk.ThreadPark', { kind: EV_THREAD_PARK, wants: wants({ name: 'duration', kind: 'long' }, false) }],
  ['profiler.LiveObject', { kind: EV_LIVE_OBJECT, wants: wants(NONE, false) }],
  ['profiler.Malloc', { kind: EV_MALLOC, wants: wants({ name: 'size', kind: 'long' }, false) }],
  [
    'jdk.ActiveSetting',
    {
      kind: EV_ACTIVE_SETTING,
      wants: [NONE, NONE, NONE, NONE, NONE, NONE, { name: 'name', kind: 'string' }, { name: 'value', kind: 'string' }],
    },
  ],
]);

/** Receives each decoded event of interest; `v` is reused for the next event. */
export interface EventSink {
  onEvent(kind: number, v: SlotValues, pools: ChunkPools): void;
}

/**
 * Walks every event of the chunk in file order. Each event is read inside its own declared size, so a bad field
 * cannot spill into the next one; event types nobody needs are skipped by size. The metadata and checkpoint
 * events sit in the same stream with type ids 0 and 1; they are recognised by position rather than type id, so a
 * class declared with id 0 or 1 cannot be confused with them.
 */
export function readEvents(
  r: ByteReader,
  chunk: ChunkHeader,
  meta: JfrMetadata,
  plans: TypePlans,
  pools: ChunkPools,
  sink: EventSink
): void {
  const kindByType = new Map<number, number>();
  const planByType = new Map<number, BoundPlan>();
  for (const [name, spec] of EVENT_SPECS) {
    const cls = meta.byName.get(name);
    if (cls === undefined) {
      continue;
    }
    kindByType.set(cls.id, spec.kind);
    planByType.set(cls.id, bindPlan(plans.plan(cls.id, r), spec.wants));
  }
  const v = new SlotValues(N_SLOTS);
  const end = chunk.end;
  let pos = chunk.start + CHUNK_HEADER_SIZE;
  while (pos < end) {
    r.pos = pos;
    r.end = end;
    const size = r.varint();
    if (size === 0 || size > end - pos) {
      r.fail(`event size ${size} outside chunk`, pos);
    }
    r.end = pos + size;
    const type = r.varlong();
    const kind = kindByType.get(type);
    if (kind !== undefined && pos !== chunk.metadataOffset && !pools.checkpointOffsets.has(pos)) {
      v.reset();
      readBound(r, planByType.get(type)!, v, 0);
      sink.onEvent(kind, v, pools);
    }
    pos += size;
  }
}
