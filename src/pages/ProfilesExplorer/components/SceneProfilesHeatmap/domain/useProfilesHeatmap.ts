import { useEffect, useState } from 'react';
import { HeatmapGrid, SeriesPoint, heatmapGrid, seriesWithExemplars } from './heatmapGrid';
import {
  ProfilesHeatmapQuery,
  fetchProfilesHeatmap,
  tempoDataSourceUids,
} from '../infrastructure/fetchProfilesHeatmap';

export type { ProfilesHeatmapQuery };

export interface ProfilesHeatmapData {
  loading: boolean;
  error?: string;
  series: SeriesPoint[];
  profiles?: HeatmapGrid;
  /** undefined when the selection has no span-labelled samples */
  spans?: HeatmapGrid;
  /** the first Tempo data source, for trace links */
  tempoUid?: string;
}

/** Slots of at least 15 s (Pyroscope's grid) and at most about 120 columns over the range. */
export function heatmapStep(start: number, end: number): number {
  return Math.max(15, Math.ceil((end - start) / 1000 / 120));
}

/** The heatmaps and the exemplar series of a selection, fetched while `enabled` and again when the query changes. */
export function useProfilesHeatmap(query: ProfilesHeatmapQuery, enabled: boolean): { data: ProfilesHeatmapData } {
  const [state, setState] = useState<{ key: string; data: ProfilesHeatmapData }>();
  const key = JSON.stringify(query);
  useEffect(() => {
    if (!enabled) {
      return;
    }
    let live = true;
    const q: ProfilesHeatmapQuery = JSON.parse(key);
    const stepMs = q.step * 1000;
    fetchProfilesHeatmap(q)
      .then((a) => {
        const spans = heatmapGrid(a.spans, stepMs);
        live &&
          setState({
            key,
            data: {
              loading: false,
              series: seriesWithExemplars(a.series),
              profiles: heatmapGrid(a.profiles, stepMs),
              spans: spans.cells.length ? spans : undefined,
              tempoUid: tempoDataSourceUids()[0],
            },
          });
      })
      .catch((e: Error) => live && setState({ key, data: { loading: false, error: e.message, series: [] } }));
    return () => {
      live = false;
    };
  }, [key, enabled]);
  // an answer for an earlier query is not shown while the next one loads
  return { data: state?.key === key ? state.data : { loading: enabled, series: [] } };
}
