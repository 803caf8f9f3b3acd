// Connect handlers for querier.v1, push.v1 and settings.v1: parse, call ingest/query, encode. Nothing else.
import { create } from '@bufbuild/protobuf';
import { Code, ConnectError, type ConnectRouter, type HandlerContext, type ServiceImpl } from '@connectrpc/connect';
import { AdHocProfileService } from '../gen/adhocprofiles/v1/adhocprofiles_pb.js';
import { ProfileSchema, type Profile } from '../gen/google/v1/profile_pb.js';
import { PusherService } from '../gen/push/v1/push_pb.js';
import {
  FlameGraphDiffSchema,
  FlameGraphSchema,
  HeatmapQueryType,
  ProfileFormat,
  QuerierService,
  type SelectMergeStacktracesRequest,
} from '../gen/querier/v1/querier_pb.js';
import { RecordingRulesService } from '../gen/settings/v1/recording_rules_pb.js';
import { SettingsService } from '../gen/settings/v1/setting_pb.js';
import { ExemplarType, TimeSeriesAggregationType } from '../gen/types/v1/types_pb.js';
import type { AdHocProfiles } from '../tenant/adhocProfiles.js';
import type { Ingester } from '../ingest/ingester.js';
import type { QueryGate } from '../limits/queryGate.js';
import { toDot } from '../encode/dot.js';
import { toFlameGraph } from '../encode/flamegraph.js';
import { toFlameGraphDiff } from '../encode/flamegraphDiff.js';
import { toTreeBytes } from '../encode/treeBytes.js';
import { selectSeriesJson } from '../encode/seriesJson.js';
import { seriesPoints, type ProfilePoint, type Querier, type SelectParams } from '../query/querier.js';
import { mergedStacksToPprof } from '../encode/pprof.js';
import type { RecordingRulesRepository } from '../tenant/recordingRules.js';
import type { SettingsRepository } from '../tenant/settings.js';
import { QueryError } from '../query/errors.js';
import { adHocHandlers } from './adhoc.js';
import { recordingRulesHandlers } from './recordingRules.js';
import { callSite, resolveMaxNodes } from './params.js';
import { toConnectError } from './errors.js';
import { resolveTenant } from './tenant.js';
import { jsonAnswerSlot } from './seriesJsonAnswer.js';

export interface ApiDeps {
  ingester: Ingester;
  querier: Querier;
  settings: SettingsRepository;
  /** settings.v1.RecordingRulesService; the service answers unimplemented without it */
  recordingRules?: RecordingRulesRepository;
  /** adhocprofiles.v1; the service answers unimplemented without it */
  adhoc?: AdHocProfiles;
  multitenancy: boolean;
  /** Concurrency, queueing and timeout of queries (-querier.max-concurrent, -querier.query-timeout). */
  gate: QueryGate;
  maxNodesDefault: number;
  maxNodesMax: number;
  onIngest?: (tenant: string, bytes: number, profiles: number) => void;
}

const big = (n: number): bigint => BigInt(Math.round(n));

async function guard<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw toConnectError(e);
  }
}

/** What every handler shares: the dependencies, the tenant of a request, its node limit and the query gate. */
interface Kit {
  deps: ApiDeps;
  tenantOf: (ctx: HandlerContext) => string;
  maxNodes: (n: bigint | undefined) => number;
  /** Runs a query in the gate: a slot, the tenant's timeout, and cancellation when the client goes away. */
  query: <T>(ctx: HandlerContext, fn: (tenant: string, signal: AbortSignal) => Promise<T>) => Promise<T>;
}

type QuerierImpl = ServiceImpl<typeof QuerierService>;

function selectParams(r: SelectMergeStacktracesRequest, signal?: AbortSignal): SelectParams {
  return {
    signal,
    profileType: r.profileTypeID,
    selector: r.labelSelector,
    start: Number(r.start),
    end: Number(r.end),
    spans: r.spanSelector,
    traces: r.traceIdSelector,
    profileIds: r.profileIdSelector,
    callSite: callSite(r.stackTraceSelector),
  };
}

function flameGraphMsg(fg: { names: string[]; levels: number[][]; total: number; maxSelf: number }) {
  return create(FlameGraphSchema, {
    names: fg.names,
    levels: fg.levels.map((v) => ({ values: v.map(big) })),
    total: big(fg.total),
    maxSelf: big(fg.maxSelf),
  });
}

