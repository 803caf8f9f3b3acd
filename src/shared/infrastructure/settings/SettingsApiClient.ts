import {
  PLUGIN_SETTINGS_NAME,
  PluginSettings,
  parsePluginSettings,
  serializePluginSettings,
} from '../../domain/pluginSettings';
import { getTransport } from '../pyroscope/DataSourceProxyTransport';

interface GetSettingsResponse {
  settings?: Array<{ name: string; value: string; modifiedAt?: string | number }>;
}

// settings.v1 of the selected Pyroscope data source, over the shared data-source proxy transport (Connect JSON).
function call<T>(dataSourceUid: string, method: 'Get' | 'Set', data: object): Promise<T> {
  return getTransport(dataSourceUid).connect<T>('settings.v1.SettingsService', method, data);
}

export async function fetchPluginSettings(dataSourceUid: string): Promise<PluginSettings> {
  const r = await call<GetSettingsResponse>(dataSourceUid, 'Get', {});
  return parsePluginSettings(r.settings?.find((s) => s.name === PLUGIN_SETTINGS_NAME)?.value);
}

// One read per data source and page load, shared by everything that needs the settings; a save replaces it.
const cached = new Map<string, Promise<PluginSettings>>();

export function getPluginSettings(dataSourceUid: string): Promise<PluginSettings> {
  let p = cached.get(dataSourceUid);
  if (!p) {
    p = fetchPluginSettings(dataSourceUid);
    cached.set(dataSourceUid, p);
    // a failed read is tried again next time
    p.catch(() => cached.delete(dataSourceUid));
  }
  return p;
}

export async function savePluginSettings(dataSourceUid: string, settings: PluginSettings): Promise<void> {
  cached.delete(dataSourceUid);
  await call(dataSourceUid, 'Set', {
    setting: { name: PLUGIN_SETTINGS_NAME, value: serializePluginSettings(settings), modifiedAt: String(Date.now()) },
  });
}
