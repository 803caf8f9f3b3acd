import { valueFormatter } from './formatValue';

// The units the app shows: profile sample units mapped by grafanaUnit (ns, µs, ms, s, bytes) and counts (short).
describe('value formatter', () => {
  it('nanoseconds (CPU, wall): scaled to the largest fitting unit, with the exact ns', () => {
    const f = valueFormatter('ns');
    expect(f.short(470_000_000)).toBe('470 ms');
    expect(f.full(470_000_000)).toBe('470 ms (470,000,000 ns)');
    expect(f.full(1500)).toBe('1.50 µs (1,500 ns)');
    expect(f.full(2_500_000_000)).toBe('2.50 s (2,500,000,000 ns)');
    expect(f.full(999)).toBe('999 ns');
    expect(f.full(0)).toBe('0 ns');
  });

  it('microseconds, milliseconds and seconds', () => {
    expect(valueFormatter('µs').full(1500)).toBe('1.50 ms (1,500 µs)');
    expect(valueFormatter('ms').full(5)).toBe('5 ms');
    expect(valueFormatter('ms').full(1500)).toBe('1.50 s (1,500 ms)');
    expect(valueFormatter('s').full(90)).toBe('1.50 mins (90 s)');
  });

  it('bytes (memory): binary prefixes, with the exact bytes when scaled', () => {
    const f = valueFormatter('bytes');
    expect(f.short(1536)).toBe('1.50 KiB');
    expect(f.full(1536)).toBe('1.50 KiB (1,536 bytes)');
    expect(f.full(1024 ** 2)).toBe('1 MiB (1,048,576 bytes)');
    expect(f.full(5 * 1024 ** 3)).toBe('5 GiB (5,368,709,120 bytes)');
    // nothing to add when the number is already exact
    expect(f.full(512)).toBe('512 B');
    expect(f.full(0)).toBe('0 B');
  });

  it('counts (samples, objects, goroutines) as short numbers', () => {
    const f = valueFormatter('short');
    expect(f.full(47)).toBe('47');
    expect(f.short(1234)).toBe('1.23 K');
    expect(f.full(1234)).toBe('1.23 K (1,234)');
    expect(f.full(1_500_000)).toBe('1.50 Mil (1,500,000)');
    // an unknown or missing unit reads as a count
    expect(valueFormatter('').full(47)).toBe('47');
    expect(valueFormatter('').full(1234)).toBe('1.23 K (1,234)');
  });
});
