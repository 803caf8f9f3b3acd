// Builds stored objects: the profiles of a batch (segment writer) or of several objects (compaction) grouped
// into datasets, one per service_name, each with its own symbols, stacks and samples, de-duplicated inside it.
// Version 2 is what is written; version 1 (one dataset for the whole object) is kept for the compatibility
// fixture (scripts/v1-fixture.ts) and its tests. Layout documented in docs/storage.md.
import type { IngestProfile } from '../../model/profile.js';
import { labelsKey, profileTypeId, sortLabels, type LabelSet } from '../../model/labels.js';
import { FloatList, IntList, Slab } from '../../model/growable.js';
import { ByteInterner } from '../../model/byteInterner.js';
import { Interner } from '../../model/interner.js';
import { SeqIndex } from '../../model/seqIndex.js';
import { TupleIndex } from '../../model/tupleIndex.js';
import { align8, sectionSize, writeSection, type Column } from './columns.js';
import {
  FORMAT_V1,
  FORMAT_V2,
  HEADER_FIXED,
  MAGIC,
  type DatasetMeta,
  type SegmentMeta,
  type SeriesMeta,
} from './meta.js';
import type { Segment } from './segment.js';

const NO_UUID = new Uint8Array(16);
/** A stack's frames while it is interned (mapStack runs to its end before another starts). */
const STACK_SCRATCH = new IntList(256);

/** Per source, id maps from its strings, functions, frames and stacks to a dataset builder's (-1 = not yet). */
interface IdMaps {
  str: Int32Array;
  fn: Int32Array;
  frame: Int32Array;
  stack: Int32Array;
}

/** A source's id maps into one target dataset, with the interning functions made over them once. */
interface Interning {
  maps: IdMaps;
  gs: (i: number) => number;
  mapStack: (s: number) => number;
}

/**
 * What one source (an ingested profile, or one dataset of a compacted object) has mapped so far: its symbols
 * per target dataset, and its series (a dataset holds hundreds of profiles of a few series; each series' key and
 * dataset are looked up once, not per profile).
 */
export class SourceMaps {
  readonly interning = new Map<DatasetBuilder, Interning>();
  /** per target builder (one source may feed several, a ten-minute window each): source series -> target */
  readonly series = new Map<SegmentBuilder, Map<number, { sid: number; dataset: DatasetBuilder }>>();

  /**
   * `scratch`: room for the id maps, taken over by the next SourceMaps made with it, for maps used in one call
   * and dropped (a dataset added whole; this one must be done by then): four arrays a source, thousands of
   * sources a merge, cost more to allocate than to fill.
   */
  constructor(private readonly scratch?: MapScratch) {
    if (scratch) {
      scratch.owner = this;
      scratch.used = 0;
    }
  }

  /** n ints, all -1. */
  ints(n: number): Int32Array {
    const s = this.scratch;
    if (!s || s.owner !== this) {
      return new Int32Array(n).fill(-1);
    }
    if (s.used + n > s.buf.length) {
      // views handed out before keep the old buffer
      s.buf = new Int32Array(Math.max(2 * s.buf.length, s.used + n, 4096));
    }
    const out = s.buf.subarray(s.used, s.used + n).fill(-1);
    s.used += n;
    return out;
  }
}

/** Scratch room for id maps (SourceMaps), used by one SourceMaps at a time: the last one made with it. */
export class MapScratch {
  buf = new Int32Array(0);
  used = 0;
  owner: SourceMaps | null = null;
}

/** The symbol columns an ingested profile and a decoded dataset both have. */
interface SymbolSource {
  readonly fnName: ArrayLike<number>;
  readonly fnSystemName: ArrayLike<number>;
  readonly fnFilename: ArrayLike<number>;
  readonly fnStartLine: ArrayLike<number>;
  readonly frameFn: ArrayLike<number>;
  readonly frameLine: ArrayLike<number>;
  readonly stackOffsets: ArrayLike<number>;
  readonly stackFrames: ArrayLike<number>;
}

function idMaps(strings: number, src: SymbolSource, room: SourceMaps): IdMaps {
  return {
    str: room.ints(strings),
    fn: room.ints(src.fnName.length),
    frame: room.ints(src.frameFn.length),
    stack: room.ints(Math.max(0, src.stackOffsets.length - 1)),
  };
}

/** What a dataset's entry in an object's meta says of it (DatasetMeta, less its sections). */
interface LaidOut {
  service: string;
  series: Set<number>;
  profiles: number;
  samples: number;
  minTime: number;
  maxTime: number;
}

