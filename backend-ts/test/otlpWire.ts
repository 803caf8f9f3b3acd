// An OTLP profiles request encoded by hand from the opentelemetry-proto release named in
// src/formats/otlp/release.ts (v1.10.0, profiles/v1development), independent of the generated code: shared by the
// format reader tests and the HTTP ingest tests.
/** A protobuf writer for the test, independent of the generated code: field numbers are written by hand. */
export class Pb {
  private readonly out: number[] = [];
  varint(v: number | bigint): this {
    let x = BigInt.asUintN(64, BigInt(v));
    while (x >= 0x80n) {
      this.out.push(Number(x & 0x7fn) | 0x80);
      x >>= 7n;
    }
    this.out.push(Number(x));
    return this;
  }
  private tag(field: number, wireType: number): this {
    return this.varint((field << 3) | wireType);
  }
  int(field: number, v: number | bigint): this {
    return this.tag(field, 0).varint(v);
  }
  bytes(field: number, b: Uint8Array | number[]): this {
    this.tag(field, 2).varint(b.length);
    for (const x of b) {
      this.out.push(x);
    }
    return this;
  }
  str(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }
  msg(field: number, build: (w: Pb) => unknown): this {
    const inner = new Pb();
    build(inner);
    return this.bytes(field, inner.finish());
  }
  fixed64(field: number, v: bigint): this {
    this.tag(field, 1);
    for (let i = 0n; i < 8n; i++) {
      this.out.push(Number((v >> (8n * i)) & 0xffn));
    }
    return this;
  }
  packed(field: number, vs: Array<number | bigint>): this {
    const inner = new Pb();
    for (const v of vs) {
      inner.varint(v);
    }
    return this.bytes(field, inner.finish());
  }
  packedFixed64(field: number, vs: bigint[]): this {
    const inner = new Pb();
    for (const v of vs) {
      inner.fixed64Raw(v);
    }
    return this.bytes(field, inner.finish());
  }
  private fixed64Raw(v: bigint): void {
    for (let i = 0n; i < 8n; i++) {
      this.out.push(Number((v >> (8n * i)) & 0xffn));
    }
  }
  finish(): Uint8Array {
    return Uint8Array.from(this.out);
  }
}

export const STRINGS = [
  '', // 0
  'samples', // 1
  'count', // 2
  'cpu', // 3
  'nanoseconds', // 4
  'main', // 5
  'foo', // 6
  'bar', // 7
  'main.go', // 8
  'thread.name', // 9
  'worker', // 10
  'service.name', // 11
  'svc-b', // 12
  '/usr/lib/libc.so.6', // 13
];
export const TRACE_ID = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
export const SPAN_ID = Uint8Array.from([0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3]);
export const TIME_NS = 1_700_000_000_123_456_789n;

