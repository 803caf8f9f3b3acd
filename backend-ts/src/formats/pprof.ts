// pprof (perftools.profiles.Profile) reader: wire bytes -> NormalizedProfile, written by hand because it is the
// ingest hot path (the generated decoder builds an object per sample and per location).
// The pprof string table is kept as the profile's string table, so function/label string ids need no remapping.
import { gunzipSync } from 'node:zlib';
import type { NormalizedProfile, ValueType } from '../model/profile.js';
import { FormatError } from './formatError.js';
import { FloatList, IntList } from '../model/growable.js';
import { ProtoReader } from './protoReader.js';
import { SeqIndex } from '../model/seqIndex.js';

export interface PprofOptions {
  /** Uncompressed size limit; 0 = none. A larger body is rejected before it is inflated in full. */
  maxBytes?: number;
}

export function isGzip(buf: Uint8Array): boolean {
  return buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b;
}

/** Inflates a gzipped body, refusing to produce more than maxBytes (a gzip bomb costs at most that much). */
export function maybeGunzip(buf: Uint8Array, maxBytes = 0, what = 'profile'): Buffer {
  if (!isGzip(buf)) {
    if (maxBytes > 0 && buf.length > maxBytes) {
      throw new FormatError(`${what} is ${buf.length} bytes, above the limit of ${maxBytes} bytes`, 413);
    }
    return Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  try {
    return gunzipSync(buf, maxBytes > 0 ? { maxOutputLength: maxBytes } : {});
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') {
      throw new FormatError(`${what} uncompressed is above the limit of ${maxBytes} bytes`, 413);
    }
    throw new FormatError(`${what}: invalid gzip data (${(e as Error).message})`);
  }
}

/** Distinct location-id sequences, numbered in order of appearance, kept end to end in one array. */
class LocSeqTable {
  private readonly seq = new FloatList(256);
  private readonly offsets = new IntList(256);
  private readonly index: SeqIndex;

  constructor(expected: number) {
    this.index = new SeqIndex(expected);
    this.offsets.push(0);
  }

  get size(): number {
    return this.offsets.length - 1;
  }

  /** Whether sequence `id` is ids[0..n). */
  is(id: number, ids: Float64Array, n: number): boolean {
    const o = this.offsets.data[id]!;
    if (this.offsets.data[id + 1]! - o !== n) {
      return false;
    }
    const seq = this.seq.data;
    // leaf first: two different stacks usually differ at once
    for (let j = 0; j < n; j++) {
      if (seq[o + j] !== ids[j]) {
        return false;
      }
    }
    return true;
  }

  /** The sequence's number, adding it when new (then it is the table's size before the call). */
  intern(ids: Float64Array, n: number): number {
    const h = SeqIndex.hash(ids, n);
    const found = this.index.find(ids, n, h, this.seq, this.offsets);
    if (found >= 0) {
      return found;
    }
    for (let j = 0; j < n; j++) {
      this.seq.push(ids[j]!);
    }
    this.offsets.push(this.seq.length);
    return this.index.add(h);
  }
}

const LINE_KEY = 2 ** 24;

export function parsePprof(body: Uint8Array, opts: PprofOptions = {}): NormalizedProfile {
  return inflateAndDecodePprof(body, opts.maxBytes ?? 0).profile;
}

export interface DecodedPprof {
  profile: NormalizedProfile;
  /** Uncompressed size, what the rate limit counts. */
  inflatedBytes: number;
  /** Stacks cut to maxDepth while decoding. */
  truncatedStacks: number;
}

/**
 * A body inflated (within maxBytes; 0 = no limit) and decoded. Stacks deeper than maxDepth frames (0 = no limit)
 * keep their root-most maxDepth frames (as ingest/stackDepth.ts cuts them) as they are read: a 4M-frame stack
 * then costs a pass over its location ids, not 4M frames in every table the decoder builds.
 */