/**
 * Room a dataset builder makes up front, per column. A merge makes thousands of datasets a block (one per service),
 * each from a few stored ones of a few hundred symbols: made at a default size, every list and hash table of
 * each grew by doubling (the tables rehashing all they held each time), and the allocations and copies cost more
 * than the interning itself.
 */
interface Room {
  strings: number;
  stringBytes: number;
  fns: number;
  frames: number;
  stacks: number;
  stackFrames: number;
  profiles: number;
  samples: number;
}

/** Ingest's batches: a few profiles of a service each. */
const INGEST_ROOM: Room = {
  strings: 128,
  stringBytes: 4096,
  fns: 64,
  frames: 64,
  stacks: 64,
  stackFrames: 64,
  profiles: 16,
  samples: 64,
};

/**
 * Room for a merge's dataset that starts with stored datasets `from`: what they hold (others add, growing it by
 * doubling; room for twice that measured the same CPU and a fifth more peak memory in a merge of 3,000 services).
 */
function roomFor(from: readonly Segment[]): Room {
  const r: Room = { strings: 0, stringBytes: 0, fns: 0, frames: 0, stacks: 0, stackFrames: 0, profiles: 0, samples: 0 };
  for (const seg of from) {
    r.strings += seg.stringCount;
    r.stringBytes += seg.stringBytes.bytes.length;
    r.fns += seg.fnName.length;
    r.frames += seg.frameFn.length;
    r.stacks += seg.stackCount;
    r.stackFrames += seg.stackFrames.length;
    r.profiles += seg.profSeries.length;
    r.samples += seg.sampleStack.length;
  }
  return r;
}

/** One dataset being built: symbols, stacks, profiles and samples of one service. */
class DatasetBuilder {
  /** Symbols as JS strings (ingest: the decoders hand strings) or as bytes (compaction: stored datasets do). */
  readonly stringIds: Interner | null;
  readonly byteIds: ByteInterner | null;
  /** Client ids (version 2: a table of their own, readable without the symbols). */
  readonly idStrings: Interner;
  readonly fn: { name: IntList; sys: IntList; file: IntList; start: IntList };
  /** Functions by (name, system name, file, start line), numbered as the fn columns. */
  private readonly fnIds: TupleIndex;
  readonly frameFn: IntList;
  readonly frameLine: IntList;
  /** Frames by (function, line), numbered as the frame columns. */
  private readonly frameIds: TupleIndex;
  readonly stackOffsets: IntList;
  readonly stackFrames: IntList;
  private readonly stackIndex: SeqIndex;
  readonly profSeries: IntList;
  readonly profTime: FloatList;
  readonly profId: IntList;
  readonly profTotal: FloatList;
  readonly profSampleOffsets: IntList;
  profUuid: Uint8Array;
  readonly sampleStack: IntList;
  readonly sampleValue: FloatList;
  readonly sampleSpan: IntList;
  readonly sampleTrace: IntList;
  readonly series = new Set<number>();
  minTime = Infinity;
  maxTime = -Infinity;

  constructor(
    readonly service: string,
    v1: boolean,
    bytes: boolean,
    room: Room = INGEST_ROOM,
    slab?: Slab
  ) {
    this.fn = {
      name: new IntList(room.fns, slab),
      sys: new IntList(room.fns, slab),
      file: new IntList(room.fns, slab),
      start: new IntList(room.fns, slab),
    };
    this.fnIds = new TupleIndex(room.fns, slab);
    this.frameFn = new IntList(room.frames, slab);
    this.frameLine = new IntList(room.frames, slab);
    this.frameIds = new TupleIndex(room.frames, slab);
    this.stackOffsets = new IntList(room.stacks + 1, slab);
    this.stackFrames = new IntList(room.stackFrames, slab);
    this.stackIndex = new SeqIndex(room.stacks, slab);
    this.profSeries = new IntList(room.profiles, slab);
    this.profTime = new FloatList(room.profiles, slab);
    this.profId = new IntList(room.profiles, slab);
    this.profTotal = new FloatList(room.profiles, slab);
    this.profSampleOffsets = new IntList(room.profiles + 1, slab);
    this.profUuid = slab
      ? slab.uint8(16 * Math.max(4, room.profiles))
      : new Uint8Array(16 * Math.max(4, room.profiles));
    this.sampleStack = new IntList(room.samples, slab);
    this.sampleValue = new FloatList(room.samples, slab);
    this.sampleSpan = new IntList(room.samples, slab);
    this.sampleTrace = new IntList(room.samples, slab);
    this.stackOffsets.push(0);
    this.profSampleOffsets.push(0);
    // version 1 keeps client ids among the symbols, as strings
    this.byteIds =
      bytes && !v1 ? new ByteInterner([''], { strings: room.strings, bytes: room.stringBytes }, slab) : null;
    this.stringIds = this.byteIds ? null : new Interner(['']);
    this.idStrings = v1 && this.stringIds ? this.stringIds : new Interner(['']);
  }

