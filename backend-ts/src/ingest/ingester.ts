// The write path's front: turns what agents send (legacy /ingest, Connect Push) into IngestProfiles, validates
// them against the tenant's limits, and hands them to the segment writer. Formats never know about HTTP; this
// module never knows about storage beyond the writer's interface.
import { randomUUID } from 'node:crypto';
import type { Limits } from '../config/config.js';
import { DecodeBudget, type DecodeAccount } from '../limits/decodeBudget.js';
import { LimitError } from '../limits/errors.js';
import { IngestionRateLimiter } from '../limits/rateLimiter.js';
import { FormatError } from '../formats/formatError.js';
import { isGzip, type DecodedPprof } from '../formats/pprof.js';
import { PprofDecoder } from '../formats/pprofDecoder.js';
import { applySpyRules, metricNameFor } from '../formats/profileTypes.js';
import { readOtlpProfiles } from '../formats/otlp/readOtlpProfiles.js';
import type { FormatOutput } from '../formats/normalizedProfileBuilder.js';
import { defaultFormats, type FormatRegistry } from '../formats/registry.js';
import type { ExportProfilesServiceRequest } from '../gen/opentelemetry/proto/collector/profiles/v1development/profiles_service_pb.js';
import type { IngestProfile, NormalizedProfile } from '../model/profile.js';
import { parseMultipart } from './multipart.js';
import { parseAppName, parseTimeParam } from './params.js';
import { truncateStacks } from './stackDepth.js';
import { checkSampleCount, truncateSymbols } from '../formats/profileLimits.js';

export interface ProfileSink {
  write(tenant: string, profiles: IngestProfile[]): Promise<void>;
}

export interface IngestParams {
  name?: string;
  from?: string;
  until?: string;
  format?: string;
  sampleRate?: string;
  spyName?: string;
  units?: string;
  aggregationType?: string;
}

const RESERVED_KEEP = new Set(['__session_id__']);

/** Bytes taken from a tenant's rate before decoding and not yet settled against what the request really held. */
interface Prepaid {
  bytes: number;
}

export class Ingester {
  private readonly rate: IngestionRateLimiter;
  /** Stacks cut to -validation.max-profile-stacktrace-depth, for the metrics. */
  truncatedStacks = 0;
  /** Strings cut to -validation.max-profile-symbol-value-length, for the metrics. */
  truncatedSymbols = 0;

  constructor(
    private readonly sink: ProfileSink,
    private readonly limitsFor: (tenant: string) => Limits,
    private readonly now: () => number = Date.now,
    private readonly formats: FormatRegistry = defaultFormats(new PprofDecoder(0)),
    /** Bytes of decoded profiles in flight across the process (-distributor.decode-budget-mb). */
    private readonly budget: DecodeBudget = new DecodeBudget(0)
  ) {
    this.rate = new IngestionRateLimiter(now);
  }

