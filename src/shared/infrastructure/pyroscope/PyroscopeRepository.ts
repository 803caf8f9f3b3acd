import { getApiClient, TimeWindow } from './PyroscopeApiClient';

export interface ServiceCatalog {
  /** service name -> profile type ids it reports, sorted */
  services: Map<string, string[]>;
  /** every profile type id of the data source, sorted */
  profileTypes: string[];
}

export interface LabelCardinality {
  name: string;
  values: string[];
}

const TTL_MS = 10_000;
const cache = new Map<string, { at: number; promise: Promise<unknown> }>();

// A repository in front of the client: identical requests made by several scene objects within a few seconds
// (variables, panels, pickers) share one call; failed calls are not kept.
function cached<T>(key: string, load: () => Promise<T>): Promise<T> {
  const now = Date.now();
  const hit = cache.get(key);
  if (hit && now - hit.at < TTL_MS) {
    return hit.promise as Promise<T>;
  }
  const promise = load();
  cache.set(key, { at: now, promise });
  promise.catch(() => cache.delete(key));
  return promise;
}

// Time windows are rounded to 10 s so that "now-1h" evaluated a moment apart shares the cache.
function windowKey(w: TimeWindow) {
  return `${Math.floor(w.start / 10_000)}-${Math.floor(w.end / 10_000)}`;
}

export function fetchServiceCatalog(dataSourceUid: string, window: TimeWindow): Promise<ServiceCatalog> {
  return cached(`catalog:${dataSourceUid}:${windowKey(window)}`, async () => {
    const response = await getApiClient(dataSourceUid).series({
      ...window,
      matchers: [],
      labelNames: ['service_name', '__profile_type__'],
    });
    const services = new Map<string, Set<string>>();
    const types = new Set<string>();
    for (const set of response.labelsSet ?? []) {
      const service = set.labels.find((l) => l.name === 'service_name')?.value;
      const type = set.labels.find((l) => l.name === '__profile_type__')?.value;
      if (!service || !type) {
        continue;
      }
      types.add(type);
      if (!services.has(service)) {
        services.set(service, new Set());
      }
      services.get(service)!.add(type);
    }
    const sorted = new Map(
      [...services.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, [...v].sort()])
    );
    return { services: sorted, profileTypes: [...types].sort() };
  });
}

/** Label names of a selection with their values, fewest values first; internal `__x__` labels and service_name dropped. */
export function fetchLabelCardinalities(
  dataSourceUid: string,
  window: TimeWindow,
  matcher: string
): Promise<LabelCardinality[]> {
  return cached(`labels:${dataSourceUid}:${windowKey(window)}:${matcher}`, async () => {
    const client = getApiClient(dataSourceUid);
    const { names = [] } = await client.labelNames({ ...window, matchers: [matcher] });
    const wanted = names.filter((n) => !(n.startsWith('__') && n.endsWith('__')) && n !== 'service_name');
    const result: LabelCardinality[] = [];
    // Bounded concurrency, as the official app does (20), to keep the proxy and backend responsive.
    const queue = [...wanted];
    await Promise.all(
      Array.from({ length: Math.min(20, queue.length) }, async () => {
        for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
          const { names: values = [] } = await client.labelValues({ ...window, name, matchers: [matcher] });
          result.push({ name, values: [...values].sort() });
        }
      })
    );
    return result.sort((a, b) => a.values.length - b.values.length || a.name.localeCompare(b.name));
  });
}

export function fetchLabelValues(
  dataSourceUid: string,
  window: TimeWindow,
  name: string,
  matcher: string
): Promise<string[]> {
  return cached(`values:${dataSourceUid}:${windowKey(window)}:${name}:${matcher}`, async () => {
    const { names = [] } = await getApiClient(dataSourceUid).labelValues({ ...window, name, matchers: [matcher] });
    return [...names].sort();
  });
}

export function fetchLabelNames(dataSourceUid: string, window: TimeWindow, matcher: string): Promise<string[]> {
  return cached(`names:${dataSourceUid}:${windowKey(window)}:${matcher}`, async () => {
    const { names = [] } = await getApiClient(dataSourceUid).labelNames({ ...window, matchers: [matcher] });
    return names.filter((n) => !(n.startsWith('__') && n.endsWith('__')) && n !== 'service_name').sort();
  });
}
