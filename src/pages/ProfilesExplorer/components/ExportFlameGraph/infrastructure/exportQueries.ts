import { connectFlameGraphToFlamebearer } from '../../../../../shared/domain/converters/flamebearer';
import { buildProfileQuery, normalizeSelector } from '../../../../../shared/domain/labelSelector';
import { getApiClient } from '../../../../../shared/infrastructure/pyroscope/PyroscopeApiClient';
import { RenderResponse } from '../../../../../shared/infrastructure/pyroscope/types';
import {
  SelectMergeProfileParams,
  encodeSelectMergeProfileRequest,
  encodeSpanPprofRequest,
  pprofOfStacktracesResponse,
} from '../domain/selectMergeProfileRequest';
import type { ExportQuery } from '../domain/useExportActions';

async function gzip(bytes: ArrayBuffer): Promise<Blob> {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream('gzip'));
  return new Response(stream).blob();
}

/**
 * The merged profile as a gzipped pprof file, asked in protobuf binary so that the answer holds the pprof
 * message itself; the whole profile, nothing folded. A span view's comes from SelectMergeStacktraces with its
 * span ids and format PPROF (Pyroscope's way: SelectMergeProfile has no span selector), any other from
 * SelectMergeProfile.
 */
export async function fetchPprof(q: ExportQuery): Promise<Blob> {
  const params: SelectMergeProfileParams = {
    profileTypeID: q.profileMetricId,
    labelSelector: normalizeSelector(q.selector),
    start: q.window.start,
    end: q.window.end,
  };
  const client = getApiClient(q.dataSourceUid);
  if (q.spanSelector?.length) {
    const answer = await client.selectMergeStacktracesBinary(
      encodeSpanPprofRequest({ ...params, spanSelector: q.spanSelector })
    );
    return gzip(pprofOfStacktracesResponse(new Uint8Array(answer)).slice().buffer);
  }
  return gzip(await client.selectMergeProfileBinary(encodeSelectMergeProfileRequest(params)));
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
