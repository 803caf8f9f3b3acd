// Writes JFR recordings the way the JDK and async-profiler (inside the Pyroscope Java agent) lay them out: a
// 68-byte chunk header, the events, one checkpoint event with the constant pools (threads, symbols, classes,
// methods, frame types, stack traces, thread states) and the metadata event declaring every type. Integers are
// JFR's compressed varints; strings are inline UTF-8. One chunk per recording, as the agent uploads per period.

/** A Java frame as `package/Class.method` (JVM internal class name, as the JFR Symbol pool stores it). */
export type JavaFrame = string;

export interface ExecutionSamples {
  /** Root first. */
  stack: readonly JavaFrame[];
  /** Number of jdk.ExecutionSample events (each one sampling period of CPU). */
  count: number;
  /** Sampled thread (default: a worker thread). */
  thread?: string;
}

export interface Allocations {
  stack: readonly JavaFrame[];
  /** Allocated class, e.g. `java/lang/String` or `[B`. */
  objectClass: string;
  /** Number of allocation events. */
  count: number;
  /** Bytes per event: the new TLAB's size (in TLAB) or the object size (outside TLAB). */
  bytes: number;
  outsideTlab?: boolean;
  thread?: string;
}

export interface Recording {
  startNanos: number;
  durationNanos: number;
  executionSamples: readonly ExecutionSamples[];
  allocations: readonly Allocations[];
  /** async-profiler's `event` setting (cpu, itimer, wall): the reader uses it to tell CPU from wall samples. */
  event?: string;
}

const TICKS_PER_SECOND = 1_000_000_000;
const CHUNK_HEADER_SIZE = 68;

