// Process-wide settings made once at start-up (main.ts, createService), before any request is served.
import { setFlagsFromString } from 'node:v8';

let linearRegex = false;

/**
 * Turns on V8's linear-time regex engine (regexes compiled with the `l` flag), which label matchers use so
 * that a user's regex runs in linear time as RE2 does in Prometheus and Pyroscope. V8 flags are per process:
 * worker threads started afterwards have it too.
 */
export function enableLinearRegex(): void {
  if (!linearRegex) {
    setFlagsFromString('--enable-experimental-regexp-engine');
    linearRegex = true;
  }
}
