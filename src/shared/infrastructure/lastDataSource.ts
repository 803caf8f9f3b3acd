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
