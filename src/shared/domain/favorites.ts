import { LabelFilter } from './labelSelector';

/** A starred panel: everything its query needs, with the variables already resolved. */
export interface Favorite {
  dataSourceUid: string;
  profileMetricId: string;
  /** e.g. {service_name="api",region="eu"}: the service and its filters */
  labelSelector: string;
  groupBy: string[];
}

/** One key per distinct query, whatever the order of the group-by labels. */
export function favoriteKey(f: Favorite): string {
  return JSON.stringify([f.dataSourceUid, f.profileMetricId, f.labelSelector, [...f.groupBy].sort()]);
}

const MATCHER = /\s*([A-Za-z_][\w.]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*,?/y;

/** The matchers of a selector the app built (`{k="v",k2=~"r"}`); anything else yields what parsed before it. */
export function parseSelector(selector: string): LabelFilter[] {
  const body = selector.trim().replace(/^\{/, '').replace(/\}$/, '');
  const out: LabelFilter[] = [];
  MATCHER.lastIndex = 0;
  for (let m = MATCHER.exec(body); m; m = MATCHER.exec(body)) {
    out.push({ key: m[1], operator: m[2], value: m[3].replace(/\\(.)/g, '$1') });
  }
  return out;
}

/** What a favourite shows as its title: the service, then its filters and group-by. */
export function describeFavorite(f: Favorite): { serviceName: string; filters: LabelFilter[] } {
  const matchers = parseSelector(f.labelSelector);
  const service = matchers.find((m) => m.key === 'service_name' && m.operator === '=');
  return { serviceName: service?.value ?? '', filters: matchers.filter((m) => m !== service) };
}