export function inflateAndDecodePprof(body: Uint8Array, maxBytes: number, maxDepth = 0): DecodedPprof {
  const buf = maybeGunzip(body, maxBytes);
  try {
    const cut = { stacks: 0 };
    return { profile: decode(buf, maxDepth, cut), inflatedBytes: buf.length, truncatedStacks: cut.stacks };
  } catch (e) {
    if (e instanceof FormatError) {
      throw new FormatError(`invalid pprof: ${e.message}`, e.status);
    }
    if (e instanceof RangeError) {
      throw new FormatError(`invalid pprof: ${e.message}`);
    }
    throw e;
  }
}

/** The top-level fields of a Profile: byte ranges of the repeated messages, and the scalars. */
interface TopLevel {
  strStart: IntList;
  strEnd: IntList;
  sampleRanges: IntList;
  locRanges: IntList;
  fnRanges: IntList;
  sampleTypeRaw: Array<[number, number]>;
  periodType: [number, number];
  period: number;
  timeMs: number;
  durationNanos: number;
}

// Decoding runs in phases over one buffer (top level, strings, functions, locations, samples); each phase is a
// single pass, and nested messages are read with one reader re-pointed at each (no allocation per message).
function decode(buf: Buffer, maxDepth: number, cut: { stacks: number }): NormalizedProfile {
  const top = readTopLevel(buf);
  const strings = readStrings(buf, top);
  const str = (i: number): string => {
    if (i < 0 || i >= strings.length) {
      throw new FormatError(`string index ${i} out of range (string table has ${strings.length} entries)`);
    }
    return strings[i];
  };
  const sampleTypes: ValueType[] = top.sampleTypeRaw.map(([t, u]) => ({
    type: str(t),
    unit: str(u),
  }));
  if (sampleTypes.length === 0) {
    throw new FormatError('profile has no sample types');
  }
  const sub = new ProtoReader(buf);
  const fns = readFunctions(sub, top.fnRanges, strings.length);
  const locs = readLocations(sub, top.locRanges, fns, strings);
  const smp = readSamples(buf, sub, top.sampleRanges, sampleTypes.length, locs, strings, str, maxDepth, cut);
  const { fnName, fnSystemName, fnFilename, fnStartLine, nFn } = fns;
  const { frameFn, frameLine, extraFns } = locs;
  const { sampleStack, sampleValues, sampleLabelSet, sampleSpan, sampleTrace, stackOffsets, stackFrames, labelSets } =
    smp;
  const { periodType, period, timeMs, durationNanos } = top;
  const allFnName = new Int32Array(nFn + extraFns.length);
  allFnName.set(fnName);
  extraFns.forEach((f, i) => (allFnName[nFn + i] = f.name));
  const grow = (a: Int32Array): Int32Array => {
    const out = new Int32Array(nFn + extraFns.length);
    out.set(a);
    return out;
  };
  return {
    strings,
    fnName: allFnName,
    fnSystemName: grow(fnSystemName),
    fnFilename: grow(fnFilename),
    fnStartLine: grow(fnStartLine),
    frameFn: frameFn.done(),
    frameLine: frameLine.done(),
    stackOffsets: stackOffsets.done(),
    stackFrames: stackFrames.done(),
    sampleTypes,
    periodType: { type: str(periodType[0]), unit: str(periodType[1]) },
    period,
    sampleStack,
    sampleValues,
    sampleLabelSet,
    sampleSpan,
    ...(sampleTrace ? { sampleTrace } : {}),
    labelSets,
    timeMs,
    durationNanos,
  };
}