  /**
   * POST /ingest: returns the number of profiles stored. With `bodyOwned`, the body's buffer is this request's
   * alone and may be handed to a decode worker: the caller must not read the body afterwards.
   */
  async ingestLegacy(
    tenant: string,
    params: IngestParams,
    body: Buffer,
    contentType: string,
    opts: { bodyOwned?: boolean } = {}
  ): Promise<number> {
    const limits = this.limitsFor(tenant);
    if (!params.name) {
      throw new FormatError('missing required parameter "name" (e.g. name=my-app{env=prod})');
    }
    const { app, labels: clientLabels } = parseAppName(params.name);
    const now = this.now();
    const from = parseTimeParam(params.from, now);
    // `until` is validated for its syntax; a profile's time is its start, as in Pyroscope
    const until = parseTimeParam(params.until, now);
    const spyName = params.spyName || 'unknown';
    const format = (params.format || '').toLowerCase();
    const isMultipart = contentType.toLowerCase().startsWith('multipart/form-data');

    const base: Array<[string, string]> = [];
    let hasService = false;
    for (const [k, v] of clientLabels) {
      if (k.startsWith('__') && !RESERVED_KEEP.has(k)) {
        continue;
      }
      if (k === 'service_name') {
        hasService = true;
      }
      base.push([k, v]);
    }
    if (!hasService) {
      base.push(['service_name', app]);
    }
    base.push(['pyroscope_spy', spyName]);

    // a multipart body without a format is the pprof multipart of the Go SDK and older agents
    const key = format === '' && isMultipart ? 'pprof' : format || 'folded';
    const reader = this.formats.get(key);
    if (!reader) {
      throw new FormatError(`unsupported format "${format}"`);
    }
    // what gzipped pieces say they inflate to, then the profiles read: drawn from the decode budget while the
    // request is served (the body itself was drawn as it arrived; multipart parts are views into it)
    const account = this.budget.account();
    let prepaid: Prepaid | undefined;
    try {
      // a part is bounded by the body (the readers apply the profile limit to what a part inflates or decodes
      // to: an uncompressed JFR recording may be larger than the profiles it becomes)
      const parts = isMultipart ? parseMultipart(body, contentType, body.length + 1) : undefined;
      const pieces = parts ? [...parts.values()] : [body];
      // a gzip member's stated size is only a claim (a truncated body's last bytes are anything): never more
      // than the inflation limit
      const claim = pieces.reduce(
        (n, b) => n + (isGzip(b) ? claimedSize(b, limits.maxProfileSizeBytes || this.budget.capacity) : 0),
        0
      );
      await drawOrRefuse(account, claim);
      // the rate limiter is asked before the body is read, with what its pieces say they inflate to
      prepaid = this.prepay(
        tenant,
        pieces.reduce(
          (n, b) => n + (isGzip(b) ? claimedSize(b, limits.maxProfileSizeBytes || this.budget.capacity) : b.length),
          0
        ),
        limits
      );
      const read = await reader({
        body,
        parts,
        contentType,
        app,
        clientLabels,
        sampleRate: params.sampleRate,
        spyName: params.spyName,
        units: params.units,
        aggregationType: params.aggregationType,
        fromMs: from,
        untilMs: until,
        maxProfileBytes: limits.maxProfileSizeBytes,
        maxStackDepth: limits.maxProfileStacktraceDepth,
        bodyOwned: opts.bodyOwned,
      });
      this.truncatedStacks += read.truncatedStacks ?? 0;
      account.giveBack(claim);
      account.force(read.profiles.reduce((n, r) => n + profileBytes(r.profile), 0));
      // what the rate limit counts: the uncompressed profile, as Pyroscope does (labels are added in store())
      const bytes = read.bytes;
      const profiles: IngestProfile[] = [];
      // one UUID per body, shared by every profile it becomes (a JFR recording is several)
      const uuid = newProfileUuid();
      for (const r of read.profiles) {
        const labels = mergeLabels(base, r.labels);
        const timeMs = resolveTime(r.profile.timeMs, from);
        profiles.push({ labels, profile: r.profile, timeMs, uuid });
      }
      return await this.store(tenant, profiles, limits, bytes, prepaid);
    } finally {
      account.release();
      if (prepaid) {
        this.refund(tenant, prepaid, limits);
      }
    }
  }

  /** push.v1.PusherService/Push: series of labelled raw pprof samples. */
  async ingestPush(
    tenant: string,
    series: Array<{
      labels: Array<{ name: string; value: string }>;
      samples: Array<{ rawProfile: Uint8Array; ID: string }>;
    }>
  ): Promise<number> {
    // what the decoded profiles hold until they are written: drawn from the decode budget, given back after
    const account = this.budget.account();
    try {
      return await this.pushSeries(tenant, series, account);
    } finally {
      account.release();
    }
  }

  private async pushSeries(
    tenant: string,
    series: Array<{
      labels: Array<{ name: string; value: string }>;
      samples: Array<{ rawProfile: Uint8Array; ID: string }>;
    }>,
    account: DecodeAccount
  ): Promise<number> {
    const limits = this.limitsFor(tenant);
    const now = this.now();
    const maxBytes = limits.maxProfileSizeBytes;
    const batchLimit = limits.ingestionBodyLimitMb > 0 ? Math.floor(limits.ingestionBodyLimitMb * 1024 * 1024) : 0;
    // Everything that needs no decoding is checked first: the labels, then the size the batch says it inflates
    // to against the request limit, then the rate limiter with that size. A request the tenant may not send
    // costs no decoding; what the samples really inflate to settles the account after.
    const prepared: Array<{ labels: Array<[string, string]>; name: string; samples: (typeof series)[0]['samples'] }> =
      [];
    let claimed = 0;
    for (const s of series) {
      const labels: Array<[string, string]> = [];
      let name = '';
      for (const { name: k, value: v } of s.labels) {
        if (k === '__name__') {
          name = v;
          continue;
        }
        if (k.startsWith('__') && !RESERVED_KEEP.has(k)) {
          continue;
        }
        labels.push([k, v]);
      }
      if (!labels.some(([k]) => k === 'service_name')) {
        labels.push(['service_name', 'unknown_service']);
      }
      checkLabels(labels, limits);
      const samples = s.samples.filter((sample) => sample.rawProfile && sample.rawProfile.length > 0);
      for (const x of samples) {
        claimed += claimedSize(x.rawProfile, maxBytes || this.budget.capacity);
        claimed += labels.reduce((n, [k, v]) => n + k.length + v.length, name.length + 8);
      }
      prepared.push({ labels, name, samples });
    }
    if (batchLimit > 0 && claimed > batchLimit) {
      throw batchTooLarge(batchLimit);
    }
    const prepaid = this.prepay(tenant, claimed, limits);
    try {
      return await this.decodeSeries(tenant, prepared, limits, now, batchLimit, account, prepaid);
    } finally {
      this.refund(tenant, prepaid, limits);
    }
  }

