import { Profile } from 'pprof-format';
import { gunzipSync } from 'node:zlib';

// Callers, callees and per-function totals read straight from a pprof file with pprof-format: the independent
// side of the sandwich and function-details checks (no code of the backend or the app).
export interface CallGraph {
  /** function -> value of the samples with it on the stack, recursion once */
  total: Map<string, number>;
  self: Map<string, number>;
  /** direct caller -> value, for the outermost frame of the function */
  callersOf(name: string): Map<string, number>;
  /** direct callee -> value, below the outermost frame of the function */
  calleesOf(name: string): Map<string, number>;
}

export function callGraph(buf: Buffer, valueType: string): CallGraph {
  const raw = buf[0] === 0x1f && buf[1] === 0x8b ? gunzipSync(buf) : buf;
  const p = Profile.decode(raw);
  const str = (i: number | bigint) => String(p.stringTable.strings[Number(i)]);
  const vi = p.sampleType.findIndex((t) => str(t.type) === valueType);
  const functions = new Map(p.function.map((f) => [String(f.id), str(f.name)]));
  const locations = new Map(p.location.map((l) => [String(l.id), l]));
  // root first, one entry per line (inlined calls are frames of their own)
  const stacks = p.sample.map((s) => {
    const leafFirst: string[] = [];
    for (const id of s.locationId) {
      for (const line of locations.get(String(id))?.line ?? []) {
        leafFirst.push(functions.get(String(line.functionId)) ?? '?');
      }
    }
    return { frames: leafFirst.reverse(), value: Number(s.value[vi]) };
  });
  const total = new Map<string, number>();
  const self = new Map<string, number>();
  const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
  for (const { frames, value } of stacks) {
    for (const f of new Set(frames)) {
      add(total, f, value);
    }
    if (frames.length) {
      add(self, frames[frames.length - 1], value);
    }
  }
  const around = (name: string, offset: number) => {
    const out = new Map<string, number>();
    for (const { frames, value } of stacks) {
      const i = frames.indexOf(name);
      const other = frames[i + offset];
      if (i >= 0 && other !== undefined) {
        add(out, other, value);
      }
    }
    return out;
  };
  return { total, self, callersOf: (n) => around(n, -1), calleesOf: (n) => around(n, 1) };
}