  /**
   * Id maps from a source's strings, functions, frames and stacks to this dataset's, filled on first use: an
   * ingested profile and a compacted dataset share one interning path.
   */
  interner(
    src: SymbolSource,
    string: (i: number) => string,
    maps: IdMaps,
    stored?: { readonly offsets: Int32Array; readonly bytes: Uint8Array }
  ): { gs: (i: number) => number; mapStack: (s: number) => number } {
    const byteIds = this.byteIds;
    const stringIds = this.stringIds;
    const gs =
      byteIds && stored
        ? (i: number): number => {
            let g = maps.str[i];
            if (g < 0) {
              g = byteIds.idOfBytes(stored.bytes, stored.offsets[i], stored.offsets[i + 1]);
              maps.str[i] = g;
            }
            return g;
          }
        : (i: number): number => {
            let g = maps.str[i];
            if (g < 0) {
              g = stringIds ? stringIds.id(string(i)) : byteIds!.id(string(i));
              maps.str[i] = g;
            }
            return g;
          };
    const mapFn = (f: number): number => {
      let g = maps.fn[f];
      if (g < 0) {
        const name = gs(src.fnName[f]);
        const sys = gs(src.fnSystemName[f]);
        const file = gs(src.fnFilename[f]);
        // stored as int32, so compared as int32
        const start = src.fnStartLine[f] | 0;
        const h = TupleIndex.hash(name, sys, file, start);
        g = this.fnIds.find(h, name, sys, file, start);
        if (g < 0) {
          g = this.fnIds.add(h, name, sys, file, start);
          this.fn.name.push(name);
          this.fn.sys.push(sys);
          this.fn.file.push(file);
          this.fn.start.push(start);
        }
        maps.fn[f] = g;
      }
      return g;
    };
    const mapFrame = (fr: number): number => {
      let g = maps.frame[fr];
      if (g < 0) {
        const fn = mapFn(src.frameFn[fr]);
        const line = src.frameLine[fr] | 0;
        const h = TupleIndex.hash(fn, line);
        g = this.frameIds.find(h, fn, line);
        if (g < 0) {
          g = this.frameIds.add(h, fn, line);
          this.frameFn.push(fn);
          this.frameLine.push(line);
        }
        maps.frame[fr] = g;
      }
      return g;
    };
    const frames = STACK_SCRATCH;
    const mapStack = (st: number): number => {
      let g = maps.stack[st];
      if (g < 0) {
        frames.length = 0;
        for (let i = src.stackOffsets[st]; i < src.stackOffsets[st + 1]; i++) {
          frames.push(mapFrame(src.stackFrames[i]));
        }
        const n = frames.length;
        const h = SeqIndex.hash(frames.data, n);
        g = this.stackIndex.find(frames.data, n, h, this.stackFrames, this.stackOffsets);
        if (g < 0) {
          for (let i = 0; i < n; i++) {
            this.stackFrames.push(frames.data[i]);
          }
          this.stackOffsets.push(this.stackFrames.length);
          g = this.stackIndex.add(h);
        }
        maps.stack[st] = g;
      }
      return g;
    };
    return { gs, mapStack };
  }

  /** Starts a profile row; its samples follow, then endProfile(). */
  beginProfile(series: number, time: number, total: number, id: string, uuid: Uint8Array): void {
    this.series.add(series);
    const p = this.profSeries.length;
    this.profSeries.push(series);
    this.profTime.push(time);
    this.profId.push(id ? this.idStrings.id(id) : 0);
    this.profTotal.push(total);
    if (this.profUuid.length < 16 * (p + 1)) {
      const grown = new Uint8Array(this.profUuid.length * 2);
      grown.set(this.profUuid);
      this.profUuid = grown;
    }
    this.profUuid.set(uuid.length === 16 ? uuid : NO_UUID, 16 * p);
    this.minTime = Math.min(this.minTime, time);
    this.maxTime = Math.max(this.maxTime, time);
  }

  endProfile(): void {
    this.profSampleOffsets.push(this.sampleStack.length);
  }

  get profiles(): number {
    return this.profSeries.length;
  }

  laidOut(): LaidOut {
    return {
      service: this.service,
      series: this.series,
      profiles: this.profiles,
      samples: this.sampleStack.length,
      minTime: this.minTime,
      maxTime: this.maxTime,
    };
  }