function readTopLevel(buf: Buffer): TopLevel {
  const r = new ProtoReader(buf);
  // capacities scale with the body: small profiles are the common case and zero-filled arrays are not free
  const guess = Math.max(16, buf.length >> 6);
  const strStart = new IntList(guess);
  const strEnd = new IntList(guess);
  const sampleRanges = new IntList(guess);
  const locRanges = new IntList(guess);
  const fnRanges = new IntList(guess);
  const sampleTypeRaw: Array<[number, number]> = [];
  let periodType: [number, number] = [0, 0];
  let period = 0;
  let timeMs = 0;
  let durationNanos = 0;

  while (!r.done()) {
    const tag = r.tag();
    const field = tag >>> 3;
    const wt = tag & 7;
    if (wt === 2) {
      const end = r.lenEnd();
      switch (field) {
        case 1:
          sampleTypeRaw.push(readValueType(buf, r.pos, end));
          break;
        case 2:
          sampleRanges.push(r.pos);
          sampleRanges.push(end);
          break;
        case 4:
          locRanges.push(r.pos);
          locRanges.push(end);
          break;
        case 5:
          fnRanges.push(r.pos);
          fnRanges.push(end);
          break;
        case 6:
          strStart.push(r.pos);
          strEnd.push(end);
          break;
        case 11:
          periodType = readValueType(buf, r.pos, end);
          break;
        case 13: // packed comments
        default:
          break;
      }
      r.pos = end;
    } else if (wt === 0) {
      if (field === 9) {
        // exact integer ms, floored as Pyroscope's ns / 1e6 (a double would make 1.7e18 ns a fraction off)
        timeMs = Number(r.int64Big() / 1_000_000n);
        continue;
      }
      const v = field === 10 || field === 12 ? r.int64() : r.varint();
      if (field === 10) {
        durationNanos = v;
      } else if (field === 12) {
        period = v;
      }
    } else {
      r.skip(wt);
    }
  }

  return {
    strStart,
    strEnd,
    sampleRanges,
    locRanges,
    fnRanges,
    sampleTypeRaw,
    periodType,
    period,
    timeMs,
    durationNanos,
  };
}

function readStrings(buf: Buffer, top: TopLevel): string[] {
  const { strStart, strEnd } = top;
  const strings: string[] = new Array(strStart.length);
  for (let i = 0; i < strStart.length; i++) {
    strings[i] = buf.toString('utf8', strStart.data[i], strEnd.data[i]);
  }
  if (strings.length === 0) {
    strings.push('');
  } else if (strings[0] !== '') {
    throw new FormatError('string_table[0] must be the empty string');
  }
  const str = (i: number): string => {
    if (i < 0 || i >= strings.length) {
      throw new FormatError(`string index ${i} out of range (string table has ${strings.length} entries)`);
    }
    return strings[i];
  };
  return strings;
}

interface Functions {
  nFn: number;
  fnName: Int32Array;
  fnSystemName: Int32Array;
  fnFilename: Int32Array;
  fnStartLine: Int32Array;
  /** pprof function id -> index */
  fnIndex: Map<number, number>;
}

function readFunctions(sub: ProtoReader, fnRanges: IntList, nStrings: number): Functions {
  // functions
  const nFn = fnRanges.length / 2;
  const fnName = new Int32Array(nFn);
  const fnSystemName = new Int32Array(nFn);
  const fnFilename = new Int32Array(nFn);
  const fnStartLine = new Int32Array(nFn);
  const fnIndex = new Map<number, number>();
  for (let i = 0; i < nFn; i++) {
    const fr = sub.reset(fnRanges.data[2 * i], fnRanges.data[2 * i + 1]);
    let id = 0;
    while (!fr.done()) {
      const tag = fr.tag();
      const wt = tag & 7;
      if (wt !== 0) {
        fr.skip(wt);
        continue;
      }
      const v = fr.varint();
      switch (tag >>> 3) {
        case 1:
          id = v;
          break;
        case 2:
          fnName[i] = checkStr(v, nStrings);
          break;
        case 3:
          fnSystemName[i] = checkStr(v, nStrings);
          break;
        case 4:
          fnFilename[i] = checkStr(v, nStrings);
          break;
        case 5:
          fnStartLine[i] = v;
          break;
      }
    }
    // some writers (the .NET profiler) leave ids out: pprof ids are then positional, starting at 1
    fnIndex.set(id === 0 ? i + 1 : id, i);
  }

  return { nFn, fnName, fnSystemName, fnFilename, fnStartLine, fnIndex };
}

interface Locations {
  frameFn: IntList;
  frameLine: IntList;
  /** Functions made up for unsymbolized locations (named by address), after the profile's own. */
  extraFns: Array<{ name: number }>;
  /** Frames of location i: locFrames[locFrameStart[i] .. locFrameStart[i + 1]). */
  locFrameStart: Int32Array;
  locFrames: Int32Array;
  /** pprof location id -> index */
  locIndex: Map<number, number>;
}

