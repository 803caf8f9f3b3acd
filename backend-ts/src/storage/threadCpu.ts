// CPU time of the calling thread, for counting one kind of work done on the main thread. process.cpuUsage() is
// the whole process's: around a compaction step it also counts what the decode workers, zlib's thread pool and
// the garbage collector's helper threads did meanwhile; with ingest decoding in a worker at 200 requests/s,
// that put ingest's CPU into compaction's share.
import { openSync, readSync } from 'node:fs';

let fd: number | null | undefined;
const text = Buffer.alloc(128);
/** The last reading: a read that fails later repeats it (the clock stops), so no delta mixes two clocks. */
let lastNs = 0;

/**
 * Nanoseconds the calling thread has run (Linux: /proc/thread-self/schedstat, opened once; a worker thread has
 * its own copy of this module, so its own file), or null where the kernel does not say. Which of the two is
 * decided by the first call and kept.
 */
function threadRunNs(): number | null {
  if (fd === undefined) {
    try {
      fd = openSync('/proc/thread-self/schedstat', 'r');
    } catch {
      fd = null;
    }
  }
  if (fd === null) {
    return null;
  }
  try {
    const n = readSync(fd, text, 0, text.length, 0);
    const ns = Number(text.toString('latin1', 0, n).split(' ', 1)[0]);
    if (Number.isFinite(ns)) {
      lastNs = ns;
    }
  } catch {
    // keep the last reading
  }
  return lastNs;
}

/** A CPU clock in seconds: the calling thread's where the kernel says, else the process's. */
export function cpuSecondsNow(): number {
  const ns = threadRunNs();
  if (ns !== null) {
    return ns / 1e9;
  }
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Whether cpuSecondsNow() counts the calling thread alone (the tests skip where it does not). */
export function cpuClockIsThread(): boolean {
  return threadRunNs() !== null;
}
