import {
  PACKAGE_PALETTE,
  brighten,
  diffColor,
  lighten,
  mutedColor,
  packageColor,
  packageName,
  packagePaletteIndex,
  toCss,
  valueColor,
} from './colors';
import { murmur3 } from './murmur3';

// Expected values below were computed with Grafana's own murmur3 and tinycolor2 (the official chart's code),
// outside this repository, and are kept here as golden values.
describe('murmur3', () => {
  it('gives the published MurmurHash3 x86_32 values', () => {
    expect(murmur3('')).toBe(0);
    expect(murmur3('', 1)).toBe(0x514e28b7);
    expect(murmur3('test')).toBe(0xba6bd213);
    expect(murmur3('Hello, world!')).toBe(0xc0363e43);
    expect(murmur3('The quick brown fox jumps over the lazy dog')).toBe(0x2e4ff723);
  });

  it('hashes the low byte of each UTF-16 unit, as the official chart does', () => {
    // 'é' is U+00E9 and 'ǩ' U+01E9: the same low byte
    expect(murmur3('caf\u00e9')).toBe(murmur3('caf\u01e9'));
  });
});

describe('package names', () => {
  it.each([
    ['runtime.mallocgc', 'runtime.'],
    ['net/http.(*conn).serve', 'net/http.'],
    ['github.com/grafana/pyroscope/pkg/model.(*Tree).Merge', 'github.com/grafana/pyroscope/pkg/model.'],
    ['java/lang/Thread.run', 'java/lang/Thread.'],
    ['System.Threading.Thread.StartCallback()', 'System.'],
    ['/usr/lib/python3.9/threading.py _bootstrap', '/usr/lib/python3.9/'],
    ['app/models/user.rb:42 - find', 'app/models/'],
    ['./node_modules/express/lib/router/index.js:handle:284', 'express'],
    ['std::rt::lang_start', 'std::rt'],
    ['total', 'total'],
  ])('%s is in package %s', (name, pkg) => {
    expect(packageName(name)).toBe(pkg);
  });

  it('has no package for the empty name', () => {
    expect(packageName('')).toBeUndefined();
  });

  it('picks the palette slot of the official chart', () => {
    expect(packagePaletteIndex('runtime.mallocgc')).toBe(14);
    expect(packagePaletteIndex('runtime.gcBgMarkWorker')).toBe(14);
    expect(packagePaletteIndex('main.main')).toBe(21);
    expect(packagePaletteIndex('net/http.(*conn).serve')).toBe(5);
    expect(packagePaletteIndex('libc.so.6')).toBe(18);
    expect(packagePaletteIndex('')).toBe(0);
  });

  it('gives one colour per package', () => {
    expect(packageColor('runtime.mallocgc', false)).toEqual(packageColor('runtime.gopark', false));
    expect(packageColor('runtime.mallocgc', false)).not.toEqual(packageColor('main.main', false));
  });
});

describe('colours as painted', () => {
  it('paints the palette, lightened ancestors and the light theme as the official chart', () => {
    expect(PACKAGE_PALETTE).toHaveLength(24);
    expect(toCss(PACKAGE_PALETTE[0])).toBe('rgb(223, 139, 83)');
    expect(toCss(PACKAGE_PALETTE[8])).toBe('rgb(182, 218, 169)');
    expect(toCss(lighten(PACKAGE_PALETTE[0], 15))).toBe('rgb(235, 182, 147)');
    expect(toCss(brighten(PACKAGE_PALETTE[0], 15))).toBe('rgb(255, 178, 122)');
  });

  it('goes from yellow to red by value', () => {
    expect(toCss(valueColor(0, 100))).toBe('rgb(255, 225, 77)');
    expect(toCss(valueColor(50, 100))).toBe('rgb(255, 163, 97)');
    expect(toCss(valueColor(100, 100))).toBe('rgb(255, 112, 112)');
    expect(toCss(valueColor(300, 100))).toBe('rgb(255, 112, 112)');
  });

  it('colours a diff by the change of share, both palettes', () => {
    const c = (l: number, r: number, s: 'diffDefault' | 'diffColorBlind') => toCss(diffColor(l, r, 100, 100, s));
    expect(c(10, 10, 'diffDefault')).toBe('rgb(149, 142, 142)');
    expect(c(10, 20, 'diffDefault')).toBe('rgb(199, 0, 0)');
    expect(c(10, 15, 'diffDefault')).toBe('rgb(174, 71, 71)');
    expect(c(10, 5, 'diffDefault')).toBe('rgb(75, 157, 72)');
    expect(c(10, 0, 'diffDefault')).toBe('rgb(0, 168, 0)');
    expect(c(0, 5, 'diffDefault')).toBe('rgb(255, 0, 0)');
    expect(c(10, 20, 'diffColorBlind')).toBe('rgb(219, 50, 31)');
    expect(c(10, 5, 'diffColorBlind')).toBe('rgb(87, 137, 199)');
    expect(c(10, 0, 'diffColorBlind')).toBe('rgb(26, 133, 255)');
  });

  it('is neutral when a side has no data', () => {
    expect(diffColor(5, 0, 100, 0, 'diffDefault')).toEqual({ r: 148, g: 142, b: 142 });
  });

  it('mutes with the theme background', () => {
    expect(mutedColor('#22252b', false)).toBe('#393d47');
    expect(mutedColor('#f4f5f5', true)).toBe('#d9dddd');
  });
});
