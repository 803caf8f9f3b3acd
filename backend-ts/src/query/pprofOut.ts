// Merged stacks -> google.v1.Profile (pprof), as SelectMergeProfile returns it: one sample type (the queried
// one), functions and locations de-duplicated, one sample per distinct stack.
import { create } from '@bufbuild/protobuf';
import { ProfileSchema, type Profile } from '../gen/google/v1/profile_pb.js';
import { parseProfileTypeId } from '../model/labels.js';
import type { MergedStack } from './querier.js';

export function mergedStacksToPprof(
  stacks: MergedStack[],
  profileType: string,
  timeMs: number,
  durationMs: number,
  maxNodes = 0
): Profile {
  const t = parseProfileTypeId(profileType);
  const strings: string[] = [''];
  const stringIds = new Map<string, number>([['', 0]]);
  const str = (s: string): bigint => {
    let id = stringIds.get(s);
    if (id === undefined) {
      id = strings.length;
      strings.push(s);
      stringIds.set(s, id);
    }
    return BigInt(id);
  };
  let kept = stacks;
  if (maxNodes > 0) {
    kept = truncateByFunctionTotal(stacks, maxNodes);
  }
  const functions: Profile['function'] = [];
  const fnIds = new Map<string, bigint>();
  const locations: Profile['location'] = [];
  const locIds = new Map<string, bigint>();
  const samples: Profile['sample'] = [];
  for (const s of kept) {
    const locs: bigint[] = [];
    for (const [name, file, line, startLine, sys] of s.frames) {
      const fk = `${name}\u0000${file}\u0000${startLine}\u0000${sys}`;
      let fid = fnIds.get(fk);
      if (fid === undefined) {
        fid = BigInt(functions.length + 1);
        functions.push({
          $typeName: 'google.v1.Function',
          id: fid,
          name: str(name),
          systemName: str(sys || name),
          filename: str(file),
          startLine: BigInt(startLine),
        });
        fnIds.set(fk, fid);
      }
      const lk = `${fid}\u0000${line}`;
      let lid = locIds.get(lk);
      if (lid === undefined) {
        lid = BigInt(locations.length + 1);
        locations.push({
          $typeName: 'google.v1.Location',
          id: lid,
          mappingId: 0n,
          address: 0n,
          line: [{ $typeName: 'google.v1.Line', functionId: fid, line: BigInt(line < 0 ? line >>> 0 : line) }],
          isFolded: false,
        });
        locIds.set(lk, lid);
      }
      locs.push(lid);
    }
    samples.push({ $typeName: 'google.v1.Sample', locationId: locs, value: [BigInt(Math.round(s.value))], label: [] });
  }
  return create(ProfileSchema, {
    sampleType: [{ type: str(t.sampleType), unit: str(t.sampleUnit) }],
    sample: samples,
    location: locations,
    function: functions,
    stringTable: strings,
    timeNanos: BigInt(Math.round(timeMs)) * 1_000_000n,
    durationNanos: BigInt(Math.max(0, Math.round(durationMs))) * 1_000_000n,
    periodType: { type: str(t.periodType), unit: str(t.periodUnit) },
    period: 1n,
  });
}

/**
 * Keeps at most maxNodes distinct functions: the ones with the largest total; frames of the others are cut
 * from the stacks' leaves up (their value stays with the nearest kept caller), so totals are unchanged.
 */
function truncateByFunctionTotal(stacks: MergedStack[], maxNodes: number): MergedStack[] {
  const totals = new Map<string, number>();
  for (const s of stacks) {
    const seen = new Set<string>();
    for (const f of s.frames) {
      if (!seen.has(f[0])) {
        seen.add(f[0]);
        totals.set(f[0], (totals.get(f[0]) ?? 0) + s.value);
      }
    }
  }
  if (totals.size <= maxNodes) {
    return stacks;
  }
  const keep = new Set(
    [...totals.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, maxNodes)
      .map(([n]) => n)
  );
  const out = new Map<string, MergedStack>();
  for (const s of stacks) {
    // stacks are leaf first: drop from the leaf until a kept function
    let i = 0;
    while (i < s.frames.length && !keep.has(s.frames[i][0])) {
      i++;
    }
    const frames = s.frames.slice(i).filter((f) => keep.has(f[0]));
    const key = frames.map((f) => f.join('\u0000')).join('\u0001');
    const m = out.get(key);
    if (m) {
      m.value += s.value;
    } else {
      out.set(key, { frames, value: s.value });
    }
  }
  return [...out.values()];
}
