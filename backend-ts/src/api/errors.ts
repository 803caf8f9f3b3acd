// One mapping from our error classes to HTTP statuses and Connect codes, so every route answers bad input the
// same way: a 4xx with {code, message}, store trouble as 503, and nothing else as a crash.
import { Code, ConnectError } from '@connectrpc/connect';
import type { UniversalHandler, UniversalServerRequest, UniversalServerResponse } from '@connectrpc/connect/protocol';
import { FormatError } from '../formats/formatError.js';
import { QueryError, StoreUnavailableError } from '../query/errors.js';
import { LimitError } from '../limits/errors.js';
import { ConflictError } from '../tenant/settings.js';
import { AuthError } from './tenant.js';
import { onceBody, wrapHandler } from './handlerWrap.js';

export function httpStatusOf(e: unknown): number {
  if (e instanceof FormatError || e instanceof LimitError) {
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
  403: 'permission_denied',
  404: 'not_found',
  408: 'deadline_exceeded',
  409: 'already_exists',
  413: 'resource_exhausted',
  415: 'invalid_argument',
  422: 'invalid_argument',
  429: 'resource_exhausted',
  431: 'resource_exhausted',
  499: 'canceled',
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
  if (e instanceof LimitError) {
    // Retry-After travels as response metadata, which Connect sends as a header of the unary error response
    const code =
      e.status === 504
        ? Code.DeadlineExceeded
        : e.status === 499
          ? Code.Canceled
          : e.status === 503
            ? Code.Unavailable
            : Code.ResourceExhausted;
    return new ConnectError(
      msg,
      code,
      e.retryAfterSeconds ? { 'retry-after': String(e.retryAfterSeconds) } : undefined
    );
  }
  // A profile over a size limit (413) is invalid_argument, as Pyroscope's distributor answers it: only a rate
  // limit (429) is resource_exhausted, the code agents such as Alloy retry
  const code =
    status === 401
      ? Code.Unauthenticated
      : status === 429
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

/**
 * connect-es answers a request body that is not valid binary protobuf, or a truncated gzip body, with 500
 * "internal"; connect-go, and so Pyroscope, answers 400 "invalid_argument". The client sent bad bytes: a 5xx would
 * also make agents such as Alloy retry them forever. Rewrites exactly those Connect-protocol answers and passes
 * everything else through.
 */
export function badBodyAsInvalidArgument(h: UniversalHandler): UniversalHandler {
  const wrapped = async (req: UniversalServerRequest): Promise<UniversalServerResponse> => {
    const res = await h(req);
    const type = res.header?.get('content-type') ?? '';
    if (
      res.status !== 500 ||
      !res.body ||
      !type.startsWith('application/json') ||
      res.header?.has('content-encoding')
    ) {
      return res;
    }
    const chunks: Uint8Array[] = [];
    for await (const c of res.body) {
      chunks.push(c);
    }
    const bytes = Buffer.concat(chunks);
    let err: { code?: unknown; message?: unknown } = {};
    try {
      err = JSON.parse(bytes.toString('utf8')) as typeof err;
    } catch {
      // not a Connect error body: pass it on unchanged
    }
    const msg = typeof err.message === 'string' ? err.message : '';
    const bad = msg.startsWith('parse binary:') || msg === 'decompression failed';
    if (err.code !== 'internal' || !bad) {
      return { ...res, body: onceBody(bytes) };
    }
    const message = !msg.startsWith('parse binary:')
      ? 'request body: invalid gzip data (decompression failed)'
      : /utf-8/i.test(msg)
        ? `${msg}: label names and values, like every string field, must be valid UTF-8`
        : msg;
    const body = Buffer.from(JSON.stringify({ code: 'invalid_argument', message }));
    const header = new Headers(res.header);
    header.set('content-length', String(body.length));
    return { ...res, status: 400, header, body: onceBody(body) };
  };
  return wrapHandler(h, wrapped);
}
