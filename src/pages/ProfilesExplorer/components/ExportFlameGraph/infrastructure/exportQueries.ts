import { connectFlameGraphToFlamebearer } from '../../../../../shared/domain/converters/flamebearer';
import { buildProfileQuery, normalizeSelector } from '../../../../../shared/domain/labelSelector';
import { getApiClient } from '../../../../../shared/infrastructure/pyroscope/PyroscopeApiClient';
import { RenderResponse } from '../../../../../shared/infrastructure/pyroscope/types';
import { SelectMergeProfileParams, encodeSelectMergeProfileRequest } from '../domain/selectMergeProfileRequest';
import type { ExportQuery } from '../domain/useExportActions';

async function gzip(bytes: ArrayBuffer): Promise<Blob> {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream('gzip'));
  return new Response(stream).blob();
}

/**
 * The merged profile as a gzipped pprof file: SelectMergeProfile through the shared transport, asked in
 * protobuf binary so that the answer is the pprof message itself. The whole profile, nothing folded.
 */
export async function fetchPprof(q: ExportQuery): Promise<Blob> {
  const params: SelectMergeProfileParams = {
    profileTypeID: q.profileMetricId,
    labelSelector: normalizeSelector(q.selector),
    start: q.window.start,
    end: q.window.end,
    spanSelector: q.spanSelector,
  };
  const pprof = await getApiClient(q.dataSourceUid).selectMergeProfileBinary(encodeSelectMergeProfileRequest(params));
  return gzip(pprof);
}

/** The flame graph in the render API's JSON (flamebearer); a span view's from SelectMergeSpanProfile. */
export async function fetchFlamebearerJson(q: ExportQuery): Promise<RenderResponse> {
  const client = getApiClient(q.dataSourceUid);
  const selector = normalizeSelector(q.selector);
  if (q.spanSelector?.length) {
    const r = await client.selectMergeSpanProfile({
      ...q.window,
      profileTypeID: q.profileMetricId,
      labelSelector: selector,
      spanSelector: q.spanSelector,
      maxNodes: q.maxNodes,
    });
    return { version: 1, flamebearer: connectFlameGraphToFlamebearer(r.flamegraph), metadata: { format: 'single' } };
  }
  return client.render({ ...q.window, query: buildProfileQuery(q.profileMetricId, selector), maxNodes: q.maxNodes });
}
