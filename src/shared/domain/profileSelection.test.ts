import { encodeProfileSelection, parseProfileSelection, withMatchers } from './profileSelection';

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
});
