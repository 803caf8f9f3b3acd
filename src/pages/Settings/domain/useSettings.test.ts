import { act, renderHook, waitFor } from '@testing-library/react';
import { DEFAULT_PLUGIN_SETTINGS, PluginSettings } from '../../../shared/domain/pluginSettings';
import { useSettings } from './useSettings';

const stored = new Map<string, PluginSettings>();
const save = jest.fn(async (uid: string, s: PluginSettings) => void stored.set(uid, s));

jest.mock('../../../shared/infrastructure/settings/SettingsApiClient', () => ({
  fetchPluginSettings: async (uid: string) => {
    if (uid === 'broken') {
      throw new Error('settings.v1 Get: unavailable');
    }
    return stored.get(uid) ?? DEFAULT_PLUGIN_SETTINGS;
  },
  savePluginSettings: (uid: string, s: PluginSettings) => save(uid, s),
}));

describe('useSettings', () => {
  beforeEach(() => {
    stored.clear();
    save.mockClear();
    stored.set('a', { ...DEFAULT_PLUGIN_SETTINGS, maxNodes: 4096 });
  });

  it('loads, edits and saves the settings of one data source', async () => {
    const { result } = renderHook(() => useSettings('a'));
    await waitFor(() => expect(result.current.data.loading).toBe(false));
    expect(result.current.data.settings?.maxNodes).toBe(4096);
    act(() => result.current.actions.updateSettings({ maxNodes: 1024 }));
    act(() => result.current.actions.saveSettings());
    await waitFor(() => expect(result.current.data.saved).toBe(true));
    expect(save).toHaveBeenCalledWith('a', expect.objectContaining({ maxNodes: 1024 }));
    act(() => result.current.actions.resetSettings());
    expect(result.current.data.settings?.maxNodes).toBe(16384);
    expect(result.current.data.saved).toBe(false);
  });

  it('follows a change of data source', async () => {
    const { result, rerender } = renderHook(({ uid }) => useSettings(uid), { initialProps: { uid: 'a' } });
    await waitFor(() => expect(result.current.data.settings?.maxNodes).toBe(4096));
    rerender({ uid: 'b' });
    await waitFor(() => expect(result.current.data.settings?.maxNodes).toBe(16384));
  });

  it('says what went wrong, with the defaults to edit, and without a data source', async () => {
    const { result } = renderHook(() => useSettings('broken'));
    await waitFor(() => expect(result.current.data.error).toBe('settings.v1 Get: unavailable'));
    expect(result.current.data.settings).toEqual(DEFAULT_PLUGIN_SETTINGS);
    const none = renderHook(() => useSettings(undefined));
    expect(none.result.current.data.error).toBe('No Pyroscope data source is configured.');
  });
});
