// The individual profiles (or spans) behind an aggregate, as Pyroscope's exemplar and heatmap point builders keep
// them: per series, one point per (time, profile id, span id, trace id), values summed and labels intersected
// when several stored profiles share the key (one ingested profile stored as several label sets, say).
import type { LabelSet } from './labels.js';

export interface ProfilePoint {
  /** The profile's time, ms since epoch. */
  ts: number;
  /** Server-assigned UUID; '' for profiles stored before UUIDs. */
  profileId: string;
  /** 16 hex digits for span points; '' otherwise. */
  spanId: string;
  /** 32 hex digits when the samples carried one; '' otherwise. */
  traceId: string;
  value: number;
  /** The stored profile's labels other than the series' own (intersection when merged). */
  labels: LabelSet;
}

/** Labels present with the same value in both sets (both sorted by name). */
export function intersectLabels(a: LabelSet, b: LabelSet): LabelSet {
  if (a === b) {
    return a;
  }
  const out: LabelSet = [];
  let j = 0;
  for (const [n, v] of a) {
    while (j < b.length && b[j][0] < n) {
      j++;
    }
    if (j < b.length && b[j][0] === n && b[j][1] === v) {
      out.push([n, v]);
    }
  }
  return out;
}

/**
 * Orders points as Pyroscope's builders do (time, span id, trace id, profile id), so that every choice among
 * equal values is the same on every run.
 */
export function comparePoints(a: ProfilePoint, b: ProfilePoint): number {
  return (
    a.ts - b.ts ||
    (a.spanId < b.spanId ? -1 : a.spanId > b.spanId ? 1 : 0) ||
    (a.traceId < b.traceId ? -1 : a.traceId > b.traceId ? 1 : 0) ||
    (a.profileId < b.profileId ? -1 : a.profileId > b.profileId ? 1 : 0)
  );
}

/** The points of one series. */
export class ProfilePoints {
  private readonly byKey = new Map<string, ProfilePoint>();

  /**
   * Adds a stored profile's (or span's) value. `unique` keys a point that has no profile id of its own (objects
   * written before UUIDs), so that such profiles stay apart.
   */
  add(p: ProfilePoint, unique = ''): void {
    const key = `${p.ts}\u0000${p.profileId || unique}\u0000${p.spanId}\u0000${p.traceId}`;
    const cur = this.byKey.get(key);
    if (!cur) {
      this.byKey.set(key, { ...p });
      return;
    }
    cur.value += p.value;
    cur.labels = intersectLabels(cur.labels, p.labels);
  }

  get size(): number {
    return this.byKey.size;
  }

  /** Every point, in comparePoints order. */
  points(): ProfilePoint[] {
    return [...this.byKey.values()].sort(comparePoints);
  }

  /** The highest-value point (the earliest in comparePoints order among equals), or undefined when empty. */
  best(): ProfilePoint | undefined {
    let best: ProfilePoint | undefined;
    for (const p of this.byKey.values()) {
      if (!best || p.value > best.value || (p.value === best.value && comparePoints(p, best) < 0)) {
        best = p;
      }
    }
    return best;
  }
}
