// What every view of the explorer shares to move between views: the exploration types and the panel types of the
// grids, with the official app's URL values, and the query changes of a drill-down.

export type ExplorationType = 'all' | 'profiles' | 'labels' | 'flame-graph' | 'diff-flame-graph' | 'favorites';

export const EXPLORATION_TYPES: readonly ExplorationType[] = [
  'all',
  'profiles',
  'labels',
  'flame-graph',
  'diff-flame-graph',
  'favorites',
];

/**
 * Panel types of the grids, as the official app writes them in `panelType`: time series, totals (bar gauge),
 * maxima (table) and histograms.
 */
export type PanelType = 'time-series' | 'bar-gauge' | 'table' | 'histogram';

export const PANEL_TYPES: readonly PanelType[] = ['time-series', 'bar-gauge', 'table', 'histogram'];

export const DEFAULT_PANEL_TYPE: PanelType = 'time-series';

export interface NavigationTarget {
  explorationType: ExplorationType;
  serviceName?: string;
  profileMetricId?: string;
}

/** Query changes for a drill-down: everything else in the URL (time range, data source, filters) is kept. */
export function navigationParams(target: NavigationTarget): Record<string, string | null> {
  const params: Record<string, string | null> = { explorationType: target.explorationType, searchText: null };
  if (target.serviceName !== undefined) {
    params['var-serviceName'] = target.serviceName;
  }
  if (target.profileMetricId !== undefined) {
    params['var-profileMetricId'] = target.profileMetricId;
  }
  return params;
}