/** Locations become frames (one per line, innermost first); an unsymbolized one gets a function named by address. */
function readLocations(sub: ProtoReader, locRanges: IntList, fns: Functions, strings: string[]): Locations {
  const { nFn, fnIndex } = fns;
  const frameFn = new IntList(locRanges.length);
  const frameLine = new IntList(locRanges.length);
  const frameKey = new Map<number, number>();
  const extraFns: Array<{ name: number }> = [];
  const frameOf = (fn: number, line: number): number => {
    const key = fn * LINE_KEY + (line >= 0 && line < LINE_KEY ? line : LINE_KEY - 1);
    let f = frameKey.get(key);
    if (f === undefined) {
      f = frameFn.length;
      frameFn.push(fn);
      frameLine.push(line);
      frameKey.set(key, f);
    }
    return f;
  };
  const nLoc = locRanges.length / 2;
  const locFrameStart = new Int32Array(nLoc + 1);
  const locFrames = new IntList(nLoc * 2);
  const locIndex = new Map<number, number>();
  const addrNames = new Map<string, number>();
  for (let i = 0; i < nLoc; i++) {
    const lr = sub.reset(locRanges.data[2 * i], locRanges.data[2 * i + 1]);
    let id = 0;
    let address = 0;
    const before = locFrames.length;
    locFrameStart[i] = before;
    while (!lr.done()) {
      const tag = lr.tag();
      const field = tag >>> 3;
      const wt = tag & 7;
      if (field === 4 && wt === 2) {
        const end = lr.lenEnd();
        let fnId = 0;
        let line = 0;
        while (lr.pos < end) {
          const t2 = lr.tag();
          if ((t2 & 7) !== 0) {
            lr.skip(t2 & 7);
            continue;
          }
          const v = lr.int64();
          if (t2 >>> 3 === 1) {
            fnId = v;
          } else if (t2 >>> 3 === 2) {
            line = v;
          }
        }
        lr.pos = end;
        const fn = fnIndex.get(fnId);
        if (fn === undefined) {
          throw new FormatError(`location ${id} references unknown function id ${fnId}`);
        }
        locFrames.push(frameOf(fn, line));
      } else if (wt === 0) {
        const v = lr.varint();
        if (field === 1) {
          id = v;
        } else if (field === 3) {
          address = v;
        }
      } else {
        lr.skip(wt);
      }
    }
    if (locFrames.length === before) {
      const name = address ? `0x${address.toString(16)}` : 'unknown';
      let fn = addrNames.get(name);
      if (fn === undefined) {
        strings.push(name);
        fn = nFn + extraFns.length;
        extraFns.push({ name: strings.length - 1 });
        addrNames.set(name, fn);
      }
      locFrames.push(frameOf(fn, 0));
    }
    locIndex.set(id === 0 ? i + 1 : id, i);
  }
  locFrameStart[nLoc] = locFrames.length;
  const locFramesArr = locFrames.data;

  return {
    frameFn,
    frameLine,
    extraFns,
    locFrameStart,
    locFrames: locFramesArr,
    locIndex,
  };
}

/** The id of a sample's label set (string id pairs), sorted by name; a new set is added to labelSets. */
function internLabelSet(
  lblPairs: FloatList,
  strings: string[],
  labelSets: Array<Array<[string, string]>>,
  labelSetKey: Map<string, number>
): number {
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i < lblPairs.length; i += 2) {
    pairs.push([strings[lblPairs.data[i]!], strings[lblPairs.data[i + 1]!]]);
  }
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const lk = pairs.map((p) => `${p[0]}\u0000${p[1]}`).join('\u0001');
  let ls = labelSetKey.get(lk);
  if (ls === undefined) {
    ls = labelSets.length;
    labelSets.push(pairs);
    labelSetKey.set(lk, ls);
  }
  return ls;
}

