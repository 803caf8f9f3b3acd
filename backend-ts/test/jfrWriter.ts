// A JFR writer, byte by byte from the format's published layout (chunk header, metadata event, constant-pool
// checkpoints, events): recordings for what the real fixtures do not show, and recordings of any size.
/** Bytes in JFR's encodings. */
export class Out {
  readonly bytes: number[] = [];

  u8(v: number): this {
    this.bytes.push(v & 0xff);
    return this;
  }

  /** JFR compressed integer: LEB128, at most 9 bytes, the 9th holding 8 bits. */
  varint(value: number | bigint): this {
    let v = BigInt.asUintN(64, BigInt(value));
    for (let i = 0; i < 8; i++) {
      if (v < 0x80n) {
        return this.u8(Number(v));
      }
      this.u8(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    return this.u8(Number(v));
  }

  /** A varint padded to `width` bytes, as async-profiler writes sizes it patches in later. */
  paddedVarint(value: number, width: number): this {
    for (let i = 0; i < width - 1; i++) {
      this.u8(((value >>> (7 * i)) & 0x7f) | 0x80);
    }
    return this.u8((value >>> (7 * (width - 1))) & 0x7f);
  }

  /** A varint in the full 9 bytes (still a valid encoding), so a field can be patched without moving bytes. */
  varint9(value: number | bigint): this {
    let v = BigInt.asUintN(64, BigInt(value));
    for (let i = 0; i < 8; i++) {
      this.u8(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    return this.u8(Number(v));
  }

  utf8(s: string): this {
    const b = new TextEncoder().encode(s);
    this.u8(3).varint(b.length);
    for (const x of b) {
      this.u8(x);
    }
    return this;
  }

  i64be(v: number): this {
    const b = BigInt(v);
    for (let i = 7; i >= 0; i--) {
      this.u8(Number((b >> BigInt(i * 8)) & 0xffn));
    }
    return this;
  }

  append(o: Out): this {
    for (const x of o.bytes) {
      this.bytes.push(x);
    }
    return this;
  }
}

export interface FieldDef {
  name: string;
  type: string;
  cp?: boolean;
  array?: boolean;
}
export interface ClassDef {
  id: number;
  name: string;
  superType?: string;
  fields: FieldDef[];
}

export const PRIMITIVES = ['boolean', 'char', 'float', 'double', 'byte', 'short', 'int', 'long', 'java.lang.String'];

/** The type system of the synthetic chunks; `ids` lets a test renumber classes. */
export function classes(ids: Partial<Record<string, number>> = {}): ClassDef[] {
  let next = 20;
  const id = (name: string): number => ids[name] ?? next++;
  const defs: ClassDef[] = PRIMITIVES.map((name) => ({ id: id(name), name, fields: [] }));
  const cp = true;
  const event = 'jdk.jfr.Event';
  defs.push(
    {
      id: id('java.lang.Thread'),
      name: 'java.lang.Thread',
      fields: [
        { name: 'osName', type: 'java.lang.String' },
        { name: 'osThreadId', type: 'long' },
      ],
    },
    { id: id('jdk.types.Symbol'), name: 'jdk.types.Symbol', fields: [{ name: 'string', type: 'java.lang.String' }] },
    {
      id: id('java.lang.Class'),
      name: 'java.lang.Class',
      fields: [
        { name: 'name', type: 'jdk.types.Symbol', cp },
        { name: 'modifiers', type: 'int' },
      ],
    },
    {
      id: id('jdk.types.Method'),
      name: 'jdk.types.Method',
      fields: [
        { name: 'type', type: 'java.lang.Class', cp },
        { name: 'name', type: 'jdk.types.Symbol', cp },
        { name: 'descriptor', type: 'jdk.types.Symbol', cp },
        { name: 'hidden', type: 'boolean' },
      ],
    },
    {
      id: id('jdk.types.FrameType'),
      name: 'jdk.types.FrameType',
      fields: [{ name: 'description', type: 'java.lang.String' }],
    },
    {
      id: id('jdk.types.StackFrame'),
      name: 'jdk.types.StackFrame',
      fields: [
        { name: 'method', type: 'jdk.types.Method', cp },
        { name: 'lineNumber', type: 'int' },
        { name: 'bytecodeIndex', type: 'int' },
        { name: 'type', type: 'jdk.types.FrameType', cp },
      ],
    },
    {
      id: id('jdk.types.StackTrace'),
      name: 'jdk.types.StackTrace',
      fields: [
        { name: 'truncated', type: 'boolean' },
        { name: 'frames', type: 'jdk.types.StackFrame', array: true },
      ],
    },
    {
      id: id('jdk.types.ThreadState'),
      name: 'jdk.types.ThreadState',
      fields: [{ name: 'name', type: 'java.lang.String' }],
    },
    {
      id: id('jdk.ExecutionSample'),
      name: 'jdk.ExecutionSample',
      superType: event,
      fields: [
        { name: 'startTime', type: 'long' },
        { name: 'sampledThread', type: 'java.lang.Thread', cp },
        { name: 'stackTrace', type: 'jdk.types.StackTrace', cp },
        { name: 'state', type: 'jdk.types.ThreadState', cp },
        { name: 'spanId', type: 'long' },
        { name: 'spanName', type: 'long' },
        { name: 'contextId', type: 'long' },
      ],
    },
    {
      id: id('profiler.WallClockSample'),
      name: 'profiler.WallClockSample',
      superType: event,
      fields: [
        { name: 'startTime', type: 'long' },
        { name: 'sampledThread', type: 'java.lang.Thread', cp },
        { name: 'stackTrace', type: 'jdk.types.StackTrace', cp },
        { name: 'state', type: 'jdk.types.ThreadState', cp },
        { name: 'samples', type: 'int' },
      ],
    },
    ...[
      ['jdk.ObjectAllocationInNewTLAB', 'tlabSize'],
      ['jdk.ObjectAllocationOutsideTLAB', 'allocationSize'],
      ['jdk.ObjectAllocationSample', 'weight'],
      ['jdk.JavaMonitorEnter', 'duration'],
      ['jdk.ThreadPark', 'duration'],
      ['profiler.Malloc', 'size'],
    ].map(([name, value]) => ({
      id: id(name!),
      name: name!,
      superType: event,
      fields: [
        { name: 'startTime', type: 'long' },
        { name: 'eventThread', type: 'java.lang.Thread', cp },
        { name: 'stackTrace', type: 'jdk.types.StackTrace', cp },
        // A float and a nested inline object the reader must step over.
        { name: 'ratio', type: 'float' },
        { name: 'where', type: 'jdk.types.FrameType' },
        { name: value!, type: 'long' },
        { name: 'contextId', type: 'long' },
      ],
    })),
    {
      id: id('profiler.LiveObject'),
      name: 'profiler.LiveObject',
      superType: event,
      fields: [
        { name: 'startTime', type: 'long' },
        { name: 'stackTrace', type: 'jdk.types.StackTrace', cp },
        { name: 'allocationSize', type: 'long' },
      ],
    },
    {
      id: id('jdk.ActiveSetting'),
      name: 'jdk.ActiveSetting',
      superType: event,
      fields: [
        { name: 'startTime', type: 'long' },
        { name: 'id', type: 'long' },
        { name: 'name', type: 'java.lang.String' },
        { name: 'value', type: 'java.lang.String' },
      ],
    },
    // An event type the reader does not know, with a double and an array of strings.
    {
      id: id('jdk.CPULoad'),
      name: 'jdk.CPULoad',
      superType: event,
      fields: [
        { name: 'startTime', type: 'long' },
        { name: 'load', type: 'double' },
        { name: 'tags', type: 'java.lang.String', array: true },
      ],
    }
  );
  return defs;
}

export function metadataEvent(defs: ClassDef[]): Out {
  const strings: string[] = [];
  const s = (x: string): number => {
    let i = strings.indexOf(x);
    if (i < 0) {
      i = strings.push(x) - 1;
    }
    return i;
  };
  const byName = new Map(defs.map((d) => [d.name, d]));
  const body = new Out();
  const element = (name: string, attrs: Array<[string, string]>, children: Array<() => void>): void => {
    body.varint(s(name)).varint(attrs.length);
    for (const [k, v] of attrs) {
      body.varint(s(k)).varint(s(v));
    }
    body.varint(children.length);
    for (const c of children) {
      c();
    }
  };
  element(
    'root',
    [],
    [
      () =>
        element(
          'metadata',
          [],
          defs.map(
            (d) => () =>
              element(
                'class',
                [
                  ['id', String(d.id)],
                  ['name', d.name],
                  ...(d.superType ? [['superType', d.superType] as [string, string]] : []),
                ],
                [
                  ...d.fields.map(
                    (f) => () =>
                      element(
                        'field',
                        [
                          ['name', f.name],
                          ['class', String(byName.get(f.type)!.id)],
                          ...(f.cp ? [['constantPool', 'true'] as [string, string]] : []),
                          ...(f.array ? [['dimension', '1'] as [string, string]] : []),
                        ],
                        // An annotation on every field, to be skipped.
                        [
                          () =>
                            element(
                              'annotation',
                              [
                                ['class', '999'],
                                ['value', 'a label'],
                              ],
                              []
                            ),
                        ]
                      )
                  ),
                  () => element('setting', [['name', 'enabled']], []),
                ]
              )
          )
        ),
      () =>
        element(
          'region',
          [
            ['locale', 'en_US'],
            ['gmtOffset', '0'],
          ],
          []
        ),
    ]
  );
  const payload = new Out().varint(0).varint(1).varint(0).varint(1).varint(strings.length);
  for (const x of strings) {
    payload.utf8(x);
  }
  payload.append(body);
  return sized(payload);
}

/** Prefixes a payload with its total size (the size field included), padded to 4 bytes as async-profiler does. */
export function sized(payload: Out): Out {
  return new Out().paddedVarint(payload.bytes.length + 4, 4).append(payload);
}

export type Value = number | bigint | string | { ref: number | bigint } | { utf8: string } | Value[];

/** One inline value of class `type`, fields given in declaration order. */
export function writeValue(o: Out, defs: ClassDef[], type: string, values: Value[] | undefined): void {
  // No values: leave the value out (only for recordings meant to be rejected before it is read).
  if (values === undefined) {
    return;
  }
  const def = defs.find((d) => d.name === type)!;
  def.fields.forEach((f, i) => writeField(o, defs, f, values[i]!));
}

export function writeField(o: Out, defs: ClassDef[], f: FieldDef, v: Value): void {
  if (f.array) {
    const items = v as Value[];
    o.varint(items.length);
    for (const item of items) {
      writeField(o, defs, { ...f, array: false }, item);
    }
    return;
  }
  if (f.cp) {
    o.varint(typeof v === 'object' && !Array.isArray(v) && 'ref' in v ? v.ref : (v as number | bigint));
    return;
  }
  switch (f.type) {
    case 'boolean':
    case 'byte':
      o.u8(Number(v));
      return;
    case 'float':
      o.u8(0x3f).u8(0x80).u8(0).u8(0);
      return;
    case 'double':
      for (let i = 0; i < 8; i++) {
        o.u8(i === 0 ? 0x40 : 0);
      }
      return;
    case 'java.lang.String':
      if (typeof v === 'string') {
        o.utf8(v);
      } else if (typeof v === 'object' && !Array.isArray(v) && 'ref' in v) {
        o.u8(2).varint(v.ref);
      } else {
        o.u8(0);
      }
      return;
    case 'char':
    case 'short':
    case 'int':
    case 'long':
      o.varint(v as number | bigint);
      return;
    default:
      writeValue(o, defs, f.type, v as Value[]);
  }
}

export interface Pools {
  strings?: Array<[number | bigint, string]>;
  symbols: Array<[number | bigint, string | { ref: number | bigint }]>;
  classes: Array<[number | bigint, number | bigint]>;
  /** id -> [class id, name symbol id] */
  methods: Array<[number | bigint, number | bigint, number | bigint]>;
  /** id -> [truncated, frames as [method id, line]] */
  stacks: Array<[number | bigint, boolean, Array<[number | bigint, number]>]>;
  states?: Array<[number | bigint, string | { ref: number | bigint }]>;
}

export function checkpoint(defs: ClassDef[], pools: Pools, delta: number): Out {
  const id = (n: string): number => defs.find((d) => d.name === n)!.id;
  const p = new Out().varint(1).varint(0).varint(0).varint9(delta).u8(1);
  const groups: Array<[string, Array<() => void>]> = [];
  const o = new Out();
  if (pools.strings) {
    groups.push([
      'java.lang.String',
      pools.strings.map(
        ([k, v]) =>
          () =>
            o.varint(k).utf8(v)
      ),
    ]);
  }
  groups.push([
    'jdk.types.Symbol',
    pools.symbols.map(
      ([k, v]) =>
        () =>
          writeValue(o.varint(k), defs, 'jdk.types.Symbol', [v])
    ),
  ]);
  groups.push([
    'java.lang.Class',
    pools.classes.map(
      ([k, v]) =>
        () =>
          writeValue(o.varint(k), defs, 'java.lang.Class', [v, 1])
    ),
  ]);
  groups.push([
    'jdk.types.Method',
    pools.methods.map(
      ([k, cls, name]) =>
        () =>
          writeValue(o.varint(k), defs, 'jdk.types.Method', [cls, name, 0, 0])
    ),
  ]);
  groups.push([
    'jdk.types.StackTrace',
    pools.stacks.map(
      ([k, truncated, frames]) =>
        () =>
          writeValue(o.varint(k), defs, 'jdk.types.StackTrace', [
            truncated ? 1 : 0,
            frames.map(([m, line]) => [m, line, 7, 1]),
          ])
    ),
  ]);
  groups.push([
    'jdk.types.ThreadState',
    (
      pools.states ?? [
        [1, 'STATE_RUNNABLE'],
        [2, 'STATE_SLEEPING'],
      ]
    ).map(
      ([k, v]) =>
        () =>
          writeValue(o.varint(k), defs, 'jdk.types.ThreadState', [v])
    ),
  ]);
  groups.push(['java.lang.Thread', [() => writeValue(o.varint(1), defs, 'java.lang.Thread', ['main', 1])]]);
  groups.push(['jdk.types.FrameType', [() => writeValue(o.varint(1), defs, 'jdk.types.FrameType', ['JIT compiled'])]]);
  p.varint(groups.length);
  for (const [type, entries] of groups) {
    p.varint(id(type)).varint(entries.length);
    o.bytes.length = 0;
    for (const e of entries) {
      e();
    }
    p.append(o);
  }
  return sized(p);
}

/** An event of class `type` with its field values in declaration order. */
export function event(defs: ClassDef[], type: string, values: Value[]): Out {
  const def = defs.find((d) => d.name === type)!;
  const p = new Out().varint(def.id);
  writeValue(p, defs, type, values);
  return sized(p);
}

/**
 * A whole chunk: header, metadata, events, then the constant pools split into two chained checkpoints.
 * `loop` makes the first checkpoint point back at the last one instead of ending the chain.
 */
export function chunk(defs: ClassDef[], pools: Pools, events: Out[], loop = false, ticksPerSecond = 1e9): Uint8Array {
  const meta = metadataEvent(defs);
  const body = new Out().append(meta);
  for (const e of events) {
    body.append(e);
  }
  // Two checkpoints: the first with the String pool alone (so references to it come from a later checkpoint).
  const firstAt = 68 + body.bytes.length;
  const firstPools: Pools = { symbols: [], classes: [], methods: [], stacks: [], states: [], strings: pools.strings };
  // Deltas are written in a fixed width, so the first checkpoint's size does not depend on its delta.
  const firstSize = checkpoint(defs, firstPools, 0).bytes.length;
  body.append(checkpoint(defs, firstPools, loop ? firstSize : 0));
  const lastAt = 68 + body.bytes.length;
  body.append(checkpoint(defs, { ...pools, strings: undefined }, firstAt - lastAt));
  const size = 68 + body.bytes.length;
  const header = new Out().u8(0x46).u8(0x4c).u8(0x52).u8(0).u8(0).u8(2).u8(0).u8(0);
  header
    .i64be(size)
    .i64be(lastAt)
    .i64be(68)
    .i64be(1_700_000_000_000_000_000)
    .i64be(10e9)
    .i64be(0)
    .i64be(ticksPerSecond);
  header.u8(0).u8(0).u8(0).u8(1);
  return Uint8Array.from([...header.bytes, ...body.bytes]);
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * A multi-chunk JFR recording written by test/jfrWriter.ts: `chunks` chunks of `events` CPU samples each, spread
 * over `stacks` stacks (main -> work<i>). An event takes ~20 bytes.
 */
export function cpuRecording(chunks: number, events: number, stacks: number): Buffer {
  const defs = classes();
  const pools: Pools = {
    symbols: [
      [1, 'com/example/App'],
      [2, 'main'],
      ...Array.from({ length: stacks }, (_, i): [number, string] => [3 + i, `work${i}`]),
    ],
    classes: [[10, 1]],
    methods: [[99, 10, 2], ...Array.from({ length: stacks }, (_, i): [number, number, number] => [100 + i, 10, 3 + i])],
    stacks: Array.from({ length: stacks }, (_, i): [number, boolean, Array<[number, number]>] => [
      1 + i,
      false,
      [
        [100 + i, 20],
        [99, 5],
      ],
    ]),
  };
  const parts: Uint8Array[] = [];
  for (let c = 0; c < chunks; c++) {
    const evs: Out[] = [];
    for (let k = 0; k < events; k++) {
      evs.push(event(defs, 'jdk.ExecutionSample', [1_700_000_000_000_000 + k, 1, 1 + (k % stacks), 1, 0, 0, 0]));
    }
    parts.push(chunk(defs, pools, evs));
  }
  return Buffer.from(concat(...parts));
}
