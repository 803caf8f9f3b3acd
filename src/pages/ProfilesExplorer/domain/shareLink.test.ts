import { buildShareUrl } from './shareLink';

describe('share link', () => {
  it('replaces relative times with absolute ones and keeps the rest of the view', () => {
    const url = buildShareUrl(
      'https://grafana.example/sub/',
      '/a/grafana-pyroscope-app/explore',
      '?explorationType=diff-flame-graph&from=now-1h&to=now&var-serviceName=checkout&var-spanSelector=abc&var-filtersBaseline=region%7C%3D%7Ceu',
      { from: 1_700_000_000_000, to: 1_700_003_600_000, diffFrom: 1, diffTo: 2 }
    );
    const u = new URL(url);
    expect(u.origin + u.pathname).toBe('https://grafana.example/sub/a/grafana-pyroscope-app/explore');
    expect(Object.fromEntries(u.searchParams)).toEqual({
      explorationType: 'diff-flame-graph',
      from: '1700000000000',
      to: '1700003600000',
      'var-serviceName': 'checkout',
      'var-spanSelector': 'abc',
      'var-filtersBaseline': 'region|=|eu',
      diffFrom: '1',
      diffTo: '2',
    });
  });
});