function readSamples(
  buf: Buffer,
  sub: ProtoReader,
  sampleRanges: IntList,
  nTypes: number,
  locations: Locations,
  strings: string[],
  str: (i: number) => string,
  maxDepth: number,
  cut: { stacks: number }
) {
  const { locFrameStart, locIndex } = locations;
  const locFramesArr = locations.locFrames;
  const nSamples = sampleRanges.length / 2;
  // every sample carries one value (at least one byte) per sample type: a body that declares more than it can
  // hold is refused before nTypes x nSamples numbers are allocated for it
  if (nTypes * nSamples > buf.length) {
    throw new FormatError(
      `${nSamples} samples of ${nTypes} sample types cannot fit in ${buf.length} bytes: each sample needs a value per sample type`
    );
  }
  const sampleStack = new Int32Array(nSamples);
  const sampleValues = Array.from({ length: nTypes }, () => new Float64Array(nSamples));
  const sampleLabelSet = new Int32Array(nSamples);
  const sampleSpan = new Int32Array(nSamples);
  // trace ids are rare: the column is made when the first one is met
  let sampleTrace: Int32Array | null = null;
  /** Trace id string -> the string id of its lowercase form (stored ids compare as lowercase hex). */
  const traceIds = new Map<number, number>();
  const stackOffsets = new IntList(nSamples + 1);
  stackOffsets.push(0);
  const stackFrames = new IntList(nSamples * 4);
  const stackKey = new LocSeqTable(Math.min(nSamples, 1 << 16));
  const labelSets: Array<Array<[string, string]>> = [[]];
  const labelSetKey = new Map<string, number>([['', 0]]);
  const spanKeys = new Set(['span_id', 'profile_id']);
  const locs = new FloatList(64);
  const lblPairs = new FloatList(16);
  // samples repeat their labels as they repeat stacks: a label set is sorted and keyed once per distinct raw
  // sequence of (name, value) string ids, not once per sample
  const rawLabels = new LocSeqTable(64);
  const rawToSet = new IntList(64);
  let prevStack = -1;
  // every location has at least one frame, so the root-most maxDepth locations always hold the frames a cut
  // stack keeps: while a sample is read, only the last maxDepth..2*maxDepth of its location ids are held
  const keep = maxDepth;
  let deep = false;
  const dropLeaves = () => {
    locs.data.copyWithin(0, keep, 2 * keep);
    locs.length = keep;
    deep = true;
  };

  for (let s = 0; s < nSamples; s++) {
    const sr = sub.reset(sampleRanges.data[2 * s], sampleRanges.data[2 * s + 1]);
    locs.length = 0;
    lblPairs.length = 0;
    deep = false;
    let vi = 0;
    let span = 0;
    let trace = 0;
    while (!sr.done()) {
      const tag = sr.tag();
      const field = tag >>> 3;
      const wt = tag & 7;
      if (field === 1) {
        if (wt === 2) {
          const end = sr.lenEnd();
          while (sr.pos < end) {
            locs.push(sr.varint());
            if (keep > 0 && locs.length === 2 * keep) {
              dropLeaves();
            }
          }
        } else if (wt === 0) {
          locs.push(sr.varint());
          if (keep > 0 && locs.length === 2 * keep) {
            dropLeaves();
          }
        } else {
          sr.skip(wt);
        }
      } else if (field === 2) {
        if (wt === 2) {
          const end = sr.lenEnd();
          while (sr.pos < end) {
            const v = sr.int64();
            if (vi < nTypes) {
              sampleValues[vi][s] = v;
            }
            vi++;
          }
        } else if (wt === 0) {
          const v = sr.int64();
          if (vi < nTypes) {
            sampleValues[vi][s] = v;
          }
          vi++;
        } else {
          sr.skip(wt);
        }
      } else if (field === 3 && wt === 2) {
        const end = sr.lenEnd();
        let key = 0;
        let val = 0;
        while (sr.pos < end) {
          const t2 = sr.tag();
          if ((t2 & 7) !== 0) {
            sr.skip(t2 & 7);
            continue;
          }
          const v = sr.varint();
          if (t2 >>> 3 === 1) {
            key = v;
          } else if (t2 >>> 3 === 2) {
            val = v;
          }
        }
        sr.pos = end;
        // numeric labels (str 0) are not series labels in Pyroscope
        if (val !== 0) {
          const k = str(key);
          str(val);
          if (spanKeys.has(k)) {
            span = val;
          } else if (k === 'trace_id') {
            trace = val;
          } else {
            lblPairs.push(key);
            lblPairs.push(val);
          }
        }
      } else {
        sr.skip(wt);
      }
    }
    if (vi !== nTypes) {
      throw new FormatError(`sample ${s} has ${vi} values for ${nTypes} sample types`);
    }
    // a stack deeper than maxDepth keeps the root-most locations that give it maxDepth frames (leaf first, so
    // the last ones); the boundary location's extra frames are dropped below. Dropped locations are not looked
    // up: nothing of them is stored
    if (maxDepth > 0 && locs.length > maxDepth) {
      let frames = 0;
      let from = locs.length;
      while (from > 0 && frames < maxDepth) {
        const li = locIndex.get(locs.data[--from]);
        if (li === undefined) {
          throw new FormatError(`sample ${s} references unknown location id ${locs.data[from]}`);
        }
        frames += locFrameStart[li + 1] - locFrameStart[li];
      }
      if (from > 0) {
        deep = true;
        locs.data.copyWithin(0, from, locs.length);
        locs.length -= from;
      }
    }
    // stack: samples repeat stacks, so the location sequence is looked up before it is resolved to frames (a
    // sample often repeats the one before it: compared first, without a hash)
    const known = stackKey.size;
    const stack =
      prevStack >= 0 && stackKey.is(prevStack, locs.data, locs.length)
        ? prevStack
        : stackKey.intern(locs.data, locs.length);
    prevStack = stack;
    if (stack === known) {
      for (let i = 0; i < locs.length; i++) {
        const li = locIndex.get(locs.data[i]);
        if (li === undefined) {
          throw new FormatError(`sample ${s} references unknown location id ${locs.data[i]}`);
        }
        for (let j = locFrameStart[li]; j < locFrameStart[li + 1]; j++) {
          stackFrames.push(locFramesArr[j]);
        }
      }
      const start = stackOffsets.data[stackOffsets.length - 1];
      if (maxDepth > 0 && stackFrames.length - start > maxDepth) {
        deep = true;
        stackFrames.data.copyWithin(start, stackFrames.length - maxDepth, stackFrames.length);
        stackFrames.length = start + maxDepth;
      }
      if (deep) {
        cut.stacks++;
      }
      stackOffsets.push(stackFrames.length);
    }
    sampleStack[s] = stack;
    sampleSpan[s] = span;
    if (trace !== 0) {
      let id = traceIds.get(trace);
      if (id === undefined) {
        const lower = strings[trace].toLowerCase();
        id = lower === strings[trace] ? trace : strings.push(lower) - 1;
        traceIds.set(trace, id);
      }
      (sampleTrace ??= new Int32Array(nSamples))[s] = id;
    }
    if (lblPairs.length > 0) {
      const seen = rawLabels.size;
      const raw = rawLabels.intern(lblPairs.data, lblPairs.length);
      if (raw === seen) {
        rawToSet.push(internLabelSet(lblPairs, strings, labelSets, labelSetKey));
      }
      sampleLabelSet[s] = rawToSet.data[raw]!;
    }
  }

  return {
    sampleStack,
    sampleValues,
    sampleLabelSet,
    sampleSpan,
    sampleTrace,
    stackOffsets,
    stackFrames,
    labelSets,
  };
}

function checkStr(i: number, n: number): number {
  if (i >= n) {
    throw new FormatError(`string index ${i} out of range (string table has ${n} entries)`);
  }
  return i;
}

function readValueType(buf: Uint8Array, start: number, end: number): [number, number] {
  const r = new ProtoReader(buf, start, end);
  let type = 0;
  let unit = 0;
  while (!r.done()) {
    const tag = r.tag();
    if ((tag & 7) !== 0) {
      r.skip(tag & 7);
      continue;
    }
    const v = r.varint();
    if (tag >>> 3 === 1) {
      type = v;
    } else if (tag >>> 3 === 2) {
      unit = v;
    }
  }
  return [type, unit];
}
