// Segment objects: one immutable object per ingest batch, tenant and hour. Symbols (strings, functions, frames)
// and stacks are de-duplicated inside the object; each profile keeps its series, time, optional client id and
// its samples (stack id, value, span id). The header (magic, version, meta JSON) comes first so that label
// queries read only a range of the object. Layout documented in docs/storage.md.
import type { IngestProfile } from '../model/profile.js';
import { labelsKey, profileTypeId, sortLabels, type LabelSet } from '../model/labels.js';
import { FloatList, IntList } from '../model/growable.js';
import { Interner } from '../model/interner.js';
import { SeqIndex } from '../model/seqIndex.js';

export const MAGIC = 0x53545950; // "PYTS" little endian
const FORMAT_VERSION = 1;
export const HEADER_FIXED = 12;

export interface SeriesMeta {
  labels: LabelSet;
  profileType: string;
  profiles: number;
  total: number;
  minTime: number;
  maxTime: number;
}

export interface SegmentMeta {
  version: number;
  tenant: string;
  minTime: number;
  maxTime: number;
  createdAt: number;
  profiles: number;
  samples: number;
  series: SeriesMeta[];
  /** 0 for a segment written by ingest; 1 for a block made by compaction. */
  level?: number;
  /** For blocks: keys of the objects merged into it; readers ignore those objects from then on. */
  sources?: string[];
  /** Column name -> [byte offset from object start, element count]. */
  columns: Record<string, [number, number]>;
}

type IntCol =
  | 'fnName'
  | 'fnSystemName'
  | 'fnFilename'
  | 'fnStartLine'
  | 'frameFn'
  | 'frameLine'
  | 'stackOffsets'
  | 'stackFrames'
  | 'profSeries'
  | 'profId'
  | 'profSampleOffsets'
  | 'sampleStack'
  | 'sampleSpan'
  | 'stringOffsets';
type FloatCol = 'profTime' | 'profTotal' | 'sampleValue';
const INT_COLS: IntCol[] = [
  'stringOffsets',
  'fnName',
  'fnSystemName',
  'fnFilename',
  'fnStartLine',
  'frameFn',
  'frameLine',
  'stackOffsets',
  'stackFrames',
  'profSeries',
  'profId',
  'profSampleOffsets',
  'sampleStack',
  'sampleSpan',
];
const FLOAT_COLS: FloatCol[] = ['profTime', 'profTotal', 'sampleValue'];

const LINE_KEY = 2 ** 24;

/** Per-source id maps used while compacting (source id -> builder id, -1 = not yet mapped). */
export interface SourceMaps {
  str: Int32Array;
  fn: Int32Array;
  frame: Int32Array;
  stack: Int32Array;
}

/** The symbol columns an ingested profile and a decoded segment both have. */
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

export function sourceMaps(seg: Segment): SourceMaps {
  return {
    str: new Int32Array(seg.stringCount).fill(-1),
    fn: new Int32Array(seg.fnName.length).fill(-1),
    frame: new Int32Array(seg.frameFn.length).fill(-1),
    stack: new Int32Array(seg.stackOffsets.length - 1).fill(-1),
  };
}

/** Builds one segment from the profiles of a batch (same tenant, same hour). */
export class SegmentBuilder {
  private readonly stringIds = new Interner(['']);
  private readonly strings = this.stringIds.strings;
  private readonly fn = { name: new IntList(), sys: new IntList(), file: new IntList(), start: new IntList() };
  private readonly fnIds = new Map<string, number>();
  private readonly frameFn = new IntList();
  private readonly frameLine = new IntList();
  private readonly frameIds = new Map<number, number>();
  private readonly stackOffsets = new IntList();
  private readonly stackFrames = new IntList(1024);
  private readonly stackIndex = new SeqIndex(1024);
  private readonly series: SeriesMeta[] = [];
  private readonly seriesIds = new Map<string, number>();
  private readonly profSeries = new IntList();
  private readonly profTime = new FloatList();
  private readonly profId = new IntList();
  private readonly profTotal = new FloatList();
  private readonly profSampleOffsets = new IntList();
  private readonly sampleStack = new IntList(1024);
  private readonly sampleValue = new FloatList(1024);
  private readonly sampleSpan = new IntList(1024);
  minTime = Infinity;
  maxTime = -Infinity;

