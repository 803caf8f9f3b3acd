// Request bodies as raw buffers, with -distributor.ingestion-body-limit-mb enforced while reading. A body over
// the limit is still read to its end (up to a drain bound) before the 413 goes out: answering while the client
// is still sending makes the server close a half-read connection, and the agent sees EPIPE or a reset instead
// of the message saying which limit it hit. Go's net/http drains for the same reason.
//
// The bytes kept are drawn from the process-wide decode budget (limits/decodeBudget.ts) as they arrive: while it
// is spent the body is not read further (the client is slowed), and the request's share is given back once its
// answer is out (releaseBody, from a response hook).
import type { FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import type { DecodeAccount, DecodeBudget } from '../limits/decodeBudget.js';

/** Bodies declared at least this large are written into one buffer as they arrive instead of concatenated. */
const PREALLOCATE_MIN = 64 * 1024;

/**
 * Bodies whose ArrayBuffer was allocated for them alone by rawBodyParser: a decode worker may take such a buffer
 * (transfer, no copy) once nothing else reads the body.
 */
const ownBuffers = new WeakSet<ArrayBuffer>();

/** True when `body` is the whole of a buffer rawBodyParser allocated for this request alone. */
export function ownsBuffer(body: Buffer): boolean {
  return (
    body.byteOffset === 0 && body.byteLength === body.buffer.byteLength && ownBuffers.has(body.buffer as ArrayBuffer)
  );
}

/** How much past the limit is read and thrown away so the client hears the 413; beyond it the socket is cut. */
function drainBound(limit: number): number {
  return Math.max(limit * 4, 16 * 1024 * 1024);
}

class BodyTooLargeError extends Error {
  readonly statusCode = 413;
  readonly code = 'FST_ERR_CTP_BODY_TOO_LARGE';
}

const accounts = new WeakMap<FastifyRequest, DecodeAccount>();

/** Gives back what the request's body drew from the decode budget (its answer is out, or it was abandoned). */
export function releaseBody(req: FastifyRequest): void {
  accounts.get(req)?.release();
  accounts.delete(req);
}

/** A fastify content type parser (callback style) reading the body into one Buffer. limit 0 = none. */
export function rawBodyParser(
  limit: number,
  budget?: DecodeBudget
): (req: FastifyRequest, payload: Readable, done: (err: Error | null, body?: Buffer) => void) => void {
  return (req, payload, done) => {
    const tooLarge = () => new BodyTooLargeError('request body too large');
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (limit > 0 && declared > drainBound(limit)) {
      // not worth reading: the connection is closed after the answer
      done(tooLarge());
      return;
    }
    const account = budget?.account();
    if (account) {
      accounts.set(req, account);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    // A declared length within the limit: the bytes are copied into place as they arrive, so no single step
    // copies (and faults in) the whole body, as one concatenation at the end did (a 12 MB recording: tens of ms
    // of event loop, hundreds on a loaded machine). allocUnsafeSlow only reserves: a client that declares much
    // and sends little costs no resident memory, and what arrives is drawn from the budget as before.
    let whole: Buffer | undefined =
      Number.isSafeInteger(declared) && declared >= PREALLOCATE_MIN && (limit <= 0 || declared <= limit)
        ? Buffer.allocUnsafeSlow(declared)
        : undefined;
    let over = false;
    /** Set when the budget refused: the rest is read and dropped, then this is the answer. */
    let refused: Error | null = null;
    let finished = false;
    const finish = (err: Error | null, body?: Buffer) => {
      if (!finished) {
        finished = true;
        done(err, body);
      }
    };
    const drop = () => {
      chunks.length = 0;
      whole = undefined;
      account?.release();
    };
    payload.on('data', (c: Buffer) => {
      size += c.length;
      if (limit > 0 && size > limit) {
        if (!over) {
          over = true;
          drop();
        }
        if (size > drainBound(limit)) {
          payload.pause();
          finish(tooLarge());
        }
        return;
      }
      if (refused) {
        if (size > drainBound(limit || declared || 0)) {
          payload.pause();
          finish(refused);
        }
        return;
      }
      if (whole && size <= whole.length) {
        c.copy(whole, size - c.length);
      } else {
        if (whole) {
          // more than declared (HTTP/2 does not hold a client to content-length): collected from here on
          chunks.push(whole.subarray(0, size - c.length));
          whole = undefined;
        }
        chunks.push(c);
      }
      let ok: boolean;
      try {
        ok = !account || account.tryTake(c.length);
      } catch (e) {
        // more than the whole budget: never fits
        refused = e as Error;
        drop();
        return;
      }
      if (!ok) {
        payload.pause();
        account!.take(c.length).then(
          () => payload.resume(),
          (e: Error) => {
            refused = e;
            drop();
            payload.resume();
          }
        );
      }
    });
    payload.on('end', () => {
      if (refused) {
        finish(refused);
      } else if (over) {
        finish(tooLarge());
      } else if (whole) {
        if (size === whole.length) {
          ownBuffers.add(whole.buffer as ArrayBuffer);
        }
        finish(null, size === whole.length ? whole : whole.subarray(0, size));
      } else {
        // the chunks and their concatenation exist together for a moment
        account?.force(size);
        const body = Buffer.concat(chunks, size);
        chunks.length = 0;
        account?.giveBack(size);
        finish(null, body);
      }
    });
    payload.on('error', (e) => finish(e));
  };
}
