// Every input format behind one registry: the ingest pipeline names a format (the `format` parameter, or `otlp`
// for the OTLP route) and gets back normalized profiles plus the bytes the rate limiter counts. Readers know
// nothing of HTTP, storage or tenants; size limits arrive as plain numbers.
import { FormatError } from './formatError.js';
import type { FormatOutput } from './normalizedProfileBuilder.js';
import { parseOtlp } from './otlp/readOtlpProfiles.js';
import { maybeGunzip } from './pprof.js';
import type { PprofDecoder } from './pprofDecoder.js';
import { applyScriptingNames, applySpyRules, metricNameFor, type SampleTypeConfig } from './profileTypes.js';
import type { TextFormat } from './textFormats.js';

export interface FormatInput {
  /** The body as sent (still compressed, when it was); for multipart, the whole body. */
  body: Buffer;
  /** The fields of a multipart body, already split by the pipeline. */
  parts?: Map<string, Buffer>;
  contentType: string;
  contentEncoding?: string;
  /** App part of `name=app{...}`, suffix included. */
  app: string;
  /** The labels of `name=app{...}` exactly as the client wrote them. */
  clientLabels: Array<[string, string]>;
  /** The raw query parameters the text formats read (null when absent). */
  sampleRate?: string;
  spyName?: string;
  units?: string;
  aggregationType?: string;
  /** `from` and `until` of the request, resolved to unix ms by the pipeline. */
  fromMs: number;
  untilMs: number;
  /** -validation.max-profile-size-bytes (0 = none). */
  maxProfileBytes: number;
  /** -validation.max-profile-stacktrace-depth, for readers that cut stacks as they read them (0 = none). */
  maxStackDepth?: number;
  /**
   * The body's ArrayBuffer holds this body alone and nothing reads the body after the reader: a decode worker
   * may take it instead of a copy (the body and its parts are then detached).
   */
  bodyOwned?: boolean;
}

export interface FormatResult {
  profiles: FormatOutput[];
  /** What the rate limiter counts: the uncompressed profile bytes, as Pyroscope counts them. */
  bytes: number;
  /** Stacks the reader already cut to maxStackDepth. */
  truncatedStacks?: number;
}

export type FormatReader = (input: FormatInput) => Promise<FormatResult> | FormatResult;

export class FormatRegistry {
  private readonly readers = new Map<string, FormatReader>();

  constructor(
    /** Inflates and decodes pprof bodies, the large ones in worker threads. */
    readonly pprof: PprofDecoder
  ) {}

  register(format: string, reader: FormatReader): void {
    this.readers.set(format, reader);
  }

  get(format: string): FormatReader | undefined {
    return this.readers.get(format);
  }
}

/** A reader of a body that is inflated first (unless multipart: each part is its reader's business). */
function inflating(
  read: (body: Buffer, input: FormatInput) => FormatOutput[],
  limit: (maxProfileBytes: number) => number = (n) => n
): FormatReader {
  return (input) => {
    const body = input.parts ? input.body : maybeGunzip(input.body, limit(input.maxProfileBytes), 'body');
    return { profiles: read(body, input), bytes: body.length };
  };
}

/** A text format, read in the decode worker pool (a multipart body is read as it is, as before). */
function text(decoder: PprofDecoder, format: TextFormat): FormatReader {
  return (input) =>
    decoder.decodeText(
      format,
      input.body,
      !input.parts,
      input.maxProfileBytes,
      {
        appName: input.app,
        labels: input.clientLabels,
        sampleRate: input.sampleRate ?? null,
        spyName: input.spyName ?? null,
        units: input.units ?? null,
        aggregationType: input.aggregationType ?? null,
      },
      new Set(input.bodyOwned ? [input.body.buffer] : [])
    );
}

