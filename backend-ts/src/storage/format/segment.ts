// Decoded datasets: typed-array views over the bytes of a stored object, the same shape for both format versions.
// A ProfileTable is what time-series queries read (per profile: series, time, total, UUID, client id, sample
// range); a Segment is one dataset whole (its table plus symbols, stacks and samples with span and trace ids).
import { SectionReader } from './columns.js';
import { decodeMeta, FORMAT_V1, SegmentFormatError, type SegmentMeta } from './meta.js';

/** Column order of a version 2 profile table section. */
export const TABLE_COLUMNS = [
  'profSeries',
  'profTime',
  'profTotal',
  'profSampleOffsets',
  'profId',
  'profUuid',
  'idOffsets',
  'idBytes',
] as const;
/** Column order of a version 2 data section. */
export const DATA_COLUMNS = [
  'stringOffsets',
  'strings',
  'fnName',
  'fnSystemName',
  'fnFilename',
  'fnStartLine',
  'frameFn',
  'frameLine',
  'stackOffsets',
  'stackFrames',
  'sampleStack',
  'sampleValue',
  'sampleSpan',
  'sampleTrace',
] as const;

const col = <T extends readonly string[]>(names: T, name: T[number]): number => names.indexOf(name);
const T = (name: (typeof TABLE_COLUMNS)[number]) => col(TABLE_COLUMNS, name);
const D = (name: (typeof DATA_COLUMNS)[number]) => col(DATA_COLUMNS, name);

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** 16 bytes at `off` as a lowercase canonical UUID; '' when they are all zero (no UUID). */
export function formatUuid(bytes: Uint8Array, off: number): string {
  let any = 0;
  for (let i = 0; i < 16; i++) {
    any |= bytes[off + i];
  }
  if (any === 0) {
    return '';
  }
  let s = '';
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) {
      s += '-';
    }
    s += HEX[bytes[off + i]];
  }
  return s;
}

/** Strings stored as offsets into one UTF-8 buffer, decoded on demand. */
class StringColumn {
  constructor(
    readonly offsets: Int32Array,
    readonly bytes: Buffer
  ) {}

  get count(): number {
    return Math.max(0, this.offsets.length - 1);
  }

  get(i: number): string {
    return this.bytes.toString('utf8', this.offsets[i], this.offsets[i + 1]);
  }
}

/** One dataset's profiles. */
export class ProfileTable {
  readonly profSeries: Int32Array;
  readonly profTime: Float64Array;
  readonly profTotal: Float64Array;
  readonly profSampleOffsets: Int32Array;
  /** Client id of each profile: an index into the table's ids (v2) or the dataset's strings (v1); 0 = none. */
  readonly profId: Int32Array;
  /** 16 bytes per profile: the UUID the server gave the ingested profile (v2; empty in v1 objects). */
  readonly profUuid: Uint8Array;
  /** Bytes of the table section (v2) or of the whole object (v1) this table was decoded from. */
  readonly byteSize: number;
  /** The client id strings as stored (v2; compaction copies them with a dataset it takes whole). */
  readonly idColumns: { offsets: Int32Array; bytes: Uint8Array } | null;
  /** Whether any profile has a client id. */
  readonly hasProfileIds: boolean;

  constructor(
    readonly key: string,
    readonly meta: SegmentMeta,
    readonly dataset: number,
    cols: {
      profSeries: Int32Array;
      profTime: Float64Array;
      profTotal: Float64Array;
      profSampleOffsets: Int32Array;
      profId: Int32Array;
      profUuid: Uint8Array;
    },
    private readonly idString: (id: number) => string,
    byteSize: number,
    idColumns: { offsets: Int32Array; bytes: Uint8Array } | null = null
  ) {
    this.idColumns = idColumns;
    this.profSeries = cols.profSeries;
    this.profTime = cols.profTime;
    this.profTotal = cols.profTotal;
    this.profSampleOffsets = cols.profSampleOffsets;
    this.profId = cols.profId;
    this.profUuid = cols.profUuid;
    this.byteSize = byteSize;
    const n = this.profSeries.length;
    if (
      this.profTime.length !== n ||
      this.profTotal.length !== n ||
      this.profSampleOffsets.length !== n + 1 ||
      this.profId.length !== n ||
      (this.profUuid.length !== 0 && this.profUuid.length !== 16 * n)
    ) {
      throw new SegmentFormatError(`segment ${key}: profile table columns disagree in length`);
    }
    this.hasProfileIds = this.profId.some((id) => id !== 0);
  }

