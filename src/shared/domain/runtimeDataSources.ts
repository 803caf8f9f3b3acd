import { DataQuery } from '@grafana/schema';

/** The app's own runtime data sources (registered at start-up by infrastructure): what panels ask them. */
export const SERIES_DATASOURCE = { type: 'grafana-pyroscope-app-series', uid: 'grafana-pyroscope-app-series' };
export const PROFILE_DATASOURCE = { type: 'grafana-pyroscope-app-profile', uid: 'grafana-pyroscope-app-profile' };

/** Fields may hold scene variables (`$dataSource`, `$serviceName`, `$filters`): the runner re-runs when they change. */
export interface SeriesQuery extends DataQuery {
  dataSourceUid: string;
  profileMetricId: string;
  labelSelector: string;
  groupBy?: string[];
  limit?: number;
  displayName?: string;
}

export interface ProfileQuery extends DataQuery {
  dataSourceUid: string;
  profileMetricId: string;
  labelSelector: string;
  maxNodes?: number | string;
  /** span ids (16 hex), comma or space separated: the profile of those spans only */
  spanSelector?: string;
}
