import { exploreUrl, queryText, traceExploreUrl } from './exploreUrl';

const q = {
  dataSourceUid: 'pyro-1',
  profileMetricId: 'process_cpu:cpu:nanoseconds:cpu:nanoseconds',
  labelSelector: '{service_name="api",region="eu"}',
  groupBy: ['pod'],
  from: 'now-1h',
  to: 'now',
};

describe('Open in Explore', () => {
  it('builds a schema-1 Explore URL whose pane holds the data source query', () => {
    const url = new URL(exploreUrl(q, '/grafana'), 'http://grafana.local');
    expect(url.pathname).toBe('/grafana/explore');
    expect(url.searchParams.get('schemaVersion')).toBe('1');
    const panes = JSON.parse(url.searchParams.get('panes')!);
    expect(Object.values(panes)).toEqual([
      {
        datasource: 'pyro-1',
        range: { from: 'now-1h', to: 'now' },
        queries: [
          {
            refId: 'A',
            datasource: { type: 'grafana-pyroscope-datasource', uid: 'pyro-1' },
            queryType: 'both',
            profileTypeId: 'process_cpu:cpu:nanoseconds:cpu:nanoseconds',
            labelSelector: '{service_name="api",region="eu"}',
            groupBy: ['pod'],
            spanSelector: [],
          },
        ],
      },
    ]);
  });

  it('copies the query in Pyroscope query syntax', () => {
    expect(queryText(q)).toBe('process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name="api",region="eu"} by (pod)');
    expect(queryText({ ...q, groupBy: [] })).toBe(
      'process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name="api",region="eu"}'
    );
  });
});

describe('trace link', () => {
  it('opens the trace id in the Tempo data source over the given range', () => {
    const url = new URL(traceExploreUrl('ab'.repeat(16), 'tempo-1', { from: '1000', to: '2000' }), 'http://g.local');
    expect(url.pathname).toBe('/explore');
    expect(Object.values(JSON.parse(url.searchParams.get('panes')!))).toEqual([
      {
        datasource: 'tempo-1',
        range: { from: '1000', to: '2000' },
        queries: [
          { refId: 'A', datasource: { type: 'tempo', uid: 'tempo-1' }, queryType: 'traceql', query: 'ab'.repeat(16) },
        ],
      },
    ]);
  });
});
