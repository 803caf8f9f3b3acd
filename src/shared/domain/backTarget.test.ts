import { backTarget, returnState } from './backTarget';

describe('back to Profiles Drilldown', () => {
  it('returns to the explore view the page was opened from', () => {
    const state = returnState(
      '/a/grafana-pyroscope-app/explore',
      '?explorationType=flame-graph&var-serviceName=checkout&from=now-1h&to=now'
    );
    expect(backTarget(state, 'pyroscope')).toBe(
      '/a/grafana-pyroscope-app/explore?explorationType=flame-graph&var-serviceName=checkout&from=now-1h&to=now'
    );
  });

  it('opened directly, goes to explore with the data source in use', () => {
    expect(backTarget(undefined, 'my pyro')).toBe('/a/grafana-pyroscope-app/explore?var-dataSource=my%20pyro');
    expect(backTarget(null)).toBe('/a/grafana-pyroscope-app/explore');
  });

  it('follows only paths of the app', () => {
    expect(backTarget({ referrer: 'https://example.com/a/grafana-pyroscope-app/explore' })).toBe(
      '/a/grafana-pyroscope-app/explore'
    );
    expect(backTarget({ referrer: '/a/other-app/explore' })).toBe('/a/grafana-pyroscope-app/explore');
    expect(backTarget({ referrer: 42 })).toBe('/a/grafana-pyroscope-app/explore');
  });
});
