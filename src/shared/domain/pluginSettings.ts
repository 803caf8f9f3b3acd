/**
 * The app's settings, stored in Pyroscope through settings.v1 under the name `pluginSettings` as one JSON
 * string, with the official app's keys (a data source shared with it keeps one set of settings).
 */
export interface PluginSettings {
  collapsedFlamegraphs: boolean;
  maxNodes: number;
  enableFlameGraphDotComExport: boolean;
  enableFunctionDetails: boolean;
  enableMetricsFromProfiles: boolean;
  /** keys written by other versions of the app, kept as they were */
  other: Record<string, unknown>;
}

export const PLUGIN_SETTINGS_NAME = 'pluginSettings';

export const DEFAULT_PLUGIN_SETTINGS: PluginSettings = {
  collapsedFlamegraphs: false,
  maxNodes: 16384,
  enableFlameGraphDotComExport: true,
  enableFunctionDetails: true,
  enableMetricsFromProfiles: false,
  other: {},
};

const BOOLEAN_KEYS = [
  'collapsedFlamegraphs',
  'enableFlameGraphDotComExport',
  'enableFunctionDetails',
  'enableMetricsFromProfiles',
] as const;

export const MAX_NODES_LIMIT = 1_000_000;

export function isValidMaxNodes(n: number): boolean {
  return Number.isInteger(n) && n > 0 && n <= MAX_NODES_LIMIT;
}

/** Settings from the stored JSON; missing, malformed or out-of-range values fall back to the defaults. */
export function parsePluginSettings(value: string | undefined): PluginSettings {
  let raw: Record<string, unknown> = {};
  try {
    const parsed: unknown = value ? JSON.parse(value) : {};
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
      raw = parsed as Record<string, unknown>;
    }
  } catch {
    raw = {};
  }
  const out: PluginSettings = { ...DEFAULT_PLUGIN_SETTINGS, other: {} };
  for (const k of BOOLEAN_KEYS) {
    if (typeof raw[k] === 'boolean') {
      out[k] = raw[k] as boolean;
    }
  }
  const n = Number(raw.maxNodes);
  if (raw.maxNodes !== undefined && isValidMaxNodes(n)) {
    out.maxNodes = n;
  }
  for (const [k, v] of Object.entries(raw)) {
    if (k !== 'maxNodes' && !(BOOLEAN_KEYS as readonly string[]).includes(k)) {
      out.other[k] = v;
    }
  }
  return out;
}

export function serializePluginSettings(s: PluginSettings): string {
  const { other, ...known } = s;
  return JSON.stringify({ ...other, ...known });
}
