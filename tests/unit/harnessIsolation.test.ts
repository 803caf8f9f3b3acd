import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

// The harness stands in for Grafana: if it imported the app's code it could hide a broken build.
const ROOT = resolve(__dirname, '..', '..');
const HARNESS = join(ROOT, 'tests', 'harness');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : /\.(m?[jt]sx?)$/.test(f) ? [p] : [];
  });
}

describe('Grafana host harness', () => {
  const sources = files(HARNESS);

  it('has sources to check', () => {
    expect(sources.length).toBeGreaterThan(2);
  });

  it.each(sources.map((s) => [s.slice(ROOT.length + 1), s]))('%s imports nothing from src/', (_name, file) => {
    const text = readFileSync(file, 'utf8');
    const specifiers = [...text.matchAll(/(?:from\s+|import\s*\(\s*|require\s*\(\s*|import\s+)['"]([^'"]+)['"]/g)].map(
      (m) => m[1]
    );
    const intoSrc = specifiers.filter(
      (s) => s.startsWith('.') && resolve(join(file, '..'), s).startsWith(join(ROOT, 'src'))
    );
    expect(intoSrc).toEqual([]);
    expect(text).not.toMatch(/['"](?:src|\/src)\//);
  });
});
