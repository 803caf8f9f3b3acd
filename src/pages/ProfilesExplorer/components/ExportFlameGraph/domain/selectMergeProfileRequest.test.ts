import { encodeSelectMergeProfileRequest, exportFileName } from './selectMergeProfileRequest';

describe('SelectMergeProfile request in protobuf binary', () => {
  it('encodes profile UUIDs as profile_id_selector (field 7)', () => {
    const b = encodeSelectMergeProfileRequest({
      profileTypeID: '',
      labelSelector: '',
      start: 0,
      end: 0,
      profileIdSelector: ['ab'],
    });
    expect(Array.from(b)).toEqual([0x0a, 0, 0x12, 0, 0x18, 0, 0x20, 0, 0x3a, 2, 0x61, 0x62]);
  });

  it('encodes strings, 64-bit times and repeated span ids with their field numbers', () => {
    const b = encodeSelectMergeProfileRequest({
      profileTypeID: 'a:b',
      labelSelector: '{}',
      start: 1,
      end: 1_700_000_000_123,
      spanSelector: ['s1', 's2'],
    });
    const end = [0xfb, 0xd0, 0x95, 0xff, 0xbc, 0x31];
    expect(Array.from(b)).toEqual([
      0x0a,
      3,
      0x61,
      0x3a,
      0x62,
      0x12,
      2,
      0x7b,
      0x7d,
      0x18,
      1,
      0x20,
      ...end,
      0x42,
      2,
      0x73,
      0x31,
      0x42,
      2,
      0x73,
      0x32,
    ]);
    // the varint of the end time read back
    const v = end.reduce((acc, byte, i) => acc + (byte & 0x7f) * 2 ** (7 * i), 0);
    expect(v).toBe(1_700_000_000_123);
  });

  it('max nodes only when asked', () => {
    const b = encodeSelectMergeProfileRequest({
      profileTypeID: '',
      labelSelector: '',
      start: 0,
      end: 0,
      maxNodes: 300,
    });
    expect(Array.from(b.slice(-3))).toEqual([0x28, 0xac, 0x02]);
  });

  it('file names say what and when', () => {
    expect(
      exportFileName('check out', 'process_cpu:cpu:nanoseconds:cpu:nanoseconds', Date.UTC(2026, 0, 2, 3, 4, 5), 'pb.gz')
    ).toBe('check_out_process_cpu-cpu_2026-01-02T03-04-05Z.pb.gz');
  });
});