/** Bytes in JFR's encodings. */
class Out {
  private buf: Uint8Array<ArrayBuffer> = new Uint8Array(1024);
  len = 0;

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) {
      return;
    }
    let cap = this.buf.length * 2;
    while (cap < this.len + n) {
      cap *= 2;
    }
    const b = new Uint8Array(cap);
    b.set(this.buf.subarray(0, this.len));
    this.buf = b;
  }

  u8(v: number): this {
    this.ensure(1);
    this.buf[this.len++] = v & 0xff;
    return this;
  }

  /** Compressed integer: LEB128 of the unsigned value, at most 9 bytes (the 9th carries 8 bits). */
  varint(value: number): this {
    if (value < 0 || !Number.isSafeInteger(value)) {
      throw new Error(`JFR writer: ${value} is not a non-negative safe integer`);
    }
    let v = value;
    for (let i = 0; i < 8; i++) {
      if (v < 0x80) {
        return this.u8(v);
      }
      this.u8((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    return this.u8(v);
  }

  bool(b: boolean): this {
    return this.u8(b ? 1 : 0);
  }

  /** String value: encoding 3 (UTF-8, length-prefixed); 1 for the empty string, as the JDK writes it. */
  string(s: string): this {
    if (s === '') {
      return this.u8(1);
    }
    const b = Buffer.from(s, 'utf8');
    this.u8(3).varint(b.length);
    return this.raw(b);
  }

  raw(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }

  u16be(v: number): this {
    return this.u8(v >>> 8).u8(v);
  }

  u32be(v: number): this {
    return this.u8(v >>> 24)
      .u8(v >>> 16)
      .u8(v >>> 8)
      .u8(v);
  }

  i64be(v: number): this {
    const b = BigInt.asUintN(64, BigInt(v));
    for (let i = 7; i >= 0; i--) {
      this.u8(Number((b >> BigInt(i * 8)) & 0xffn));
    }
    return this;
  }

  bytes(): Uint8Array<ArrayBuffer> {
    return this.buf.slice(0, this.len);
  }
}

function varintLength(v: number): number {
  let n = 1;
  while (v >= 0x80 && n < 9) {
    v = Math.floor(v / 0x80);
    n++;
  }
  return n;
}

/** An event is prefixed by its total size, the size field included. */
function sizedEvent(body: Uint8Array): Uint8Array {
  let n = 1;
  while (varintLength(body.length + n) !== n) {
    n++;
  }
  return new Out()
    .varint(body.length + n)
    .raw(body)
    .bytes();
}

interface FieldDef {
  name: string;
  type: string;
  constantPool?: boolean;
  array?: boolean;
}

interface ClassDef {
  name: string;
  superType?: string;
  fields: FieldDef[];
}

const EVENT = 'jdk.jfr.Event';
const PRIMITIVES = ['boolean', 'char', 'float', 'double', 'byte', 'short', 'int', 'long', 'java.lang.String'];
const cp = true;

/** The types a profiling recording declares (the subset of the JDK's metadata that profiles are made of). */
const CLASSES: ClassDef[] = [
  ...PRIMITIVES.map((name) => ({ name, fields: [] })),
  {
    name: 'java.lang.Thread',
    fields: [
      { name: 'osName', type: 'java.lang.String' },
      { name: 'osThreadId', type: 'long' },
      { name: 'javaName', type: 'java.lang.String' },
      { name: 'javaThreadId', type: 'long' },
    ],
  },
  { name: 'jdk.types.Symbol', fields: [{ name: 'string', type: 'java.lang.String' }] },
  {
    name: 'java.lang.Class',
    fields: [
      { name: 'name', type: 'jdk.types.Symbol', constantPool: cp },
      { name: 'modifiers', type: 'int' },
      { name: 'hidden', type: 'boolean' },
    ],
  },
  {
    name: 'jdk.types.Method',
    fields: [
      { name: 'type', type: 'java.lang.Class', constantPool: cp },
      { name: 'name', type: 'jdk.types.Symbol', constantPool: cp },
      { name: 'descriptor', type: 'jdk.types.Symbol', constantPool: cp },
      { name: 'modifiers', type: 'int' },
      { name: 'hidden', type: 'boolean' },
    ],
  },
  { name: 'jdk.types.FrameType', fields: [{ name: 'description', type: 'java.lang.String' }] },
  {
    name: 'jdk.types.StackFrame',
    fields: [
      { name: 'method', type: 'jdk.types.Method', constantPool: cp },
      { name: 'lineNumber', type: 'int' },
      { name: 'bytecodeIndex', type: 'int' },
      { name: 'type', type: 'jdk.types.FrameType', constantPool: cp },
    ],
  },
  {
    name: 'jdk.types.StackTrace',
    fields: [
      { name: 'truncated', type: 'boolean' },
      { name: 'frames', type: 'jdk.types.StackFrame', array: true },
    ],
  },
  { name: 'jdk.types.ThreadState', fields: [{ name: 'name', type: 'java.lang.String' }] },
  {
    name: 'jdk.ExecutionSample',
    superType: EVENT,
    fields: [
      { name: 'startTime', type: 'long' },
      { name: 'sampledThread', type: 'java.lang.Thread', constantPool: cp },
      { name: 'stackTrace', type: 'jdk.types.StackTrace', constantPool: cp },
      { name: 'state', type: 'jdk.types.ThreadState', constantPool: cp },
      // The Pyroscope agent's async-profiler correlates samples with its labels snapshot through this id.
      { name: 'contextId', type: 'long' },
    ],
  },
  {
    name: 'jdk.ObjectAllocationInNewTLAB',
    superType: EVENT,
    fields: [
      { name: 'startTime', type: 'long' },
      { name: 'eventThread', type: 'java.lang.Thread', constantPool: cp },
      { name: 'stackTrace', type: 'jdk.types.StackTrace', constantPool: cp },
      { name: 'objectClass', type: 'java.lang.Class', constantPool: cp },
      { name: 'allocationSize', type: 'long' },
      { name: 'tlabSize', type: 'long' },
      { name: 'contextId', type: 'long' },
    ],
  },
  {
    name: 'jdk.ObjectAllocationOutsideTLAB',
    superType: EVENT,
    fields: [
      { name: 'startTime', type: 'long' },
      { name: 'eventThread', type: 'java.lang.Thread', constantPool: cp },
      { name: 'stackTrace', type: 'jdk.types.StackTrace', constantPool: cp },
      { name: 'objectClass', type: 'java.lang.Class', constantPool: cp },
      { name: 'allocationSize', type: 'long' },
      { name: 'contextId', type: 'long' },
    ],
  },
  {
    name: 'jdk.ActiveSetting',
    superType: EVENT,
    fields: [
      { name: 'startTime', type: 'long' },
      { name: 'duration', type: 'long' },
      { name: 'eventThread', type: 'java.lang.Thread', constantPool: cp },
      { name: 'id', type: 'long' },
      { name: 'name', type: 'java.lang.String' },
      { name: 'value', type: 'java.lang.String' },
    ],
  },
];

// Type ids as the JDK numbers them: small ids for the built-in types, events from 100 (0 and 1 are the
// metadata and checkpoint event types and are never class ids).
const TYPE_ID = new Map<string, number>();
CLASSES.forEach((c, i) => TYPE_ID.set(c.name, c.superType === EVENT ? 100 + i : 4 + i));
function typeId(name: string): number {
  const id = TYPE_ID.get(name);
  if (id === undefined) {
    throw new Error(`JFR writer: undeclared type ${name}`);
  }
  return id;
}

const FRAME_TYPE_JIT = 1;
const FRAME_TYPES = ['Interpreted', 'JIT compiled', 'Inlined', 'Native'];
const STATE_RUNNABLE = 1;
const THREAD_STATES: Array<[number, string]> = [
  [STATE_RUNNABLE, 'STATE_RUNNABLE'],
  [2, 'STATE_SLEEPING'],
];

/** Interns the constants events refer to; ids start at 1 (0 means "none" in JFR references). */
class Pools {
  readonly symbols = new Map<string, number>();
  readonly classes = new Map<string, number>();
  readonly methods = new Map<string, { id: number; cls: number; name: number; descriptor: number }>();
  readonly stacks = new Map<string, { id: number; methods: number[] }>();
  readonly threads = new Map<string, number>();

  symbol(s: string): number {
    let id = this.symbols.get(s);
    if (id === undefined) {
      id = this.symbols.size + 1;
      this.symbols.set(s, id);
    }
    return id;
  }

  cls(name: string): number {
    let id = this.classes.get(name);
    if (id === undefined) {
      this.symbol(name);
      id = this.classes.size + 1;
      this.classes.set(name, id);
    }
    return id;
  }

  method(frame: JavaFrame): number {
    let m = this.methods.get(frame);
    if (m === undefined) {
      const dot = frame.lastIndexOf('.');
      if (dot <= 0 || dot === frame.length - 1) {
        throw new Error(`JFR writer: frame "${frame}" is not package/Class.method`);
      }
      m = {
        id: this.methods.size + 1,
        cls: this.cls(frame.slice(0, dot)),
        name: this.symbol(frame.slice(dot + 1)),
        descriptor: this.symbol('()V'),
      };
      this.methods.set(frame, m);
    }
    return m.id;
  }

  stack(frames: readonly JavaFrame[]): number {
    const key = frames.join('\n');
    let s = this.stacks.get(key);
    if (s === undefined) {
      // JFR stack traces are leaf first.
      const methods = [...frames].reverse().map((f) => this.method(f));
      s = { id: this.stacks.size + 1, methods };
      this.stacks.set(key, s);
    }
    return s.id;
  }

  thread(name: string): number {
    let id = this.threads.get(name);
    if (id === undefined) {
      id = this.threads.size + 1;
      this.threads.set(name, id);
    }
    return id;
  }
}

/** A deterministic spread of event times over the recording, so equal inputs give equal bytes. */
function spread(i: number, n: number, durationTicks: number): number {
  return n <= 0 ? 0 : Math.floor(((i + 0.5) / n) * durationTicks);
}

/** Writes one single-chunk recording. */
export function writeJfr(rec: Recording): Uint8Array<ArrayBuffer> {
  const pools = new Pools();
  const startTicks = 1_000_000; // ticks are nanoseconds since an arbitrary origin, as on a 1 GHz clock
  const durationTicks = Math.round((rec.durationNanos / 1e9) * TICKS_PER_SECOND);
  const events: Array<{ at: number; bytes: Uint8Array }> = [];

  const setting = new Out()
    .varint(typeId('jdk.ActiveSetting'))
    .varint(startTicks)
    .varint(0)
    .varint(pools.thread('main'))
    .varint(1)
    .string('event')
    .string(rec.event ?? 'cpu');
  events.push({ at: -1, bytes: sizedEvent(setting.bytes()) });

  const total = rec.executionSamples.reduce((s, e) => s + e.count, 0);
  let k = 0;
  for (const e of rec.executionSamples) {
    const stack = pools.stack(e.stack);
    const thread = pools.thread(e.thread ?? 'grpc-default-executor-0');
    for (let i = 0; i < e.count; i++) {
      const at = spread(k++, total, durationTicks);
      const body = new Out()
        .varint(typeId('jdk.ExecutionSample'))
        .varint(startTicks + at)
        .varint(thread)
        .varint(stack)
        .varint(STATE_RUNNABLE)
        .varint(0);
      events.push({ at, bytes: sizedEvent(body.bytes()) });
    }
  }
  const totalAlloc = rec.allocations.reduce((s, a) => s + a.count, 0);
  k = 0;
  for (const a of rec.allocations) {
    const stack = pools.stack(a.stack);
    const thread = pools.thread(a.thread ?? 'grpc-default-executor-0');
    const cls = pools.cls(a.objectClass);
    for (let i = 0; i < a.count; i++) {
      const at = spread(k++, totalAlloc, durationTicks);
      const body = new Out()
        .varint(typeId(a.outsideTlab ? 'jdk.ObjectAllocationOutsideTLAB' : 'jdk.ObjectAllocationInNewTLAB'))
        .varint(startTicks + at)
        .varint(thread)
        .varint(stack)
        .varint(cls);
      if (a.outsideTlab) {
        body.varint(a.bytes);
      } else {
        // allocationSize is the object that opened the TLAB; the profile counts the TLAB (as the agent does).
        body.varint(Math.min(a.bytes, 64)).varint(a.bytes);
      }
      body.varint(0);
      events.push({ at, bytes: sizedEvent(body.bytes()) });
    }
  }
  events.sort((x, y) => x.at - y.at);

  const checkpoint = sizedEvent(checkpointBody(pools, startTicks + durationTicks));
  const metadata = sizedEvent(metadataBody(startTicks + durationTicks));

  let eventsLen = 0;
  for (const e of events) {
    eventsLen += e.bytes.length;
  }
  const cpOffset = CHUNK_HEADER_SIZE + eventsLen;
  const metaOffset = cpOffset + checkpoint.length;
  const size = metaOffset + metadata.length;

  const out = new Out()
    .raw(Buffer.from('FLR\0', 'latin1'))
    .u16be(2)
    .u16be(0)
    .i64be(size)
    .i64be(cpOffset)
    .i64be(metaOffset)
    .i64be(rec.startNanos)
    .i64be(rec.durationNanos)
    .i64be(startTicks)
    .i64be(TICKS_PER_SECOND)
    .u32be(1); // features: compressed integers
  for (const e of events) {
    out.raw(e.bytes);
  }
  out.raw(checkpoint).raw(metadata);
  return out.bytes();
}

function checkpointBody(pools: Pools, at: number): Uint8Array {
  const o = new Out().varint(1).varint(at).varint(0).varint(0); // type 1, start, duration, delta to previous: none
  o.u8(1); // checkpoint type: flush
  const poolWriters: Array<() => void> = [];
  const pool = (type: string, n: number, write: () => void) => {
    if (n > 0) {
      poolWriters.push(() => {
        o.varint(typeId(type)).varint(n);
        write();
      });
    }
  };
  pool('java.lang.Thread', pools.threads.size, () => {
    for (const [name, id] of pools.threads) {
      o.varint(id)
        .string(name)
        .varint(1000 + id)
        .string(name)
        .varint(id);
    }
  });
  pool('jdk.types.FrameType', FRAME_TYPES.length, () => {
    FRAME_TYPES.forEach((d, i) => o.varint(i).string(d));
  });
  pool('jdk.types.ThreadState', THREAD_STATES.length, () => {
    for (const [id, name] of THREAD_STATES) {
      o.varint(id).string(name);
    }
  });
  pool('jdk.types.StackTrace', pools.stacks.size, () => {
    for (const s of pools.stacks.values()) {
      o.varint(s.id).bool(false).varint(s.methods.length);
      for (const m of s.methods) {
        o.varint(m).varint(0).varint(0).varint(FRAME_TYPE_JIT);
      }
    }
  });
  pool('jdk.types.Method', pools.methods.size, () => {
    for (const m of pools.methods.values()) {
      o.varint(m.id).varint(m.cls).varint(m.name).varint(m.descriptor).varint(1).bool(false);
    }
  });
  pool('java.lang.Class', pools.classes.size, () => {
    for (const [name, id] of pools.classes) {
      o.varint(id).varint(pools.symbol(name)).varint(1).bool(false);
    }
  });
  // Symbols last: class and method entries above may still intern names.
  pool('jdk.types.Symbol', pools.symbols.size, () => {
    for (const [s, id] of pools.symbols) {
      o.varint(id).string(s);
    }
  });
  o.varint(poolWriters.length);
  for (const w of poolWriters) {
    w();
  }
  return o.bytes();
}

interface Element {
  name: string;
  attrs: Array<[string, string]>;
  children: Element[];
}

function metadataBody(at: number): Uint8Array {
  const classes: Element[] = CLASSES.map((c) => ({
    name: 'class',
    attrs: [
      ['id', String(typeId(c.name))],
      ['name', c.name],
      ...(c.superType ? ([['superType', c.superType]] as Array<[string, string]>) : []),
    ],
    children: c.fields.map((f) => ({
      name: 'field',
      attrs: [
        ['name', f.name],
        ['class', String(typeId(f.type))],
        ...(f.constantPool ? ([['constantPool', 'true']] as Array<[string, string]>) : []),
        ...(f.array ? ([['dimension', '1']] as Array<[string, string]>) : []),
      ],
      children: [],
    })),
  }));
  const root: Element = {
    name: 'root',
    attrs: [],
    children: [
      { name: 'metadata', attrs: [], children: classes },
      {
        name: 'region',
        attrs: [
          ['locale', 'en_US'],
          ['gmtOffset', '0'],
        ],
        children: [],
      },
    ],
  };
  const strings: string[] = [];
  const index = new Map<string, number>();
  const intern = (s: string): number => {
    let i = index.get(s);
    if (i === undefined) {
      i = strings.length;
      strings.push(s);
      index.set(s, i);
    }
    return i;
  };
  const walk = (e: Element): void => {
    intern(e.name);
    for (const [k, v] of e.attrs) {
      intern(k);
      intern(v);
    }
    e.children.forEach(walk);
  };
  walk(root);
  const o = new Out().varint(0).varint(at).varint(0).varint(1); // type 0, start, duration, metadata id
  o.varint(strings.length);
  for (const s of strings) {
    o.string(s);
  }
  const write = (e: Element): void => {
    o.varint(intern(e.name)).varint(e.attrs.length);
    for (const [k, v] of e.attrs) {
      o.varint(intern(k)).varint(intern(v));
    }
    o.varint(e.children.length);
    e.children.forEach(write);
  };
  write(root);
  return o.bytes();
}