  /** UTF-8 strings and their offsets. */
  private static strings(list: readonly string[]): { offsets: Int32Array; bytes: Uint8Array } {
    // symbol names are nearly always ASCII: then one conversion of them all, and offsets from their lengths,
    // instead of a write per string (each a call into C++)
    const all = list.join('');
    if (/^[\x00-\x7f]*$/.test(all)) {
      const offsets = new Int32Array(list.length + 1);
      let off = 0;
      for (let i = 0; i < list.length; i++) {
        offsets[i] = off;
        off += list[i].length;
      }
      offsets[list.length] = off;
      return { offsets, bytes: Buffer.from(all, 'latin1') };
    }
    // a UTF-16 unit takes at most 3 bytes: one buffer for all, no array per string
    let units = 0;
    for (const s of list) {
      units += s.length;
    }
    const buf = Buffer.allocUnsafe(units * 3);
    const offsets = new Int32Array(list.length + 1);
    let off = 0;
    for (let i = 0; i < list.length; i++) {
      offsets[i] = off;
      off += buf.write(list[i], off, 'utf8');
    }
    offsets[list.length] = off;
    return { offsets, bytes: buf.subarray(0, off) };
  }

  tableColumns(): Column[] {
    const ids = DatasetBuilder.strings(this.idStrings.strings);
    return [
      this.profSeries.view(),
      this.profTime.view(),
      this.profTotal.view(),
      this.profSampleOffsets.view(),
      this.profId.view(),
      this.profUuid.subarray(0, 16 * this.profiles),
      ids.offsets,
      ids.bytes,
    ];
  }

  dataColumns(): Column[] {
    const s = this.byteIds ? this.byteIds.columns() : DatasetBuilder.strings(this.stringIds!.strings);
    return [
      s.offsets,
      s.bytes,
      this.fn.name.view(),
      this.fn.sys.view(),
      this.fn.file.view(),
      this.fn.start.view(),
      this.frameFn.view(),
      this.frameLine.view(),
      this.stackOffsets.view(),
      this.stackFrames.view(),
      this.sampleStack.view(),
      this.sampleValue.view(),
      this.sampleSpan.view(),
      this.sampleTrace.view(),
    ];
  }
}

/**
 * A decoded dataset taken whole: while no other source adds to its service, its data section is copied into the
 * object as stored and only its profile table is written again (series ids are the object's own). An early
 * compaction step is mostly this: a service pushes every 10-15 s, so a step's sources rarely hold it twice, and
 * re-interning every symbol of every profile there cost more than a tenth of ingest's CPU.
 */
class TakenDataset {
  constructor(
    readonly seg: Segment,
    readonly data: Buffer,
    /** Target series id of each of its profiles. */
    readonly sids: Int32Array,
    readonly series: Set<number>
  ) {
    for (const t of seg.profTime) {
      this.minTime = Math.min(this.minTime, t);
      this.maxTime = Math.max(this.maxTime, t);
    }
  }

  minTime = Infinity;
  maxTime = -Infinity;

  get service(): string {
    return this.seg.meta.datasets[this.seg.dataset].service;
  }
  get profiles(): number {
    return this.seg.profSeries.length;
  }
  get samples(): number {
    return this.seg.sampleStack.length;
  }

  tableColumns(): Column[] {
    const t = this.seg.table;
    const ids = t.idColumns ?? { offsets: new Int32Array([0, 0]), bytes: new Uint8Array(0) };
    return [
      this.sids,
      t.profTime,
      t.profTotal,
      t.profSampleOffsets,
      t.profId,
      t.profUuid.length === 16 * this.profiles ? t.profUuid : uuidsOrNone(t.profUuid, this.profiles),
      ids.offsets,
      ids.bytes,
    ];
  }
}

function uuidsOrNone(uuids: Uint8Array, n: number): Uint8Array {
  const out = new Uint8Array(16 * n);
  out.set(uuids.subarray(0, Math.min(uuids.length, out.length)));
  return out;
}

/** Builds one stored object from profiles of one tenant. */
export class SegmentBuilder {
  private readonly series: SeriesMeta[] = [];
  private readonly seriesIds = new Map<string, number>();
  private readonly datasets = new Map<string, DatasetBuilder>();
  private readonly taken = new Map<string, TakenDataset>();
  /** Room for the lists and tables of datasets made from stored ones (compaction), and for their id maps. */
  private readonly slab = new Slab();
  private readonly mapScratch = new MapScratch();
  private readonly v1: boolean;
  minTime = Infinity;
  maxTime = -Infinity;
  level = 0;
  sources: string[] = [];

  constructor(
    readonly tenant: string,
    opts: { version?: 1 | 2 } = {}
  ) {
    this.v1 = opts.version === FORMAT_V1;
  }

  get profileCount(): number {
    let n = 0;
    for (const d of this.datasets.values()) {
      n += d.profiles;
    }
    for (const t of this.taken.values()) {
      n += t.profiles;
    }
    return n;
  }

