import { of } from 'rxjs';
import { fetchLabelCardinalities } from './PyroscopeRepository';

const fetchMock = jest.fn();
jest.mock('@grafana/runtime', () => ({ getBackendSrv: () => ({ fetch: fetchMock }) }));

const VALUES: Record<string, string[]> = {
  region: ['us', 'eu', 'ap'],
  pod: ['p5', 'p1', 'p3', 'p2', 'p4'],
  version: ['2.0.3'],
  cluster: ['b', 'a'],
  zone: ['z1', 'z2', 'z3'],
};

describe('label cardinalities (the labels view order)', () => {
  beforeEach(() => {
    fetchMock.mockReset();
    fetchMock.mockImplementation((o: { url: string; data: { name?: string } }) => {
      if (o.url.endsWith('/LabelNames')) {
        return of({ data: { names: ['__name__', '__profile_type__', 'service_name', ...Object.keys(VALUES)] } });
      }
      return of({ data: { names: VALUES[o.data.name!] } });
    });
  });

  it('sorts labels by their number of values, then by name; values sorted; internal labels dropped', async () => {
    const labels = await fetchLabelCardinalities('ds-order', { start: 0, end: 60_000 }, '{service_name="a"}');
    expect(labels.map((l) => `${l.name} (${l.values.length})`)).toEqual([
      'version (1)',
      'cluster (2)',
      'region (3)',
      'zone (3)',
      'pod (5)',
    ]);
    expect(labels.find((l) => l.name === 'region')!.values).toEqual(['ap', 'eu', 'us']);
    const asked = fetchMock.mock.calls.filter(([o]) => o.url.endsWith('/LabelValues')).map(([o]) => o.data.name);
    expect(asked.sort()).toEqual(Object.keys(VALUES).sort());
    for (const [o] of fetchMock.mock.calls) {
      expect(o.data.matchers).toEqual(['{service_name="a"}']);
    }
  });

  it('shares one load between identical requests made close together', async () => {
    const w = { start: 0, end: 60_000 };
    await Promise.all([
      fetchLabelCardinalities('ds-cache', w, '{service_name="b"}'),
      fetchLabelCardinalities('ds-cache', w, '{service_name="b"}'),
    ]);
    expect(fetchMock.mock.calls.filter(([o]) => o.url.endsWith('/LabelNames'))).toHaveLength(1);
  });
});
