import { AdHocFiltersVariable } from '@grafana/scenes';
import { compareFilters, compareUrlParams, filterUrlValue } from './compareFilters';

/** What AdHocFiltersVariable itself reads from its URL parameter. */
function readBack(values: string[]) {
  const v = new AdHocFiltersVariable({ name: 'filtersBaseline', filters: [] });
  v.urlSync!.updateFromUrl({ 'var-filtersBaseline': values });
  return v.state.filters.map((f) => ({ key: f.key, operator: f.operator, value: f.value }));
}

/** What AdHocFiltersVariable itself writes for these filters. */
function written(filters: Array<{ key: string; operator: string; value: string }>) {
  const v = new AdHocFiltersVariable({ name: 'filtersBaseline', filters });
  return v.urlSync!.getUrlState()['var-filtersBaseline'];
}

describe('compare filters', () => {
  it('writes plain filters as key|operator|value', () => {
    expect(filterUrlValue({ key: 'region', operator: '=', value: 'eu' })).toBe('region|=|eu');
  });

  it('escapes |, , and # in values as scenes does, so they read back whole', () => {
    const tricky = [
      { key: 'route', operator: '=', value: 'a|b' },
      { key: 'tags', operator: '=', value: 'x,y' },
      { key: 'frag', operator: '!=', value: 'p#q|r,s' },
    ];
    const values = tricky.map(filterUrlValue);
    expect(values).toEqual(['route|=|a__gfp__b', 'tags|=|x__gfc__y', 'frag|!=|p__gfh__q__gfp__r__gfc__s']);
    expect(values).toEqual(written(tricky));
    expect(readBack(values)).toEqual(tricky);
  });

  it('keeps the other filters, replaces any on the compared label and adds one value per side', () => {
    const current = [
      { key: 'region', operator: '=', value: 'eu|west' },
      { key: 'function', operator: '!=', value: 'slow' },
    ];
    const { baseline, comparison } = compareFilters(current, 'function', 'fast', 'a,b');
    expect(baseline).toEqual(['region|=|eu__gfp__west', 'function|=|fast']);
    expect(comparison).toEqual(['region|=|eu__gfp__west', 'function|=|a__gfc__b']);
    expect(readBack(comparison)).toEqual([
      { key: 'region', operator: '=', value: 'eu|west' },
      { key: 'function', operator: '=', value: 'a,b' },
    ]);
  });

  it('opens the diff with both sides over the labels view time range, selecting all of it', () => {
    expect(
      compareUrlParams(
        [{ key: 'foo', operator: '=', value: 'bar' }],
        'region',
        ['eu', 'us'],
        { from: 'now-15m', to: 'now' },
        { start: 1_000_000.4, end: 1_900_000 }
      )
    ).toEqual({
      explorationType: 'diff-flame-graph',
      'var-filtersBaseline': ['foo|=|bar', 'region|=|eu'],
      'var-filtersComparison': ['foo|=|bar', 'region|=|us'],
      'from-2': 'now-15m',
      'to-2': 'now',
      'from-3': 'now-15m',
      'to-3': 'now',
      diffFrom: '1000000',
      diffTo: '1900000',
      'diffFrom-2': '1000000',
      'diffTo-2': '1900000',
    });
  });
});
