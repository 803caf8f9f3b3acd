import { useCallback, useEffect, useState } from 'react';
import { DEFAULT_PLUGIN_SETTINGS, PluginSettings } from '../../../shared/domain/pluginSettings';
import { fetchPluginSettings, savePluginSettings } from '../../../shared/infrastructure/settings/SettingsApiClient';

export interface SettingsData {
  settings?: PluginSettings;
  loading: boolean;
  saving: boolean;
  saved: boolean;
  error?: string;
}

export interface SettingsActions {
  updateSettings: (change: Partial<PluginSettings>) => void;
  saveSettings: () => void;
  resetSettings: () => void;
}

/** The plugin settings of one data source: loaded from settings.v1, edited locally, saved on request. */
export function useSettings(dataSourceUid: string | undefined): { data: SettingsData; actions: SettingsActions } {
  const [data, setData] = useState<SettingsData>(() =>
    dataSourceUid
      ? { loading: true, saving: false, saved: false }
      : { loading: false, saving: false, saved: false, error: 'No Pyroscope data source is configured.' }
  );

  useEffect(() => {
    if (!dataSourceUid) {
      return;
    }
    let alive = true;
    fetchPluginSettings(dataSourceUid)
      .then((settings) => alive && setData({ settings, loading: false, saving: false, saved: false }))
      .catch(
        (e: unknown) =>
          alive &&
          setData({
            settings: DEFAULT_PLUGIN_SETTINGS,
            loading: false,
            saving: false,
            saved: false,
            error: String((e as Error)?.message ?? e),
          })
      );
    return () => {
      alive = false;
    };
  }, [dataSourceUid]);

  const updateSettings = useCallback(
    (change: Partial<PluginSettings>) =>
      setData((d) => ({ ...d, saved: false, settings: { ...(d.settings ?? DEFAULT_PLUGIN_SETTINGS), ...change } })),
    []
  );

  const saveSettings = useCallback(() => {
    if (!dataSourceUid || !data.settings) {
      return;
    }
    setData((d) => ({ ...d, saving: true, error: undefined }));
    savePluginSettings(dataSourceUid, data.settings)
      .then(() => setData((d) => ({ ...d, saving: false, saved: true })))
      .catch((e: unknown) => setData((d) => ({ ...d, saving: false, error: String((e as Error)?.message ?? e) })));
  }, [dataSourceUid, data.settings]);

  const resetSettings = useCallback(
    () =>
      setData((d) => ({
        ...d,
        saved: false,
        settings: { ...DEFAULT_PLUGIN_SETTINGS, other: d.settings?.other ?? {} },
      })),
    []
  );

  return { data, actions: { updateSettings, saveSettings, resetSettings } };
}