  /** Charges bytes that do not go through the write path (ad hoc uploads) to the tenant's ingestion rate. */
  chargeRate(tenant: string, bytes: number): void {
    this.rate.take(tenant, bytes, this.limitsFor(tenant));
  }

  /** Takes `bytes` from the tenant's rate before any decoding (429 when it may not send them now). */
  private prepay(tenant: string, bytes: number, limits: Limits): Prepaid {
    this.rate.take(tenant, bytes, limits);
    return { bytes };
  }

  /** A request refused after it was admitted by the rate limiter (a bad profile, the budget) costs no rate. */
  private refund(tenant: string, prepaid: Prepaid, limits: Limits): void {
    if (prepaid.bytes !== 0) {
      this.rate.settle(tenant, -prepaid.bytes, limits);
      prepaid.bytes = 0;
    }
  }

  private async decodeSeries(
    tenant: string,
    prepared: Array<{
      labels: Array<[string, string]>;
      name: string;
      samples: Array<{ rawProfile: Uint8Array; ID: string }>;
    }>,
    limits: Limits,
    now: number,
    batchLimit: number,
    account: DecodeAccount,
    prepaid: Prepaid
  ): Promise<number> {
    const profiles: IngestProfile[] = [];
    let bytes = 0;
    for (const { labels, name, samples } of prepared) {
      const decoded = await this.decodeAll(
        samples.map((x) => x.rawProfile),
        limits.maxProfileSizeBytes,
        limits.maxProfileStacktraceDepth,
        account
      );
      for (let i = 0; i < samples.length; i++) {
        const sample = samples[i]!;
        const { profile, inflatedBytes, truncatedStacks } = decoded[i]!;
        bytes += inflatedBytes;
        this.truncatedStacks += truncatedStacks;
        if (batchLimit > 0 && bytes > batchLimit) {
          throw batchTooLarge(batchLimit);
        }
        const spy = labels.find(([k]) => k === 'pyroscope_spy')?.[1];
        if (spy) {
          applySpyRules(profile, spy);
        }
        const metric = name || metricNameFor(profile.sampleTypes.map((t) => t.type));
        profiles.push({
          labels: [...labels, ['__name__', metric]],
          profile,
          timeMs: resolveTime(profile.timeMs, now),
          id: sample.ID || undefined,
          uuid: newProfileUuid(),
        });
      }
    }
    return this.store(tenant, profiles, limits, bytes, prepaid);
  }

  /** OTLP profiles over HTTP (/v1development/profiles): resource attributes become labels. */
  async ingestOtlp(
    tenant: string,
    body: Buffer,
    contentType: string,
    contentEncoding: string | undefined
  ): Promise<number> {
    const limits = this.limitsFor(tenant);
    const now = this.now();
    const read = await this.formats.get('otlp')!({
      body,
      contentType,
      contentEncoding,
      app: '',
      clientLabels: [],
      fromMs: now,
      untilMs: now,
      maxProfileBytes: limits.maxProfileSizeBytes,
    });
    // the rate limit counts the body as sent: OTLP inflates inside its reader
    return this.storeOtlp(tenant, read.profiles, read.bytes, limits, now);
  }

  /**
   * OTLP profiles over gRPC: the request already decoded from its message of `bytes` bytes (inflated), under the
   * same size limit as the body of an OTLP/HTTP request.
   */
  async ingestOtlpRequest(tenant: string, request: ExportProfilesServiceRequest, bytes: number): Promise<number> {
    const limits = this.limitsFor(tenant);
    if (limits.maxProfileSizeBytes > 0 && bytes > limits.maxProfileSizeBytes) {
      throw new FormatError(
        `OTLP profiles request is ${bytes} bytes, above the limit of ${limits.maxProfileSizeBytes} (-validation.max-profile-size-bytes)`,
        413
      );
    }
    return this.storeOtlp(tenant, readOtlpProfiles(request), bytes, limits, this.now());
  }