  get length(): number {
    return this.profSeries.length;
  }

  /** The client id of profile p (push RawSample.ID), '' when it has none. */
  profIdString(p: number): string {
    const id = this.profId[p];
    return id === 0 ? '' : this.idString(id);
  }

  /** The UUID of profile p (lowercase canonical), '' when it has none (version 1 objects). */
  uuidOf(p: number): string {
    return this.profUuid.length === 0 ? '' : formatUuid(this.profUuid, 16 * p);
  }
}

/** Decodes the table section of dataset d of a version 2 object. */
export function decodeTable(key: string, meta: SegmentMeta, d: number, section: Buffer): ProfileTable {
  const r = new SectionReader(section, `segment ${key} dataset ${d} table`);
  const idOffsets = r.int(T('idOffsets'));
  const idBytes = r.bytes(T('idBytes'));
  const ids = new StringColumn(idOffsets, idBytes);
  return new ProfileTable(
    key,
    meta,
    d,
    {
      profSeries: r.int(T('profSeries')),
      profTime: r.float(T('profTime')),
      profTotal: r.float(T('profTotal')),
      profSampleOffsets: r.int(T('profSampleOffsets')),
      profId: r.int(T('profId')),
      profUuid: r.bytes(T('profUuid')),
    },
    (i) => ids.get(i),
    section.length,
    { offsets: idOffsets, bytes: idBytes }
  );
}

interface DataColumns {
  fnName: Int32Array;
  fnSystemName: Int32Array;
  fnFilename: Int32Array;
  fnStartLine: Int32Array;
  frameFn: Int32Array;
  frameLine: Int32Array;
  stackOffsets: Int32Array;
  stackFrames: Int32Array;
  sampleStack: Int32Array;
  sampleValue: Float64Array;
  sampleSpan: Int32Array;
  sampleTrace: Int32Array;
}

/** One dataset whole: its profile table and its symbols, stacks and samples. */
export class Segment {
  readonly fnName: Int32Array;
  readonly fnSystemName: Int32Array;
  readonly fnFilename: Int32Array;
  readonly fnStartLine: Int32Array;
  readonly frameFn: Int32Array;
  readonly frameLine: Int32Array;
  readonly stackOffsets: Int32Array;
  readonly stackFrames: Int32Array;
  readonly sampleStack: Int32Array;
  readonly sampleValue: Float64Array;
  /** Span id (string id, 0 = none) of each sample. */
  readonly sampleSpan: Int32Array;
  /** Trace id (string id of lowercase hex, 0 = none) of each sample; empty in version 1 objects. */
  readonly sampleTrace: Int32Array;
  private cache: Array<string | undefined> | null = null;
  /** Bytes read for it: its two sections (v2) or the whole object (v1). */
  readonly byteSize: number;

