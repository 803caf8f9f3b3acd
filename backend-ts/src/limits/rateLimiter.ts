// -distributor.ingestion-rate-limit-mb / -distributor.ingestion-burst-size-mb: a token bucket per tenant over the
// bytes Pyroscope counts (the uncompressed profiles plus the series label names and values), refilled at the
// rate and holding at most the burst. Per process, as Pyroscope's "local" strategy: N processes sharing a store
// admit up to N times the rate in total.
import type { Limits } from '../config/config.js';
import { LimitError } from './errors.js';

const MiB = 1024 * 1024;

interface Bucket {
  tokens: number;
  at: number;
}

export class IngestionRateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * Takes `bytes` from the tenant's bucket or throws a 429 LimitError saying when to retry. A request larger
   * than the whole burst is admitted when the bucket is full and leaves it in debt: Go's limiter (Pyroscope's)
   * would refuse it forever, and agents retry a 429 forever, so such a profile would never get in.
   */
  take(tenant: string, bytes: number, limits: Limits): void {
    const rate = limits.ingestionRateLimitMb * MiB;
    if (!(rate > 0)) {
      return;
    }
    const burst = limits.ingestionBurstSizeMb > 0 ? limits.ingestionBurstSizeMb * MiB : rate;
    const now = this.now();
    let b = this.buckets.get(tenant);
    if (!b) {
      this.evictIdle(now, rate, burst);
      b = { tokens: burst, at: now };
      this.buckets.set(tenant, b);
    }
    b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * rate);
    b.at = now;
    if (bytes <= b.tokens || (bytes > burst && b.tokens >= burst)) {
      b.tokens -= bytes;
      return;
    }
    const missing = Math.min(bytes, burst) - b.tokens;
    const retryAfter = Math.max(1, Math.ceil(missing / rate));
    throw new LimitError(
      `push rate limit (${fmt(rate)}/s, burst ${fmt(burst)}) exceeded while adding ${fmt(bytes)} for tenant ` +
        `"${tenant}": retry in ${retryAfter}s (distributor.ingestion-rate-limit-mb, ingestion-burst-size-mb)`,
      429,
      retryAfter
    );
  }

  /**
   * Charges (delta > 0) or gives back (delta < 0) bytes without refusing: what a request really cost once
   * decoded, against what it was admitted with. A charge may leave the bucket in debt; a refund never fills it
   * past the burst.
   */
  settle(tenant: string, delta: number, limits: Limits): void {
    const rate = limits.ingestionRateLimitMb * MiB;
    const b = this.buckets.get(tenant);
    if (!(rate > 0) || !b || delta === 0) {
      return;
    }
    const burst = limits.ingestionBurstSizeMb > 0 ? limits.ingestionBurstSizeMb * MiB : rate;
    const now = this.now();
    b.tokens = Math.min(burst, Math.min(burst, b.tokens + ((now - b.at) / 1000) * rate) - delta);
    b.at = now;
  }

  /** Forgets full buckets once there are many tenants: a full bucket is what a new one starts as. */
  private evictIdle(now: number, rate: number, burst: number): void {
    if (this.buckets.size < 10_000) {
      return;
    }
    for (const [t, b] of this.buckets) {
      if (b.tokens + ((now - b.at) / 1000) * rate >= burst) {
        this.buckets.delete(t);
      }
    }
  }
}

function fmt(bytes: number): string {
  return bytes >= MiB ? `${(bytes / MiB).toFixed(bytes % MiB === 0 ? 0 : 1)} MiB` : `${Math.round(bytes)} B`;
}
