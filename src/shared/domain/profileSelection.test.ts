import {
  describeProfileSelection,
  encodeProfileSelection,
  narrowToProfile,
  parseProfileSelection,
  withMatchers,
} from './profileSelection';

describe('profile selection', () => {
  it('is the UUID when the backend gave one', () => {
    const v = encodeProfileSelection({ profileId: 'a-b', time: 5, labels: [{ name: 'pod', value: 'x' }] });
    expect(v).toBe('a-b');
    expect(parseProfileSelection(v)).toEqual({ profileIds: ['a-b'] });
    expect(parseProfileSelection('a, b')).toEqual({ profileIds: ['a', 'b'] });
  });

  it('is the instant and the non-reserved labels otherwise, quotes and commas in values kept', () => {
    const v = encodeProfileSelection({
      profileId: '',
      time: 1796544470000,
      labels: [
        { name: '__profile_type__', value: 'process_cpu:cpu:nanoseconds:cpu:nanoseconds' },
        { name: 'pod', value: 'checkout-1' },
        { name: 'note', value: 'a,"b"' },
      ],
    });
    expect(v).toBe('@1796544470000{pod="checkout-1",note="a,\\"b\\""}');
    expect(parseProfileSelection(v)).toEqual({
      time: 1796544470000,
      matchers: ['pod="checkout-1"', 'note="a,\\"b\\""'],
    });
  });

  it('is nothing when empty', () => {
    expect(parseProfileSelection('  ')).toBeUndefined();
  });

  it('adds matchers to a selector once', () => {
    expect(withMatchers('{service_name="checkout",pod="a"}', ['pod="a"', 'region="eu"'])).toBe(
      '{service_name="checkout",pod="a",region="eu"}'
    );
    expect(withMatchers('{}', ['pod="a"'])).toBe('{pod="a"}');
  });

  it('narrows a query to the profile: by UUID, or to its instant with its labels added', () => {
    const scope = { start: 1, end: 9, labelSelector: '{service_name="a"}', maxNodes: 5 };
    expect(narrowToProfile(scope, { profileIds: ['u'] })).toEqual({ ...scope, profileIdSelector: ['u'] });
    expect(narrowToProfile(scope, { time: 4, matchers: ['pod="p"'] })).toEqual({
      start: 4,
      end: 4,
      labelSelector: '{service_name="a",pod="p"}',
      maxNodes: 5,
    });
  });

  it('is described in words for Explain', () => {
    expect(describeProfileSelection({ profileIds: ['u1', 'u2'] })).toBe('profile u1, u2');
    expect(describeProfileSelection({ time: 0, matchers: ['pod="p"'] })).toBe(
      'the profile stored at 1970-01-01T00:00:00.000Z with labels {pod="p"}'
    );
  });
});
