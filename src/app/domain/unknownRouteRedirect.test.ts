import { unknownRouteRedirect } from './unknownRouteRedirect';

describe('unknown route redirect', () => {
  it('leaves the app routes alone', () => {
    for (const p of [
      '/a/grafana-pyroscope-app/explore',
      '/a/grafana-pyroscope-app/explore/',
      '/a/grafana-pyroscope-app/ad-hoc',
      '/a/grafana-pyroscope-app/settings',
    ]) {
      expect(unknownRouteRedirect(p, '?x=1')).toBeUndefined();
    }
  });

  it('sends anything else under the app to explore, keeping the query', () => {
    expect(unknownRouteRedirect('/a/grafana-pyroscope-app')).toBe('/a/grafana-pyroscope-app/explore');
    expect(unknownRouteRedirect('/a/grafana-pyroscope-app/')).toBe('/a/grafana-pyroscope-app/explore');
    expect(unknownRouteRedirect('/a/grafana-pyroscope-app/nope/deeper', '?var-serviceName=go-app')).toBe(
      '/a/grafana-pyroscope-app/explore?var-serviceName=go-app'
    );
    // a route name that only starts like a known one is unknown
    expect(unknownRouteRedirect('/a/grafana-pyroscope-app/explorer')).toBe('/a/grafana-pyroscope-app/explore');
  });

  it('ignores paths outside the app', () => {
    expect(unknownRouteRedirect('/a/grafana-pyroscope-app-other/x')).toBeUndefined();
    expect(unknownRouteRedirect('/explore')).toBeUndefined();
  });
});