  private storeOtlp(tenant: string, outs: FormatOutput[], bytes: number, limits: Limits, now: number) {
    const profiles: IngestProfile[] = outs.map((o) => ({
      labels: o.labels.filter(([k]) => k === '__name__' || !k.startsWith('__')),
      profile: o.profile,
      timeMs: resolveTime(o.profile.timeMs, now),
      uuid: newProfileUuid(),
    }));
    return this.store(tenant, profiles, limits, bytes);
  }

  /**
   * Decodes raw pprof bodies one after the other, or as many at once as there are decode workers: each first
   * draws the size it claims from the decode budget, then holds what its decoded profile takes. A batch that
   * could never fit the budget is an oversized batch (413, invalid_argument on Push).
   */
  private async decodeAll(
    raws: Uint8Array[],
    maxBytes: number,
    maxDepth: number,
    account: DecodeAccount
  ): Promise<DecodedPprof[]> {
    const out: DecodedPprof[] = new Array(raws.length);
    let next = 0;
    const lane = async () => {
      while (next < raws.length) {
        const i = next++;
        const raw = raws[i];
        const claim = claimedSize(raw, maxBytes || this.budget.capacity);
        await drawOrRefuse(account, claim);
        let d;
        try {
          d = await this.formats.pprof.decode(raw, maxBytes, maxDepth);
        } finally {
          account.giveBack(claim);
        }
        account.force(profileBytes(d.profile));
        out[i] = d;
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(this.formats.pprof.workers, raws.length)) }, lane));
    return out;
  }

  /**
   * Validates, cuts deep stacks, charges the rate limiter and writes. `prepaid` is what the caller already took
   * from the rate limiter before decoding (then only the difference is settled here, and a profile refused here
   * is the caller's to refund).
   */
  private async store(
    tenant: string,
    profiles: IngestProfile[],
    limits: Limits,
    bytes: number,
    prepaid?: Prepaid
  ): Promise<number> {
    const now = this.now();
    let labelBytes = 0;
    for (const p of profiles) {
      validate(p, limits, now);
      this.truncatedStacks += truncateStacks(p.profile, limits.maxProfileStacktraceDepth);
      this.truncatedSymbols += truncateSymbols(p.profile, limits.maxProfileSymbolValueLength);
      for (const [k, v] of p.labels) {
        labelBytes += k.length + v.length;
      }
    }
    // after validation, so that a rejected profile costs the tenant no rate; before the write, so that a
    // rate-limited one costs the store nothing
    if (prepaid === undefined) {
      this.rate.take(tenant, bytes + labelBytes, limits);
    } else {
      // settled: from here on the request is charged what it really holds, written or not
      this.rate.settle(tenant, bytes + labelBytes - prepaid.bytes, limits);
      prepaid.bytes = 0;
    }
    await this.sink.write(tenant, profiles);
    return profiles.length;
  }
}

/** What a raw profile says it inflates to (a gzip member's stated size), within the profile limit. */
function claimedSize(raw: Uint8Array, maxBytes: number): number {
  let n = raw.length;
  if (isGzip(raw) && raw.length >= 18) {
    const e = raw.length;
    n = (raw[e - 4]! | (raw[e - 3]! << 8) | (raw[e - 2]! << 16) | (raw[e - 1]! << 24)) >>> 0;
  }
  return maxBytes > 0 ? Math.min(n, maxBytes) : n;
}

/** Bytes a decoded profile holds: its columns and strings. */
export function profileBytes(p: NormalizedProfile): number {
  let n = 0;
  for (const a of [
    p.fnName,
    p.fnSystemName,
    p.fnFilename,
    p.fnStartLine,
    p.frameFn,
    p.frameLine,
    p.stackOffsets,
    p.stackFrames,
    p.sampleStack,
    p.sampleLabelSet,
    p.sampleSpan,
    ...p.sampleValues,
  ]) {
    n += a.byteLength;
  }
  for (const s of p.strings) {
    n += 2 * s.length + 16;
  }
  return n;
}

/** Draws from the decode budget; a request that could never fit it is an oversized batch. */
async function drawOrRefuse(account: DecodeAccount, bytes: number): Promise<void> {
  try {
    await account.take(bytes);
  } catch (e) {
    if (e instanceof LimitError && e.status === 413) {
      throw new FormatError(`request too large: ${e.message}`, 413);
    }
    throw e;
  }
}

