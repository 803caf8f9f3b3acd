// Merged stacks -> google.v1.Profile (pprof), as SelectMergeProfile returns it: one sample type (the queried
// one), functions and locations de-duplicated, one sample per distinct stack.
import { create } from '@bufbuild/protobuf';
import { ProfileSchema, type Profile } from '../gen/google/v1/profile_pb.js';
import { Interner } from '../model/interner.js';
import { parseProfileTypeId } from '../model/labels.js';
import type { MergedStack } from '../model/profile.js';

export function mergedStacksToPprof(
  stacks: MergedStack[],
  profileType: string,
  timeMs: number,
  durationMs: number,
  maxNodes = 0
): Profile {
  const t = parseProfileTypeId(profileType);
  const strings = new Interner(['']);
  const str = (s: string): bigint => BigInt(strings.id(s));
  let kept = stacks;
  if (maxNodes > 0) {
    kept = truncateCallTree(stacks, maxNodes);
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
    stringTable: strings.strings,
    timeNanos: BigInt(Math.round(timeMs)) * 1_000_000n,
    durationNanos: BigInt(Math.max(0, Math.round(durationMs))) * 1_000_000n,
    periodType: { type: str(t.periodType), unit: str(t.periodUnit) },
    period: 1n,
  });
}

/** The frame that stands for what truncation cut: Pyroscope's stub function and location named "other". */
const OTHER: MergedStack['frames'][number] = ['other', '', 0, 0, 'other'];

/**
 * Truncates the merged stacks to about maxNodes call tree nodes, as Pyroscope's pprof resolver does
 * (grafana/pyroscope pkg/phlaredb/symdb/resolver_pprof_truncate.go, MinValue in pkg/model):
 * - the call tree has a node per distinct path of functions from the root (each frame is one);
 * - the threshold is the maxNodes-th largest node total (none when the tree has no more than maxNodes nodes),
 *   and the nodes below it are cut; a node's ancestors total at least as much, so a stack loses a leaf-side part;
 * - the cut part of a stack becomes one frame "other" at its leaf; a stack cut entirely is the sample [other];
 * - stacks equal after the cut are merged. Values, and so totals, are unchanged.
 * (Pyroscope's location cut keeps one cut frame too many when a stack is cut below a kept node; this keeps the
 * node selection and cuts exactly the nodes below the threshold.)
 */
function truncateCallTree(stacks: MergedStack[], maxNodes: number): MergedStack[] {
  const fnKey = (f: MergedStack['frames'][number]) => `${f[0]}\u0000${f[1]}\u0000${f[3]}\u0000${f[4]}`;
  const ids = new Map<string, number>();
  const totals: number[] = [0];
  const paths: number[][] = [];
  for (const s of stacks) {
    const path: number[] = [];
    let node = 0;
    // frames are leaf first: walk from the root
    for (let i = s.frames.length - 1; i >= 0; i--) {
      const k = `${node}\u0001${fnKey(s.frames[i])}`;
      let id = ids.get(k);
      if (id === undefined) {
        id = totals.length;
        totals.push(0);
        ids.set(k, id);
      }
      totals[id] += s.value;
      path.push(id);
      node = id;
    }
    paths.push(path);
  }
  const nodeCount = totals.length - 1;
  if (maxNodes < 1 || nodeCount <= maxNodes) {
    return stacks;
  }
  const threshold = totals.slice(1).sort((a, b) => b - a)[maxNodes - 1];
  const out = new Map<string, MergedStack>();
  stacks.forEach((s, i) => {
    const path = paths[i];
    let kept = 0;
    while (kept < path.length && totals[path[kept]] >= threshold) {
      kept++;
    }
    // the kept root-side frames, leaf first, under an "other" leaf when something was cut
    const frames = s.frames.slice(s.frames.length - kept);
    if (kept < path.length) {
      frames.unshift(OTHER);
    }
    const key = frames.map((f) => f.join('\u0000')).join('\u0001');
    const m = out.get(key);
    if (m) {
      m.value += s.value;
    } else {
      out.set(key, { frames, value: s.value });
    }
  });
  return [...out.values()];
}