/** types.v1.Exemplar of a point: span and trace ids only when it has them, labels not on the series. */
function exemplarMsg(p: ProfilePoint) {
  return {
    timestamp: BigInt(p.ts),
    profileId: p.profileId,
    spanId: p.spanId,
    traceId: p.traceId,
    value: big(p.value),
    labels: p.labels.map(([name, value]) => ({ name, value })),
  };
}

/** SelectSeries exemplar_type: none, or the kind of exemplar; a value Pyroscope does not define is refused. */
function seriesExemplars(t: ExemplarType): 'individual' | 'span' | undefined {
  switch (t) {
    case ExemplarType.UNSPECIFIED:
    case ExemplarType.NONE:
      return undefined;
    case ExemplarType.INDIVIDUAL:
      return 'individual';
    case ExemplarType.SPAN:
      return 'span';
    default:
      throw new QueryError(`unknown exemplar type: ${t}`);
  }
}

/** SelectHeatmap's query type and whether it has exemplars: as Pyroscope, exemplars must be of the query's kind. */
function heatmapKind(q: HeatmapQueryType, e: ExemplarType): { kind: 'individual' | 'span'; exemplars: boolean } {
  const kind = q === HeatmapQueryType.INDIVIDUAL ? 'individual' : q === HeatmapQueryType.SPAN ? 'span' : null;
  if (!kind) {
    throw new QueryError('valid heatmap query type must be specified');
  }
  const ex = seriesExemplars(e);
  if (ex && ex !== kind) {
    throw new QueryError(`${ex} exemplars only available for ${ex} query type`);
  }
  return { kind, exemplars: ex !== undefined };
}

/** Label and series listings, and the store's data statistics. */
function labelHandlers({
  deps,
  query,
}: Kit): Pick<QuerierImpl, 'profileTypes' | 'labelNames' | 'labelValues' | 'series' | 'getProfileStats'> {
  return {
    profileTypes: (req, ctx) =>
      query(ctx, async (tenant, signal) => {
        const types = await deps.querier.profileTypes(tenant, {
          start: Number(req.start),
          end: Number(req.end),
          signal,
        });
        return {
          profileTypes: types.map((t) => ({
            ID: t.id,
            name: t.name,
            sampleType: t.sampleType,
            sampleUnit: t.sampleUnit,
            periodType: t.periodType,
            periodUnit: t.periodUnit,
          })),
        };
      }),
    labelNames: (req, ctx) =>
      query(ctx, async (tenant, signal) => ({
        names: await deps.querier.labelNames(tenant, req.matchers, {
          start: Number(req.start),
          end: Number(req.end),
          signal,
        }),
      })),
    labelValues: (req, ctx) =>
      query(ctx, async (tenant, signal) => ({
        names: await deps.querier.labelValues(tenant, req.name, req.matchers, {
          start: Number(req.start),
          end: Number(req.end),
          signal,
        }),
      })),
    series: (req, ctx) =>
      query(ctx, async (tenant, signal) => {
        const sets = await deps.querier.series(tenant, req.matchers, req.labelNames, {
          start: Number(req.start),
          end: Number(req.end),
          signal,
        });
        return { labelsSet: sets.map((ls) => ({ labels: ls.map(([name, value]) => ({ name, value })) })) };
      }),
    getProfileStats: (_req, ctx) =>
      query(ctx, async (tenant) => {
        const s = await deps.querier.profileStats(tenant);
        return {
          dataIngested: s.dataIngested,
          oldestProfileTime: BigInt(Math.floor(s.oldest)),
          newestProfileTime: BigInt(Math.ceil(s.newest)),
        };
      }),
  };
}

/**
 * The merged pprof of a selection (SelectMergeProfile, and SelectMergeStacktraces with PROFILE_FORMAT_PPROF, one
 * path as in Pyroscope): max_nodes absent or 0 keeps every stack, anything else is checked against the limits.
 */
async function mergedPprof(kit: Kit, tenant: string, p: SelectParams, nodes: bigint | undefined): Promise<Profile> {
  const n = nodes === undefined || Number(nodes) === 0 ? 0 : kit.maxNodes(nodes);
  const { stacks } = await kit.deps.querier.selectMergeStacks(tenant, p);
  return mergedStacksToPprof(stacks, p.profileType, p.end || Date.now(), p.end - p.start, n);
}

