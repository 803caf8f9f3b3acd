// Request parameters shared by the Connect and HTTP handlers, read the same way on both.
import type { StackTraceSelector } from '../gen/types/v1/types_pb.js';
import { QueryError } from '../query/errors.js';

/**
 * A request's max_nodes against the limits: 0 (or absent) takes the default
 * (-querier.max-flamegraph-nodes-default), above the maximum (-querier.max-flamegraph-nodes-max) is an error.
 */
export function resolveMaxNodes(requested: bigint | number | undefined, def: number, max: number): number {
  const n = requested === undefined ? 0 : Number(requested);
  if (n < 0) {
    throw new QueryError(`max_nodes must not be negative (got ${n})`);
  }
  if (max > 0 && n > max) {
    throw new QueryError(`max_nodes ${n} is above the limit of ${max}`);
  }
  return n === 0 ? def : n;
}

/** Function names root first of a stack trace selector's call site, or undefined without one. */
export function callSite(sel: StackTraceSelector | undefined): string[] | undefined {
  const names = sel?.callSite?.map((l) => l.name) ?? [];
  return names.length > 0 ? names : undefined;
}