// opentelemetry-proto v1.10.0 field numbers, by message:
//   ExportProfilesServiceRequest: resource_profiles 1, dictionary 2
//   ProfilesDictionary: mapping_table 1, location_table 2, function_table 3, link_table 4, string_table 5,
//                       attribute_table 6, stack_table 7
//   ResourceProfiles: resource 1, scope_profiles 2;  Resource: attributes 1;  ScopeProfiles: scope 1, profiles 2
//   InstrumentationScope: name 1, version 2, attributes 3;  KeyValue: key 1, value 2;  AnyValue: string_value 1,
//                       int_value 3
//   Profile: sample_type 1, samples 2, time_unix_nano 3 (fixed64), duration_nano 4, period_type 5, period 6
//   Sample: stack_index 1, attribute_indices 2, link_index 3, values 4, timestamps_unix_nano 5 (fixed64)
//   ValueType: type_strindex 1, unit_strindex 2;  Stack: location_indices 1
//   Location: mapping_index 1, address 2, lines 3;  Line: function_index 1, line 2
//   Function: name_strindex 1, system_name_strindex 2, filename_strindex 3;  Mapping: filename_strindex 4
//   Link: trace_id 1, span_id 2;  KeyValueAndUnit: key_strindex 1, value 2
export function handEncodedRequest(
  opts: { withPeriod?: boolean; stackIndex?: number; timeNs?: bigint } = {}
): Uint8Array {
  const withPeriod = opts.withPeriod ?? true;
  const timeNs = opts.timeNs ?? TIME_NS;
  const kv = (key: string, value: string) => (w: Pb) => w.str(1, key).msg(2, (v) => v.str(1, value));
  return new Pb()
    .msg(2, (d) => {
      d.msg(1, () => {}) // mapping_table[0]: zero
        .msg(1, (m) => m.int(4, 13)); // mapping_table[1]: libc
      d.msg(2, () => {}) // location_table[0]: zero
        .msg(2, (l) => l.msg(3, (ln) => ln.int(1, 1).int(2, 10))) // 1: main:10
        .msg(2, (l) => l.msg(3, (ln) => ln.int(1, 2).int(2, 20))) // 2: foo:20
        .msg(2, (l) => l.msg(3, (ln) => ln.int(1, 3).int(2, 30)).msg(3, (ln) => ln.int(1, 2).int(2, 21))) // 3: bar inlined in foo
        .msg(2, (l) => l.int(1, 1).int(2, 0x7f12)); // 4: no symbols
      d.msg(3, () => {}) // function_table[0]: zero
        .msg(3, (f) => f.int(1, 5).int(2, 5).int(3, 8))
        .msg(3, (f) => f.int(1, 6).int(3, 8))
        .msg(3, (f) => f.int(1, 7).int(3, 8));
      d.msg(4, () => {}).msg(4, (l) => l.bytes(1, TRACE_ID).bytes(2, SPAN_ID));
      for (const s of STRINGS) {
        d.str(5, s);
      }
      d.msg(6, () => {}) // attribute_table[0]: zero
        .msg(6, (a) => a.int(1, 9).msg(2, (v) => v.str(1, 'worker')))
        .msg(6, (a) => a.int(1, 11).msg(2, (v) => v.str(1, 'svc-b')));
      d.msg(7, () => {}) // stack_table[0]: empty
        .msg(7, (s) => s.packed(1, [2, 1])) // foo ← main
        .msg(7, (s) => s.packed(1, [3, 1])) // bar (in foo) ← main
        .msg(7, (s) => s.packed(1, [4, 1])); // libc 0x7f12 ← main
    })
    .msg(1, (rp) =>
      rp
        .msg(1, (r) =>
          r
            .msg(1, kv('service.name', 'checkout'))
            .msg(1, kv('k8s.pod.name', 'pod-1'))
            .msg(1, (a) => a.str(1, 'process.pid').msg(2, (v) => v.int(3, 42)))
        )
        .msg(2, (sp) =>
          sp
            .msg(1, (sc) => sc.str(1, 'ebpf-profiler').msg(3, kv('scope.attr', 'x')))
            .msg(2, (p) => {
              p.msg(1, (vt) => vt.int(1, 1).int(2, 2)); // samples/count
              p.msg(2, (s) =>
                s
                  .int(1, opts.stackIndex ?? 1)
                  .packed(2, [1])
                  .int(3, 1)
                  .packed(4, [3])
              );
              p.msg(2, (s) => s.int(1, 2).packedFixed64(5, [timeNs, timeNs + 1n])); // no values: 2 occurrences
              p.msg(2, (s) => s.int(1, 1).packed(2, [2]).packed(4, [1])); // service.name = svc-b
              p.msg(2, (s) => s.int(1, 3).packed(4, [1, 1, 2])); // one value per occurrence: 4
              p.fixed64(3, timeNs).int(4, 10_000_000_000n);
              if (withPeriod) {
                p.msg(5, (vt) => vt.int(1, 3).int(2, 4)).int(6, 50_000_000); // cpu/nanoseconds, 20 Hz
              }
            })
        )
    )
    .finish();
}