/** Merged profiles: flame graph, tree, dot, pprof, span profiles and diffs. */
function mergeHandlers(
  kit: Kit
): Pick<QuerierImpl, 'selectMergeStacktraces' | 'selectMergeSpanProfile' | 'selectMergeProfile' | 'diff'> {
  const { deps, query, maxNodes } = kit;
  return {
    selectMergeStacktraces: (req, ctx) =>
      query(ctx, async (tenant, signal) => {
        if (req.format === ProfileFormat.PPROF) {
          return { pprof: { profile: await mergedPprof(kit, tenant, selectParams(req, signal), req.maxNodes) } };
        }
        const n = maxNodes(req.maxNodes);
        const { tree } = await deps.querier.selectMergeTree(tenant, selectParams(req, signal));
        switch (req.format) {
          case ProfileFormat.TREE:
            return { tree: toTreeBytes(tree, n) };
          case ProfileFormat.DOT:
            return { dot: toDot(tree, n) };
          default:
            return { flamegraph: flameGraphMsg(toFlameGraph(tree, n)) };
        }
      }),
    selectMergeSpanProfile: (req, ctx) =>
      query(ctx, async (tenant, signal) => {
        const n = maxNodes(req.maxNodes);
        const { tree } = await deps.querier.selectMergeTree(tenant, {
          signal,
          profileType: req.profileTypeID,
          selector: req.labelSelector,
          start: Number(req.start),
          end: Number(req.end),
          spans: req.spanSelector.length > 0 ? req.spanSelector : ['\u0000none'],
        });
        if (req.format === ProfileFormat.TREE) {
          return { tree: toTreeBytes(tree, n) };
        }
        return { flamegraph: flameGraphMsg(toFlameGraph(tree, n)) };
      }),
    selectMergeProfile: (req, ctx) =>
      query(ctx, (tenant, signal) =>
        mergedPprof(
          kit,
          tenant,
          {
            signal,
            profileType: req.profileTypeID,
            selector: req.labelSelector,
            start: Number(req.start),
            end: Number(req.end),
            traces: req.traceIdSelector,
            profileIds: req.profileIdSelector,
            callSite: callSite(req.stackTraceSelector),
          },
          req.maxNodes
        )
      ),
    diff: (req, ctx) =>
      query(ctx, async (tenant, signal) => {
        if (!req.left || !req.right) {
          throw new QueryError('diff needs both left and right');
        }
        if (req.left.profileTypeID !== req.right.profileTypeID) {
          throw new QueryError('left and right must query the same profile type');
        }
        const n = maxNodes(req.left.maxNodes ?? req.right.maxNodes);
        const [l, r] = await Promise.all([
          deps.querier.selectMergeTree(tenant, selectParams(req.left, signal)),
          deps.querier.selectMergeTree(tenant, selectParams(req.right, signal)),
        ]);
        const d = toFlameGraphDiff(l.tree, r.tree, n);
        return {
          flamegraph: create(FlameGraphDiffSchema, {
            names: d.names,
            levels: d.levels.map((v) => ({ values: v.map(big) })),
            total: big(d.total),
            maxSelf: big(d.maxSelf),
            leftTicks: big(d.leftTicks),
            rightTicks: big(d.rightTicks),
          }),
        };
      }),
  };
}

/** Time series, heatmaps and query analysis. */
function seriesHandlers({ deps, query }: Kit): Pick<QuerierImpl, 'selectSeries' | 'selectHeatmap' | 'analyzeQuery'> {
  return {
    selectSeries: (req, ctx) =>
      query(ctx, async (tenant, signal) => {
        const exemplars = seriesExemplars(req.exemplarType);
        const { series } = await deps.querier.selectSeries(tenant, {
          signal,
          profileType: req.profileTypeID,
          selector: req.labelSelector,
          start: Number(req.start),
          end: Number(req.end),
          groupBy: req.groupBy,
          stepSeconds: req.step,
          aggregation: req.aggregation === TimeSeriesAggregationType.AVERAGE ? 'average' : 'sum',
          limit: req.limit === undefined ? undefined : Number(req.limit),
          callSite: callSite(req.stackTraceSelector),
          exemplars,
        });
        const slot = ctx.values.get(jsonAnswerSlot);
        if (slot) {
          slot.json = selectSeriesJson(series);
          return {};
        }
        return {
          series: series.map((s) => ({
            labels: s.labels.map(([name, value]) => ({ name, value })),
            points: seriesPoints(s).map((p) => ({
              value: p.value,
              timestamp: BigInt(p.timestamp),
              exemplars: p.exemplar ? [exemplarMsg(p.exemplar)] : [],
            })),
          })),
        };
      }),
    selectHeatmap: (req, ctx) =>
      query(ctx, async (tenant, signal) => {
        const { kind, exemplars } = heatmapKind(req.queryType, req.exemplarType);
        const { series } = await deps.querier.selectHeatmap(tenant, {
          signal,
          profileType: req.profileTypeID,
          selector: req.labelSelector,
          start: Number(req.start),
          end: Number(req.end),
          groupBy: req.groupBy,
          stepSeconds: req.step,
          kind,
          exemplars,
          limit: req.limit === undefined ? undefined : Number(req.limit),
        });
        return {
          series: series.map((s) => ({
            labels: s.labels.map(([name, value]) => ({ name, value })),
            slots: s.slots.map((slot) => ({
              timestamp: BigInt(slot.timestamp),
              yMin: slot.yMin,
              counts: slot.counts,
              exemplars: slot.exemplars.map(exemplarMsg),
            })),
          })),
        };
      }),
    analyzeQuery: (req, ctx) =>
      query(ctx, async (tenant, signal) => {
        const q = req.query.trim();
        const brace = q.indexOf('{');
        // a bare label selector (no profile type in front) analyses every profile type
        const profileType = (brace < 0 ? q : q.slice(0, brace)).trim();
        const selector = brace < 0 ? '{}' : q.slice(brace);
        const a = await deps.querier.analyze(tenant, {
          signal,
          profileType,
          selector,
          start: Number(req.start),
          end: Number(req.end),
        });
        return {
          queryScopes: [
            {
              componentType: 'object store',
              componentCount: 1n,
              blockCount: BigInt(a.objectsRead),
              seriesCount: BigInt(a.series),
              profileCount: BigInt(a.profiles),
              sampleCount: BigInt(a.samples),
              indexBytes: 0n,
              profileBytes: BigInt(a.bytesRead),
              symbolBytes: 0n,
            },
          ],
          queryImpact: {
            totalBytesInTimeRange: BigInt(a.bytesInRange),
            totalQueriedSeries: BigInt(a.series),
            deduplicationNeeded: false,
          },
        };
      }),
  };
}

