import { exploreUrl, queryText } from './exploreUrl';

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