  constructor(
    readonly table: ProfileTable,
    cols: DataColumns,
    private readonly strings: StringColumn,
    dataBytes: number,
    /**
     * The data section as stored (v2): it refers only to itself (strings, symbols, stacks, samples), so
     * compaction can copy it into a block unchanged when no other source adds to the dataset.
     */
    readonly dataSection: Buffer | null = null
  ) {
    this.fnName = cols.fnName;
    this.fnSystemName = cols.fnSystemName;
    this.fnFilename = cols.fnFilename;
    this.fnStartLine = cols.fnStartLine;
    this.frameFn = cols.frameFn;
    this.frameLine = cols.frameLine;
    this.stackOffsets = cols.stackOffsets;
    this.stackFrames = cols.stackFrames;
    this.sampleStack = cols.sampleStack;
    this.sampleValue = cols.sampleValue;
    this.sampleSpan = cols.sampleSpan;
    this.sampleTrace = cols.sampleTrace;
    this.byteSize = table.meta.version === FORMAT_V1 ? dataBytes : table.byteSize + dataBytes;
    const n = this.sampleStack.length;
    if (
      this.sampleValue.length !== n ||
      this.sampleSpan.length !== n ||
      (this.sampleTrace.length !== 0 && this.sampleTrace.length !== n) ||
      this.stackOffsets.length < 1 ||
      this.table.profSampleOffsets[this.table.length] > n
    ) {
      throw new SegmentFormatError(`segment ${table.key}: sample columns disagree in length`);
    }
  }

  get key(): string {
    return this.table.key;
  }
  get meta(): SegmentMeta {
    return this.table.meta;
  }
  get dataset(): number {
    return this.table.dataset;
  }
  get profSeries(): Int32Array {
    return this.table.profSeries;
  }
  get profTime(): Float64Array {
    return this.table.profTime;
  }
  get profTotal(): Float64Array {
    return this.table.profTotal;
  }
  get profSampleOffsets(): Int32Array {
    return this.table.profSampleOffsets;
  }
  get profId(): Int32Array {
    return this.table.profId;
  }
  get profUuid(): Uint8Array {
    return this.table.profUuid;
  }

  get stringCount(): number {
    return this.strings.count;
  }

  get stackCount(): number {
    return this.stackOffsets.length - 1;
  }

  /** Bytes this dataset cost to read (query stats). */
  get objectBytes(): number {
    return this.byteSize;
  }

  /** Span id of sample s as a string id (0 = none). */
  spanOf(s: number): number {
    return this.sampleSpan[s];
  }

  /** Trace id of sample s as a string id (0 = none). */
  traceOf(s: number): number {
    return this.sampleTrace.length === 0 ? 0 : this.sampleTrace[s];
  }

  profIdString(p: number): string {
    return this.table.profIdString(p);
  }

  get hasProfileIds(): boolean {
    return this.table.hasProfileIds;
  }

  uuidOf(p: number): string {
    return this.table.uuidOf(p);
  }

  /**
   * What a cache holding this dataset should count: its bytes, the string cache's slots, and room for the
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
      s = this.strings.get(i);
      cache[i] = s;
    }
    return s;
  }

  /** The strings as stored: UTF-8 bytes, string i at bytes[offsets[i] .. offsets[i + 1]). */
  get stringBytes(): { readonly offsets: Int32Array; readonly bytes: Buffer } {
    return this.strings;
  }

  /** String i, decoded without keeping it: for callers that keep their own id for it. */
  decodeString(i: number): string {
    return this.strings.get(i);
  }
}

/** Decodes dataset d of a version 2 object from its table and data sections. */
export function decodeDataset(table: ProfileTable, section: Buffer): Segment {
  const r = new SectionReader(section, `segment ${table.key} dataset ${table.dataset} data`);
  return new Segment(
    table,
    {
      fnName: r.int(D('fnName')),
      fnSystemName: r.int(D('fnSystemName')),
      fnFilename: r.int(D('fnFilename')),
      fnStartLine: r.int(D('fnStartLine')),
      frameFn: r.int(D('frameFn')),
      frameLine: r.int(D('frameLine')),
      stackOffsets: r.int(D('stackOffsets')),
      stackFrames: r.int(D('stackFrames')),
      sampleStack: r.int(D('sampleStack')),
      sampleValue: r.float(D('sampleValue')),
      sampleSpan: r.int(D('sampleSpan')),
      sampleTrace: r.int(D('sampleTrace')),
    },
    new StringColumn(r.int(D('stringOffsets')), r.bytes(D('strings'))),
    section.length,
    section
  );
}

