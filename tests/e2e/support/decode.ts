import { Profile } from 'pprof-format';
import { gunzipSync } from 'node:zlib';

// An independent reading of a pprof file (pprof-format, not the backend's or the app's code).
export interface Decoded {
  total: number;
  samples: number;
  /** self value per leaf function name */
  selfByFunction: Map<string, number>;
}

export function decodePprof(buf: Buffer, valueType: string, filter?: { key: string; value: string }): Decoded {
  const raw = buf[0] === 0x1f && buf[1] === 0x8b ? gunzipSync(buf) : buf;
  const p = Profile.decode(raw);
  const str = (i: number | bigint) => String(p.stringTable.strings[Number(i)]);
  const vi = p.sampleType.findIndex((t) => str(t.type) === valueType);
  const si = p.sampleType.findIndex((t) => str(t.type) === 'samples');
  const functions = new Map(p.function.map((f) => [String(f.id), str(f.name)]));
  const locations = new Map(p.location.map((l) => [String(l.id), l]));
  const selfByFunction = new Map<string, number>();
  let total = 0;
  let samples = 0;
  for (const s of p.sample) {
    if (filter && !s.label.some((l) => str(l.key) === filter.key && str(l.str) === filter.value)) {
      continue;
    }
    const v = Number(s.value[vi]);
    total += v;
    samples += si >= 0 ? Number(s.value[si]) : 0;
    // The leaf frame is the innermost line of the first location.
    const loc = locations.get(String(s.locationId[0]));
    const name = loc ? (functions.get(String(loc.line[0]?.functionId)) ?? '?') : '?';
    selfByFunction.set(name, (selfByFunction.get(name) ?? 0) + v);
  }
  return { total, samples, selfByFunction };
}

export function topSelf(d: Decoded): [string, number] {
  return [...d.selfByFunction.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0];
}

/** Nodes of a flamebearer (the backend's /pyroscope/render answer) whose name matches, the root excluded. */
export function countMatchingNodes(
  fb: { names: string[]; levels: number[][] },
  matches: (name: string) => boolean
): number {
  let n = 0;
  fb.levels.forEach((level, li) => {
    for (let i = 3; li > 0 && i < level.length; i += 4) {
      if (matches(fb.names[level[i]])) {
        n++;
      }
    }
  });
  return n;
}

/** Distinct values of the `profile_id` sample label (the legacy name of `span_id`). */
export function spanIds(buf: Buffer): string[] {
  const raw = buf[0] === 0x1f && buf[1] === 0x8b ? gunzipSync(buf) : buf;
  const p = Profile.decode(raw);
  const str = (i: number | bigint) => String(p.stringTable.strings[Number(i)]);
  const ids = new Set<string>();
  for (const s of p.sample) {
    for (const l of s.label) {
      if (str(l.key) === 'profile_id' || str(l.key) === 'span_id') {
        ids.add(str(l.str));
      }
    }
  }
  return [...ids];
}
