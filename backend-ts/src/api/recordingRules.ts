// settings.v1.RecordingRulesService handlers: decode the request, call tenant/recordingRules, encode the answer.
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from '@connectrpc/connect';
import type { RecordingRulesService, StacktraceFilter } from '../gen/settings/v1/recording_rules_pb.js';
import {
  RecordingRuleError,
  type RecordingRule,
  type RecordingRuleErrorKind,
  type RecordingRulesRepository,
} from '../tenant/recordingRules.js';

export interface RecordingRulesDeps {
  rules: RecordingRulesRepository;
  tenantOf: (ctx: HandlerContext) => string;
  guard: <T>(fn: () => Promise<T>) => Promise<T>;
}

const CODES: Record<RecordingRuleErrorKind, Code> = {
  invalid: Code.InvalidArgument,
  not_found: Code.NotFound,
  // Pyroscope answers a stale generation with already_exists
  stale: Code.AlreadyExists,
  limit: Code.ResourceExhausted,
};

function encode(r: RecordingRule) {
  return {
    id: r.id,
    metricName: r.metricName,
    profileType: r.profileType,
    matchers: r.matchers,
    groupBy: r.groupBy,
    externalLabels: r.externalLabels,
    generation: BigInt(r.generation),
    stacktraceFilter: r.stacktraceFilter,
    provisioned: false,
  };
}

function filterOf(f: StacktraceFilter | undefined) {
  if (!f) {
    return undefined;
  }
  return {
    functionName: f.functionName
      ? { functionName: f.functionName.functionName, metricType: f.functionName.metricType }
      : undefined,
  };
}

export function recordingRulesHandlers({
  rules,
  tenantOf,
  guard,
}: RecordingRulesDeps): ServiceImpl<typeof RecordingRulesService> {
  // the repository's refusals carry their kind; everything else goes through the shared mapping
  const run = <T>(fn: () => Promise<T>): Promise<T> =>
    guard(async () => {
      try {
        return await fn();
      } catch (e) {
        if (e instanceof RecordingRuleError) {
          throw new ConnectError(e.message, CODES[e.kind]);
        }
        throw e;
      }
    });
  return {
    listRecordingRules: (_req, ctx) => run(async () => ({ rules: (await rules.list(tenantOf(ctx))).map(encode) })),
    getRecordingRule: (req, ctx) => run(async () => ({ rule: encode(await rules.get(tenantOf(ctx), req.id)) })),
    upsertRecordingRule: (req, ctx) =>
      run(async () => ({
        rule: encode(
          await rules.upsert(tenantOf(ctx), {
            id: req.id,
            metricName: req.metricName,
            matchers: req.matchers,
            groupBy: req.groupBy,
            externalLabels: req.externalLabels.map(({ name, value }) => ({ name, value })),
            generation: Number(req.generation),
            stacktraceFilter: filterOf(req.stacktraceFilter),
          })
        ),
      })),
    deleteRecordingRule: (req, ctx) =>
      run(async () => {
        await rules.delete(tenantOf(ctx), req.id);
        return {};
      }),
  };
}
