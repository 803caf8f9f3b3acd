import { readLastDataSourceUid, storeLastDataSourceUid } from './lastDataSource';

const list = jest.fn();
jest.mock('@grafana/runtime', () => ({ getDataSourceSrv: () => ({ getList: list }) }));

describe('data source choice', () => {
  beforeEach(() => {
    localStorage.clear();
    list.mockReturnValue([
      { uid: 'a', isDefault: false },
      { uid: 'b', isDefault: true },
    ]);
  });

  it('prefers the last used data source', () => {
    storeLastDataSourceUid('a');
    expect(readLastDataSourceUid()).toBe('a');
  });

  it('falls back to the default when the last used one is gone, then to the first', () => {
    storeLastDataSourceUid('removed');
    expect(readLastDataSourceUid()).toBe('b');
    list.mockReturnValue([{ uid: 'x' }, { uid: 'y' }]);
    expect(readLastDataSourceUid()).toBe('x');
  });

  it('asks only for Pyroscope data sources', () => {
    readLastDataSourceUid();
    expect(list).toHaveBeenCalledWith({ pluginId: 'grafana-pyroscope-datasource' });
  });
});