function pushHandlers({ deps, tenantOf }: Kit): ServiceImpl<typeof PusherService> {
  return {
    push: (req, ctx) =>
      guard(async () => {
        const tenant = tenantOf(ctx);
        const n = await deps.ingester.ingestPush(
          tenant,
          req.series.map((s) => ({
            labels: s.labels,
            samples: s.samples.map((x) => ({ rawProfile: x.rawProfile, ID: x.ID })),
          }))
        );
        const bytes = req.series.reduce((a, s) => a + s.samples.reduce((b, x) => b + x.rawProfile.length, 0), 0);
        deps.onIngest?.(tenant, bytes, n);
        return {};
      }),
  };
}

function settingsHandlers({ deps, tenantOf }: Kit): ServiceImpl<typeof SettingsService> {
  return {
    get: (_req, ctx) => guard(async () => ({ settings: await deps.settings.list(tenantOf(ctx)) })),
    set: (req, ctx) =>
      guard(async () => {
        if (!req.setting || !req.setting.name) {
          throw new QueryError('setting.name is required');
        }
        const s = await deps.settings.set(tenantOf(ctx), {
          name: req.setting.name,
          value: req.setting.value,
          modifiedAt: req.setting.modifiedAt,
        });
        return { setting: s };
      }),
  };
}

export function connectRoutes(deps: ApiDeps) {
  const tenantOf = (ctx: HandlerContext): string => {
    try {
      return resolveTenant(ctx.requestHeader.get('x-scope-orgid'), deps.multitenancy);
    } catch (e) {
      throw new ConnectError((e as Error).message, Code.Unauthenticated);
    }
  };
  const maxNodes = (n: bigint | undefined) => resolveMaxNodes(n, deps.maxNodesDefault, deps.maxNodesMax);
  const query = <T>(ctx: HandlerContext, fn: (tenant: string, signal: AbortSignal) => Promise<T>): Promise<T> =>
    guard(async () => {
      const tenant = tenantOf(ctx);
      return deps.gate.run(tenant, ctx.signal, (signal) => fn(tenant, signal));
    });
  const kit: Kit = { deps, tenantOf, maxNodes, query };

  return (router: ConnectRouter) => {
    router.service(QuerierService, { ...labelHandlers(kit), ...mergeHandlers(kit), ...seriesHandlers(kit) });
    router.service(PusherService, pushHandlers(kit));
    router.service(SettingsService, settingsHandlers(kit));

    if (deps.recordingRules) {
      router.service(RecordingRulesService, recordingRulesHandlers({ rules: deps.recordingRules, tenantOf, guard }));
    }
    if (deps.adhoc) {
      router.service(AdHocProfileService, adHocHandlers({ adhoc: deps.adhoc, tenantOf, maxNodes, guard, query }));
    }
  };
}

export type { Profile };
export { ProfileSchema };
