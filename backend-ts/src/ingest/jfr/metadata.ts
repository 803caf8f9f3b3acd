import type { ByteReader } from './byte-reader.js';
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

interface Element {
  name: string;
  attrs: Map<string, string>;
  children: Element[];
}

export function readMetadata(r: ByteReader, chunk: ChunkHeader): JfrMetadata {
  r.pos = chunk.metadataOffset;
  r.end = chunk.end;
  const size = r.varint();
  if (size === 0 || chunk.metadataOffset + size > chunk.end) r.fail(`metadata event size ${size} outside chunk`, chunk.metadataOffset);
  r.end = chunk.metadataOffset + size;
  const type = r.varlong();
  if (type !== METADATA_EVENT_TYPE) r.fail(`expected metadata event, found type ${type}`, chunk.metadataOffset);
  r.skipVarint(); // start time
  r.skipVarint(); // duration
  r.skipVarint(); // metadata id
  const nStrings = r.count('metadata string count');
  const strings = new Array<string>(nStrings);
  for (let i = 0; i < nStrings; i++) strings[i] = r.string() ?? '';

  const root = readElement(r, strings, 0);
  if (root.name !== 'root') r.fail(`metadata root element is "${root.name}"`);

  const byId = new Map<number, JfrClass>();
  const byName = new Map<string, JfrClass>();
  for (const section of root.children) {
    if (section.name !== 'metadata') continue; // "region" carries locale/GMT offset only
    for (const el of section.children) {
      if (el.name !== 'class') continue;
      const id = parseTypeId(r, el.attrs.get('id'));
      const name = el.attrs.get('name') ?? '';
      const fields: JfrField[] = [];
      for (const f of el.children) {
        if (f.name !== 'field') continue;
        fields.push({
          name: f.attrs.get('name') ?? '',
          typeId: parseTypeId(r, f.attrs.get('class')),
          constantPool: f.attrs.get('constantPool') === 'true',
          array: (f.attrs.get('dimension') ?? '0') !== '0',
        });
      }
      const cls: JfrClass = { id, name, superType: el.attrs.get('superType') ?? null, fields };
      byId.set(id, cls);
      byName.set(name, cls);
    }
  }
  // Fields of undeclared types are only an error if a value of them is actually read (see TypePlans).
  return { byId, byName };
}

function parseTypeId(r: ByteReader, s: string | undefined): number {
  const n = s === undefined ? NaN : Number(s);
  if (!Number.isSafeInteger(n) || n < 0) r.fail(`bad type id "${s}" in metadata`);
  return n;
}

function readElement(r: ByteReader, strings: string[], depth: number): Element {
  if (depth > MAX_ELEMENT_DEPTH) r.fail('metadata nested too deeply');
  const name = stringAt(r, strings);
  const nAttrs = r.count('metadata attribute count');
  const attrs = new Map<string, string>();
  for (let i = 0; i < nAttrs; i++) {
    const k = stringAt(r, strings);
    attrs.set(k, stringAt(r, strings));
  }
  const nChildren = r.count('metadata child count');
  const children: Element[] = [];
  for (let i = 0; i < nChildren; i++) children.push(readElement(r, strings, depth + 1));
  return { name, attrs, children };
}

function stringAt(r: ByteReader, strings: string[]): string {
  const at = r.pos;
  const i = r.varint();
  const s = strings[i];
  if (s === undefined) r.fail(`metadata string index ${i} out of range`, at);
  return s;
}
