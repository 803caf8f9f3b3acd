// Errors of the limits that protect the service (rate, query time, query concurrency). Each carries the HTTP
// status it is answered with; the rate limits also say when to come back (Retry-After), which Alloy and the SDKs
// honour when they retry a 429.

export class LimitError extends Error {
  override name = 'LimitError';
  constructor(
    message: string,
    /**
     * 429 (rate or queue limit), 504 (query timeout), 499 (the client went away), 503 (no decode budget in
     * time) or 413 (more than the whole decode budget).
     */
    readonly status: 413 | 429 | 499 | 503 | 504,
    /** Seconds until a retry can succeed, sent as Retry-After with a 429 or 503. */
    readonly retryAfterSeconds?: number
  ) {
    super(message);
  }
}
