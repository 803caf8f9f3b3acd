import { SceneObjectUrlValue, SceneObjectUrlValues } from '@grafana/scenes';
import {
  DEFAULT_PANEL_TYPE,
  EXPLORATION_TYPES,
  ExplorationType,
  PANEL_TYPES,
  PanelType,
} from '../../../shared/domain/explorerNavigation';

export type GridLayout = 'grid' | 'rows';
export const DEFAULT_MAX_NODES = 16384;

// Diff ranges belong to the diff view; kept verbatim so links made for the official app survive a round trip.
export const PASSTHROUGH_KEYS = ['from-2', 'to-2', 'from-3', 'to-3', 'diffFrom', 'diffTo', 'diffFrom-2', 'diffTo-2'];

/** Scene-level URL keys (variables sync their own `var-*` keys, the time range `from`/`to`). */
export const EXPLORER_URL_KEYS = [
  'explorationType',
  'searchText',
  'panelType',
  'layout',
  'hideNoData',
  'maxNodes',
  ...PASSTHROUGH_KEYS,
];

export interface ExplorerUrlState {
  explorationType: ExplorationType;
  searchText: string;
  panelType: PanelType;
  layout: GridLayout;
  hideNoData: boolean;
  maxNodes: number;
  passthrough: Record<string, string>;
}

export const DEFAULT_EXPLORER_URL_STATE: ExplorerUrlState = {
  explorationType: 'all',
  searchText: '',
  panelType: DEFAULT_PANEL_TYPE,
  layout: 'grid',
  hideNoData: false,
  maxNodes: DEFAULT_MAX_NODES,
  passthrough: {},
};

function first(v: SceneObjectUrlValue | undefined): string | undefined {
  if (v === null || v === undefined) {
    return undefined;
  }
  return Array.isArray(v) ? v[0] : v;
}

function oneOf<T extends string>(v: string | undefined, allowed: readonly T[]): T | undefined {
  return v !== undefined && (allowed as readonly string[]).includes(v) ? (v as T) : undefined;
}

/** Only the keys present in `values` are returned: absent keys leave the current state alone. */
export function parseExplorerUrl(values: SceneObjectUrlValues): Partial<ExplorerUrlState> {
  const out: Partial<ExplorerUrlState> = {};
  if ('explorationType' in values) {
    out.explorationType = oneOf(first(values.explorationType), EXPLORATION_TYPES) ?? 'all';
  }
  if ('searchText' in values) {
    out.searchText = first(values.searchText) ?? '';
  }
  if ('panelType' in values) {
    out.panelType = oneOf(first(values.panelType), PANEL_TYPES) ?? DEFAULT_PANEL_TYPE;
  }
  if ('layout' in values) {
    out.layout = oneOf(first(values.layout), ['grid', 'rows'] as const) ?? 'grid';
  }
  if ('hideNoData' in values) {
    out.hideNoData = ['on', 'true', '1'].includes(first(values.hideNoData) ?? '');
  }
  if ('maxNodes' in values) {
    const n = Number(first(values.maxNodes));
    out.maxNodes = Number.isInteger(n) && n > 0 ? n : DEFAULT_MAX_NODES;
  }
  const passthrough: Record<string, string> = {};
  let anyPassthrough = false;
  for (const k of PASSTHROUGH_KEYS) {
    if (k in values) {
      anyPassthrough = true;
      const v = first(values[k]);
      if (v !== undefined) {
        passthrough[k] = v;
      }
    }
  }
  if (anyPassthrough) {
    out.passthrough = passthrough;
  }
  return out;
}

export function toExplorerUrl(state: ExplorerUrlState): SceneObjectUrlValues {
  const values: SceneObjectUrlValues = {
    explorationType: state.explorationType,
    searchText: state.searchText || undefined,
    panelType: state.panelType === DEFAULT_PANEL_TYPE ? undefined : state.panelType,
    layout: state.layout === 'grid' ? undefined : state.layout,
    hideNoData: state.hideNoData ? 'on' : undefined,
    maxNodes: state.maxNodes === DEFAULT_MAX_NODES ? undefined : String(state.maxNodes),
  };
  for (const k of PASSTHROUGH_KEYS) {
    values[k] = state.passthrough[k];
  }
  return values;
}

/** Quick filter of the grids: comma-separated regexes, any of which may match; invalid ones match literally. */
export function quickFilterMatcher(text: string): (name: string) => boolean {
  const terms = text
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  if (!terms.length) {
    return () => true;
  }
  const tests = terms.map((t) => {
    try {
      const re = new RegExp(t, 'i');
      return (s: string) => re.test(s);
    } catch {
      const lower = t.toLowerCase();
      return (s: string) => s.toLowerCase().includes(lower);
    }
  });
  return (name) => tests.some((t) => t(name));
}
