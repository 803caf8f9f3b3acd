export interface LabelFilter {
  key: string;
  operator: string;
  value: string;
}

const OPERATORS = new Set(['=', '!=', '=~', '!~']);

function quote(v: string): string {
  return `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** `{service_name="x",k="v"}`: the selector every query of the app uses; unknown operators are dropped. */
export function buildLabelSelector(serviceName: string | undefined, filters: LabelFilter[] = []): string {
  const parts: string[] = [];
  if (serviceName) {
    parts.push(`service_name=${quote(serviceName)}`);
  }
  for (const f of filters) {
    if (f.key && OPERATORS.has(f.operator)) {
      parts.push(`${f.key}${f.operator}${quote(f.value)}`);
    }
  }
  return `{${parts.join(',')}}`;
}

/** Pyroscope's query language for the render API: `<profileTypeId>{selector}`. */
export function buildProfileQuery(profileMetricId: string, selector: string): string {
  return `${profileMetricId}${selector}`;
}

/** `{a="1",}` and `{,a="1"}` come from empty variables; the selector grammar does not allow them. */
export function normalizeSelector(selector: string): string {
  const s = selector.trim() || '{}';
  return s
    .replace(/,\s*(,\s*)+/g, ',')
    .replace(/\{\s*,/, '{')
    .replace(/,\s*\}$/, '}');
}
