export function clearTimeNanos(body: Buffer): Buffer;
export function ingestPprof(
  backendUrl: string,
  body: Buffer,
  name: string,
  options?: { from?: number; until?: number; spyName?: string }
): Promise<void>;
