// HTTP/1.1 and HTTP/2 cleartext (h2c, prior knowledge: what gRPC clients speak without TLS) on one port, as
// Pyroscope's Go server does with h2c. A connection's first bytes decide: the HTTP/2 preface ("PRI * HTTP/2.0")
// hands it to an HTTP/2 server, anything else to the HTTP/1.1 server as before. On HTTP/2, requests whose
// content type is application/grpc… are gRPC calls; every other request goes to the same handler HTTP/1.1
// requests go to.
import http from 'node:http';
import http2, { type Http2ServerRequest, type Http2ServerResponse, type Http2Session } from 'node:http2';
import type { Socket } from 'node:net';

const HTTP2_IDLE_TIMEOUT_MS = 120_000;

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

/** Headers HTTP/2 forbids (RFC 9113 8.2.2); a handler written for HTTP/1.1 may set them. */
const CONNECTION_HEADERS = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);

type Handler = (req: http.IncomingMessage | Http2ServerRequest, res: http.ServerResponse | Http2ServerResponse) => void;

export interface H2cOptions {
  /** The HTTP/1.1 server's options; its maxHeaderSize bounds HTTP/2 header blocks too. */
  http1: http.ServerOptions;
  /** An HTTP/2 request's body must have arrived within this (0 = no bound), as requestTimeout bounds HTTP/1.1's. */
  readTimeoutMs: number;
  /** gRPC calls (HTTP/2 requests with an application/grpc… content type). */
  grpc: (req: Http2ServerRequest, res: Http2ServerResponse) => void;
}

export interface H2cServer {
  /** The listening server (an HTTP/1.1 server whose connections may turn out to be HTTP/2). */
  server: http.Server;
  /** Asks every HTTP/2 client to stop (GOAWAY); calls in flight finish. */
  closeHttp2(): void;
  /** Cuts every HTTP/2 connection still open. */
  destroyHttp2(): void;
}

/** Whether the bytes so far can be the start of the HTTP/2 connection preface. */
function startsPreface(chunk: Buffer): boolean {
  const n = Math.min(chunk.length, PREFACE.length);
  return n > 0 && chunk.subarray(0, n).equals(PREFACE.subarray(0, n));
}

/** An HTTP/1.1 handler's response on HTTP/2: connection headers are left out rather than warned about. */
function withoutConnectionHeaders(res: Http2ServerResponse): Http2ServerResponse {
  const setHeader = res.setHeader.bind(res);
  res.setHeader = (name, value) => (CONNECTION_HEADERS.has(name.toLowerCase()) ? res : setHeader(name, value));
  const writeHead = res.writeHead.bind(res) as (
    status: number,
    headers?: http.OutgoingHttpHeaders
  ) => Http2ServerResponse;
  res.writeHead = ((status: number, ...rest: unknown[]) => {
    const headers = rest.find((x) => typeof x === 'object' && x !== null) as http.OutgoingHttpHeaders | undefined;
    if (!headers) {
      return writeHead(status);
    }
    const kept: http.OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(headers)) {
      if (!CONNECTION_HEADERS.has(k.toLowerCase())) {
        kept[k] = v;
      }
    }
    return writeHead(status, kept);
  }) as Http2ServerResponse['writeHead'];
  return res;
}

/** A fastify serverFactory: the handler serves HTTP/1.1 and non-gRPC HTTP/2 requests alike. */
export function h2cServer(handler: Handler, opts: H2cOptions): H2cServer {
  const h1 = http.createServer(opts.http1, handler);
  const maxHeaderSize = opts.http1.maxHeaderSize ?? 16 * 1024;
  // Go's HTTP/2 server allows 250 concurrent streams per connection (Node: no limit); each call's bytes are
  // bounded by the decode budget, its count by this
  const h2 = http2.createServer({
    settings: { maxHeaderListSize: maxHeaderSize, maxConcurrentStreams: 250 },
  });
  // a connection with nothing on it for this long is closed, as Pyroscope's -server.http-idle-timeout (120 s)
  // closes idle HTTP connections; clients reconnect
  h2.setTimeout(HTTP2_IDLE_TIMEOUT_MS);
  const sessions = new Set<Http2Session>();
  h2.on('session', (s) => {
    sessions.add(s);
    s.once('close', () => sessions.delete(s));
  });
  h2.on('request', (req, res) => {
    if (opts.readTimeoutMs > 0) {
      // a body still arriving at the bound is cut off: the stream is reset (INTERNAL_ERROR, as Go's HTTP/2 server
      // resets a stream past its ReadTimeout), its handler sees the body end and lets go of what it held
      const timer = setTimeout(() => {
        if (!req.complete) {
          req.stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
        }
      }, opts.readTimeoutMs);
      timer.unref();
      req.once('end', () => clearTimeout(timer));
      req.stream.once('close', () => clearTimeout(timer));
    }
    if (String(req.headers['content-type'] ?? '').startsWith('application/grpc')) {
      opts.grpc(req, res);
    } else {
      handler(req, withoutConnectionHeaders(res));
    }
  });

  // The HTTP/1.1 server's own connection handling runs for every connection that is not HTTP/2.
  const http1Connection = h1.listeners('connection') as Array<(socket: Socket) => void>;
  h1.removeAllListeners('connection');
  h1.on('connection', (socket: Socket) => {
    // until a server owns the connection: a reset or a client that never speaks costs nothing
    const fail = () => socket.destroy();
    socket.on('error', fail);
    socket.setTimeout(h1.headersTimeout, fail);
    // bytes are gathered until they either differ from the preface or hold all of it: a client may send its
    // first bytes in pieces ("P" could start "POST" as well as "PRI")
    let head: Buffer = Buffer.alloc(0);
    const first = (chunk: Buffer) => {
      head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
      const isHttp2 = startsPreface(head);
      if (isHttp2 && head.length < PREFACE.length) {
        return;
      }
      socket.removeListener('data', first);
      socket.removeListener('error', fail);
      socket.setTimeout(0);
      socket.pause();
      socket.unshift(head);
      if (isHttp2) {
        // the HTTP/2 session reads the bytes already taken off the socket itself
        h2.emit('connection', socket);
        return;
      }
      for (const l of http1Connection) {
        l.call(h1, socket);
      }
      socket.resume();
    };
    socket.on('data', first);
    // a connection closed before the protocol is known never reaches either server
    socket.once('close', () => socket.removeListener('data', first));
  });
  return {
    server: h1,
    closeHttp2: () => {
      for (const s of sessions) {
        s.close();
      }
    },
    destroyHttp2: () => {
      for (const s of sessions) {
        s.destroy();
      }
    },
  };
}
