import { getDataSourceSrv } from '@grafana/runtime';
import { getApiClient, TimeWindow } from '../../../../../shared/infrastructure/pyroscope/PyroscopeApiClient';
import type { SelectHeatmapResponse, SelectSeriesResponse } from '../../../../../shared/infrastructure/pyroscope/types';

export interface ProfilesHeatmapQuery extends TimeWindow {
  dataSourceUid: string;
  profileMetricId: string;
  labelSelector: string;
  /** seconds */
  step: number;
}

export interface ProfilesHeatmapAnswer {
  series: SelectSeriesResponse;
  profiles: SelectHeatmapResponse;
  spans: SelectHeatmapResponse;
}

/** The series with profile exemplars, and the heatmaps of individual profiles and of spans, in parallel. */
export async function fetchProfilesHeatmap(q: ProfilesHeatmapQuery): Promise<ProfilesHeatmapAnswer> {
  const client = getApiClient(q.dataSourceUid);
  const base = { profileTypeID: q.profileMetricId, labelSelector: q.labelSelector, start: q.start, end: q.end };
  const [series, profiles, spans] = await Promise.all([
    client.selectSeries({ ...base, step: q.step, exemplars: 'INDIVIDUAL' }),
    client.selectHeatmap({ ...base, step: q.step, queryType: 'INDIVIDUAL', withExemplars: true }),
    client.selectHeatmap({ ...base, step: q.step, queryType: 'SPAN', withExemplars: true }),
  ]);
  return { series, profiles, spans };
}

/** The Tempo data sources a trace id can be opened in, the default first. */
export function tempoDataSourceUids(): string[] {
  try {
    return getDataSourceSrv()
      .getList({ type: 'tempo' })
      .sort((a, b) => Number(b.isDefault ?? false) - Number(a.isDefault ?? false))
      .map((d) => d.uid);
  } catch {
    return [];
  }
}
