// Inflating and decoding pprof is most of the CPU an ingested profile costs. Node runs JavaScript on one thread,
// so on a machine with more cores the larger profiles are decoded by worker threads while the main thread parses
// HTTP, builds segments and writes them. Small profiles are decoded in place: handing one to a worker and back
// costs more than decoding it.
import { availableParallelism } from 'node:os';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { FormatError } from './formatError.js';
import { inflateAndDecodePprof, isGzip, type DecodedPprof } from './pprof.js';
import type { ParseJfrOptions } from './jfr/parse-jfr.js';
import { readJfrInput, type JfrRead } from './jfrInput.js';
import { JfrParseError } from './jfr/jfr-parse-error.js';
import type { DecodeReply, DecodeRequest } from './pprofWorker.js';
import { readText, type TextFormat, type TextResult } from './textFormats.js';
import type { TextIngestParams } from './textTypes.js';

/** Profiles whose uncompressed size is below this are decoded on the calling thread. */
export const WORKER_MIN_BYTES = 8 * 1024;

/** `-distributor.decode-workers` default: one worker per core the main thread does not use, at most 4. */
export function defaultDecodeWorkers(): number {
  return Math.max(0, Math.min(4, availableParallelism() - 1));
}

interface Slot {
  worker: Worker;
  dead: boolean;
  pending: Map<number, { resolve: (d: DecodeReply & { ok: true }) => void; reject: (e: Error) => void }>;
}

/** The uncompressed size a body will have: a gzip member states it (mod 2^32) in its last four bytes. */
function inflatedSize(body: Uint8Array): number {
  if (!isGzip(body) || body.length < 18) {
    return body.length;
  }
  const n = body.length;
  return (body[n - 4]! | (body[n - 3]! << 8) | (body[n - 2]! << 16) | (body[n - 1]! << 24)) >>> 0;
}

export class PprofDecoder {
  private readonly slots: Slot[] = [];
  private nextId = 1;
  private closed = false;
  private readonly script: string | null;

  constructor(readonly workers: number = defaultDecodeWorkers()) {
    // the worker's own file: .js when built, .ts when the tests run the sources through tsx (which workers
    // inherit through execArgv)
    const own = fileURLToPath(import.meta.url);
    const script = own.replace(/pprofDecoder\.(ts|js)$/, 'pprofWorker.$1');
    this.script = workers > 0 && existsSync(script) ? script : null;
    if (this.script) {
      for (let i = 0; i < workers; i++) {
        this.slots.push(this.spawn());
      }
    }
  }

  /**
   * Inflates (within maxBytes; 0 = no limit) and decodes one pprof body, stacks cut to maxDepth frames (0 = no
   * limit). Bad input rejects with a FormatError.
   */
  decode(body: Uint8Array, maxBytes: number, maxDepth = 0): Promise<DecodedPprof> {
    if (this.slots.length === 0 || this.closed || inflatedSize(body) < WORKER_MIN_BYTES) {
      try {
        return Promise.resolve(inflateAndDecodePprof(body, maxBytes, maxDepth));
      } catch (e) {
        return Promise.reject(e as Error);
      }
    }
    // a copy the worker can own: the request body may be a view into a larger buffer
    const copy = new Uint8Array(body);
    return this.post({ id: this.nextId++, body: copy, maxBytes, maxDepth }, [copy.buffer as ArrayBuffer]).then((r) => {
      if (!('profile' in r)) {
        throw new Error('pprof decode worker answered another kind of job');
      }
      return { profile: r.profile, inflatedBytes: r.inflatedBytes, truncatedStacks: r.truncatedStacks };
    });
  }

