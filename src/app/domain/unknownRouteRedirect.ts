import { PLUGIN_BASE_URL, ROUTES, prefixRoute } from '../../constants';

const KNOWN = new Set<string>(Object.values(ROUTES));

/**
 * Where an app path that no page answers goes: explore, as in the official app, with the query kept (a link
 * with the right parameters under a mistyped or retired route still opens the right view). Undefined for the
 * app's own routes and for paths outside the app.
 */
export function unknownRouteRedirect(pathname: string, search = ''): string | undefined {
  if (pathname !== PLUGIN_BASE_URL && !pathname.startsWith(`${PLUGIN_BASE_URL}/`)) {
    return undefined;
  }
  const first = pathname.slice(PLUGIN_BASE_URL.length).split('/').filter(Boolean)[0];
  if (first !== undefined && KNOWN.has(first)) {
    return undefined;
  }
  return `${prefixRoute(ROUTES.Explore)}${search}`;
}
