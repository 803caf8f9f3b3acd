import { DEFAULT_PLUGIN_SETTINGS, parsePluginSettings, serializePluginSettings } from './pluginSettings';

describe('plugin settings', () => {
  it('defaults when nothing is stored or the JSON is broken', () => {
    expect(parsePluginSettings(undefined)).toEqual(DEFAULT_PLUGIN_SETTINGS);
    expect(parsePluginSettings('{nope')).toEqual(DEFAULT_PLUGIN_SETTINGS);
    expect(parsePluginSettings('[1]')).toEqual(DEFAULT_PLUGIN_SETTINGS);
  });

  it('reads the official keys, ignores bad values and keeps unknown keys through a round trip', () => {
    const s = parsePluginSettings(
      JSON.stringify({ maxNodes: 4096, enableFunctionDetails: false, collapsedFlamegraphs: 'yes', future: { a: 1 } })
    );
    expect(s).toEqual({
      ...DEFAULT_PLUGIN_SETTINGS,
      maxNodes: 4096,
      enableFunctionDetails: false,
      other: { future: { a: 1 } },
    });
    expect(parsePluginSettings(serializePluginSettings(s))).toEqual(s);
    expect(parsePluginSettings('{"maxNodes": -5}').maxNodes).toBe(16384);
    expect(parsePluginSettings('{"maxNodes": 1.5}').maxNodes).toBe(16384);
  });
});
