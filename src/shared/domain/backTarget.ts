import { PLUGIN_BASE_URL, ROUTES, prefixRoute } from '../../constants';

/** What the app's header links put in the history entry they open: the view to come back to. */
export interface ReturnState {
  referrer: string;
}

export function returnState(pathname: string, search: string): ReturnState {
  return { referrer: `${pathname}${search}` };
}

/**
 * Where "Back to Profiles Drilldown" goes: the explore view the page was opened from (as the official app does),
 * or the explore page with the data source in use when the page was opened directly. Only a path of this app is
 * followed, so a crafted history state cannot send the user elsewhere.
 */
export function backTarget(state: unknown, dataSourceUid?: string): string {
  const referrer = (state as Partial<ReturnState> | null | undefined)?.referrer;
  if (typeof referrer === 'string' && referrer.startsWith(`${PLUGIN_BASE_URL}/${ROUTES.Explore}`)) {
    return referrer;
  }
  const explore = prefixRoute(ROUTES.Explore);
  return dataSourceUid ? `${explore}?var-dataSource=${encodeURIComponent(dataSourceUid)}` : explore;
}