  private serviceOf(labels: LabelSet): string {
    return this.v1 ? '' : (labels.find(([n]) => n === 'service_name')?.[1] ?? '');
  }

  /** The dataset of a series' service; `stored`: made for profiles of stored datasets (symbols as bytes). */
  private dataset(labels: LabelSet, stored: boolean): DatasetBuilder {
    return this.serviceDataset(this.serviceOf(labels), stored);
  }

  /** `next`: the stored dataset about to be added (the room made is for it and any dataset taken whole before). */
  private serviceDataset(service: string, stored: boolean, next?: Segment): DatasetBuilder {
    let d = this.datasets.get(service);
    if (!d) {
      const t = this.taken.get(service);
      const from = [t?.seg, next].filter((x): x is Segment => x !== undefined);
      d = stored
        ? new DatasetBuilder(service, this.v1, true, from.length > 0 ? roomFor(from) : INGEST_ROOM, this.slab)
        : new DatasetBuilder(service, this.v1, false);
      this.datasets.set(service, d);
      if (t) {
        // another source adds to a dataset taken whole: its profiles are interned first, in their order
        this.taken.delete(service);
        SegmentBuilder.appendProfiles(t.seg, 0, t.profiles, (p) => t.sids[p], d, new SourceMaps(this.mapScratch));
      }
    }
    return d;
  }

  private seriesId(labels: LabelSet, profileType: string, time: number, total: number): number {
    const skey = labelsKey(labels);
    let sid = this.seriesIds.get(skey);
    if (sid === undefined) {
      sid = this.series.length;
      this.series.push({ labels, profileType, profiles: 0, total: 0, minTime: time, maxTime: time });
      this.seriesIds.set(skey, sid);
    }
    this.count(sid, time, total);
    return sid;
  }

  private count(sid: number, time: number, total: number): void {
    const sm = this.series[sid];
    sm.profiles++;
    sm.total += total;
    sm.minTime = Math.min(sm.minTime, time);
    sm.maxTime = Math.max(sm.maxTime, time);
    this.minTime = Math.min(this.minTime, time);
    this.maxTime = Math.max(this.maxTime, time);
  }

  /** The interning of `src` into dataset `d`, made on first use. */
  private static interning(
    maps: SourceMaps,
    d: DatasetBuilder,
    strings: number,
    src: SymbolSource,
    string: (i: number) => string,
    stored?: { readonly offsets: Int32Array; readonly bytes: Uint8Array }
  ): Interning {
    let it = maps.interning.get(d);
    if (!it) {
      const m = idMaps(strings, src, maps);
      it = { maps: m, ...d.interner(src, string, m, stored) };
      maps.interning.set(d, it);
    }
    return it;
  }

  /** Adds one ingested profile: one stored profile per (sample type with values, sample label set). */
  add(ip: IngestProfile): void {
    const p = ip.profile;
    const maps = new SourceMaps();
    const string = (i: number) => p.strings[i];

    // samples grouped by label set, so each (type, label set) becomes one stored profile
    const nSamples = p.sampleStack.length;
    const nSets = p.labelSets.length;
    const counts = new Int32Array(nSets + 1);
    for (let i = 0; i < nSamples; i++) {
      counts[p.sampleLabelSet[i] + 1]++;
    }
    for (let i = 1; i <= nSets; i++) {
      counts[i] += counts[i - 1];
    }
    const order = new Int32Array(nSamples);
    const fill = counts.slice(0, nSets);
    for (let i = 0; i < nSamples; i++) {
      order[fill[p.sampleLabelSet[i]]++] = i;
    }

    const base = ip.labels.filter(([n]) => n !== '__name__');
    const name = ip.labels.find(([n]) => n === '__name__')?.[1] ?? 'unknown';
    const time = ip.timeMs;
    const uuid = ip.uuid ?? NO_UUID;
    const trace = p.sampleTrace;
    for (let t = 0; t < p.sampleTypes.length; t++) {
      const values = p.sampleValues[t];
      const st = p.sampleTypes[t];
      const ptype = profileTypeId(name, st.type, st.unit, p.periodType.type, p.periodType.unit);
      for (let ls = 0; ls < nSets; ls++) {
        let total = 0;
        for (let k = counts[ls]; k < counts[ls + 1]; k++) {
          total += values[order[k]];
        }
        if (total === 0) {
          continue;
        }
        const labels = seriesLabels(
          base,
          p.labelSets[ls],
          name,
          ptype,
          st.type,
          st.unit,
          p.periodType.type,
          p.periodType.unit
        );
        const sid = this.seriesId(labels, ptype, time, total);
        const d = this.dataset(labels, false);
        const { gs, mapStack } = SegmentBuilder.interning(maps, d, p.strings.length, p, string);
        d.beginProfile(sid, time, total, ip.id ?? '', uuid);
        for (let k = counts[ls]; k < counts[ls + 1]; k++) {
          const i = order[k];
          const v = values[i];
          if (v === 0) {
            continue;
          }
          d.sampleStack.push(mapStack(p.sampleStack[i]));
          d.sampleValue.push(v);
          d.sampleSpan.push(p.sampleSpan[i] ? gs(p.sampleSpan[i]) : 0);
          d.sampleTrace.push(trace && trace[i] ? gs(trace[i]) : 0);
        }
        d.endProfile();
      }
    }
  }

