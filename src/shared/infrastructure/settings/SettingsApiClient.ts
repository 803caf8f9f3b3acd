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

export async function savePluginSettings(dataSourceUid: string, settings: PluginSettings): Promise<void> {
  await call(dataSourceUid, 'Set', {
    setting: { name: PLUGIN_SETTINGS_NAME, value: serializePluginSettings(settings), modifiedAt: String(Date.now()) },
  });
}