  constructor(readonly tenant: string) {
    this.stackOffsets.push(0);
    this.profSampleOffsets.push(0);
  }

  get profileCount(): number {
    return this.profSeries.length;
  }

  private str(s: string): number {
    return this.stringIds.id(s);
  }

  /**
   * Id maps from a source's strings, functions, frames and stacks to this builder's, filled on first use: an
   * ingested profile and a compacted segment share one interning path.
   */
  private interner(
    src: SymbolSource,
    string: (i: number) => string,
    maps: SourceMaps
  ): { gs: (i: number) => number; mapStack: (s: number) => number } {
    const gs = (i: number): number => {
      let g = maps.str[i];
      if (g < 0) {
        g = this.str(string(i));
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
        const start = src.fnStartLine[f];
        const key = `${name},${sys},${file},${start}`;
        g = this.fnIds.get(key) ?? -1;
        if (g < 0) {
          g = this.fn.name.length;
          this.fn.name.push(name);
          this.fn.sys.push(sys);
          this.fn.file.push(file);
          this.fn.start.push(start);
          this.fnIds.set(key, g);
        }
        maps.fn[f] = g;
      }
      return g;
    };
    const mapFrame = (fr: number): number => {
      let g = maps.frame[fr];
      if (g < 0) {
        const fn = mapFn(src.frameFn[fr]);
        const line = src.frameLine[fr];
        const key = fn * LINE_KEY + (line >= 0 && line < LINE_KEY ? line : LINE_KEY - 1);
        g = this.frameIds.get(key) ?? -1;
        if (g < 0) {
          g = this.frameFn.length;
          this.frameFn.push(fn);
          this.frameLine.push(line);
          this.frameIds.set(key, g);
        }
        maps.frame[fr] = g;
      }
      return g;
    };
    const frames = new IntList(64);
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

  /** Adds one ingested profile: one stored profile per (sample type with values, sample label set). */
  add(ip: IngestProfile): void {
    const p = ip.profile;
    const { gs, mapStack } = this.interner(p, (i) => p.strings[i], {
      str: new Int32Array(p.strings.length).fill(-1),
      fn: new Int32Array(p.fnName.length).fill(-1),
      frame: new Int32Array(p.frameFn.length).fill(-1),
      stack: new Int32Array(p.stackOffsets.length - 1).fill(-1),
    });

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
    const idStr = ip.id ? this.str(ip.id) : 0;
    const time = ip.timeMs;
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
        const labels = this.seriesLabels(
          base,
          p.labelSets[ls],
          name,
          ptype,
          st.type,
          st.unit,
          p.periodType.type,
          p.periodType.unit
        );
        const skey = labelsKey(labels);
        let sid = this.seriesIds.get(skey);
        if (sid === undefined) {
          sid = this.series.length;
          this.series.push({ labels, profileType: ptype, profiles: 0, total: 0, minTime: time, maxTime: time });
          this.seriesIds.set(skey, sid);
        }
        const sm = this.series[sid];
        sm.profiles++;
        sm.total += total;
        sm.minTime = Math.min(sm.minTime, time);
        sm.maxTime = Math.max(sm.maxTime, time);
        this.profSeries.push(sid);
        this.profTime.push(time);
        this.profId.push(idStr);
        this.profTotal.push(total);
        for (let k = counts[ls]; k < counts[ls + 1]; k++) {
          const i = order[k];
          const v = values[i];
          if (v === 0) {
            continue;
          }
          this.sampleStack.push(mapStack(p.sampleStack[i]));
          this.sampleValue.push(v);
          this.sampleSpan.push(p.sampleSpan[i] ? gs(p.sampleSpan[i]) : 0);
        }
        this.profSampleOffsets.push(this.sampleStack.length);
      }
    }
    this.minTime = Math.min(this.minTime, time);
    this.maxTime = Math.max(this.maxTime, time);
  }

  /**
   * Copies stored profiles from a decoded segment (compaction): symbols and stacks are re-interned, so the
   * result is de-duplicated across every source. `maps` carries the per-source id maps between calls.
   */
  addFromSegment(seg: Segment, prof: number, maps: SourceMaps): void {
    const { gs, mapStack } = this.interner(seg, (i) => seg.string(i), maps);
    const src = seg.meta.series[seg.profSeries[prof]];
    const skey = labelsKey(src.labels);
    const time = seg.profTime[prof];
    const total = seg.profTotal[prof];
    let sid = this.seriesIds.get(skey);
    if (sid === undefined) {
      sid = this.series.length;
      this.series.push({
        labels: src.labels,
        profileType: src.profileType,
        profiles: 0,
        total: 0,
        minTime: time,
        maxTime: time,
      });
      this.seriesIds.set(skey, sid);
    }
    const sm = this.series[sid];
    sm.profiles++;
    sm.total += total;
    sm.minTime = Math.min(sm.minTime, time);
    sm.maxTime = Math.max(sm.maxTime, time);
    this.profSeries.push(sid);
    this.profTime.push(time);
    this.profId.push(seg.profId[prof] ? gs(seg.profId[prof]) : 0);
    this.profTotal.push(total);
    for (let s = seg.profSampleOffsets[prof]; s < seg.profSampleOffsets[prof + 1]; s++) {
      this.sampleStack.push(mapStack(seg.sampleStack[s]));
      this.sampleValue.push(seg.sampleValue[s]);
      this.sampleSpan.push(seg.sampleSpan[s] ? gs(seg.sampleSpan[s]) : 0);
    }
    this.profSampleOffsets.push(this.sampleStack.length);
    this.minTime = Math.min(this.minTime, time);
    this.maxTime = Math.max(this.maxTime, time);
  }

  private seriesLabels(
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

  level = 0;
  sources: string[] = [];

  encode(createdAt = Date.now()): Buffer {
    // all strings UTF-8 encoded into one buffer (a UTF-16 unit takes at most 3 bytes): no array per string
    let units = 0;
    for (const str of this.strings) {
      units += str.length;
    }
    const strBuf = Buffer.allocUnsafe(units * 3);
    const stringOffsets = new Int32Array(this.strings.length + 1);
    let off = 0;
    for (let i = 0; i < this.strings.length; i++) {
      stringOffsets[i] = off;
      off += strBuf.write(this.strings[i], off, 'utf8');
    }
    stringOffsets[this.strings.length] = off;
    const ints: Record<IntCol, Int32Array> = {
      stringOffsets,
      fnName: this.fn.name.view(),
      fnSystemName: this.fn.sys.view(),
      fnFilename: this.fn.file.view(),
      fnStartLine: this.fn.start.view(),
      frameFn: this.frameFn.view(),
      frameLine: this.frameLine.view(),
      stackOffsets: this.stackOffsets.view(),
      stackFrames: this.stackFrames.view(),
      profSeries: this.profSeries.view(),
      profId: this.profId.view(),
      profSampleOffsets: this.profSampleOffsets.view(),
      sampleStack: this.sampleStack.view(),
      sampleSpan: this.sampleSpan.view(),
    };
    const floats: Record<FloatCol, Float64Array> = {
      profTime: this.profTime.view(),
      profTotal: this.profTotal.view(),
      sampleValue: this.sampleValue.view(),
    };
    const meta: SegmentMeta = {
      version: FORMAT_VERSION,
      tenant: this.tenant,
      minTime: this.minTime,
      maxTime: this.maxTime,
      createdAt,
      profiles: this.profSeries.length,
      samples: this.sampleStack.length,
      series: this.series,
      ...(this.level > 0 ? { level: this.level, sources: this.sources } : {}),
      columns: {},
    };
    // Column offsets depend on the meta length, which contains them: lay out against a fixed-width
    // placeholder, then pad the JSON to the reserved size.
    const layout = (metaLen: number): number => {
      let pos = align8(HEADER_FIXED + metaLen);
      for (const c of FLOAT_COLS) {
        meta.columns[c] = [pos, floats[c].length];
        pos = align8(pos + floats[c].byteLength);
      }
      for (const c of INT_COLS) {
        meta.columns[c] = [pos, ints[c].length];
        pos = align8(pos + ints[c].byteLength);
      }
      meta.columns.strings = [pos, off];
      return pos + off;
    };
    let metaLen = 0;
    let json = '';
    for (let i = 0; i < 4; i++) {
      layout(metaLen);
      json = JSON.stringify(meta);
      const need = Buffer.byteLength(json);
      if (need <= metaLen) {
        break;
      }
      metaLen = need + 64;
    }
    const total = layout(metaLen);
    json = JSON.stringify(meta);
    const out = Buffer.alloc(total);
    out.writeUInt32LE(MAGIC, 0);
    out.writeUInt32LE(FORMAT_VERSION, 4);
    out.writeUInt32LE(metaLen, 8);
    const written = out.write(json, HEADER_FIXED, 'utf8');
    if (written !== Buffer.byteLength(json) || written > metaLen) {
      throw new Error('segment meta does not fit its reserved space');
    }
    out.fill(0x20, HEADER_FIXED + written, HEADER_FIXED + metaLen);
    for (const c of FLOAT_COLS) {
      const [pos] = meta.columns[c];
      Buffer.from(floats[c].buffer, floats[c].byteOffset, floats[c].byteLength).copy(out, pos);
    }
    for (const c of INT_COLS) {
      const [pos] = meta.columns[c];
      Buffer.from(ints[c].buffer, ints[c].byteOffset, ints[c].byteLength).copy(out, pos);
    }
    strBuf.copy(out, meta.columns.strings[0], 0, off);
    return out;
  }
}

