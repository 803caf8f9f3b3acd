// Body of POST /v1development/profiles → ExportProfilesServiceRequest (opentelemetry-proto v1.10.0, see
// release.ts): binary protobuf or OTLP/JSON, gzipped or not. The HTTP layer passes bytes and headers here
// and never looks inside.
import { gunzipSync } from 'node:zlib';
import { fromBinary, fromJson, type JsonValue } from '@bufbuild/protobuf';
import {
  ExportProfilesServiceRequestSchema,
  type ExportProfilesServiceRequest,
} from '../../gen/opentelemetry/proto/collector/profiles/v1development/profiles_service_pb.js';
import { FormatError } from '../formatError.js';

export type OtlpBodyKind = 'protobuf' | 'json';

export interface OtlpDecodeOptions {
  /** The request's Content-Encoding: `gzip`, `identity` or none. */
  contentEncoding?: string | null;
  /** Limit on the (uncompressed) body in bytes; a gzip body is never inflated past it. Default 64 MiB. */
  maxBytes?: number;
}

const DEFAULT_OTLP_MAX_BYTES = 64 * 1024 * 1024;

/** The body kind a Content-Type announces, or undefined for one OTLP/HTTP does not define (answer 415). */
export function otlpBodyKind(contentType: string | null | undefined): OtlpBodyKind | undefined {
  const mediaType = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (mediaType === 'application/x-protobuf' || mediaType === 'application/protobuf') {
    return 'protobuf';
  }
  if (mediaType === 'application/json') {
    return 'json';
  }
  return undefined;
}

/**
 * Decodes an OTLP profiles export request. gzip is recognised by Content-Encoding or by its magic bytes
 * (neither a protobuf message nor JSON can start with 0x1f 0x8b). Throws FormatError: 415 for an
 * unsupported Content-Type or Content-Encoding, 413 past maxBytes, 400 for undecodable bodies.
 */
export function decodeOtlpRequest(
  body: Uint8Array,
  contentType: string | null | undefined,
  opts: OtlpDecodeOptions = {}
): ExportProfilesServiceRequest {
  const kind = otlpBodyKind(contentType);
  if (!kind) {
    throw new FormatError(
      `unsupported Content-Type "${contentType ?? ''}" for OTLP profiles: expected application/x-protobuf or application/json`,
      415
    );
  }
  const bytes = inflate(body, opts.contentEncoding, opts.maxBytes ?? DEFAULT_OTLP_MAX_BYTES);
  return kind === 'json' ? decodeJson(bytes) : decodeBinary(bytes);
}

function inflate(body: Uint8Array, contentEncoding: string | null | undefined, maxBytes: number): Uint8Array {
  const encoding = (contentEncoding ?? '').trim().toLowerCase();
  const gzipped = body.length >= 2 && body[0] === 0x1f && body[1] === 0x8b;
  if (encoding !== '' && encoding !== 'identity' && encoding !== 'gzip') {
    throw new FormatError(
      `unsupported Content-Encoding "${contentEncoding}" for OTLP profiles: expected gzip or none`,
      415
    );
  }
  if (encoding === 'gzip' && !gzipped) {
    throw new FormatError('OTLP profiles: Content-Encoding is gzip but the body is not gzip data');
  }
  if (!gzipped) {
    if (body.length > maxBytes) {
      throw new FormatError(`OTLP profiles request is ${body.length} bytes, above the limit of ${maxBytes}`, 413);
    }
    return body;
  }
  try {
    return gunzipSync(body, { maxOutputLength: maxBytes });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new FormatError(`OTLP profiles request uncompressed is above the limit of ${maxBytes} bytes`, 413);
    }
    throw new FormatError(`OTLP profiles: invalid gzip data (${(e as Error).message})`);
  }
}

function decodeBinary(bytes: Uint8Array): ExportProfilesServiceRequest {
  try {
    return fromBinary(ExportProfilesServiceRequestSchema, bytes);
  } catch (e) {
    throw new FormatError(`OTLP profiles: invalid protobuf ExportProfilesServiceRequest (${(e as Error).message})`);
  }
}

function decodeJson(bytes: Uint8Array): ExportProfilesServiceRequest {
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder('utf-8').decode(bytes));
  } catch (e) {
    throw new FormatError(`OTLP profiles: invalid JSON (${(e as Error).message})`);
  }
  hexIdsToBase64(doc);
  try {
    // OTLP/JSON receivers must ignore fields they do not know (newer senders add some).
    return fromJson(ExportProfilesServiceRequestSchema, doc as JsonValue, { ignoreUnknownFields: true });
  } catch (e) {
    throw new FormatError(`OTLP profiles: invalid JSON ExportProfilesServiceRequest (${(e as Error).message})`);
  }
}

// OTLP/JSON writes trace and span ids as hex, where proto3 JSON writes bytes as base64. A hex id is also
// valid base64, so it would decode silently to the wrong bytes: rewrite hex ids of the expected length.
// A base64 id never matches (8 bytes are 12 base64 chars, 16 bytes 24).
function hexIdsToBase64(doc: unknown): void {
  const dict = field(doc, 'dictionary');
  const links = field(dict, 'linkTable') ?? field(dict, 'link_table');
  if (!Array.isArray(links)) {
    return;
  }
  for (const link of links) {
    if (typeof link !== 'object' || link === null) {
      continue;
    }
    const l = link as Record<string, unknown>;
    for (const [key, hexLen] of [
      ['traceId', 32],
      ['trace_id', 32],
      ['spanId', 16],
      ['span_id', 16],
    ] as const) {
      const v = l[key];
      if (typeof v === 'string' && v.length === hexLen && /^[0-9a-fA-F]+$/.test(v)) {
        l[key] = Buffer.from(v, 'hex').toString('base64');
      }
    }
  }
}

function field(v: unknown, name: string): unknown {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>)[name] : undefined;
}
