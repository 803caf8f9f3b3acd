// Kept in step with ../plugin.json (a unit test checks it): src/ cannot import files outside its rootDir.
export const PLUGIN_ID = 'grafana-pyroscope-app';
export const PLUGIN_BASE_URL = `/a/${PLUGIN_ID}`;
export const PYROSCOPE_DATASOURCE_TYPE = 'grafana-pyroscope-datasource';

export enum ROUTES {
  Explore = 'explore',
  AdHoc = 'ad-hoc',
  Settings = 'settings',
}

export function prefixRoute(route: ROUTES): string {
  return `${PLUGIN_BASE_URL}/${route}`;
}
