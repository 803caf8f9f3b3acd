// What a profile would take encoded as pprof: the size Pyroscope's max_profile_size_bytes measures of each
// profile a JFR recording becomes (it validates the pprof it converted the recording to). Computed from the
// normalized columns without encoding anything: one location per frame, one function per function id, the
// string table, and each sample's packed location ids and values, field tags and lengths included.
import type { NormalizedProfile } from '../model/profile.js';

function varintLen(n: number): number {
  let v = Math.abs(Math.round(n));
  let len = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    len++;
  }
  return len;
}

/** A length-delimited field of `n` payload bytes with a one-byte tag. */
const field = (n: number): number => 1 + varintLen(n) + n;

export function pprofSize(p: NormalizedProfile): number {
  const nStacks = p.stackOffsets.length - 1;
  const stackBytes = new Float64Array(Math.max(0, nStacks));
  for (let s = 0; s < nStacks; s++) {
    let n = 0;
    for (let i = p.stackOffsets[s]; i < p.stackOffsets[s + 1]; i++) {
      n += varintLen(p.stackFrames[i] + 1);
    }
    stackBytes[s] = n;
  }
  let size = 0;
  const nSamples = p.sampleStack.length;
  for (let i = 0; i < nSamples; i++) {
    let values = 0;
    for (const col of p.sampleValues) {
      values += varintLen(col[i]);
    }
    let labels = 0;
    for (const [k, v] of p.labelSets[p.sampleLabelSet[i]] ?? []) {
      // Label{key, str} with string ids: ids of short tables are 1-2 bytes; the strings count in the table
      labels += field(4 + Math.min(k.length, 1) + Math.min(v.length, 1));
    }
    size += field(field(stackBytes[p.sampleStack[i]]) + field(values) + labels);
  }
  for (let f = 0; f < p.frameFn.length; f++) {
    // Location{id, line: Line{function_id, line}}
    size += field(1 + varintLen(f + 1) + field(2 + varintLen(p.frameFn[f] + 1) + varintLen(p.frameLine[f])));
  }
  for (let f = 0; f < p.fnName.length; f++) {
    // Function{id, name, system_name, filename, start_line}
    size += field(
      4 +
        varintLen(f + 1) +
        varintLen(p.fnName[f]) +
        varintLen(p.fnSystemName[f]) +
        varintLen(p.fnFilename[f]) +
        1 +
        varintLen(p.fnStartLine[f])
    );
  }
  for (const s of p.strings) {
    size += field(Buffer.byteLength(s));
  }
  // sample types, period type, period, time, duration
  return size + p.sampleTypes.length * 6 + 32;
}
