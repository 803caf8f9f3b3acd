// settings.v1 (the app keeps its plugin settings there): a setting is stored per tenant in the object store,
// so it survives a restart and every process on the same store reads and writes the same settings.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { connectJson, startAzurite, startChild, startInProcess, type Azurite } from './helpers.js';

interface SettingJson {
  name: string;
  value: string;
  modifiedAt?: string;
}

const SERVICE = 'settings.v1.SettingsService';

async function set(url: string, name: string, value: string, tenant?: string): Promise<SettingJson> {
  const r = await connectJson<{ setting: SettingJson }>(
    url,
    'Set',
    { setting: { name, value } },
    { service: SERVICE, tenant }
  );
  assert.equal(r.status, 200, JSON.stringify(r.json));
  return r.json.setting;
}

async function get(url: string, tenant?: string): Promise<Array<[string, string]>> {
  const r = await connectJson<{ settings?: SettingJson[] }>(url, 'Get', {}, { service: SERVICE, tenant });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  return (r.json.settings ?? []).map((s) => [s.name, s.value]);
}

// what the Profiles Drilldown app stores: its plugin settings as one JSON string
const PLUGIN = JSON.stringify({ maxNodes: 4096, enableFlameGraphDotComExport: false, collapsedFlamegraphs: true });

describe('settings.v1 on the filesystem store', () => {
  test('a setting survives a restart, and a second process on the same directory reads and writes it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bts-settings-'));
    const first = await startInProcess([], dir);
    let saved: SettingJson;
    try {
      saved = await set(first.url, 'pluginSettings', PLUGIN);
      assert.equal(saved.value, PLUGIN);
      assert.ok(Number(saved.modifiedAt) > 0, 'modifiedAt is set by the server');
    } finally {
      await first.stop();
    }

    // after the restart: a separate OS process on the same directory
    const child = await startChild(['-storage.backend=filesystem', `-storage.filesystem.dir=${dir}`]);
    const other = await startInProcess([], dir);
    try {
      assert.deepEqual(await get(child.url), [['pluginSettings', PLUGIN]], child.log());
      const r = await connectJson<{ settings: SettingJson[] }>(child.url, 'Get', {}, { service: SERVICE });
      assert.equal(r.json.settings[0].modifiedAt, saved.modifiedAt, 'modifiedAt as it was stored');
      // both processes running: a write of either is read by the other, none lost
      await set(other.url, 'theme', 'dark');
      await set(child.url, 'pluginSettings', '{"maxNodes":1024}');
      const want: Array<[string, string]> = [
        ['pluginSettings', '{"maxNodes":1024}'],
        ['theme', 'dark'],
      ];
      assert.deepEqual(await get(child.url), want);
      assert.deepEqual(await get(other.url), want);
    } finally {
      await other.stop();
      await child.kill();
    }
  });
});

describe('settings.v1 on Azure (Azurite)', () => {
  let az: Azurite | undefined;
  after(async () => az?.stop());

  test('a setting survives a restart and is shared by two processes on one container, per tenant', async () => {
    az = await startAzurite();
    const flags = [
      '-storage.backend=azure',
      `-storage.azure.connection-string=${az.connectionString}`,
      '-auth.multitenancy-enabled',
    ];
    const first = await startInProcess(flags);
    try {
      await set(first.url, 'pluginSettings', PLUGIN, 'team-a');
      await set(first.url, 'pluginSettings', '{}', 'team-b');
    } finally {
      await first.stop();
    }
    const second = await startInProcess(flags);
    const third = await startInProcess(flags);
    try {
      assert.deepEqual(await get(second.url, 'team-a'), [['pluginSettings', PLUGIN]]);
      assert.deepEqual(await get(third.url, 'team-b'), [['pluginSettings', '{}']]);
      await set(third.url, 'theme', 'light', 'team-a');
      assert.deepEqual(await get(second.url, 'team-a'), [
        ['pluginSettings', PLUGIN],
        ['theme', 'light'],
      ]);
      assert.deepEqual(await get(second.url, 'team-c'), [], 'a tenant without settings');
    } finally {
      await second.stop();
      await third.stop();
    }
  });
});
