import { getApiClient, TimeWindow } from '../../../../../../../shared/infrastructure/pyroscope/PyroscopeApiClient';
import { FunctionDetails, functionDetails } from '../domain/functionDetails';
import { SOURCE_LABEL_NAMES, SourceLabels } from '../domain/sourceLink';

export interface FunctionDetailsQuery extends TimeWindow {
  dataSourceUid: string;
  profileMetricId: string;
  labelSelector: string;
  name: string;
  /** call paths (root first) of the function's outermost frames in the flame graph */
  callSites: string[][];
}

// Past this many call sites one unfiltered profile is cheaper than a request per call site, and as exact.
const MAX_CALL_SITE_REQUESTS = 8;

export async function fetchFunctionDetails(q: FunctionDetailsQuery): Promise<FunctionDetails> {
  const client = getApiClient(q.dataSourceUid);
  const base = { start: q.start, end: q.end, profileTypeID: q.profileMetricId, labelSelector: q.labelSelector };
  const sites = q.callSites.length > 0 && q.callSites.length <= MAX_CALL_SITE_REQUESTS ? q.callSites : [undefined];
  const profiles = await Promise.all(sites.map((callSite) => client.selectMergeProfile({ ...base, callSite })));
  return functionDetails(profiles, q.name);
}

/** The version-control labels of the selection's series, when the service reports them. */
export async function fetchSourceLabels(
  q: Pick<FunctionDetailsQuery, 'dataSourceUid' | 'profileMetricId' | 'labelSelector' | 'start' | 'end'>
): Promise<SourceLabels> {
  const selector = q.labelSelector.replace(/^\{/, `{__profile_type__="${q.profileMetricId}",`).replace(/,\}$/, '}');
  const { labelsSet = [] } = await getApiClient(q.dataSourceUid).series({
    start: q.start,
    end: q.end,
    matchers: [selector],
    labelNames: [...SOURCE_LABEL_NAMES],
  });
  const value = (name: string) =>
    labelsSet.flatMap((s) => s.labels).find((l) => l.name === name && l.value)?.value || undefined;
  return {
    repository: value('service_repository'),
    gitRef: value('service_git_ref'),
    rootPath: value('service_root_path'),
  };
}