/** The request's profiles inflate to more than -distributor.ingestion-body-limit-mb together (Pyroscope's words). */
function batchTooLarge(limit: number): FormatError {
  return new FormatError(
    `uncompressed batched profile payload size exceeds limit of ${limit} bytes (distributor.ingestion-body-limit-mb)`
  );
}

/** A string that is not valid UTF-8 once encoded: one with a lone surrogate. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Label rules of Pyroscope's ValidateLabels at its defaults (label sanitization off): names non-empty and valid
 * UTF-8, no name twice, names and values within their lengths, values valid UTF-8.
 */
function checkLabels(labels: Array<[string, string]>, limits: Limits): void {
  const seen = new Set<string>();
  for (const [k, v] of labels) {
    if (k.length === 0) {
      throw new FormatError(`invalid label name "": label names must not be empty (value "${v.slice(0, 64)}")`);
    }
    if (LONE_SURROGATE.test(k)) {
      throw new FormatError(`invalid label name ${JSON.stringify(k.slice(0, 64))}: not valid UTF-8`);
    }
    if (limits.maxLabelNameLength > 0 && k.length > limits.maxLabelNameLength) {
      throw new FormatError(
        `label name "${k.slice(0, 64)}…" is longer than ${limits.maxLabelNameLength} characters (validation.max-length-label-name)`
      );
    }
    if (seen.has(k)) {
      throw new FormatError(`duplicate label name "${k.slice(0, 64)}"`);
    }
    seen.add(k);
    if (limits.maxLabelValueLength > 0 && v.length > limits.maxLabelValueLength) {
      throw new FormatError(
        `value of label "${k}" is ${v.length} characters long, above the limit of ${limits.maxLabelValueLength} (validation.max-length-label-value)`
      );
    }
    if (LONE_SURROGATE.test(v)) {
      throw new FormatError(`invalid value of label "${k.slice(0, 64)}": not valid UTF-8`);
    }
  }
}

/** A profile's own time wins unless it is missing or in 1970 (old agents sent µs there). */
function resolveTime(profileMs: number, fallbackMs: number): number {
  if (!profileMs || profileMs < 365 * 86_400_000) {
    return fallbackMs;
  }
  return profileMs;
}

function mergeLabels(base: Array<[string, string]>, extra: Array<[string, string]>): Array<[string, string]> {
  const m = new Map(base);
  for (const [k, v] of extra) {
    m.set(k, v);
  }
  return [...m.entries()];
}

/** A random (version 4) UUID as its 16 bytes: what the stored profiles of one ingested profile share. */
function newProfileUuid(): Uint8Array {
  return Uint8Array.from(Buffer.from(randomUUID().replace(/-/g, ''), 'hex'));
}

/** Series labels as Pyroscope's messages print them: {a="1", b="2"}, clipped. */
function labelsString(labels: Array<[string, string]>): string {
  const s = `{${labels.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}}`;
  return s.length > 256 ? `${s.slice(0, 256)}…}` : s;
}

function validate(p: IngestProfile, limits: Limits, now: number): void {
  if (limits.rejectOlderThanMs > 0 && p.timeMs < now - limits.rejectOlderThanMs) {
    throw new FormatError(
      `profile is too old: its time ${new Date(p.timeMs).toISOString()} is more than ${limits.rejectOlderThanMs / 1000}s before now (validation.reject-older-than)`
    );
  }
  if (limits.rejectNewerThanMs > 0 && p.timeMs > now + limits.rejectNewerThanMs) {
    throw new FormatError(
      `profile is too new: its time ${new Date(p.timeMs).toISOString()} is more than ${limits.rejectNewerThanMs / 1000}s after now (validation.reject-newer-than)`
    );
  }
  const check = (labels: Array<[string, string]>, extra: number) => {
    // the series also gets __name__, __profile_type__ and its 4 parts
    if (limits.maxLabelNamesPerSeries > 0 && labels.length + extra > limits.maxLabelNamesPerSeries) {
      throw new FormatError(
        `profile series has ${labels.length + extra} labels, above the limit of ${limits.maxLabelNamesPerSeries} (validation.max-label-names-per-series)`
      );
    }
    checkLabels(labels, limits);
  };
  const base = p.labels.filter(([k]) => k !== '__name__');
  checkSampleCount(
    p.profile.sampleStack.length,
    limits.maxProfileStacktraceSamples,
    `profile with labels ${labelsString(p.labels)}`
  );
  for (const ls of p.profile.labelSets) {
    check([...base, ...ls.filter(([k]) => !base.some(([b]) => b === k))], 6);
  }
}