  /**
   * Copies stored profile `prof` of a decoded dataset (compaction): symbols and stacks are re-interned, so the
   * result is de-duplicated across every source. `maps` carries the source's id maps between calls.
   */
  addFromSegment(seg: Segment, prof: number, maps: SourceMaps): void {
    const srcSid = seg.profSeries[prof];
    const time = seg.profTime[prof];
    const total = seg.profTotal[prof];
    let mine = maps.series.get(this);
    if (!mine) {
      mine = new Map();
      maps.series.set(this, mine);
    }
    let target = mine.get(srcSid);
    if (target) {
      this.count(target.sid, time, total);
    } else {
      const src = seg.meta.series[srcSid];
      target = {
        sid: this.seriesId(src.labels, src.profileType, time, total),
        dataset: this.dataset(src.labels, true),
      };
      mine.set(srcSid, target);
    }
    SegmentBuilder.appendProfiles(seg, prof, prof + 1, () => target.sid, target.dataset, maps);
  }

  /**
   * Adds every profile of a decoded dataset (compaction). A service with no dataset here yet takes it whole
   * (TakenDataset: no re-interning); one that has is added to in one pass (appendProfiles); a version 1 source,
   * or a dataset of several services, profile by profile.
   */
  addDataset(seg: Segment): void {
    const service = this.singleService(seg);
    if (service === null) {
      const maps = new SourceMaps();
      for (let p = 0; p < seg.profSeries.length; p++) {
        this.addFromSegment(seg, p, maps);
      }
      return;
    }
    const n = seg.profSeries.length;
    const sids = new Int32Array(n);
    const series = new Set<number>();
    const bySrc = new Map<number, number>();
    for (let p = 0; p < n; p++) {
      const srcSid = seg.profSeries[p];
      const time = seg.profTime[p];
      const total = seg.profTotal[p];
      let sid = bySrc.get(srcSid);
      if (sid === undefined) {
        const src = seg.meta.series[srcSid];
        sid = this.seriesId(src.labels, src.profileType, time, total);
        bySrc.set(srcSid, sid);
        series.add(sid);
      } else {
        this.count(sid, time, total);
      }
      sids[p] = sid;
    }
    const data = seg.dataSection;
    if (data !== null && data.length % 8 === 0 && !this.datasets.has(service) && !this.taken.has(service)) {
      this.taken.set(service, new TakenDataset(seg, data, sids, series));
      return;
    }
    const d = this.serviceDataset(service, true, seg);
    SegmentBuilder.appendProfiles(seg, 0, n, (p) => sids[p], d, new SourceMaps(this.mapScratch));
  }

  /** The one service of a stored dataset of version 2, or null: profile by profile then. */
  private singleService(seg: Segment): string | null {
    if (this.v1 || seg.dataSection === null || seg.profSeries.length === 0) {
      return null;
    }
    const service = seg.meta.datasets[seg.dataset]?.service;
    if (service === undefined) {
      return null;
    }
    // a dataset is one service; one that is not (not written by this code) is re-interned instead
    const seen = new Set<number>();
    for (const sid of seg.profSeries) {
      if (!seen.has(sid)) {
        seen.add(sid);
        if (this.serviceOf(seg.meta.series[sid].labels) !== service) {
          return null;
        }
      }
    }
    return service;
  }

