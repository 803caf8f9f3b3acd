// The points individual profiles (or their spans) make for exemplars and heatmaps, read from segment views.
import type { LabelSet } from '../model/labels.js';
import { ProfilePoints, type ProfilePoint } from '../model/profilePoints.js';
import type { SegmentView } from './segmentView.js';

/** One point per profile, or one per span id of a profile's samples (samples without a span make none). */
export type PointKind = 'individual' | 'span';

/** The labels of stored profiles that their series does not carry (every label but the group-by ones). */
export class PointLabels {
  private readonly memo = new Map<LabelSet, LabelSet>();
  constructor(private readonly groupBy: string[]) {}

  of(labels: LabelSet): LabelSet {
    let out = this.memo.get(labels);
    if (!out) {
      out = labels.filter(([n]) => !this.groupBy.includes(n));
      this.memo.set(labels, out);
    }
    return out;
  }
}

/**
 * Adds the points of stored profile `prof` of `seg` to `into`: the profile with `value`, or each of its spans
 * with the sum of its kept samples. `keep` (null: all) says which samples the query selected.
 */
export function addProfilePoints(
  into: ProfilePoints,
  kind: PointKind,
  seg: SegmentView,
  prof: number,
  value: number,
  labels: LabelSet,
  keep: ((s: number) => boolean) | null
): void {
  const ts = seg.profTime[prof];
  const profileId = seg.uuidOf(prof);
  if (kind === 'individual') {
    // without a UUID (objects written before them) a stored profile is a point of its own
    into.add({ ts, profileId, spanId: '', traceId: '', value, labels }, `${seg.key}\u0000${prof}`);
    return;
  }
  const bySpan = new Map<string, ProfilePoint>();
  for (let s = seg.profSampleOffsets[prof]; s < seg.profSampleOffsets[prof + 1]; s++) {
    const span = seg.spanOf(s);
    if (span === 0 || (keep && !keep(s))) {
      continue;
    }
    const trace = seg.traceOf(s);
    const k = `${span}:${trace}`;
    const cur = bySpan.get(k);
    if (cur) {
      cur.value += seg.sampleValue[s];
    } else {
      const traceId = trace === 0 ? '' : seg.string(trace).toLowerCase();
      bySpan.set(k, { ts, profileId, spanId: seg.string(span), traceId, value: seg.sampleValue[s], labels });
    }
  }
  for (const p of bySpan.values()) {
    if (p.value !== 0) {
      into.add(p);
    }
  }
}

/** Exemplars of a time series query: per group and time bucket, the points of the profiles in it. */
export class SeriesExemplars {
  private readonly byGroup = new Map<object, Map<number, ProfilePoints>>();
  private readonly labels: PointLabels;

  constructor(
    readonly kind: PointKind,
    groupBy: string[]
  ) {
    this.labels = new PointLabels(groupBy);
  }

  add(
    group: object,
    bucket: number,
    seg: SegmentView,
    prof: number,
    value: number,
    labels: LabelSet,
    keep: ((s: number) => boolean) | null
  ): void {
    let buckets = this.byGroup.get(group);
    if (!buckets) {
      buckets = new Map();
      this.byGroup.set(group, buckets);
    }
    let points = buckets.get(bucket);
    if (!points) {
      points = new ProfilePoints();
      buckets.set(bucket, points);
    }
    addProfilePoints(points, this.kind, seg, prof, value, this.labels.of(labels), keep);
  }

  /** The exemplar of a point: its highest-value profile or span, as Pyroscope keeps one per point. */
  best(group: object, bucket: number): ProfilePoint | undefined {
    return this.byGroup.get(group)?.get(bucket)?.best();
  }
}
