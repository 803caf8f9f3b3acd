// -validation.max-profile-stacktrace-depth: stacks deeper than the limit are truncated, as Pyroscope's
// ValidateProfile does it: the frames nearest the leaf are dropped and the root-most `maxDepth` kept, so the
// flame graph still shows where the deep recursion came from.
import type { NormalizedProfile } from '../model/profile.js';

/** Truncates every stack deeper than maxDepth (0 = no limit) in place; returns how many stacks were cut. */
export function truncateStacks(p: NormalizedProfile, maxDepth: number): number {
  if (!(maxDepth > 0)) {
    return 0;
  }
  const n = p.stackOffsets.length - 1;
  let cut = 0;
  for (let i = 0; i < n; i++) {
    if (p.stackOffsets[i + 1] - p.stackOffsets[i] > maxDepth) {
      cut++;
    }
  }
  if (cut === 0) {
    return 0;
  }
  // stacks are leaf first: a deep stack keeps its last maxDepth frames (the root side)
  const offsets = new Int32Array(n + 1);
  let size = 0;
  for (let i = 0; i < n; i++) {
    size += Math.min(maxDepth, p.stackOffsets[i + 1] - p.stackOffsets[i]);
  }
  const frames = new Int32Array(size);
  let at = 0;
  for (let i = 0; i < n; i++) {
    const from = Math.max(p.stackOffsets[i], p.stackOffsets[i + 1] - maxDepth);
    frames.set(p.stackFrames.subarray(from, p.stackOffsets[i + 1]), at);
    at += p.stackOffsets[i + 1] - from;
    offsets[i + 1] = at;
  }
  p.stackOffsets = offsets;
  p.stackFrames = frames;
  return cut;
}
