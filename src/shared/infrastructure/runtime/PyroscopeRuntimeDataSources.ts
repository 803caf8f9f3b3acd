import { DataQueryRequest, DataQueryResponse, LoadingState, ScopedVars } from '@grafana/data';
import { DataQuery } from '@grafana/schema';
import { RuntimeDataSource, SceneObject, registerRuntimeDataSource, sceneGraph } from '@grafana/scenes';
import { connectFlameGraphToFlamebearer, flamebearerToDataFrame } from '../../domain/converters/flamebearer';
import { seriesToDataFrames } from '../../domain/converters/seriesToDataFrames';
import { buildProfileQuery, normalizeSelector } from '../../domain/labelSelector';
import { grafanaUnit, parseProfileMetricId } from '../../domain/profileMetrics';
import { getApiClient } from '../pyroscope/PyroscopeApiClient';
import { PROFILE_DATASOURCE, ProfileQuery, SERIES_DATASOURCE, SeriesQuery } from '../../domain/runtimeDataSources';

function interpolator(scopedVars: ScopedVars) {
  // Scenes passes the requesting object wrapped (SafeSerializableSceneObject); valueOf() unwraps it.
  const wrapped = scopedVars.__sceneObject?.value as { valueOf(): unknown } | undefined;
  const scene = wrapped?.valueOf() as SceneObject | undefined;
  return (s: string) => (scene ? sceneGraph.interpolate(scene, s, scopedVars) : s);
}

// Registered untyped (scenes keeps runtime data sources as DataQuery ones); the queries are ours.
class SeriesDataSource extends RuntimeDataSource {
  constructor() {
    super(SERIES_DATASOURCE.type, SERIES_DATASOURCE.uid);
  }

  async query(request: DataQueryRequest<DataQuery>): Promise<DataQueryResponse> {
    const targets = request.targets as SeriesQuery[];
    const interpolate = interpolator(request.scopedVars);
    const start = request.range.from.valueOf();
    const end = request.range.to.valueOf();
    // Pyroscope's grid: never finer than 15 s (the data source does the same).
    const step = Math.max(15, Math.ceil((request.intervalMs || 15000) / 1000));
    const frames = await Promise.all(
      targets
        .filter((t) => !t.hide)
        .map(async (t) => {
          const profileMetricId = interpolate(t.profileMetricId);
          const metric = parseProfileMetricId(profileMetricId);
          const response = await getApiClient(interpolate(t.dataSourceUid)).selectSeries({
            profileTypeID: profileMetricId,
            labelSelector: normalizeSelector(interpolate(t.labelSelector)),
            start,
            end,
            step,
            groupBy: (t.groupBy ?? []).map(interpolate).filter(Boolean),
            limit: t.limit,
          });
          return seriesToDataFrames(response, {
            unit: grafanaUnit(metric.unit),
            fallbackName: t.displayName ? interpolate(t.displayName) : metric.label,
            refId: t.refId,
          });
        })
    );
    return { data: frames.flat(), state: LoadingState.Done };
  }

  testDatasource() {
    return Promise.resolve({ status: 'success', message: 'OK' });
  }
}

class ProfileDataSource extends RuntimeDataSource {
  constructor() {
    super(PROFILE_DATASOURCE.type, PROFILE_DATASOURCE.uid);
  }

  async query(request: DataQueryRequest<DataQuery>): Promise<DataQueryResponse> {
    const targets = request.targets as ProfileQuery[];
    const interpolate = interpolator(request.scopedVars);
    const data = await Promise.all(
      targets.map(async (t) => {
        const profileMetricId = interpolate(t.profileMetricId);
        const maxNodes = Number(interpolate(String(t.maxNodes ?? ''))) || undefined;
        const labelSelector = normalizeSelector(interpolate(t.labelSelector));
        const spans = interpolate(t.spanSelector ?? '')
          .split(/[\s,]+/)
          .filter(Boolean);
        const window = { start: request.range.from.valueOf(), end: request.range.to.valueOf() };
        const client = getApiClient(interpolate(t.dataSourceUid));
        const response = spans.length
          ? {
              flamebearer: connectFlameGraphToFlamebearer(
                (
                  await client.selectMergeSpanProfile({
                    ...window,
                    profileTypeID: profileMetricId,
                    labelSelector,
                    spanSelector: spans,
                    maxNodes,
                  })
                ).flamegraph
              ),
              metadata: { format: 'single' as const },
            }
          : await client.render({ ...window, query: buildProfileQuery(profileMetricId, labelSelector), maxNodes });
        const metric = parseProfileMetricId(profileMetricId);
        const frame = flamebearerToDataFrame(response.flamebearer, response.metadata, {
          profileTypeId: profileMetricId,
          unit: grafanaUnit(metric.unit),
        });
        return { ...frame, refId: t.refId };
      })
    );
    return { data, state: LoadingState.Done };
  }

  testDatasource() {
    return Promise.resolve({ status: 'success', message: 'OK' });
  }
}

let registered = false;

export function registerRuntimeDataSources() {
  if (registered) {
    return;
  }
  registered = true;
  registerRuntimeDataSource({ dataSource: new SeriesDataSource() });
  registerRuntimeDataSource({ dataSource: new ProfileDataSource() });
}