  /**
   * Appends profiles [from, to) of a stored dataset to `d`, profile p as series `sidOf(p)`: symbols and stacks
   * are interned the first time a sample uses them, and the sample columns are written in one pass into room
   * reserved up front, instead of a call into the interning closures and four push() calls (each checking for
   * room) per sample. One profile (a source split between windows) or a whole dataset a merge does not take whole.
   */
  private static appendProfiles(
    seg: Segment,
    from: number,
    to: number,
    sidOf: (p: number) => number,
    d: DatasetBuilder,
    maps: SourceMaps
  ): void {
    const it = SegmentBuilder.interning(maps, d, seg.stringCount, seg, (i) => seg.string(i), seg.stringBytes);
    const { gs, mapStack } = it;
    const stackMap = it.maps.stack;
    const offs = seg.profSampleOffsets;
    const samples = offs[to] - offs[from];
    d.sampleStack.reserve(samples);
    d.sampleValue.reserve(samples);
    d.sampleSpan.reserve(samples);
    d.sampleTrace.reserve(samples);
    // interning fills other lists: these four keep their arrays while the loop writes into them
    const stackOut = d.sampleStack.data;
    const valueOut = d.sampleValue.data;
    const spanOut = d.sampleSpan.data;
    const traceOut = d.sampleTrace.data;
    const { sampleStack, sampleValue, sampleSpan, sampleTrace } = seg;
    const traces = sampleTrace.length > 0;
    let k = d.sampleStack.length;
    for (let p = from; p < to; p++) {
      d.beginProfile(
        sidOf(p),
        seg.profTime[p],
        seg.profTotal[p],
        seg.profIdString(p),
        seg.profUuid.length === 0 ? NO_UUID : seg.profUuid.subarray(16 * p, 16 * p + 16)
      );
      for (let s = offs[p]; s < offs[p + 1]; s++) {
        const st = sampleStack[s];
        const g = stackMap[st];
        stackOut[k] = g >= 0 ? g : mapStack(st);
        valueOut[k] = sampleValue[s];
        const sp = sampleSpan[s];
        spanOut[k] = sp ? gs(sp) : 0;
        const tr = traces ? sampleTrace[s] : 0;
        traceOut[k] = tr ? gs(tr) : 0;
        k++;
      }
      d.sampleStack.length = d.sampleValue.length = d.sampleSpan.length = d.sampleTrace.length = k;
      d.endProfile();
    }
  }

  encode(createdAt = Date.now()): Buffer {
    return this.v1 ? this.encodeV1(createdAt) : this.encodeV2(createdAt);
  }

  private baseMeta(version: number, createdAt: number) {
    let samples = 0;
    for (const d of this.datasets.values()) {
      samples += d.sampleStack.length;
    }
    for (const t of this.taken.values()) {
      samples += t.samples;
    }
    return {
      version,
      tenant: this.tenant,
      minTime: this.minTime,
      maxTime: this.maxTime,
      createdAt,
      profiles: this.profileCount,
      samples,
      series: this.series,
    };
  }

  /**
   * Writes header and sections: offsets in the meta depend on the meta's length, which contains them, so the
   * layout is computed against a reserved length and the JSON padded to it. The reserve is the JSON with the
   * offsets still at 0 plus room for every offset's digits (`numbers` of them, 16 digits each at most), so the
   * meta (a block's series and sources: tens of KiB) is written twice, not once per guess. Version 1
   * (`numbers` null) reserves as its writer did, guess after guess, so that its bytes stay what they were.
   */
  private static frame(
    version: number,
    meta: object,
    numbers: number | null,
    layout: (start: number) => number,
    write: (out: Buffer) => void
  ): Buffer {
    let metaLen = 0;
    if (numbers === null) {
      for (let i = 0; i < 4; i++) {
        layout(align8(HEADER_FIXED + metaLen));
        const need = Buffer.byteLength(JSON.stringify(meta));
        if (need <= metaLen) {
          break;
        }
        metaLen = need + 64;
      }
    } else {
      layout(align8(HEADER_FIXED));
      metaLen = Buffer.byteLength(JSON.stringify(meta)) + 16 * numbers + 64;
    }
    const total = layout(align8(HEADER_FIXED + metaLen));
    const json = JSON.stringify(meta);
    const out = Buffer.alloc(total);
    out.writeUInt32LE(MAGIC, 0);
    out.writeUInt32LE(version, 4);
    out.writeUInt32LE(metaLen, 8);
    const written = out.write(json, HEADER_FIXED, 'utf8');
    if (written !== Buffer.byteLength(json) || written > metaLen) {
      throw new Error('segment meta does not fit its reserved space');
    }
    out.fill(0x20, HEADER_FIXED + written, HEADER_FIXED + metaLen);
    write(out);
    return out;
  }

