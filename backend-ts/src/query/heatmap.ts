// SelectHeatmap's merge: every selected stored profile (or each of its spans) becomes a point of its group-by
// series, as Pyroscope's query backend feeds its heatmap builder; model/heatmap.ts then buckets the points.
import { compareLabelSets, labelsKey, sortLabels, type LabelSet } from '../model/labels.js';
import type { HeatmapSeriesIn } from '../model/heatmap.js';
import { ProfilePoints } from '../model/profilePoints.js';
import { scan, type QueryStats, type ScanIO, type SourceOf, type Visit } from './merger.js';
import type { QueryPlan } from './planner.js';
import { addProfilePoints, PointLabels, type PointKind } from './profilePoints.js';
import type { SegmentView } from './segmentView.js';
import type { Slicer } from './slicer.js';

interface Series {
  labels: LabelSet;
  points: ProfilePoints;
}

export async function mergeHeatmap(
  plan: QueryPlan,
  io: ScanIO,
  source: SourceOf<SegmentView>,
  kind: PointKind,
  groupBy: string[],
  slicer: Slicer
): Promise<{ series: HeatmapSeriesIn[]; stats: QueryStats }> {
  const byKey = new Map<string, Series>();
  const ofSeries = new Map<number, Series>();
  const pointLabels = new PointLabels(groupBy);
  const visit: Visit<SegmentView> = (seg, prof, ok, labels, sid) => {
    let series = ofSeries.get(sid);
    if (!series) {
      const proj = sortLabels(labels.filter(([n]) => groupBy.includes(n)));
      const k = labelsKey(proj);
      series = byKey.get(k);
      if (!series) {
        series = { labels: proj, points: new ProfilePoints() };
        byKey.set(k, series);
      }
      ofSeries.set(sid, series);
    }
    addProfilePoints(series.points, kind, seg, prof, seg.profTotal[prof], pointLabels.of(labels), ok);
  };
  const stats = await scan(plan, io, source, visit, slicer);
  const series = [...byKey.values()]
    .sort((a, b) => compareLabelSets(a.labels, b.labels))
    .map((s) => ({ labels: s.labels, points: s.points.points() }));
  return { series, stats };
}
