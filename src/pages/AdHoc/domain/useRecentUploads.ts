import { useEffect, useState } from 'react';
import { AdHocApiClient } from '../infrastructure/AdHocApiClient';

/** Earlier uploads of the data source, to reopen one; asked again when `refreshKey` changes (after an upload). */
export function useRecentUploads(
  dataSourceUid: string,
  refreshKey: unknown
): { data: { recent: Array<{ id: string; name: string }> } } {
  const [recent, setRecent] = useState<Array<{ id: string; name: string }>>([]);
  useEffect(() => {
    let live = true;
    if (dataSourceUid) {
      new AdHocApiClient(dataSourceUid)
        .list()
        .then((r) => live && setRecent((r.profiles ?? []).map((p) => ({ id: p.id, name: p.name ?? p.id }))))
        // an older server without the service: the upload control still explains the failure on use
        .catch(() => live && setRecent([]));
    }
    return () => {
      live = false;
    };
  }, [dataSourceUid, refreshKey]);
  return { data: { recent } };
}
