import { TimeWindow, getApiClient } from '../../../shared/infrastructure/pyroscope/PyroscopeApiClient';
import {
  LabelCardinality,
  ServiceCatalog,
  fetchLabelCardinalities,
  fetchServiceCatalog,
} from '../../../shared/infrastructure/pyroscope/PyroscopeRepository';

export type { LabelCardinality, ServiceCatalog };

/** Services and their profile types over a time range (one cached Series call shared by every view). */
export function loadServiceCatalog(dataSourceUid: string, window: TimeWindow): Promise<ServiceCatalog> {
  return fetchServiceCatalog(dataSourceUid, window);
}

/** The labels of a selection with their values, for the labels view. */
export function loadLabelCardinalities(
  dataSourceUid: string,
  window: TimeWindow,
  matcher: string
): Promise<LabelCardinality[]> {
  return fetchLabelCardinalities(dataSourceUid, window, matcher);
}

/** Whether the data source ever received a profile (GetProfileStats; Connect JSON leaves a false out). */
export async function hasIngestedProfiles(dataSourceUid: string): Promise<boolean> {
  const stats = await getApiClient(dataSourceUid).profileStats();
  return Boolean(stats.dataIngested);
}