  /**
   * Reads a JFR recording into its profiles (readJfrInput: gzipped parts inflated within maxBytes, each profile
   * held to it), in a worker when there is one: a 12 MB recording is seconds of parsing that would otherwise stop
   * the event loop. Bad input rejects with a JfrParseError, a size past maxBytes with a 413 FormatError.
   * `given` names buffers the caller hands over: a view into one of them goes to the worker without a copy, and
   * the buffer is detached here (every view into it reads as empty afterwards).
   */
  decodeJfr(
    jfr: Uint8Array,
    labels: Uint8Array | undefined,
    options: ParseJfrOptions,
    given: ReadonlySet<ArrayBufferLike> = new Set(),
    maxBytes = 0
  ): Promise<JfrRead> {
    if (this.slots.length === 0 || this.closed || inflatedSize(jfr) < WORKER_MIN_BYTES) {
      try {
        return Promise.resolve(readJfrInput(jfr, labels, options, maxBytes));
      } catch (e) {
        return Promise.reject(e as Error);
      }
    }
    // a 12 MB copy is a fresh allocation faulted in on the event loop: tens of ms, hundreds when the machine is busy
    const body = given.has(jfr.buffer) ? jfr : new Uint8Array(jfr);
    const l = labels && !given.has(labels.buffer) ? new Uint8Array(labels) : labels;
    const transfer = [...new Set([body.buffer as ArrayBuffer, ...(l ? [l.buffer as ArrayBuffer] : [])])];
    return this.post({ id: this.nextId++, kind: 'jfr', body, labels: l, options, maxBytes }, transfer).then((r) => {
      if (!('jfr' in r)) {
        throw new Error('decode worker answered another kind of job');
      }
      return r.jfr;
    });
  }

  /**
   * Reads a text body (folded, lines, speedscope), inflated first when `inflate`, in a worker when there is one
   * and the body is not small. `given` as for decodeJfr; maxDepth as for readText.
   */
  decodeText(
    format: TextFormat,
    body: Uint8Array,
    inflate: boolean,
    maxBytes: number,
    params: TextIngestParams,
    given: ReadonlySet<ArrayBufferLike> = new Set(),
    maxDepth = 0
  ): Promise<TextResult> {
    if (this.slots.length === 0 || this.closed || inflatedSize(body) < WORKER_MIN_BYTES) {
      try {
        return Promise.resolve(readText(format, body, inflate, maxBytes, params, maxDepth));
      } catch (e) {
        return Promise.reject(e as Error);
      }
    }
    const b = given.has(body.buffer) ? body : new Uint8Array(body);
    // plain data only: the params object may carry label tuples of the caller's
    const p: TextIngestParams = {
      appName: params.appName,
      labels: params.labels?.map(([k, v]) => [k, v] as const),
      sampleRate: params.sampleRate ?? null,
      spyName: params.spyName ?? null,
      units: params.units ?? null,
      aggregationType: params.aggregationType ?? null,
    };
    return this.post({ id: this.nextId++, kind: 'text', format, body: b, inflate, maxBytes, params: p, maxDepth }, [
      b.buffer as ArrayBuffer,
    ]).then((r) => {
      if (!('text' in r)) {
        throw new Error('decode worker answered another kind of job');
      }
      return r.text;
    });
  }

  private post(req: DecodeRequest, transfer: ArrayBuffer[]): Promise<DecodeReply & { ok: true }> {
    let slot = this.slots[0]!;
    for (const s of this.slots) {
      if (s.pending.size < slot.pending.size) {
        slot = s;
      }
    }
    return new Promise((resolve, reject) => {
      slot.pending.set(req.id, { resolve, reject });
      slot.worker.postMessage(req, transfer);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private spawn(): Slot {
    const script = this.script!;
    const worker = script.endsWith('.ts')
      ? // the sources run through tsx (tests, development): a worker gets tsx's loader hooks only by asking
        new Worker(
          `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})` +
            `.then((tsx) => { tsx.register(); return import(${JSON.stringify(pathToFileURL(script).href)}); });`,
          { eval: true }
        )
      : new Worker(script);
    // idle workers must not keep the process alive
    worker.unref();
    const slot: Slot = { worker, dead: false, pending: new Map() };
    worker.on('message', (reply: DecodeReply) => {
      const p = slot.pending.get(reply.id);
      if (!p) {
        return;
      }
      slot.pending.delete(reply.id);
      if (reply.ok) {
        p.resolve(reply);
      } else if (reply.format) {
        p.reject(new FormatError(reply.message, reply.status));
      } else {
        p.reject(reply.name === 'JfrParseError' ? new JfrParseError(reply.message) : new Error(reply.message));
      }
    });
    const fail = (e: Error) => {
      // 'error' is followed by 'exit': replace the worker once
      if (slot.dead) {
        return;
      }
      slot.dead = true;
      for (const p of slot.pending.values()) {
        p.reject(e);
      }
      slot.pending.clear();
      if (!this.closed) {
        // a worker that died (out of memory, a bug) is replaced; its requests fail with a 5xx and are retried
        const i = this.slots.indexOf(slot);
        if (i >= 0) {
          this.slots[i] = this.spawn();
        }
      }
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (!this.closed) {
        fail(new Error(`pprof decode worker exited with code ${code}`));
      }
    });
    return slot;
  }
}
