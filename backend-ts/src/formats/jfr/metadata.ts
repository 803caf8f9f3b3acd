import {
  STRING_CHAR_ARRAY,
  STRING_CONSTANT_POOL,
  STRING_EMPTY,
  STRING_LATIN1,
  STRING_NULL,
  STRING_UTF8,
  type ByteReader,
} from './byte-reader.js';
import type { ChunkHeader } from './chunk-header.js';

export interface JfrField {
  name: string;
  typeId: number;
  /** The value is an index into the type's constant pool rather than an inline value. */
  constantPool: boolean;
  array: boolean;
}

export interface JfrClass {
  id: number;
  name: string;
  superType: string | null;
  fields: JfrField[];
}

/** The type system of one chunk: every event and value type with its fields, in encoding order. */
export interface JfrMetadata {
  byId: Map<number, JfrClass>;
  byName: Map<string, JfrClass>;
}

const METADATA_EVENT_TYPE = 0;
// Real metadata nests root > metadata > class > field > annotation (depth 5); anything far deeper is hostile.
const MAX_ELEMENT_DEPTH = 32;

/**
 * Reads the chunk's metadata event: a string table and an element tree (root > metadata > class > field).
 * Every chunk repeats it, and most of it (annotations, labels, descriptions) is of no use to a profile, so
 * strings are decoded only when an element we keep needs them and other subtrees are skipped without allocating.
 */
export function readMetadata(r: ByteReader, chunk: ChunkHeader): JfrMetadata {
  r.pos = chunk.metadataOffset;
  r.end = chunk.end;
  const size = r.varint();
  if (size === 0 || chunk.metadataOffset + size > chunk.end) {
    r.fail(`metadata event size ${size} outside chunk`, chunk.metadataOffset);
  }
  r.end = chunk.metadataOffset + size;
  const type = r.varlong();
  if (type !== METADATA_EVENT_TYPE) {
    r.fail(`expected metadata event, found type ${type}`, chunk.metadataOffset);
  }
  r.skipVarint(); // start time
  r.skipVarint(); // duration
  r.skipVarint(); // metadata id
  const strings = new StringTable(r, r.count('metadata string count'));

  const byId = new Map<number, JfrClass>();
  const byName = new Map<string, JfrClass>();
  if (strings.at(r.varint()) !== 'root') {
    r.fail('metadata does not start with a root element');
  }
  skipAttributes(r);
  const nSections = r.count('metadata child count');
  for (let s = 0; s < nSections; s++) {
    if (strings.at(r.varint()) !== 'metadata') {
      // "region" carries locale and GMT offset only.
      skipElementRest(r, 1);
      continue;
    }
    skipAttributes(r);
    const nClasses = r.count('metadata child count');
    for (let c = 0; c < nClasses; c++) {
      const cls = readClass(r, strings);
      if (cls === null) {
        continue;
      }
      byId.set(cls.id, cls);
      byName.set(cls.name, cls);
    }
  }
  return { byId, byName };
}

function readClass(r: ByteReader, strings: StringTable): JfrClass | null {
  if (strings.at(r.varint()) !== 'class') {
    skipElementRest(r, 2);
    return null;
  }
  let id: number | null = null;
  let name = '';
  let superType: string | null = null;
  const nAttrs = r.count('metadata attribute count');
  for (let i = 0; i < nAttrs; i++) {
    const k = strings.at(r.varint());
    const v = strings.at(r.varint());
    if (k === 'id') {
      id = parseTypeId(r, v);
    } else if (k === 'name') {
      name = v;
    } else if (k === 'superType') {
      superType = v;
    }
  }
  if (id === null) {
    r.fail(`class ${name} without id in metadata`);
  }
  const fields: JfrField[] = [];
  const nChildren = r.count('metadata child count');
  for (let i = 0; i < nChildren; i++) {
    if (strings.at(r.varint()) !== 'field') {
      skipElementRest(r, 3); // annotations and settings of the class
      continue;
    }
    let fieldName = '';
    let typeId: number | null = null;
    let constantPool = false;
    let array = false;
    const nFieldAttrs = r.count('metadata attribute count');
    for (let a = 0; a < nFieldAttrs; a++) {
      const k = strings.at(r.varint());
      const v = strings.at(r.varint());
      if (k === 'name') {
        fieldName = v;
      } else if (k === 'class') {
        typeId = parseTypeId(r, v);
      } else if (k === 'constantPool') {
        constantPool = v === 'true';
      } else if (k === 'dimension') {
        array = v !== '0';
      }
    }
    if (typeId === null) {
      r.fail(`field ${name}.${fieldName} without type in metadata`);
    }
    const nAnnotations = r.count('metadata child count');
    for (let a = 0; a < nAnnotations; a++) {
      skipElement(r, 4);
    }
    fields.push({ name: fieldName, typeId, constantPool, array });
  }
  return { id, name, superType, fields };
}

function parseTypeId(r: ByteReader, s: string): number {
  const n = Number(s);
  if (s === '' || !Number.isSafeInteger(n) || n < 0) {
    r.fail(`bad type id "${s}" in metadata`);
  }
  return n;
}

function skipAttributes(r: ByteReader): void {
  const n = r.count('metadata attribute count');
  for (let i = 0; i < n; i++) {
    r.skipVarint();
    r.skipVarint();
  }
}

function skipElement(r: ByteReader, depth: number): void {
  r.skipVarint(); // name
  skipElementRest(r, depth);
}

/** Skips an element whose name has been read. */
function skipElementRest(r: ByteReader, depth: number): void {
  if (depth > MAX_ELEMENT_DEPTH) {
    r.fail('metadata nested too deeply');
  }
  skipAttributes(r);
  const n = r.count('metadata child count');
  for (let i = 0; i < n; i++) {
    skipElement(r, depth + 1);
  }
}

/** The metadata string table, decoded on first use. */
class StringTable {
  private readonly r: ByteReader;
  private readonly offsets: Int32Array;
  private readonly decoded: Array<string | undefined>;

  constructor(r: ByteReader, n: number) {
    this.r = r;
    this.offsets = new Int32Array(n);
    this.decoded = new Array<string | undefined>(n);
    for (let i = 0; i < n; i++) {
      this.offsets[i] = r.pos;
      skipStringValue(r);
    }
  }

  at(i: number): string {
    const s = this.decoded[i];
    if (s !== undefined) {
      return s;
    }
    if (!(i >= 0 && i < this.offsets.length)) {
      this.r.fail(`metadata string index ${i} out of range`);
    }
    const r = this.r;
    const back = r.pos;
    r.pos = this.offsets[i]!;
    const v = r.string() ?? '';
    r.pos = back;
    this.decoded[i] = v;
    return v;
  }
}

function skipStringValue(r: ByteReader): void {
  const at = r.pos;
  const enc = r.u8();
  switch (enc) {
    case STRING_NULL:
    case STRING_EMPTY:
      return;
    case STRING_CONSTANT_POOL:
      // Metadata strings cannot point into a constant pool: there is none yet.
      return r.fail('constant-pool string in metadata', at);
    case STRING_UTF8:
    case STRING_LATIN1: {
      const n = r.count('string length');
      r.pos += n;
      return;
    }
    case STRING_CHAR_ARRAY: {
      const n = r.count('string length');
      for (let i = 0; i < n; i++) {
        r.skipVarint();
      }
      return;
    }
    default:
      return r.fail(`unknown string encoding ${enc}`, at);
  }
}
