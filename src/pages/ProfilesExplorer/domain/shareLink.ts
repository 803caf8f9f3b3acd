/**
 * A link to the view on screen that reopens it identically later: the current URL with the relative parts
 * (time range, default diff selections) replaced by the absolute times they stand for now.
 */
export function buildShareUrl(
  appUrl: string,
  pathname: string,
  search: string,
  absolute: Record<string, string | number>
): string {
  const params = new URLSearchParams(search);
  for (const [k, v] of Object.entries(absolute)) {
    params.set(k, String(v));
  }
  return `${appUrl.replace(/\/+$/, '')}${pathname}?${params}`;
}
