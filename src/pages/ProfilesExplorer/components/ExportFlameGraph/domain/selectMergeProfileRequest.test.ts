import {
  encodeSelectMergeProfileRequest,
  encodeSpanPprofRequest,
  exportFileName,
  pprofOfStacktracesResponse,
} from './selectMergeProfileRequest';

describe('SelectMergeProfile request in protobuf binary', () => {
  it('encodes strings and 64-bit times with their field numbers', () => {
    const b = encodeSelectMergeProfileRequest({
      profileTypeID: 'a:b',
      labelSelector: '{}',
      start: 1,
      end: 1_700_000_000_123,
    });
    const end = [0xfb, 0xd0, 0x95, 0xff, 0xbc, 0x31];
    expect(Array.from(b)).toEqual([0x0a, 3, 0x61, 0x3a, 0x62, 0x12, 2, 0x7b, 0x7d, 0x18, 1, 0x20, ...end]);
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

  it('a span-filtered pprof is SelectMergeStacktraces with format PPROF (6 = 4) and span_selector (11)', () => {
    const b = encodeSpanPprofRequest({
      profileTypeID: 'a',
      labelSelector: '{}',
      start: 1,
      end: 2,
      spanSelector: ['s1', 's2'],
    });
    expect(Array.from(b)).toEqual([
      0x0a, 1, 0x61, 0x12, 2, 0x7b, 0x7d, 0x18, 1, 0x20, 2, 0x30, 4, 0x5a, 2, 0x73, 0x31, 0x5a, 2, 0x73, 0x32,
    ]);
  });

  it('reads the pprof out of SelectMergeStacktracesResponse.pprof (5) .profile (1), skipping other fields', () => {
    const pprof = [0x0a, 2, 0x08, 0x01];
    // flamegraph = 1 (empty), dot = 3 ("x"), a varint field 9, then pprof = 5 { profile = 1 { ...pprof } }
    const response = Uint8Array.from([0x0a, 0, 0x1a, 1, 0x78, 0x48, 0x96, 0x01, 0x2a, 6, 0x0a, 4, ...pprof]);
    expect(Array.from(pprofOfStacktracesResponse(response))).toEqual(pprof);
    expect(pprofOfStacktracesResponse(Uint8Array.from([0x0a, 0])).length).toBe(0);
  });

  it('file names say what and when', () => {
    expect(
      exportFileName('check out', 'process_cpu:cpu:nanoseconds:cpu:nanoseconds', Date.UTC(2026, 0, 2, 3, 4, 5), 'pb.gz')
    ).toBe('check_out_process_cpu-cpu_2026-01-02T03-04-05Z.pb.gz');
  });
});
