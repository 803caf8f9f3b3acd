// gRPC on the HTTP port, as Pyroscope serves it: unary calls of the OTLP ProfilesService/Export (so the
// OpenTelemetry Collector's otlp exporter and the eBPF profiler send to :4040 unchanged) and of
// push.v1.PusherService/Push. A request is framed messages (1 byte compressed flag, 4 bytes big-endian length,
// the message) on an HTTP/2 stream; the answer is one framed message and the status in trailers (grpc-status,
// grpc-message), or the status alone in the headers when the call fails. Handlers parse, call ingest, encode.
import { fromBinary } from '@bufbuild/protobuf';
import { Code } from '@connectrpc/connect';
import { constants, type Http2ServerRequest, type Http2ServerResponse, type IncomingHttpHeaders } from 'node:http2';
import { createGunzip } from 'node:zlib';
import { ExportProfilesServiceRequestSchema } from '../gen/opentelemetry/proto/collector/profiles/v1development/profiles_service_pb.js';
import { PushRequestSchema } from '../gen/push/v1/push_pb.js';
import type { Ingester } from '../ingest/ingester.js';
import { toConnectError } from './errors.js';

/** gRPC's own limit on a received message, as Pyroscope sets its gRPC server (100 MiB). */
export const GRPC_MAX_MESSAGE_BYTES = 100 * 1024 * 1024;

export interface GrpcDeps {
  ingester: Ingester;
  /** The tenant of a call from its metadata (x-scope-orgid, authorization); throws when it has none. */
  tenantOf: (headers: IncomingHttpHeaders) => string;
  /** The largest message accepted, compressed or not. */
  maxMessageBytes: number;
  /** The decode budget every request body draws from (none: nothing is counted). */
  budget?: { account(): BudgetAccount };
  onIngest?: (tenant: string, bytes: number, profiles: number, type: 'push' | 'otlp') => void;
  /** Each call once answered: its method path ('unmatched' for an unknown one), gRPC status code, seconds taken. */
  onDone?: (method: string, code: number, seconds: number) => void;
  /** Failures that are ours rather than the client's. */
  onServerError?: (e: unknown, method: string) => void;
}

/** A status to answer with; the codes are gRPC's (Connect's codes have the same numbers). */
class GrpcError extends Error {
  constructor(
    readonly code: Code,
    message: string
  ) {
    super(message);
  }
}

interface Method {
  /**
   * How a message that does not decode is answered: Pyroscope's OTLP service is grpc-go's (INTERNAL), its Push
   * is connect-go's (INVALID_ARGUMENT).
   */
  badMessage: Code;
  /** Takes the message; resolves once it is stored. */
  call(tenant: string, message: Uint8Array): Promise<void>;
}

function methods(deps: GrpcDeps): Map<string, Method> {
  const decode = <T>(code: Code, what: string, parse: () => T): T => {
    try {
      return parse();
    } catch (e) {
      throw new GrpcError(code, `grpc: error unmarshalling request: ${what}: ${(e as Error).message}`);
    }
  };
  return new Map<string, Method>([
    [
      '/opentelemetry.proto.collector.profiles.v1development.ProfilesService/Export',
      {
        badMessage: Code.Internal,
        async call(tenant, message) {
          const req = decode(Code.Internal, 'ExportProfilesServiceRequest', () =>
            fromBinary(ExportProfilesServiceRequestSchema, message)
          );
          const n = await deps.ingester.ingestOtlpRequest(tenant, req, message.length);
          deps.onIngest?.(tenant, message.length, n, 'otlp');
        },
      },
    ],
    [
      '/push.v1.PusherService/Push',
      {
        badMessage: Code.InvalidArgument,
        async call(tenant, message) {
          const req = decode(Code.InvalidArgument, 'PushRequest', () => fromBinary(PushRequestSchema, message));
          const n = await deps.ingester.ingestPush(
            tenant,
            req.series.map((s) => ({
              labels: s.labels,
              samples: s.samples.map((x) => ({ rawProfile: x.rawProfile, ID: x.ID })),
            }))
          );
          const bytes = req.series.reduce((a, s) => a + s.samples.reduce((b, x) => b + x.rawProfile.length, 0), 0);
          deps.onIngest?.(tenant, bytes, n, 'push');
        },
      },
    ],
  ]);
}

