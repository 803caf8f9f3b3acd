// Connect request bodies read by us, not by connect-es, so that every transport the Connect handlers serve (Connect
// over HTTP/1.1 now, gRPC over HTTP/2 later) is bounded the same way:
// - Content-Encoding is identity or gzip, as connect-go (and so Pyroscope) accepts; anything else is refused
//   before a byte of the body is read.
// - gzip is inflated as a stream with a running count that stops at the read limit: connect-es inflates the
//   whole body at once up to the read limit (256 MiB), so a 1.6 KB brotli body became 256 MiB of memory.
// - every byte read or inflated is drawn from the process-wide decode budget (limits/decodeBudget.ts) and
//   given back when the answer is out; the body is no longer read while the budget is spent.
// - a body that declares a length is not trusted with memory of that length up front: an identity body within
//   the limit gets a buffer of its declared size that is only reserved (allocUnsafeSlow commits no page), filled
//   as the bytes arrive and are drawn from the budget, so no single step concatenates (and faults in) a large
//   message at the end.
// - a 415 (content type connect-es does not serve) and a 405 carry a {code, message} body like every other error.
import type { JsonValue } from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';
import type { UniversalHandler, UniversalServerRequest, UniversalServerResponse } from '@connectrpc/connect/protocol';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { DecodeAccount, DecodeBudget } from '../limits/decodeBudget.js';
import { LimitError } from '../limits/errors.js';
import { onceBody, wrapHandler } from './handlerWrap.js';

export interface ConnectBodyOptions {
  /** The largest message, inflated (-distributor.ingestion-body-limit-mb); the body as sent is bounded by it too. */
  readMaxBytes: number;
  budget: DecodeBudget;
  /**
   * A tighter bound for some methods (settings.v1 Set, ad hoc Upload), as sent and inflated: past it the request
   * is invalid_argument with `message`, and its body is not decoded (decoding a 20 MB JSON string on the main
   * thread is what it would cost).
   */
  methodLimit?: (path: string, header: Headers) => { maxBytes: number; message: string } | undefined;
}

/**
 * Chunks of a message, at most `max` bytes in all, or invalid_argument with the method's own words. Past the
 * bound the rest is still read, and dropped (the body limit and the read timeout bound that): a client that is
 * still sending when the answer comes would otherwise see its connection reset instead of the answer.
 */
async function* capped(src: AsyncIterable<Uint8Array>, max: number, message: string): AsyncGenerator<Uint8Array> {
  let n = 0;
  for await (const c of src) {
    n += c.byteLength;
    if (n <= max) {
      yield c;
    }
  }
  if (n > max) {
    throw new ConnectError(message, Code.InvalidArgument);
  }
}

function jsonError(status: number, code: string, message: string, extra: Record<string, string> = {}) {
  const body = Buffer.from(JSON.stringify({ code, message }));
  const header = new Headers({
    'content-type': 'application/json',
    'content-length': String(body.length),
    ...extra,
  });
  return { status, header, body: onceBody(body) } satisfies UniversalServerResponse;
}

/** Chunks of the body as sent, at most `max` bytes in all. */
async function* bounded(src: AsyncIterable<Uint8Array>, max: number, what: string): AsyncGenerator<Uint8Array> {
  let n = 0;
  for await (const c of src) {
    n += c.byteLength;
    if (n > max) {
      throw new ConnectError(
        `${what} is larger than ${max} bytes (-distributor.ingestion-body-limit-mb)`,
        Code.ResourceExhausted
      );
    }
    yield c;
  }
}

/** gzip inflated as a stream: chunks as they come out, pulled one at a time (the input waits meanwhile). */
async function* gunzip(src: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const input = Readable.from(src, { objectMode: false });
  const inflater = createGunzip({ chunkSize: 64 * 1024 });
  input.on('error', (e) => inflater.destroy(e));
  input.pipe(inflater);
  let any = false;
  try {
    for await (const c of inflater as AsyncIterable<Buffer>) {
      any = true;
      yield c;
    }
  } catch (e) {
    if (e instanceof ConnectError) {
      throw e;
    }
    const err = e as NodeJS.ErrnoException;
    // an empty body is an empty message in any encoding, as connect-go reads it
    if (!any && input.readableEnded && err.code === 'Z_BUF_ERROR') {
      return;
    }
    throw new ConnectError(`request body: invalid gzip data (${err.message})`, Code.InvalidArgument);
  } finally {
    input.destroy();
    inflater.destroy();
  }
}

/** Messages declared at least this large are written into one buffer as they arrive. */
const PREALLOCATE_MIN = 64 * 1024;

/**
 * The message bytes, whole: counted against the read limit and drawn from the decode budget as they come.
 * `declared` is the body's content-length when its bytes are the message (identity).
 */
async function readMessage(
  src: AsyncIterable<Uint8Array>,
  max: number,
  account: DecodeAccount,
  declared = NaN
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let n = 0;
  let whole =
    Number.isSafeInteger(declared) && declared >= PREALLOCATE_MIN && declared <= max
      ? Buffer.allocUnsafeSlow(declared)
      : undefined;
  for await (const c of bounded(src, max, 'message')) {
    await take(account, c.byteLength);
    if (whole && n + c.byteLength <= whole.length) {
      whole.set(c, n);
    } else {
      if (whole) {
        // more than declared (HTTP/2 does not hold a client to content-length): collected from here on
        chunks.push(whole.subarray(0, n));
        whole = undefined;
      }
      chunks.push(c);
    }
    n += c.byteLength;
  }
  if (whole) {
    return n === whole.length ? whole : whole.subarray(0, n);
  }
  if (chunks.length === 1) {
    return chunks[0];
  }
  // the chunks and their concatenation exist together for a moment
  account.force(n);
  const joined = Buffer.concat(chunks, n);
  chunks.length = 0;
  account.giveBack(n);
  return joined;
}