/** The one dataset of a version 1 object (columns at absolute offsets, client ids in the string table). */
function decodeV1(key: string, meta: SegmentMeta, raw: Buffer): Segment {
  const buf = raw.byteOffset % 8 === 0 ? raw : Buffer.from(raw);
  const cols = meta.columns ?? {};
  const at = (c: string, elem: number): [number, number] => {
    const p = cols[c];
    if (!p || p[0] + p[1] * elem > buf.length) {
      throw new SegmentFormatError(`segment ${key}: column ${c} out of bounds`);
    }
    return [buf.byteOffset + p[0], p[1]];
  };
  const int = (c: string) => new Int32Array(buf.buffer, ...at(c, 4));
  const flt = (c: string) => new Float64Array(buf.buffer, ...at(c, 8));
  const [strOff, strLen] = at('strings', 1);
  const strings = new StringColumn(int('stringOffsets'), Buffer.from(buf.buffer, strOff, strLen));
  const table = new ProfileTable(
    key,
    meta,
    0,
    {
      profSeries: int('profSeries'),
      profTime: flt('profTime'),
      profTotal: flt('profTotal'),
      profSampleOffsets: int('profSampleOffsets'),
      profId: int('profId'),
      profUuid: new Uint8Array(0),
    },
    (i) => strings.get(i),
    buf.length
  );
  return new Segment(
    table,
    {
      fnName: int('fnName'),
      fnSystemName: int('fnSystemName'),
      fnFilename: int('fnFilename'),
      fnStartLine: int('fnStartLine'),
      frameFn: int('frameFn'),
      frameLine: int('frameLine'),
      stackOffsets: int('stackOffsets'),
      stackFrames: int('stackFrames'),
      sampleStack: int('sampleStack'),
      sampleValue: flt('sampleValue'),
      sampleSpan: int('sampleSpan'),
      sampleTrace: new Int32Array(0),
    },
    strings,
    buf.length
  );
}

/** A whole stored object decoded: its meta and every dataset. */
export interface DecodedObject {
  key: string;
  meta: SegmentMeta;
  datasets: Segment[];
  byteSize: number;
}

/** Decodes a whole object of either version. */
export function decodeObject(key: string, raw: Buffer): DecodedObject {
  const meta = decodeMeta(raw);
  if ('need' in meta) {
    throw new SegmentFormatError(`segment ${key} is truncated`);
  }
  if (meta.version === FORMAT_V1) {
    return { key, meta, datasets: [decodeV1(key, meta, raw)], byteSize: raw.length };
  }
  const datasets = meta.datasets.map((d, i) =>
    decodeDataset(decodeTable(key, meta, i, slice(key, raw, d.table)), slice(key, raw, d.data))
  );
  return { key, meta, datasets, byteSize: raw.length };
}

/**
 * The profile table of dataset d from its section, read on its own (a version 1 object's one dataset: from the
 * whole object).
 */
export function tableOf(key: string, meta: SegmentMeta, d: number, table: Buffer): ProfileTable {
  return meta.version === FORMAT_V1 ? decodeV1(key, meta, table).table : decodeTable(key, meta, d, table);
}

/** Dataset d from its two sections, read on their own (version 1: `table` is the whole object, `data` unused). */
export function datasetOf(key: string, meta: SegmentMeta, d: number, table: Buffer, data: Buffer): Segment {
  return meta.version === FORMAT_V1
    ? decodeV1(key, meta, table)
    : decodeDataset(decodeTable(key, meta, d, table), data);
}

/** The bytes of a section, checked against the object. */
export function slice(key: string, raw: Buffer, [off, len]: [number, number]): Buffer {
  if (off < 0 || len < 0 || off + len > raw.length) {
    throw new SegmentFormatError(`segment ${key}: section [${off}, ${off + len}) out of bounds`);
  }
  return raw.subarray(off, off + len);
}
