import { readPanelRange, readSelection, writePanelRange, writeSelection } from './diffRanges';

describe('diff selections in the URL', () => {
  const window = { start: 1_000_000, end: 2_000_000 };

  it('reads the official app keys, absolute ms', () => {
    const p = { diffFrom: '1100000', diffTo: '1200000', 'diffFrom-2': '1500000', 'diffTo-2': '1900000' };
    expect(readSelection(p, 'baseline', window)).toEqual({ start: 1_100_000, end: 1_200_000 });
    expect(readSelection(p, 'comparison', window)).toEqual({ start: 1_500_000, end: 1_900_000 });
  });

  it('defaults to the two halves of the time range, also for an empty or reversed range', () => {
    expect(readSelection({}, 'baseline', window)).toEqual({ start: 1_000_000, end: 1_500_000 });
    expect(readSelection({ 'diffFrom-2': '9', 'diffTo-2': '3' }, 'comparison', window)).toEqual({
      start: 1_500_000,
      end: 2_000_000,
    });
  });

  it('writes absolute times and keeps the other keys', () => {
    const p = writeSelection({ 'from-2': 'now-1h', diffFrom: '1' }, 'baseline', { start: 1234.4, end: 5678.6 });
    expect(p).toEqual({ 'from-2': 'now-1h', diffFrom: '1234', diffTo: '5679' });
  });

  it('accepts date math', () => {
    const s = readSelection({ diffFrom: 'now-2h', diffTo: 'now-1h' }, 'baseline', window);
    expect(Math.abs(s.end - s.start - 3_600_000)).toBeLessThan(1000);
  });

  it('a side with its own time range shows it and selects all of it by default', () => {
    const p = { 'from-3': '1700000', 'to-3': '1800000' };
    expect(readPanelRange(p, 'comparison', window)).toEqual({ start: 1_700_000, end: 1_800_000 });
    expect(readPanelRange(p, 'baseline', window)).toEqual(window);
    expect(readSelection(p, 'comparison', window)).toEqual({ start: 1_700_000, end: 1_800_000 });
    expect(readSelection(p, 'baseline', window)).toEqual({ start: 1_000_000, end: 1_500_000 });
  });

  it("sets and clears a side's own range, keeping relative values", () => {
    const p = writePanelRange({ diffFrom: '1' }, 'baseline', { from: 'now-7d', to: 'now-6d' });
    expect(p).toEqual({ diffFrom: '1', 'from-2': 'now-7d', 'to-2': 'now-6d' });
    expect(writePanelRange(p, 'baseline', undefined)).toEqual({ diffFrom: '1' });
  });
});
