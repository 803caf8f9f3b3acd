import {
  DIFF_PRESETS,
  applyAutoSelect,
  applyPreset,
  autoSelection,
  readPanelRange,
  readRawPanelRange,
  readSelection,
  writePanelRange,
  writeSelection,
} from './diffRanges';

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const MIN = 60_000;
const HOUR = 60 * MIN;

describe('diff selections in the URL', () => {
  it('reads the official app keys, absolute ms', () => {
    const p = { diffFrom: '1100000', diffTo: '1200000', 'diffFrom-2': '1500000', 'diffTo-2': '1900000' };
    expect(readSelection(p, 'baseline')).toEqual({ start: 1_100_000, end: 1_200_000 });
    expect(readSelection(p, 'comparison')).toEqual({ start: 1_500_000, end: 1_900_000 });
  });

  it('has no selection until one is picked, also for a reversed one or a side with its own range', () => {
    expect(readSelection({}, 'baseline')).toBeUndefined();
    expect(readSelection({ 'diffFrom-2': '9', 'diffTo-2': '3' }, 'comparison')).toBeUndefined();
    expect(readSelection({ 'from-3': '1700000', 'to-3': '1800000' }, 'comparison')).toBeUndefined();
  });

  it('writes absolute times and keeps the other keys', () => {
    const p = writeSelection({ 'from-2': 'now-1h', diffFrom: '1' }, 'baseline', { start: 1234.4, end: 5678.6 });
    expect(p).toEqual({ 'from-2': 'now-1h', diffFrom: '1234', diffTo: '5679' });
  });

  it('accepts date math against a given now', () => {
    expect(readSelection({ diffFrom: 'now-2h', diffTo: 'now-1h' }, 'baseline', NOW)).toEqual({
      start: NOW - 2 * HOUR,
      end: NOW - HOUR,
    });
  });

  it('a side shows its own range, the last hour without one', () => {
    const p = { 'from-3': '1700000', 'to-3': '1800000' };
    expect(readPanelRange(p, 'comparison', NOW)).toEqual({ start: 1_700_000, end: 1_800_000 });
    expect(readPanelRange(p, 'baseline', NOW)).toEqual({ start: NOW - HOUR, end: NOW });
    expect(readRawPanelRange(p, 'baseline')).toEqual({ from: 'now-1h', to: 'now' });
  });

  it("sets a side's own range, keeping relative values, and drops its selection", () => {
    const p = writePanelRange({ diffFrom: '1', diffTo: '2', 'diffFrom-2': '3' }, 'baseline', {
      from: 'now-7d',
      to: 'now-6d',
    });
    expect(p).toEqual({ 'diffFrom-2': '3', 'from-2': 'now-7d', 'to-2': 'now-6d' });
  });
});

describe('auto-select and presets', () => {
  it('selects the first quarter for the baseline and the last for the comparison', () => {
    const range = { start: NOW - 4 * HOUR, end: NOW };
    expect(autoSelection(range, 'baseline', false)).toEqual({ start: NOW - 4 * HOUR, end: NOW - 3 * HOUR });
    expect(autoSelection(range, 'comparison', false)).toEqual({ start: NOW - HOUR, end: NOW });
    expect(autoSelection(range, 'comparison', true)).toEqual(range);
  });

  it('selects at most a day of a long range', () => {
    const week = { start: NOW - 7 * 24 * HOUR, end: NOW };
    expect(autoSelection(week, 'baseline', false)).toEqual({ start: week.start, end: week.start + 24 * HOUR });
    expect(autoSelection(week, 'comparison', false)).toEqual({ start: NOW - 24 * HOUR, end: NOW });
  });

  it('auto-selects over each side its own range', () => {
    const p = applyAutoSelect({ 'from-2': 'now-6h', 'to-2': 'now-2h' }, false, NOW);
    expect(readSelection(p, 'baseline')).toEqual({ start: NOW - 6 * HOUR, end: NOW - 5 * HOUR });
    expect(readSelection(p, 'comparison')).toEqual({ start: NOW - 15 * MIN, end: NOW });
  });

  it('applies each preset as the official app names it', () => {
    const at = (label: string) =>
      applyPreset(
        {},
        DIFF_PRESETS.find((x) => x.label === label)!,
        NOW
      );
    const last30 = at('Last hour (30m-window)');
    expect(readRawPanelRange(last30, 'baseline')).toEqual({ from: 'now-1h', to: 'now' });
    expect(readSelection(last30, 'baseline')).toEqual({ start: NOW - HOUR, end: NOW - 30 * MIN });
    expect(readSelection(last30, 'comparison')).toEqual({ start: NOW - 30 * MIN, end: NOW });
    const last1h = at('Last hour (1h-window)');
    expect(readSelection(last1h, 'baseline')).toEqual({ start: NOW - HOUR, end: NOW });
    expect(readSelection(last1h, 'comparison')).toEqual({ start: NOW - HOUR, end: NOW });
    const six = at('6h ago vs now (30m-window)');
    expect(readRawPanelRange(six, 'baseline')).toEqual({ from: 'now-375m', to: 'now-315m' });
    expect(readSelection(six, 'baseline')).toEqual({ start: NOW - 375 * MIN, end: NOW - 345 * MIN });
    expect(readRawPanelRange(six, 'comparison')).toEqual({ from: 'now-1h', to: 'now' });
    expect(readSelection(six, 'comparison')).toEqual({ start: NOW - 30 * MIN, end: NOW });
    const day = at('24h ago vs now (30m-window)');
    expect(readRawPanelRange(day, 'baseline')).toEqual({ from: 'now-1455m', to: 'now-1395m' });
    expect(readSelection(day, 'baseline')).toEqual({ start: NOW - 1455 * MIN, end: NOW - 1425 * MIN });
    expect(readSelection(day, 'comparison')).toEqual({ start: NOW - 30 * MIN, end: NOW });
  });
});
