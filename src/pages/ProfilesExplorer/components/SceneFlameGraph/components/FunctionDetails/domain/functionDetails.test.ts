import { PprofJson } from '../../../../../../../shared/infrastructure/pyroscope/types';
import { functionDetails } from './functionDetails';
// SelectMergeProfile (Connect JSON) of backend-ts for the call site main.main > app.handle of a pprof made for
// this test: app.handle runs lines 22, 25 and calls app.parse at 22 and, inlined, at 27; parse calls mallocgc.
import handle from './testdata/selectMergeProfile-handle.json';

const ms = 1_000_000;

describe('pprof to function details', () => {
  it('self and total by line for the function of the call site', () => {
    const d = functionDetails([handle as PprofJson], 'app.handle');
    expect(d).toEqual({
      name: 'app.handle',
      file: 'github.com/acme/shop/internal/app/handle.go',
      startLine: 20,
      self: 40 * ms,
      total: 150 * ms,
      sampleType: 'cpu',
      unit: 'nanoseconds',
      lines: [
        { line: 22, self: 10 * ms, total: 60 * ms },
        { line: 25, self: 30 * ms, total: 30 * ms },
        { line: 27, self: 0, total: 60 * ms },
      ],
    });
  });

  it('an inlined function has lines of its own', () => {
    const d = functionDetails([handle as PprofJson], 'app.parse');
    expect(d.file).toBe('github.com/acme/shop/internal/app/parse.go');
    expect(d.lines).toEqual([
      { line: 41, self: 20 * ms, total: 60 * ms },
      { line: 44, self: 50 * ms, total: 50 * ms },
    ]);
    expect([d.self, d.total]).toEqual([70 * ms, 110 * ms]);
  });

  it('profiles of several call sites add up; recursion counts the outermost frame once', () => {
    const recursive: PprofJson = {
      sampleType: [{ type: '1', unit: '2' }],
      stringTable: ['', 'samples', 'count', 'f', 'g', 'f.go'],
      function: [
        { id: '1', name: '3', filename: '5', startLine: '1' },
        { id: '2', name: '4', filename: '5', startLine: '9' },
      ],
      location: [
        { id: '1', line: [{ functionId: '1', line: '2' }] },
        { id: '2', line: [{ functionId: '1', line: '3' }] },
        { id: '3', line: [{ functionId: '2', line: '10' }] },
      ],
      // f(2) -> f(3) leaf; g -> f(3) leaf
      sample: [
        { locationId: ['2', '1'], value: ['4'] },
        { locationId: ['2', '3'], value: ['6'] },
      ],
    };
    const d = functionDetails([recursive, recursive], 'f');
    expect(d.lines).toEqual([
      { line: 2, self: 0, total: 8 },
      { line: 3, self: 20, total: 12 },
    ]);
    expect([d.self, d.total]).toEqual([20, 20]);
  });

  it('a function absent from the profile has no lines', () => {
    expect(functionDetails([handle as PprofJson], 'nope')).toMatchObject({ self: 0, total: 0, lines: [], file: '' });
  });
});
