import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/** The rule ids ESLint (the project's config) reports for `code` placed at `path`. */
function lint(path: string, code: string): string[] {
  const r = spawnSync(process.execPath, [join(__dirname, 'support', 'lintProbe.mjs'), path], {
    cwd: ROOT,
    input: code,
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (r.status !== 0) {
    throw new Error(`lint probe failed: ${r.stderr}`);
  }
  // a deprecation notice of a plugin may come first: the answer is the last line
  const messages: Array<{ ruleId: string | null; message: string }> = JSON.parse(r.stdout.trim().split('\n').pop()!);
  return messages.map((m) => `${m.ruleId}: ${m.message}`);
}

const layerErrors = (path: string, code: string) => lint(path, code).filter((m) => /no-restricted-imports/.test(m));

describe("the plugin's layers are enforced by lint", () => {
  it('fails a ui/ file that imports infrastructure/', () => {
    const errors = layerErrors(
      'src/pages/Settings/ui/Probe.tsx',
      "import { getApiClient } from '../../../shared/infrastructure/pyroscope/PyroscopeApiClient';\nexport const x = getApiClient;\n"
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('ui/ reaches infrastructure only through domain/');
  });

  it('lets a ui/ file import a domain/ hook, and infrastructure types', () => {
    expect(
      layerErrors(
        'src/pages/Settings/ui/Probe.tsx',
        "import { useSettings } from '../domain/useSettings';\nimport type { TimeWindow } from '../../../shared/infrastructure/pyroscope/PyroscopeApiClient';\nexport const x = (w: TimeWindow) => [w, useSettings];\n"
      )
    ).toEqual([]);
  });

  it('fails a domain/ file that imports ui/', () => {
    const errors = layerErrors(
      'src/pages/Settings/domain/probe.ts',
      "import { buildSettingsPage } from '../ui/settingsPage';\nexport const x = buildSettingsPage;\n"
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('do not import ui/');
  });

  it('fails shared code that imports from pages/', () => {
    const errors = layerErrors(
      'src/shared/components/FlameGraph/domain/probe.ts',
      "import { useSettings } from '../../../../pages/Settings/domain/useSettings';\nexport const x = useSettings;\n"
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('do not import from pages/');
  });

  it("fails Grafana's data source service outside infrastructure/, and allows it there", () => {
    const code = "import { getDataSourceSrv } from '@grafana/runtime';\nexport const x = getDataSourceSrv;\n";
    const errors = layerErrors('src/pages/Settings/domain/probe.ts', code);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('infrastructure/ only');
    expect(layerErrors('src/shared/infrastructure/probe.ts', code)).toEqual([]);
  });
});
