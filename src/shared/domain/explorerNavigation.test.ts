import { EXPLORATION_TYPES, PANEL_TYPES, navigationParams } from './explorerNavigation';

describe('explorer navigation', () => {
  it('uses the official app values for exploration and panel types', () => {
    expect(EXPLORATION_TYPES).toEqual(['all', 'profiles', 'labels', 'flame-graph', 'diff-flame-graph', 'favorites']);
    // grafana/profiles-drilldown ScenePanelTypeSwitcher's PanelType enum
    expect(PANEL_TYPES).toEqual(['time-series', 'bar-gauge', 'table', 'histogram']);
  });

  it('drill-down keeps other params and clears the search', () => {
    expect(navigationParams({ explorationType: 'flame-graph', serviceName: 'go-app', profileMetricId: 'cpu' })).toEqual(
      {
        explorationType: 'flame-graph',
        searchText: null,
        'var-serviceName': 'go-app',
        'var-profileMetricId': 'cpu',
      }
    );
    expect(navigationParams({ explorationType: 'labels' })).toEqual({ explorationType: 'labels', searchText: null });
  });
});
