/**
 * The only error type the JFR reader throws for bad input: callers (the ingest handler) turn it into a 4xx,
 * while anything else escaping the reader would be a bug of ours, not of the client.
 */
export class JfrParseError extends Error {
  /** Byte offset into the recording where reading failed, when known. */
  readonly offset: number | undefined;

  constructor(message: string, offset?: number, options?: { cause?: unknown }) {
    super(offset === undefined ? message : `${message} (at byte ${offset})`, options);
    this.name = 'JfrParseError';
    this.offset = offset;
  }
}
