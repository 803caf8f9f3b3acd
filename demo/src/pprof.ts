// pprof (google.v1.Profile) encoding, gzipped as every agent sends it. Field numbers from pprof's profile.proto.
import { gzipSync } from 'node:zlib';
import { ProtoWriter } from './proto.js';

export interface ValueType {
  type: string;
  unit: string;
}

/** One frame as an agent symbolizes it: a function name and, where the runtime knows it, its file. */
export interface Frame {
  name: string;
  file?: string;
}

export interface ProfileMeta {
  sampleTypes: ValueType[];
  periodType: ValueType;
  period: number;
  timeNanos: number;
  durationNanos: number;
}

/**
 * Builds one profile: functions and locations are de-duplicated by name, so the same frame in many stacks is
 * one location, as runtime profilers write it.
 */
export class PprofBuilder {
  private readonly strings: string[] = [''];
  private readonly stringIds = new Map<string, number>([['', 0]]);
  private readonly functions: Array<{ name: number; file: number }> = [];
  private readonly locationByKey = new Map<string, number>();
  private readonly samples: Array<{ locations: number[]; values: number[]; labels: Array<[number, number]> }> = [];
  private readonly meta: ProfileMeta;

  constructor(meta: ProfileMeta) {
    this.meta = meta;
  }

  private str(s: string): number {
    let id = this.stringIds.get(s);
    if (id === undefined) {
      id = this.strings.length;
      this.strings.push(s);
      this.stringIds.set(s, id);
    }
    return id;
  }

  private location(f: Frame): number {
    const key = `${f.name}\0${f.file ?? ''}`;
    let id = this.locationByKey.get(key);
    if (id === undefined) {
      this.functions.push({ name: this.str(f.name), file: this.str(f.file ?? '') });
      id = this.functions.length; // location id = function id, both 1-based
      this.locationByKey.set(key, id);
    }
    return id;
  }

  /** `stack` is root first (as folded stacks read); pprof stores it leaf first. */
  add(stack: readonly Frame[], values: readonly number[], labels: Record<string, string> = {}): void {
    if (values.length !== this.meta.sampleTypes.length) {
      throw new Error(`sample has ${values.length} values for ${this.meta.sampleTypes.length} sample types`);
    }
    const locations: number[] = [];
    for (let i = stack.length - 1; i >= 0; i--) {
      locations.push(this.location(stack[i]!));
    }
    const ls: Array<[number, number]> = Object.entries(labels).map(([k, v]) => [this.str(k), this.str(v)]);
    this.samples.push({ locations, values: [...values], labels: ls });
  }

  get sampleCount(): number {
    return this.samples.length;
  }

  /** The serialized profile, uncompressed. */
  encodeRaw(): Uint8Array<ArrayBuffer> {
    const m = this.meta;
    const w = new ProtoWriter();
    // Intern every string before writing the table.
    const sampleTypeIds = m.sampleTypes.map((t) => [this.str(t.type), this.str(t.unit)] as const);
    const periodType = [this.str(m.periodType.type), this.str(m.periodType.unit)] as const;
    for (const [type, unit] of sampleTypeIds) {
      w.message(1, (v) => v.uint64(1, type).uint64(2, unit));
    }
    for (const s of this.samples) {
      w.message(2, (v) => {
        v.packed(1, s.locations).packed(2, s.values);
        for (const [k, val] of s.labels) {
          v.message(3, (l) => l.uint64(1, k).uint64(2, val));
        }
      });
    }
    // One mapping for the whole process: symbolized profiles still carry one.
    w.message(3, (v) =>
      v.uint64(1, 1).uint64(2, 0x400000).uint64(3, 0x4000000).tag(7, 0).varint(1).tag(8, 0).varint(1)
    );
    this.functions.forEach((_, i) => {
      const id = i + 1;
      w.message(4, (v) =>
        v
          .uint64(1, id)
          .uint64(2, 1)
          .message(4, (l) => l.uint64(1, id))
      );
    });
    this.functions.forEach((f, i) => {
      w.message(5, (v) =>
        v
          .uint64(1, i + 1)
          .uint64(2, f.name)
          .uint64(3, f.name)
          .uint64(4, f.file)
      );
    });
    for (const s of this.strings) {
      w.string(6, s);
    }
    w.uint64(9, m.timeNanos).uint64(10, m.durationNanos);
    w.message(11, (v) => v.uint64(1, periodType[0]).uint64(2, periodType[1]));
    w.uint64(12, m.period);
    return w.finish();
  }

  encode(): Buffer<ArrayBuffer> {
    return gzipSync(this.encodeRaw());
  }
}