function align8(n: number): number {
  return (n + 7) & ~7;
}

class SegmentFormatError extends Error {
  override name = 'SegmentFormatError';
}

/** Reads the header; returns the meta, or the number of bytes needed when `head` is too short. */
export function decodeMeta(head: Buffer): SegmentMeta | { need: number } {
  if (head.length < HEADER_FIXED) {
    return { need: HEADER_FIXED };
  }
  if (head.readUInt32LE(0) !== MAGIC) {
    throw new SegmentFormatError('not a segment object (bad magic)');
  }
  const version = head.readUInt32LE(4);
  if (version !== FORMAT_VERSION) {
    throw new SegmentFormatError(`unsupported segment version ${version}`);
  }
  const metaLen = head.readUInt32LE(8);
  if (head.length < HEADER_FIXED + metaLen) {
    return { need: HEADER_FIXED + metaLen };
  }
  return JSON.parse(head.toString('utf8', HEADER_FIXED, HEADER_FIXED + metaLen)) as SegmentMeta;
}

/** A decoded segment: typed-array views over the object's bytes, plus lazily decoded strings. */
export class Segment {
  readonly meta: SegmentMeta;
  readonly fnName: Int32Array;
  readonly fnSystemName: Int32Array;
  readonly fnFilename: Int32Array;
  readonly fnStartLine: Int32Array;
  readonly frameFn: Int32Array;
  readonly frameLine: Int32Array;
  readonly stackOffsets: Int32Array;
  readonly stackFrames: Int32Array;
  readonly profSeries: Int32Array;
  readonly profId: Int32Array;
  readonly profSampleOffsets: Int32Array;
  readonly sampleStack: Int32Array;
  readonly sampleSpan: Int32Array;
  readonly profTime: Float64Array;
  readonly profTotal: Float64Array;
  readonly sampleValue: Float64Array;
  private readonly stringOffsets: Int32Array;
  private readonly strBase: number;
  private cache: Array<string | undefined> | null = null;
  readonly byteSize: number;

