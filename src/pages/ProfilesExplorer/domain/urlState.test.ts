import {
  DEFAULT_EXPLORER_URL_STATE,
  EXPLORER_URL_KEYS,
  parseExplorerUrl,
  quickFilterMatcher,
  toExplorerUrl,
} from './urlState';

describe('explorer URL state', () => {
  it('uses the official app parameter names', () => {
    expect(EXPLORER_URL_KEYS).toEqual(
      expect.arrayContaining([
        'explorationType',
        'searchText',
        'panelType',
        'layout',
        'hideNoData',
        'maxNodes',
        'diffFrom',
        'diffTo',
        'from-2',
        'to-3',
      ])
    );
  });

  it('parses a link made for the official app', () => {
    const s = parseExplorerUrl({
      explorationType: 'flame-graph',
      searchText: 'runtime',
      layout: 'rows',
      hideNoData: 'on',
      maxNodes: '8192',
      panelType: 'bar-gauge',
      diffFrom: 'now-1h',
    });
    expect(s).toEqual({
      explorationType: 'flame-graph',
      searchText: 'runtime',
      layout: 'rows',
      hideNoData: true,
      maxNodes: 8192,
      panelType: 'bar-gauge',
      passthrough: { diffFrom: 'now-1h' },
    });
  });

  it('reads and writes every panel type with the official app values', () => {
    for (const panelType of ['bar-gauge', 'table', 'histogram'] as const) {
      expect(parseExplorerUrl({ panelType })).toEqual({ panelType });
      expect(toExplorerUrl({ ...DEFAULT_EXPLORER_URL_STATE, panelType }).panelType).toBe(panelType);
    }
    expect(parseExplorerUrl({ panelType: 'time-series' })).toEqual({ panelType: 'time-series' });
    // the default is left out of the URL, as the official app's links without panelType mean time series
    expect(toExplorerUrl(DEFAULT_EXPLORER_URL_STATE).panelType).toBeUndefined();
    // values the official app never writes fall back to time series
    expect(parseExplorerUrl({ panelType: 'totals' })).toEqual({ panelType: 'time-series' });
  });

  it('falls back to defaults for unknown values and leaves absent keys alone', () => {
    expect(parseExplorerUrl({ explorationType: 'nope', maxNodes: '-3', layout: 'x' })).toEqual({
      explorationType: 'all',
      maxNodes: 16384,
      layout: 'grid',
    });
    expect(parseExplorerUrl({})).toEqual({});
  });

  it('round-trips and omits defaults', () => {
    const state = {
      ...DEFAULT_EXPLORER_URL_STATE,
      explorationType: 'labels' as const,
      searchText: 'a,b',
      maxNodes: 100,
      passthrough: { 'from-2': '1' },
    };
    const url = toExplorerUrl(state);
    expect(url.explorationType).toBe('labels');
    expect(url.layout).toBeUndefined();
    expect(url.maxNodes).toBe('100');
    const back = parseExplorerUrl(Object.fromEntries(Object.entries(url).filter(([, v]) => v !== undefined)));
    expect({ ...DEFAULT_EXPLORER_URL_STATE, ...back }).toEqual(state);
  });

  it('quick filter: comma-separated regexes, case-insensitive, invalid ones as text', () => {
    const m = quickFilterMatcher('^go-, rust');
    expect(['go-app', 'rust-app', 'java-app', 'cargo'].filter(m)).toEqual(['go-app', 'rust-app']);
    expect(quickFilterMatcher('')('anything')).toBe(true);
    expect(quickFilterMatcher('a(b')('xa(bx')).toBe(true);
  });
});
