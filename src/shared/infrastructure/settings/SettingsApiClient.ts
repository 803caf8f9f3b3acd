import { getBackendSrv } from '@grafana/runtime';
import { lastValueFrom } from 'rxjs';
import {
  PLUGIN_SETTINGS_NAME,
  PluginSettings,
  parsePluginSettings,
  serializePluginSettings,
} from '../../domain/pluginSettings';

interface GetSettingsResponse {
  settings?: Array<{ name: string; value: string; modifiedAt?: string | number }>;
}

// settings.v1 of the selected Pyroscope data source, through its data-source proxy (Connect JSON).
async function call<T>(dataSourceUid: string, method: 'Get' | 'Set', data: object): Promise<T> {
  try {
    const r = await lastValueFrom(
      getBackendSrv().fetch<T>({
        url: `api/datasources/proxy/uid/${encodeURIComponent(dataSourceUid)}/settings.v1.SettingsService/${method}`,
        method: 'POST',
        data,
        headers: { 'Content-Type': 'application/json' },
        showErrorAlert: false,
        showSuccessAlert: false,
      })
    );
    return r.data;
  } catch (e) {
    const err = e as { status?: number; data?: { message?: string }; statusText?: string; message?: string };
    throw new Error(`settings.v1 ${method}: ${err.data?.message ?? err.statusText ?? err.message ?? 'failed'}`);
  }
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