  constructor(
    readonly key: string,
    raw: Buffer
  ) {
    // typed array views need 8-byte alignment of the underlying buffer
    const buf = raw.byteOffset % 8 === 0 ? raw : Buffer.from(raw);
    const meta = decodeMeta(buf);
    if ('need' in meta) {
      throw new SegmentFormatError(`segment ${key} is truncated`);
    }
    this.meta = meta;
    this.byteSize = buf.length;
    const int = (c: IntCol): Int32Array => {
      const [pos, n] = meta.columns[c];
      if (pos + n * 4 > buf.length) {
        throw new SegmentFormatError(`segment ${key}: column ${c} out of bounds`);
      }
      return new Int32Array(buf.buffer, buf.byteOffset + pos, n);
    };
    const flt = (c: FloatCol): Float64Array => {
      const [pos, n] = meta.columns[c];
      if (pos + n * 8 > buf.length) {
        throw new SegmentFormatError(`segment ${key}: column ${c} out of bounds`);
      }
      return new Float64Array(buf.buffer, buf.byteOffset + pos, n);
    };
    this.fnName = int('fnName');
    this.fnSystemName = int('fnSystemName');
    this.fnFilename = int('fnFilename');
    this.fnStartLine = int('fnStartLine');
    this.frameFn = int('frameFn');
    this.frameLine = int('frameLine');
    this.stackOffsets = int('stackOffsets');
    this.stackFrames = int('stackFrames');
    this.profSeries = int('profSeries');
    this.profId = int('profId');
    this.profSampleOffsets = int('profSampleOffsets');
    this.sampleStack = int('sampleStack');
    this.sampleSpan = int('sampleSpan');
    this.profTime = flt('profTime');
    this.profTotal = flt('profTotal');
    this.sampleValue = flt('sampleValue');
    this.stringOffsets = int('stringOffsets');
    this.strBase = meta.columns.strings[0];
    this.buf = buf;
  }
  private readonly buf: Buffer;

