import { flamebearerFromTree } from '../../../shared/testing/flamebearerFromTree';
import { flamebearerUnit, toAdHocProfile } from './adHocProfile';

describe('ad hoc profile answers', () => {
  it('reads the flamebearer document the server put in flamebearer_profile', () => {
    const flamebearer = flamebearerFromTree({ name: 'total', self: 0, children: [{ name: 'main', self: 470 }] });
    const p = toAdHocProfile({
      id: 'abc',
      name: 'cpu.pb.gz',
      uploadedAt: '1700000000000',
      profileType: 'cpu',
      profileTypes: ['samples', 'cpu'],
      flamebearerProfile: JSON.stringify({ flamebearer, metadata: { units: 'samples', sampleRate: 1e9 } }),
    });
    expect(p).toMatchObject({
      id: 'abc',
      name: 'cpu.pb.gz',
      uploadedAt: 1_700_000_000_000,
      profileType: 'cpu',
      profileTypes: ['samples', 'cpu'],
      unit: 'ns',
    });
    expect(p.tree.total[0]).toBe(470);
  });

  it('refuses an answer without a flame graph', () => {
    expect(() => toAdHocProfile({ id: 'x' })).toThrow('without a flame graph');
  });

  it('maps legacy units to Grafana units', () => {
    expect(flamebearerUnit('samples', 1e9)).toBe('ns');
    expect(flamebearerUnit('samples', 100)).toBe('short');
    expect(flamebearerUnit('bytes', 100)).toBe('bytes');
    expect(flamebearerUnit('objects', 100)).toBe('short');
  });
});
