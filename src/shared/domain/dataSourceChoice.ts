import {
  PyroscopeDataSource,
  findDataSource,
  listPyroscopeDataSources,
  readLastDataSourceUid,
  storeLastDataSourceUid,
} from '../infrastructure/lastDataSource';

export type { PyroscopeDataSource };

/** The data source to start with: the one last used if it still exists, else Grafana's default Pyroscope. */
export function chosenDataSourceUid(): string | undefined {
  return readLastDataSourceUid();
}

/** Remembers the data source picked, for the next page. */
export function rememberDataSourceUid(uid: string): void {
  storeLastDataSourceUid(uid);
}

export function pyroscopeDataSources(): PyroscopeDataSource[] {
  return listPyroscopeDataSources();
}

export function dataSourceByUid(uid: string | undefined): PyroscopeDataSource | undefined {
  return uid ? findDataSource(uid) : undefined;
}