  get stringCount(): number {
    return this.stringOffsets.length - 1;
  }

  get stackCount(): number {
    return this.stackOffsets.length - 1;
  }

  /** Size of the object in the store. */
  get objectBytes(): number {
    return this.byteSize;
  }

  /** Span id of sample s as a string id (0 = none). */
  spanOf(s: number): number {
    return this.sampleSpan[s];
  }

  /** Trace id of sample s as a string id (0 = none): format v1 keeps no trace ids. */
  traceOf(_s: number): number {
    return 0;
  }

  /** The server-assigned UUID of profile p ('' = none): format v1 keeps no UUIDs. */
  uuidOf(_p: number): string {
    return '';
  }

  /**
   * What a cache holding this segment should count: its bytes, the string cache's slots, and room for the
   * query side's per-segment index (a name id per string and a call path per stack, see query/callPaths.ts).
   * Strings decoded through string() are not counted: the hot paths decode names with decodeString instead.
   */
  get cacheBytes(): number {
    return this.byteSize + 12 * this.stringCount + 4 * this.stackCount + 512;
  }

  /** String i, decoded once and kept (symbols read many times, e.g. by compaction and pprof output). */
  string(i: number): string {
    const cache = (this.cache ??= new Array<string | undefined>(this.stringCount));
    let s = cache[i];
    if (s === undefined) {
      s = this.decodeString(i);
      cache[i] = s;
    }
    return s;
  }

  /** String i, decoded without keeping it: for callers that keep their own id for it. */
  decodeString(i: number): string {
    return this.buf.toString('utf8', this.strBase + this.stringOffsets[i], this.strBase + this.stringOffsets[i + 1]);
  }
}
