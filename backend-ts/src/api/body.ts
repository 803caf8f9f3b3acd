// Request bodies as raw buffers, with -distributor.ingestion-body-limit-mb enforced while reading. A body over
// the limit is still read to its end (up to a drain bound) before the 413 goes out: answering while the client
// is still sending makes the server close a half-read connection, and the agent sees EPIPE or a reset instead
// of the message saying which limit it hit. Go's net/http drains for the same reason.
import type { FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';

/** How much past the limit is read and thrown away so the client hears the 413; beyond it the socket is cut. */
function drainBound(limit: number): number {
  return Math.max(limit * 4, 16 * 1024 * 1024);
}

class BodyTooLargeError extends Error {
  readonly statusCode = 413;
  readonly code = 'FST_ERR_CTP_BODY_TOO_LARGE';
}

/** A fastify content type parser (callback style) reading the body into one Buffer. limit 0 = none. */
export function rawBodyParser(
  limit: number
): (req: FastifyRequest, payload: Readable, done: (err: Error | null, body?: Buffer) => void) => void {
  return (req, payload, done) => {
    const tooLarge = () => new BodyTooLargeError('request body too large');
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (limit > 0 && declared > drainBound(limit)) {
      // not worth reading: the connection is closed after the answer
      done(tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    let finished = false;
    const finish = (err: Error | null, body?: Buffer) => {
      if (!finished) {
        finished = true;
        done(err, body);
      }
    };
    payload.on('data', (c: Buffer) => {
      size += c.length;
      if (limit > 0 && size > limit) {
        if (!over) {
          over = true;
          chunks.length = 0;
        }
        if (size > drainBound(limit)) {
          payload.pause();
          finish(tooLarge());
        }
        return;
      }
      chunks.push(c);
    });
    payload.on('end', () => finish(over ? tooLarge() : null, over ? undefined : Buffer.concat(chunks, size)));
    payload.on('error', (e) => finish(e));
  };
}