/** grpc-message is percent-encoded: everything outside printable ASCII, and the percent sign itself. */
function encodeMessage(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    out +=
      b >= 0x20 && b <= 0x7e && b !== 0x25
        ? String.fromCharCode(b)
        : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * What a call's bytes are drawn from while it is served (the process-wide decode budget,
 * -distributor.decode-budget-mb): take waits for free bytes or throws the limit's error, force counts bytes that
 * already exist, release gives everything back.
 */
export interface BudgetAccount {
  take(bytes: number): Promise<void>;
  force(bytes: number): void;
  giveBack(bytes: number): void;
  release(): void;
}

const UNBUDGETED: BudgetAccount = {
  take: () => Promise.resolve(),
  force: () => undefined,
  giveBack: () => undefined,
  release: () => undefined,
};

/**
 * The one message of a unary call: frames read as they arrive, each chunk drawn from the budget before the next
 * is read (HTTP/2 flow control then holds the client back), refused as soon as the declared length is too large.
 */
async function readMessage(
  req: Http2ServerRequest,
  max: number,
  bad: Code,
  account: BudgetAccount
): Promise<{ flag: number; body: Buffer }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let declared = -1;
  let flag = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    if (declared < 0 && size + chunk.length >= 5) {
      const head = Buffer.concat([...chunks, chunk].map((c) => c.subarray(0, 5)));
      flag = head[0];
      declared = head.readUInt32BE(1);
      if (declared > max) {
        throw new GrpcError(Code.ResourceExhausted, `grpc: received message larger than max (${declared} vs. ${max})`);
      }
    }
    if (declared >= 0 && size + chunk.length > 5 + declared) {
      throw new GrpcError(bad, 'grpc: a unary call takes exactly one request message; more data followed it');
    }
    await account.take(chunk.length);
    chunks.push(chunk);
    size += chunk.length;
  }
  if (size === 0) {
    throw new GrpcError(bad, 'grpc: request message missing');
  }
  if (declared < 0 || size < 5 + declared) {
    throw new GrpcError(
      bad,
      `grpc: request message truncated: promised ${Math.max(declared, 0)} bytes, got ${Math.max(size - 5, 0)}`
    );
  }
  if (flag !== 0 && flag !== 1) {
    throw new GrpcError(Code.Internal, `grpc: invalid message flag ${flag}`);
  }
  // the chunks and their concatenation exist together for a moment
  account.force(size);
  const whole = Buffer.concat(chunks, size);
  account.giveBack(size);
  return { flag, body: whole.subarray(5) };
}

/**
 * The message as sent, inflated when the flag says compressed: as a stream whose output is counted against the
 * size limit and drawn from the budget as it comes out, so a small gzip bomb costs no more than the limit.
 */
async function inflate(
  flag: number,
  body: Buffer,
  encoding: string,
  max: number,
  bad: Code,
  account: BudgetAccount
): Promise<Uint8Array> {
  if (flag === 0) {
    return body;
  }
  if (encoding === '' || encoding === 'identity') {
    throw new GrpcError(Code.Internal, 'grpc: compressed flag set with identity or empty encoding');
  }
  const gunzip = createGunzip({ chunkSize: 64 * 1024 });
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    gunzip.end(body);
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > max) {
        throw new GrpcError(
          Code.ResourceExhausted,
          `grpc: received message after decompression larger than max (${max})`
        );
      }
      await account.take(chunk.length);
      chunks.push(chunk);
    }
  } catch (e) {
    if (e instanceof GrpcError || !(e instanceof Error) || !('errno' in e)) {
      throw e;
    }
    throw new GrpcError(bad, `grpc: failed to decompress the received message: ${e.message}`);
  } finally {
    gunzip.destroy();
  }
  account.force(size);
  const whole = Buffer.concat(chunks, size);
  account.giveBack(size);
  // the compressed message is no longer needed once inflated
  account.giveBack(body.length);
  return whole;
}

const HEADERS = { 'content-type': 'application/grpc', 'grpc-accept-encoding': 'gzip' };

