// The write path's front: turns what agents send (legacy /ingest, Connect Push) into IngestProfiles, validates
// them against the tenant's limits, and hands them to the segment writer. Formats never know about HTTP; this
// module never knows about storage beyond the writer's interface.
import { randomUUID } from 'node:crypto';
import type { Limits } from '../config/config.js';
import { IngestionRateLimiter } from '../limits/rateLimiter.js';
import { FormatError } from '../formats/formatError.js';
import { PprofDecoder } from '../formats/pprofDecoder.js';
import { applySpyRules, metricNameFor } from '../formats/profileTypes.js';
import { readOtlpProfiles } from '../formats/otlp/readOtlpProfiles.js';
import type { FormatOutput } from '../formats/normalizedProfileBuilder.js';
import { defaultFormats, type FormatRegistry } from '../formats/registry.js';
import type { ExportProfilesServiceRequest } from '../gen/opentelemetry/proto/collector/profiles/v1development/profiles_service_pb.js';
import type { IngestProfile } from '../model/profile.js';
import { parseMultipart } from './multipart.js';
import { parseAppName, parseTimeParam } from './params.js';
import { truncateStacks } from './stackDepth.js';

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

export class Ingester {
  private readonly rate: IngestionRateLimiter;
  /** Stacks cut to -validation.max-profile-stacktrace-depth, for the metrics. */
  truncatedStacks = 0;

  constructor(
    private readonly sink: ProfileSink,
    private readonly limitsFor: (tenant: string) => Limits,
    private readonly now: () => number = Date.now,
    private readonly formats: FormatRegistry = defaultFormats(new PprofDecoder(0))
  ) {
    this.rate = new IngestionRateLimiter(now);
  }

  /** POST /ingest: returns the number of profiles stored. */
  async ingestLegacy(tenant: string, params: IngestParams, body: Buffer, contentType: string): Promise<number> {
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
    const parts = isMultipart
      ? await parseMultipart(body, contentType, limits.maxProfileSizeBytes || 1 << 30)
      : undefined;
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
    });
    const results = read.profiles;
    // what the rate limit counts: the uncompressed profile, as Pyroscope does (labels are added in store())
    const bytes = read.bytes;

    const profiles: IngestProfile[] = [];
    // one UUID per body, shared by every profile it becomes (a JFR recording is several)
    const uuid = newProfileUuid();
    for (const r of results) {
      const labels = mergeLabels(base, r.labels);
      const timeMs = resolveTime(r.profile.timeMs, from);
      profiles.push({ labels, profile: r.profile, timeMs, uuid });
    }
    return this.store(tenant, profiles, limits, bytes);
  }

  /** push.v1.PusherService/Push: series of labelled raw pprof samples. */
  async ingestPush(
    tenant: string,
    series: Array<{
      labels: Array<{ name: string; value: string }>;
      samples: Array<{ rawProfile: Uint8Array; ID: string }>;
    }>
  ): Promise<number> {
    const limits = this.limitsFor(tenant);
    const now = this.now();
    const profiles: IngestProfile[] = [];
    let bytes = 0;
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
      const samples = s.samples.filter((sample) => sample.rawProfile && sample.rawProfile.length > 0);
      // decoded side by side (worker threads take the large ones), used in order
      const decoded = await Promise.all(
        samples.map((sample) => this.formats.pprof.decode(sample.rawProfile, limits.maxProfileSizeBytes))
      );
      for (let i = 0; i < samples.length; i++) {
        const sample = samples[i]!;
        const { profile, inflatedBytes } = decoded[i]!;
        bytes += inflatedBytes;
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
    return this.store(tenant, profiles, limits, bytes);
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

  private async store(tenant: string, profiles: IngestProfile[], limits: Limits, bytes: number): Promise<number> {
    const now = this.now();
    let labelBytes = 0;
    for (const p of profiles) {
      validate(p, limits, now);
      this.truncatedStacks += truncateStacks(p.profile, limits.maxProfileStacktraceDepth);
      for (const [k, v] of p.labels) {
        labelBytes += k.length + v.length;
      }
    }
    // after validation, so that a rejected profile costs the tenant no rate; before the write, so that a
    // rate-limited one costs the store nothing
    this.rate.take(tenant, bytes + labelBytes, limits);
    await this.sink.write(tenant, profiles);
    return profiles.length;
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
    for (const [k, v] of labels) {
      if (limits.maxLabelNameLength > 0 && k.length > limits.maxLabelNameLength) {
        throw new FormatError(
          `label name "${k.slice(0, 64)}…" is longer than ${limits.maxLabelNameLength} characters (validation.max-length-label-name)`
        );
      }
      if (limits.maxLabelValueLength > 0 && v.length > limits.maxLabelValueLength) {
        throw new FormatError(
          `value of label "${k}" is ${v.length} characters long, above the limit of ${limits.maxLabelValueLength} (validation.max-length-label-value)`
        );
      }
    }
  };
  const base = p.labels.filter(([k]) => k !== '__name__');
  for (const ls of p.profile.labelSets) {
    check([...base, ...ls.filter(([k]) => !base.some(([b]) => b === k))], 6);
  }
}
