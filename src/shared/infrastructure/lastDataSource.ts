import { getDataSourceSrv } from '@grafana/runtime';
import { PYROSCOPE_DATASOURCE_TYPE } from '../../constants';

const KEY = 'grafana-pyroscope-app.dataSource';

/** Last used data source, if it still exists; otherwise the variable falls back to Grafana's default. */
export function readLastDataSourceUid(): string | undefined {
  try {
    const uid = localStorage.getItem(KEY) ?? undefined;
    const all = getDataSourceSrv().getList({ pluginId: PYROSCOPE_DATASOURCE_TYPE });
    if (uid && all.some((d) => d.uid === uid)) {
      return uid;
    }
    return (all.find((d) => d.isDefault) ?? all[0])?.uid;
  } catch {
    return undefined;
  }
}

export function storeLastDataSourceUid(uid: string) {
  try {
    localStorage.setItem(KEY, uid);
  } catch {
    // Private mode or a full storage: remembering the choice is a convenience only.
  }
}

export interface PyroscopeDataSource {
  uid: string;
  name: string;
  /** what the data source points at, as configured (a URL, or empty) */
  url?: string;
}

/** The Pyroscope data sources Grafana has. */
export function listPyroscopeDataSources(): PyroscopeDataSource[] {
  try {
    return getDataSourceSrv()
      .getList({ pluginId: PYROSCOPE_DATASOURCE_TYPE })
      .map((d) => ({ uid: d.uid, name: d.name }));
  } catch {
    return [];
  }
}

/** One data source's name and URL, when Grafana knows it. */
export function findDataSource(uid: string): PyroscopeDataSource | undefined {
  const s = getDataSourceSrv().getInstanceSettings(uid);
  return s ? { uid: s.uid, name: s.name, url: s.url } : undefined;
}
