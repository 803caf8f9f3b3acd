import { describeFavorite, favoriteKey, parseSelector } from './favorites';

describe('favourites', () => {
  const f = {
    dataSourceUid: 'pyro',
    profileMetricId: 'process_cpu:cpu:nanoseconds:cpu:nanoseconds',
    labelSelector: '{service_name="api",region=~"eu-.*",path!="/a\\"b"}',
    groupBy: ['region', 'az'],
  };

  it('keys ignore the order of the group-by labels', () => {
    expect(favoriteKey(f)).toBe(favoriteKey({ ...f, groupBy: ['az', 'region'] }));
    expect(favoriteKey(f)).not.toBe(favoriteKey({ ...f, labelSelector: '{service_name="api"}' }));
  });

  it('reads the service and the filters back from the selector', () => {
    expect(parseSelector(f.labelSelector)).toEqual([
      { key: 'service_name', operator: '=', value: 'api' },
      { key: 'region', operator: '=~', value: 'eu-.*' },
      { key: 'path', operator: '!=', value: '/a"b' },
    ]);
    expect(describeFavorite(f)).toEqual({
      serviceName: 'api',
      filters: [
        { key: 'region', operator: '=~', value: 'eu-.*' },
        { key: 'path', operator: '!=', value: '/a"b' },
      ],
    });
    expect(parseSelector('{}')).toEqual([]);
  });
});