// through the compatibility response, which owns the stream's trailers (it answers the stream's wantTrailers)
function answerOk(res: Http2ServerResponse): void {
  if (res.stream.destroyed || res.stream.closed) {
    return;
  }
  res.writeHead(200, HEADERS);
  res.addTrailers({ 'grpc-status': '0' });
  // the empty response message (ExportProfilesServiceResponse, PushResponse): flag 0, length 0
  res.end(Buffer.alloc(5));
}

function answerError(res: Http2ServerResponse, code: Code, message: string): void {
  const stream = res.stream;
  if (stream.destroyed || stream.closed) {
    return;
  }
  // Trailers-Only: the status in the headers, ending the stream (the compatibility response would send
  // headers and trailers apart)
  if (!stream.headersSent) {
    stream.respond(
      { ':status': 200, ...HEADERS, 'grpc-status': String(code), 'grpc-message': encodeMessage(message) },
      { endStream: true }
    );
  }
  // a client still sending (a message refused by its size) is told to stop
  stream.close(constants.NGHTTP2_NO_ERROR);
}

/** The handler of HTTP/2 requests whose content type is application/grpc…: one unary call each. */
export function grpcHandler(deps: GrpcDeps): (req: Http2ServerRequest, res: Http2ServerResponse) => void {
  const table = methods(deps);
  return (req, res) => {
    const path = req.headers[':path'] ?? '';
    const run = async (): Promise<void> => {
      const method = table.get(path.split('?')[0]);
      if (!method) {
        throw new GrpcError(Code.Unimplemented, `unknown method ${path}`);
      }
      if (req.method !== 'POST') {
        throw new GrpcError(Code.Unimplemented, `gRPC calls are POST requests, not ${req.method}`);
      }
      const type = String(req.headers['content-type'] ?? '').toLowerCase();
      if (
        type !== 'application/grpc' &&
        !type.startsWith('application/grpc+proto') &&
        !type.startsWith('application/grpc;')
      ) {
        throw new GrpcError(Code.Unimplemented, `unsupported content type ${type}: only protobuf messages are served`);
      }
      const encoding = String(req.headers['grpc-encoding'] ?? '').toLowerCase();
      if (encoding !== '' && encoding !== 'identity' && encoding !== 'gzip') {
        throw new GrpcError(Code.Unimplemented, `grpc: Decompressor is not installed for grpc-encoding "${encoding}"`);
      }
      let tenant: string;
      try {
        tenant = deps.tenantOf(req.headers);
      } catch (e) {
        throw new GrpcError(Code.Unauthenticated, (e as Error).message);
      }
      const account = deps.budget?.account() ?? UNBUDGETED;
      try {
        const { flag, body } = await readMessage(req, deps.maxMessageBytes, method.badMessage, account);
        const message = await inflate(flag, body, encoding, deps.maxMessageBytes, method.badMessage, account);
        await method.call(tenant, message);
      } finally {
        account.release();
      }
    };
    const started = performance.now();
    const done = (code: number) =>
      deps.onDone?.(
        table.has(path.split('?')[0]) ? path.split('?')[0] : 'unmatched',
        code,
        (performance.now() - started) / 1000
      );
    run().then(
      () => {
        try {
          answerOk(res);
          done(0);
        } catch (e) {
          deps.onServerError?.(e, path);
          res.stream.close(constants.NGHTTP2_INTERNAL_ERROR);
          done(Code.Internal);
        }
      },
      (e: unknown) => {
        if (res.stream.destroyed || res.stream.closed) {
          // the client left (reset the stream, closed the connection): nobody to answer, nothing of ours failed
          done(Code.Canceled);
          return;
        }
        if (e instanceof GrpcError) {
          answerError(res, e.code, e.message);
          done(e.code);
          return;
        }
        // ingest's refusals and failures, coded as for Connect (a size limit is invalid_argument, a rate limit
        // resource_exhausted, a store outage unavailable)
        const ce = toConnectError(e);
        if (ce.code === Code.Internal || ce.code === Code.Unknown) {
          deps.onServerError?.(e, path);
        }
        answerError(res, ce.code, ce.rawMessage);
        done(ce.code);
      }
    );
  };
}
