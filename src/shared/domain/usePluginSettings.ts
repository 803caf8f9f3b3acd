import { useEffect, useState } from 'react';
import { DEFAULT_PLUGIN_SETTINGS, PluginSettings } from './pluginSettings';
import { getPluginSettings } from '../infrastructure/settings/SettingsApiClient';

/**
 * The stored settings of a data source for the views that follow them (collapsed flame graphs, function
 * details): the defaults until they arrive, and when they cannot be read.
 */
export function usePluginSettings(dataSourceUid: string | undefined): { data: { settings: PluginSettings } } {
  const [loaded, setLoaded] = useState<{ uid?: string; settings: PluginSettings }>({
    settings: DEFAULT_PLUGIN_SETTINGS,
  });
  useEffect(() => {
    if (!dataSourceUid) {
      return;
    }
    let live = true;
    getPluginSettings(dataSourceUid)
      .then((settings) => live && setLoaded({ uid: dataSourceUid, settings }))
      .catch(() => live && setLoaded({ uid: dataSourceUid, settings: DEFAULT_PLUGIN_SETTINGS }));
    return () => {
      live = false;
    };
  }, [dataSourceUid]);
  return { data: { settings: loaded.uid === dataSourceUid ? loaded.settings : DEFAULT_PLUGIN_SETTINGS } };
}
