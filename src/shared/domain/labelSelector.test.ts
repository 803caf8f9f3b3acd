import { buildLabelSelector, buildProfileQuery, normalizeSelector } from './labelSelector';

describe('label selectors', () => {
  it('quotes values and keeps known operators only', () => {
    expect(
      buildLabelSelector('go-app', [
        { key: 'region', operator: '=', value: 'eu' },
        { key: 'pod', operator: '!~', value: 'a.*' },
        { key: 'bad', operator: '<', value: 'x' },
        { key: 'q', operator: '=', value: 'say "hi"' },
      ])
    ).toBe('{service_name="go-app",region="eu",pod!~"a.*",q="say \\"hi\\""}');
    expect(buildLabelSelector(undefined)).toBe('{}');
    expect(buildProfileQuery('process_cpu:cpu:nanoseconds:cpu:nanoseconds', '{}')).toBe(
      'process_cpu:cpu:nanoseconds:cpu:nanoseconds{}'
    );
  });

  it('drops the commas empty variables leave behind', () => {
    expect(normalizeSelector('{service_name="a",}')).toBe('{service_name="a"}');
    expect(normalizeSelector('{,a="1"}')).toBe('{a="1"}');
    expect(normalizeSelector('{a="1",,b="2"}')).toBe('{a="1",b="2"}');
    expect(normalizeSelector('')).toBe('{}');
  });
});
