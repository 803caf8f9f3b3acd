// One mapping from our error classes to HTTP statuses and Connect codes, so every route answers bad input the
// same way: a 4xx with {code, message}, store trouble as 503, and nothing else as a crash.
import { Code, ConnectError } from '@connectrpc/connect';
import { FormatError } from '../ingest/formatError.js';
import { QueryError } from '../query/errors.js';
import { ConflictError, StoreUnavailableError } from '../storage/objectStore.js';
import { AuthError } from './tenant.js';

export function httpStatusOf(e: unknown): number {
  if (e instanceof FormatError) {
    return e.status;
  }
  if (e instanceof QueryError) {
    return 400;
  }
  if (e instanceof AuthError) {
    return 401;
  }
  if (e instanceof StoreUnavailableError) {
    return 503;
  }
  if (e instanceof ConflictError) {
    return 409;
  }
  if (e instanceof ConnectError) {
    return connectHttpStatus(e.code);
  }
  const name = (e as Error)?.name;
  if (name === 'JfrParseError' || name === 'SelectorError') {
    return 400;
  }
  return 500;
}

const CODE_NAMES: Record<number, string> = {
  400: 'invalid_argument',
  401: 'unauthenticated',
  404: 'not_found',
  409: 'already_exists',
  413: 'resource_exhausted',
  415: 'invalid_argument',
  422: 'invalid_argument',
  429: 'resource_exhausted',
  500: 'internal',
  501: 'unimplemented',
  503: 'unavailable',
  504: 'deadline_exceeded',
};

export function errorBody(status: number, e: unknown): { code: string; message: string } {
  const message =
    status >= 500 && status !== 503
      ? `internal error: ${(e as Error)?.message ?? String(e)}`
      : ((e as Error)?.message ?? String(e));
  return { code: CODE_NAMES[status] ?? (status >= 500 ? 'internal' : 'invalid_argument'), message };
}

function connectHttpStatus(code: Code): number {
  switch (code) {
    case Code.InvalidArgument:
    case Code.FailedPrecondition:
    case Code.OutOfRange:
      return 400;
    case Code.Unauthenticated:
      return 401;
    case Code.PermissionDenied:
      return 403;
    case Code.NotFound:
      return 404;
    case Code.AlreadyExists:
    case Code.Aborted:
      return 409;
    case Code.ResourceExhausted:
      return 429;
    case Code.Unimplemented:
      return 501;
    case Code.Unavailable:
      return 503;
    case Code.DeadlineExceeded:
      return 504;
    default:
      return 500;
  }
}

export function toConnectError(e: unknown): ConnectError {
  if (e instanceof ConnectError) {
    return e;
  }
  const status = httpStatusOf(e);
  const msg = (e as Error)?.message ?? String(e);
  const code =
    status === 401
      ? Code.Unauthenticated
      : status === 413 || status === 429
        ? Code.ResourceExhausted
        : status === 503
          ? Code.Unavailable
          : status === 409
            ? Code.AlreadyExists
            : status >= 400 && status < 500
              ? Code.InvalidArgument
              : Code.Internal;
  return new ConnectError(msg, code);
}
