import { summedSeriesPoints } from '../../../../../shared/domain/converters/summedSeriesPoints';
import { buildProfileQuery, normalizeSelector } from '../../../../../shared/domain/labelSelector';
import { TimeWindow, getApiClient } from '../../../../../shared/infrastructure/pyroscope/PyroscopeApiClient';
import { RenderResponse } from '../../../../../shared/infrastructure/pyroscope/types';

export interface DiffSideQuery {
  profileMetricId: string;
  selector: string;
  /** the brushed range of this side */
  selection: TimeWindow;
}

/** The side's time series over the whole time range, at the step of the official app (at least 15 s). */
export async function fetchSideSeries(
  dataSourceUid: string,
  profileMetricId: string,
  selector: string,
  window: TimeWindow
): Promise<Array<[number, number]>> {
  const step = Math.max(15, Math.ceil((window.end - window.start) / 1000 / 200));
  const r = await getApiClient(dataSourceUid).selectSeries({
    profileTypeID: profileMetricId,
    labelSelector: normalizeSelector(selector),
    start: window.start,
    end: window.end,
    step,
  });
  return summedSeriesPoints(r);
}

/** The diff of the two selections from the backend (render-diff: both trees merged and aligned there). */
export function fetchDiff(
  dataSourceUid: string,
  baseline: DiffSideQuery,
  comparison: DiffSideQuery,
  maxNodes: number
): Promise<RenderResponse> {
  const side = (q: DiffSideQuery) => ({
    query: buildProfileQuery(q.profileMetricId, normalizeSelector(q.selector)),
    start: q.selection.start,
    end: q.selection.end,
    maxNodes,
  });
  return getApiClient(dataSourceUid).renderDiff(side(baseline), side(comparison));
}