  /** Version 2: every dataset's profile table first (one range for a series query over all), then their data. */
  private encodeV2(createdAt: number): Buffer {
    const list: Array<LaidOut & { table: Column[]; data: Column[] | Buffer }> = [];
    for (const d of this.datasets.values()) {
      list.push({ ...d.laidOut(), table: d.tableColumns(), data: d.dataColumns() });
    }
    for (const t of this.taken.values()) {
      list.push({
        service: t.service,
        series: t.series,
        profiles: t.profiles,
        samples: t.samples,
        minTime: t.minTime,
        maxTime: t.maxTime,
        table: t.tableColumns(),
        data: t.data,
      });
    }
    list.sort((a, b) => (a.service < b.service ? -1 : a.service > b.service ? 1 : 0));
    const datasets: DatasetMeta[] = list.map((d) => ({
      service: d.service,
      series: [...d.series].sort((a, b) => a - b),
      profiles: d.profiles,
      samples: d.samples,
      minTime: d.minTime,
      maxTime: d.maxTime,
      table: [0, 0],
      data: [0, 0],
    }));
    const meta: SegmentMeta = {
      ...this.baseMeta(FORMAT_V2, createdAt),
      ...(this.level > 0 ? { level: this.level, sources: this.sources } : {}),
      datasets,
    };
    const layout = (start: number): number => {
      let pos = start;
      list.forEach((d, i) => {
        const n = sectionSize(d.table);
        datasets[i].table = [pos, n];
        pos += n;
      });
      list.forEach((d, i) => {
        // a section taken whole is 8-byte aligned in length (addDataset checks), so the next stays aligned
        const n = Buffer.isBuffer(d.data) ? d.data.length : sectionSize(d.data);
        datasets[i].data = [pos, n];
        pos += n;
      });
      return pos;
    };
    return SegmentBuilder.frame(FORMAT_V2, meta, 4 * datasets.length, layout, (out) => {
      list.forEach((d, i) => {
        writeSection(out, datasets[i].table[0], d.table);
        if (Buffer.isBuffer(d.data)) {
          out.set(d.data, datasets[i].data[0]);
        } else {
          writeSection(out, datasets[i].data[0], d.data);
        }
      });
    });
  }

  /** Version 1, byte for byte as the writer before version 2 made it (one dataset, absolute column offsets). */
  private encodeV1(createdAt: number): Buffer {
    const d = this.datasets.get('') ?? new DatasetBuilder('', true, false);
    const [stringOffsets, strings] = d.dataColumns();
    const floats: Array<[string, Float64Array]> = [
      ['profTime', d.profTime.view()],
      ['profTotal', d.profTotal.view()],
      ['sampleValue', d.sampleValue.view()],
    ];
    const ints: Array<[string, Int32Array]> = [
      ['stringOffsets', stringOffsets as Int32Array],
      ['fnName', d.fn.name.view()],
      ['fnSystemName', d.fn.sys.view()],
      ['fnFilename', d.fn.file.view()],
      ['fnStartLine', d.fn.start.view()],
      ['frameFn', d.frameFn.view()],
      ['frameLine', d.frameLine.view()],
      ['stackOffsets', d.stackOffsets.view()],
      ['stackFrames', d.stackFrames.view()],
      ['profSeries', d.profSeries.view()],
      ['profId', d.profId.view()],
      ['profSampleOffsets', d.profSampleOffsets.view()],
      ['sampleStack', d.sampleStack.view()],
      ['sampleSpan', d.sampleSpan.view()],
    ];
    const columns: Record<string, [number, number]> = {};
    const meta = {
      ...this.baseMeta(FORMAT_V1, createdAt),
      ...(this.level > 0 ? { level: this.level, sources: this.sources } : {}),
      columns,
    };
    const layout = (start: number): number => {
      let pos = start;
      for (const [c, a] of [...floats, ...ints]) {
        columns[c] = [pos, a.length];
        pos = align8(pos + a.byteLength);
      }
      columns.strings = [pos, strings.length];
      return pos + strings.length;
    };
    return SegmentBuilder.frame(FORMAT_V1, meta, null, layout, (out) => {
      for (const [c, a] of [...floats, ...ints]) {
        Buffer.from(a.buffer, a.byteOffset, a.byteLength).copy(out, columns[c][0]);
      }
      Buffer.from(strings.buffer, strings.byteOffset, strings.byteLength).copy(out, columns.strings[0]);
    });
  }
}

function seriesLabels(
  base: LabelSet,
  sampleLabels: LabelSet,
  name: string,
  ptype: string,
  type: string,
  unit: string,
  periodType: string,
  periodUnit: string
): LabelSet {
  const m = new Map<string, string>(base);
  for (const [k, v] of sampleLabels) {
    if (!k.startsWith('__')) {
      m.set(k, v);
    }
  }
  m.set('__name__', name);
  m.set('__profile_type__', ptype);
  m.set('__type__', type);
  m.set('__unit__', unit);
  m.set('__period_type__', periodType);
  m.set('__period_unit__', periodUnit);
  if (!m.get('service_name')) {
    m.set('service_name', 'unknown_service');
  }
  return sortLabels([...m.entries()]);
}