/** pprof: a raw body, or multipart with `profile` and an optional `sample_type_config` (the Go SDK). */
function pprofReader(decoder: PprofDecoder): FormatReader {
  return async (input) => {
    let raw = input.body;
    let config: SampleTypeConfig | undefined;
    if (input.parts) {
      if (input.parts.has('prev_profile')) {
        throw new FormatError(
          'multipart field "prev_profile" is from an unsupported old client: send cumulative profiles as deltas'
        );
      }
      const prof = input.parts.get('profile');
      if (!prof) {
        throw new FormatError('multipart body has no "profile" field');
      }
      raw = prof;
      const stc = input.parts.get('sample_type_config');
      if (stc) {
        try {
          config = JSON.parse(stc.toString('utf8')) as SampleTypeConfig;
        } catch (e) {
          throw new FormatError(`invalid sample_type_config JSON: ${(e as Error).message}`);
        }
      }
    }
    const { profile, inflatedBytes, truncatedStacks } = await decoder.decode(
      raw,
      input.maxProfileBytes,
      input.maxStackDepth ?? 0
    );
    const spyName = input.spyName || 'unknown';
    applySpyRules(profile, spyName);
    applyScriptingNames(profile, spyName);
    const name = metricNameFor(
      profile.sampleTypes.map((t) => t.type),
      config
    );
    return { profiles: [{ labels: [['__name__', name]], profile }], bytes: inflatedBytes, truncatedStacks };
  };
}

/**
 * The Java agent: raw JFR, or multipart with `jfr` and an optional LabelsSnapshot in `labels`, each maybe gzipped.
 * Size rules as Pyroscope's: a gzipped recording or part inflates to at most max-profile-size; an uncompressed
 * recording is bounded by the request body limit only; each profile the recording becomes is within
 * max-profile-size, measured as the pprof it would be.
 */
const jfrReader =
  (decoder: PprofDecoder): FormatReader =>
  async (input) => {
    let jfr: Buffer;
    let labels: Buffer | undefined;
    if (input.parts) {
      const j = input.parts.get('jfr');
      if (!j) {
        throw new FormatError('multipart body has no "jfr" field');
      }
      jfr = j;
      const l = input.parts.get('labels');
      labels = l && l.length > 0 ? l : undefined;
    } else {
      jfr = input.body;
    }
    const rate = Number(input.sampleRate);
    // inflated, parsed and measured in the decode worker pool: seconds for a large recording, off the event loop;
    // the body goes to the worker without a copy when it is the request's own
    const out = await decoder.decodeJfr(
      jfr,
      labels,
      {
        sampleRate: Number.isFinite(rate) && rate > 0 ? rate : 100,
        startTimeMs: input.fromMs,
        endTimeMs: input.untilMs,
      },
      new Set(input.bodyOwned ? [input.body.buffer] : []),
      input.maxProfileBytes
    );
    return {
      profiles: out.profiles.map((p) => ({ labels: [['__name__', p.name]], profile: p.profile })),
      bytes: out.jfrBytes,
    };
  };

/** OTLP profiles over HTTP: the reader inflates by Content-Encoding itself; the limiter counts the body as sent. */
const otlpReader: FormatReader = (input) => ({
  profiles: parseOtlp(input.body, input.contentType, {
    contentEncoding: input.contentEncoding,
    maxBytes: input.maxProfileBytes || undefined,
  }),
  bytes: input.body.length,
});

export function defaultFormats(decoder: PprofDecoder): FormatRegistry {
  const formats = new FormatRegistry(decoder);
  formats.register('pprof', pprofReader(decoder));
  formats.register('folded', text(decoder, 'folded'));
  formats.register('lines', text(decoder, 'lines'));
  formats.register('speedscope', text(decoder, 'speedscope'));
  const legacyBinary = inflating(() => {
    throw new FormatError('the legacy binary trie/tree upload formats are not supported: send pprof, folded or lines');
  });
  formats.register('trie', legacyBinary);
  formats.register('tree', legacyBinary);
  formats.register('jfr', jfrReader(decoder));
  formats.register('otlp', otlpReader);
  return formats;
}