async function take(account: DecodeAccount, bytes: number): Promise<void> {
  try {
    if (!account.tryTake(bytes)) {
      await account.take(bytes);
    }
  } catch (e) {
    if (e instanceof LimitError && e.status === 503) {
      throw new ConnectError(e.message, Code.Unavailable, { 'retry-after': String(e.retryAfterSeconds ?? 5) });
    }
    if (e instanceof LimitError) {
      throw new ConnectError(`message ${e.message}`, Code.ResourceExhausted);
    }
    throw e;
  }
}

/** Envelope protocols (gRPC, gRPC-web, Connect streaming) keep their body a stream: only counted and budgeted. */
async function* budgeted(src: AsyncIterable<Uint8Array>, account: DecodeAccount): AsyncGenerator<Uint8Array> {
  for await (const c of src) {
    await take(account, c.byteLength);
    yield c;
  }
}

function isEnvelope(contentType: string): boolean {
  return /^application\/(grpc|connect\+)/i.test(contentType);
}

/** Wraps a connect-es handler so that its request body is read as described above. */
export function limitedBodies(h: UniversalHandler, opts: ConnectBodyOptions): UniversalHandler {
  const wrapped = async (req: UniversalServerRequest): Promise<UniversalServerResponse> => {
    const body = req.body;
    if (req.method !== 'POST' || typeof body !== 'object' || body === null || !(Symbol.asyncIterator in body)) {
      return bareAsJson(await h(req), req);
    }
    const encoding = (req.header.get('content-encoding') ?? 'identity').trim().toLowerCase() || 'identity';
    if (encoding !== 'identity' && encoding !== 'gzip') {
      // answered before the body is read; the connection is closed so that the unread body is not waited for
      return jsonError(501, 'unimplemented', `unknown compression "${encoding}": supported encodings are gzip`, {
        connection: 'close',
      });
    }
    const account = opts.budget.account();
    try {
      const src = body as AsyncIterable<Uint8Array>;
      const header = new Headers(req.header);
      header.delete('content-encoding');
      header.delete('content-length');
      const contentType = req.header.get('content-type') ?? '';
      if (isEnvelope(contentType)) {
        if (encoding !== 'identity') {
          return jsonError(501, 'unimplemented', `unknown compression "${encoding}" on an envelope protocol`);
        }
        return bareAsJson(
          await h({ ...req, header, body: budgeted(bounded(src, opts.readMaxBytes, 'request body'), account) }),
          req
        );
      }
      let message: Uint8Array;
      const lim = opts.methodLimit?.(new URL(req.url).pathname, req.header);
      try {
        const cap = (s: AsyncIterable<Uint8Array>) => (lim ? capped(s, lim.maxBytes, lim.message) : s);
        const raw = cap(bounded(src, opts.readMaxBytes, 'request body'));
        message =
          encoding === 'gzip'
            ? await readMessage(cap(gunzip(raw)), opts.readMaxBytes, account)
            : await readMessage(raw, opts.readMaxBytes, account, Number(req.header.get('content-length') ?? NaN));
      } catch (e) {
        const err = e instanceof ConnectError ? e : new ConnectError(String((e as Error)?.message ?? e), Code.Internal);
        const status = { [Code.ResourceExhausted]: 429, [Code.Unavailable]: 503, [Code.InvalidArgument]: 400 }[
          err.code as number
        ];
        const extra: Record<string, string> = {};
        err.metadata.forEach((v, k) => (extra[k] = v));
        // a body refused by a method's own bound has been read to its end: the connection can serve on
        const drained = err.code === Code.InvalidArgument && lim !== undefined && err.rawMessage === lim.message;
        return jsonError(status ?? 500, codeName(err.code), err.rawMessage, {
          ...extra,
          ...(drained ? {} : { connection: 'close' }),
        });
      }
      // a body already read is handed over as it is (connect-es parses a Uint8Array body as the message, which its
      // type does not spell out): as a stream with a length, it would be copied into a second buffer
      return bareAsJson(await h({ ...req, header, body: message as unknown as JsonValue }), req);
    } finally {
      account.release();
    }
  };
  return wrapHandler(h, wrapped);
}

function codeName(code: Code): string {
  return (
    {
      [Code.ResourceExhausted]: 'resource_exhausted',
      [Code.Unavailable]: 'unavailable',
      [Code.InvalidArgument]: 'invalid_argument',
    }[code as number] ?? 'internal'
  );
}

/** connect-es answers a content type it does not serve (415) and a method other than POST (405) with no body. */
function bareAsJson(res: UniversalServerResponse, req: UniversalServerRequest): UniversalServerResponse {
  if (res.status === 415) {
    const type = req.header.get('content-type') ?? '';
    return jsonError(
      415,
      'invalid_argument',
      `unsupported content type "${type}": Connect requests are application/proto or application/json`
    );
  }
  if (res.status === 405) {
    const path = new URL(req.url).pathname;
    return jsonError(405, 'unimplemented', `method ${req.method} is not served on ${path}: use POST`, {
      allow: 'POST',
    });
  }
  return res;
}
