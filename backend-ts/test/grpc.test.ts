// gRPC on the HTTP port (issue 16), as a gRPC client speaks it: Node's http2 over cleartext (h2c, prior
// knowledge), the gRPC framing written here (1 byte compressed flag, 4 bytes big-endian length, the message),
// messages encoded by hand (OTLP from opentelemetry-proto v1.10.0's field numbers, Push from push.proto), the
// status read from the trailers or, for an error answered at once, from the headers (Trailers-Only). The same
// port serves HTTP/1.1 Connect calls, which read back what came in over gRPC.
import assert from 'node:assert/strict';
import http2, { type ClientHttp2Session, type IncomingHttpHeaders } from 'node:http2';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { grpcHandler, type BudgetAccount } from '../src/api/grpc.js';
import { loadConfig } from '../src/config/config.js';
import { Ingester } from '../src/ingest/ingester.js';
import { LimitError } from '../src/limits/errors.js';
import type { IngestProfile } from '../src/model/profile.js';
import { connectJson, startInProcess, type Running } from './helpers.js';
import { handEncodedRequest } from './otlpWire.js';
import { assertSameStacks, flameGraphStacks, range } from './readBack.js';
import { CPU, encodePush, handPprof } from './wire.js';

const EXPORT = '/opentelemetry.proto.collector.profiles.v1development.ProfilesService/Export';
const PUSH = '/push.v1.PusherService/Push';

/** gRPC status codes (grpc/codes). */
const OK = 0;
const INVALID_ARGUMENT = 3;
const RESOURCE_EXHAUSTED = 8;
const UNIMPLEMENTED = 12;
const INTERNAL = 13;
const UNAUTHENTICATED = 16;

/** One length-prefixed message: flag 1 when the message is compressed with the call's grpc-encoding. */
function frame(message: Uint8Array, compressed = false): Buffer {
  const head = Buffer.alloc(5);
  head[0] = compressed ? 1 : 0;
  head.writeUInt32BE(message.length, 1);
  return Buffer.concat([head, message]);
}

interface Answer {
  headers: IncomingHttpHeaders;
  trailers: IncomingHttpHeaders;
  /** grpc-status from the trailers, else from the headers (Trailers-Only); -1 when neither has one. */
  status: number;
  message: string;
  /** The response messages, unframed. */
  messages: Buffer[];
}

function unframe(body: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let pos = 0;
  while (pos + 5 <= body.length) {
    const n = body.readUInt32BE(pos + 1);
    assert.equal(body[pos], 0, 'response messages are not compressed');
    out.push(body.subarray(pos + 5, pos + 5 + n));
    pos += 5 + n;
  }
  assert.equal(pos, body.length, 'the response body is whole frames');
  return out;
}

/**
 * A unary call: `body` written as given (framed by the caller, so that a test can send broken frames), the
 * stream ended unless `keepOpen`. Resolves when the stream closes; bounded by a 60 s abort.
 */
function call(
  session: ClientHttp2Session,
  path: string,
  body: Buffer,
  headers: Record<string, string> = {},
  opts: { keepOpen?: boolean } = {}
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = session.request(
      {
        ':method': 'POST',
        ':path': path,
        'content-type': 'application/grpc',
        te: 'trailers',
        ...headers,
      },
      { signal: AbortSignal.timeout(60_000) }
    );
    let head: IncomingHttpHeaders = {};
    let trailers: IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    req.on('response', (h) => (head = h));
    req.on('trailers', (t) => (trailers = t));
    req.on('data', (c: Buffer) => chunks.push(c));
    // a stream the server refuses mid-body may be reset under our writes: the answer already came
    req.on('error', (e: NodeJS.ErrnoException) => {
      if (e.name === 'AbortError') {
        reject(new Error(`${path}: no answer within 60 s`));
      }
    });
    req.on('close', () => {
      const raw = trailers['grpc-status'] ?? head['grpc-status'];
      resolve({
        headers: head,
        trailers,
        status: raw === undefined ? -1 : Number(raw),
        message: decodeURIComponent(String(trailers['grpc-message'] ?? head['grpc-message'] ?? '')),
        messages: unframe(Buffer.concat(chunks)),
      });
    });
    if (opts.keepOpen) {
      req.write(body);
    } else {
      req.end(body);
    }
  });
}

function connect(url: string): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const s = http2.connect(url);
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

async function close(s: ClientHttp2Session | undefined): Promise<void> {
  if (s && !s.closed) {
    await new Promise<void>((r) => s.close(() => r()));
  }
}

describe('gRPC over h2c on the HTTP port', () => {
  let be: Running;
  let h2: ClientHttp2Session;

  before(async () => {
    // tenants from metadata; a small per-profile limit so that an OTLP message over it is cheap to send
    be = await startInProcess(['-auth.multitenancy-enabled=true', '-validation.max-profile-size-bytes=4096']);
    h2 = await connect(be.url);
  });
  after(async () => {
    await close(h2);
    await be?.stop();
  });

  test('OTLP Export (gzip) and Push arrive over gRPC and are read back over HTTP/1.1 Connect on the same port', async () => {
    const otlp = handEncodedRequest({ timeNs: BigInt(Date.now() - 5000) * 1_000_000n });
    const exported = await call(h2, EXPORT, frame(gzipSync(otlp), true), {
      'grpc-encoding': 'gzip',
      'x-scope-orgid': 'grpc-a',
    });
    assert.equal(exported.status, OK, exported.message);
    assert.equal(exported.headers[':status'], 200);
    assert.match(String(exported.headers['content-type']), /^application\/grpc/);
    assert.equal(exported.trailers['grpc-status'], '0', 'the status of a call that succeeded is in the trailers');
    // ExportProfilesServiceResponse{}: one empty message
    assert.deepEqual(
      exported.messages.map((m) => m.length),
      [0]
    );

    const raw = handPprof({
      sampleTypes: [['cpu', 'nanoseconds']],
      periodType: ['cpu', 'nanoseconds'],
      period: 10_000_000,
      samples: [
        { stack: ['work', 'main'], values: [30] },
        { stack: ['idle', 'main'], values: [12] },
      ],
      gzip: true,
    });
    const pushed = await call(
      h2,
      PUSH,
      frame(encodePush([{ labels: { __name__: 'process_cpu', service_name: 'grpc-push' }, samples: [{ raw }] }])),
      { 'x-scope-orgid': 'grpc-a' }
    );
    assert.equal(pushed.status, OK, pushed.message);
    assert.deepEqual(
      pushed.messages.map((m) => m.length),
      [0]
    );

    // read back over HTTP/1.1 (fetch) from the same port, for the tenant the metadata named
    const tenant = { tenant: 'grpc-a' };
    const names = await connectJson<{ names?: string[] }>(
      be.url,
      'LabelValues',
      { name: 'service_name', matchers: ['{}'], ...range() },
      tenant
    );
    assert.equal(names.status, 200, JSON.stringify(names.json));
    assert.deepEqual(names.json.names, ['checkout', 'grpc-push', 'svc-b']);
    const fg = await flameGraphStacks(be.url, CPU, '{service_name="checkout"}', tenant);
    assertSameStacks(
      fg.stacks,
      new Map([
        ['main;foo', 150_000_000],
        ['main;foo;bar', 100_000_000],
        ['main;libc.so.6 0x7f12', 200_000_000],
      ]),
      'OTLP over gRPC'
    );
    const fp = await flameGraphStacks(be.url, CPU, '{service_name="grpc-push"}', tenant);
    assertSameStacks(
      fp.stacks,
      new Map([
        ['main;work', 30],
        ['main;idle', 12],
      ]),
      'Push over gRPC'
    );
    // another tenant sees none of it
    const other = await connectJson<{ names?: string[] }>(
      be.url,
      'LabelValues',
      { name: 'service_name', matchers: ['{}'], ...range() },
      { tenant: 'grpc-b' }
    );
    assert.deepEqual(other.json.names ?? [], []);
  });

  test('HTTP/2 requests that are not gRPC reach the HTTP routes: a GET, and a Connect call with a body', async () => {
    const request = (headers: Record<string, string>, body?: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = h2.request(headers, { signal: AbortSignal.timeout(60_000) });
        let status = 0;
        let text = '';
        req.on('response', (h) => (status = Number(h[':status'])));
        req.setEncoding('utf8');
        req.on('data', (c: string) => (text += c));
        req.on('end', () => resolve({ status, body: text }));
        req.on('error', reject);
        req.end(body);
      });
    assert.deepEqual(await request({ ':method': 'GET', ':path': '/ready' }), { status: 200, body: 'ready' });
    const labels = await request(
      {
        ':method': 'POST',
        ':path': '/querier.v1.QuerierService/LabelValues',
        'content-type': 'application/json',
        'x-scope-orgid': 'grpc-a',
      },
      JSON.stringify({ name: 'service_name', matchers: ['{service_name="grpc-push"}'], ...range() })
    );
    assert.equal(labels.status, 200, labels.body);
    assert.deepEqual((JSON.parse(labels.body) as { names?: string[] }).names, ['grpc-push']);
  });

  test('an HTTP/1.1 request whose first byte arrives alone ("P", as the HTTP/2 preface starts) is HTTP/1.1', async () => {
    const { port } = new URL(be.url);
    // the server's first read of the connection, seen before the server's own listener sees it
    let firstRead: () => void = () => undefined;
    const firstReadDone = new Promise<void>((r) => (firstRead = r));
    const server = be.svc.app.server;
    const watch = (s: net.Socket) => s.once('data', (c: Buffer) => (c.toString() === 'P' ? firstRead() : undefined));
    server.prependOnceListener('connection', watch);
    const answer = await new Promise<string>((resolve, reject) => {
      const body = '{}';
      const socket = net.connect(Number(port), '127.0.0.1');
      socket.setNoDelay(true);
      socket.setTimeout(60_000, () => socket.destroy(new Error('no answer within 60 s')));
      let got = '';
      socket.setEncoding('utf8');
      socket.on('data', (c: string) => (got += c));
      socket.on('end', () => resolve(got));
      socket.on('error', reject);
      socket.once('connect', () => {
        socket.write('P');
        // the rest once the server has read "P" alone: it cannot tell the protocol from that byte
        void firstReadDone.then(() =>
          socket.write(
            'OST /querier.v1.QuerierService/ProfileTypes HTTP/1.1\r\nhost: x\r\nx-scope-orgid: grpc-a\r\n' +
              `content-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`
          )
        );
      });
    });
    assert.match(answer, /^HTTP\/1\.1 200 /);
  });

  test('an oversized message is resource_exhausted before its bytes are read', async () => {
    // a frame that promises 100 MiB + 1 bytes, of which only the first 64 KiB are sent: the answer comes anyway
    const head = Buffer.alloc(5);
    head.writeUInt32BE(100 * 1024 * 1024 + 1, 1);
    const answer = await call(
      h2,
      PUSH,
      Buffer.concat([head, Buffer.alloc(64 * 1024)]),
      { 'x-scope-orgid': 'grpc-a' },
      {
        keepOpen: true,
      }
    );
    assert.equal(answer.status, RESOURCE_EXHAUSTED, answer.message);
    assert.match(answer.message, /larger than max \(104857601 vs\. 104857600\)/);
    assert.equal(answer.headers['grpc-status'], String(RESOURCE_EXHAUSTED), 'answered Trailers-Only');
    // an OTLP message over the per-request profile size limit (4096 here) is refused as over HTTP
    const big = handEncodedRequest({ timeNs: BigInt(Date.now()) * 1_000_000n });
    const padded = Buffer.concat([Buffer.from(big), unknownField(5000)]);
    const otlp = await call(h2, EXPORT, frame(gzipSync(padded), true), {
      'grpc-encoding': 'gzip',
      'x-scope-orgid': 'grpc-a',
    });
    assert.equal(otlp.status, INVALID_ARGUMENT, otlp.message);
    assert.match(otlp.message, /above the limit of 4096/);
    // the connection still serves calls
    const ok = await call(h2, EXPORT, frame(handEncodedRequest({ timeNs: BigInt(Date.now()) * 1_000_000n })), {
      'x-scope-orgid': 'grpc-a',
    });
    assert.equal(ok.status, OK, ok.message);
  });

  test('malformed calls get the status grpc-go (OTLP) and connect-go (Push) give them', async () => {
    const tenant = { 'x-scope-orgid': 'grpc-a' };
    const garbage = Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]);
    const cases: Array<[string, string, Buffer, Record<string, string>, number, RegExp]> = [
      ['OTLP message that does not decode', EXPORT, frame(garbage), tenant, INTERNAL, /unmarshal/],
      ['Push message that does not decode', PUSH, frame(garbage), tenant, INVALID_ARGUMENT, /unmarshal/],
      ['a frame cut short', PUSH, frame(Buffer.alloc(100)).subarray(0, 40), tenant, INVALID_ARGUMENT, /truncated/],
      [
        'two messages on a unary call',
        PUSH,
        Buffer.concat([frame(Buffer.alloc(0)), frame(Buffer.alloc(0))]),
        tenant,
        INVALID_ARGUMENT,
        /exactly one/,
      ],
      [
        'compressed flag that is not gzip data',
        EXPORT,
        frame(Buffer.from('not gzip'), true),
        { ...tenant, 'grpc-encoding': 'gzip' },
        INTERNAL,
        /decompress/,
      ],
      [
        'compressed flag without an encoding',
        PUSH,
        frame(gzipSync(Buffer.alloc(0)), true),
        tenant,
        INTERNAL,
        /compressed flag/,
      ],
      [
        'an encoding we do not have',
        PUSH,
        frame(Buffer.alloc(0)),
        { ...tenant, 'grpc-encoding': 'br' },
        UNIMPLEMENTED,
        /br/,
      ],
      [
        'an unknown method',
        '/push.v1.PusherService/PushStream',
        frame(Buffer.alloc(0)),
        tenant,
        UNIMPLEMENTED,
        /unknown method/,
      ],
      ['no tenant in the metadata', PUSH, frame(Buffer.alloc(0)), {}, UNAUTHENTICATED, /X-Scope-OrgID/],
    ];
    for (const [what, path, body, headers, status, message] of cases) {
      const answer = await call(h2, path, body, headers);
      assert.equal(answer.status, status, `${what}: ${answer.message}`);
      assert.match(answer.message, message, what);
      assert.equal(answer.headers[':status'], 200, `${what}: gRPC errors are HTTP 200`);
    }
    // every call is counted, by method and outcome, as Pyroscope's gRPC middleware labels them
    const metrics = await (await fetch(`${be.url}/metrics`)).text();
    const count = (route: string, outcome: string) =>
      Number(
        new RegExp(
          `^pyroscope_request_duration_seconds_count\\{method="gRPC",route="${route}",status_code="${outcome}"\\} (\\d+)$`,
          'm'
        ).exec(metrics)?.[1] ?? 0
      );
    assert.ok(count(PUSH, 'success') >= 1, 'successful Push calls');
    assert.ok(count(PUSH, 'error') >= 6, 'failed Push calls');
    assert.ok(count(EXPORT, 'error') >= 2, 'failed Export calls');
    assert.equal(count('unmatched', 'error'), 1, 'the unknown method');
  });
});

function varint(x: number): number[] {
  const out: number[] = [];
  while (x >= 0x80) {
    out.push((x & 0x7f) | 0x80);
    x >>>= 7;
  }
  out.push(x);
  return out;
}

/** A protobuf field number 1000 of n bytes (wire type 2): decoders skip it, but it counts towards the size. */
function unknownField(n: number): Buffer {
  return Buffer.concat([Buffer.from([...varint((1000 << 3) | 2), ...varint(n)]), Buffer.alloc(n, 0x61)]);
}

describe('gRPC credentials from metadata (auth.tokens)', () => {
  let be: Running;
  let h2: ClientHttp2Session;

  before(async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'bts-grpc-auth-')), 'config.yaml');
    writeFileSync(file, ['auth:', '  tokens:', '    - tenant: team-g', '      token: tok-g-0123456789', ''].join('\n'));
    be = await startInProcess([`-config.file=${file}`]);
    h2 = await connect(be.url);
  });
  after(async () => {
    await close(h2);
    await be?.stop();
  });

  test('the bearer token names the tenant; a missing, wrong or mismatched credential is unauthenticated', async () => {
    const raw = handPprof({
      sampleTypes: [['cpu', 'nanoseconds']],
      periodType: ['cpu', 'nanoseconds'],
      period: 10_000_000,
      samples: [{ stack: ['authed', 'main'], values: [5] }],
      gzip: true,
    });
    const message = frame(
      encodePush([{ labels: { __name__: 'process_cpu', service_name: 'grpc-auth' }, samples: [{ raw }] }])
    );
    for (const [what, headers] of [
      ['no credential', {}],
      ['a wrong token', { authorization: 'Bearer nope' }],
      ['another tenant named', { authorization: 'Bearer tok-g-0123456789', 'x-scope-orgid': 'team-x' }],
    ] as Array<[string, Record<string, string>]>) {
      const answer = await call(h2, PUSH, message, headers);
      assert.equal(answer.status, UNAUTHENTICATED, `${what}: ${answer.message}`);
    }
    const ok = await call(h2, PUSH, message, { authorization: 'Bearer tok-g-0123456789' });
    assert.equal(ok.status, OK, ok.message);
    const r = await fetch(`${be.url}/querier.v1.QuerierService/LabelValues`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer tok-g-0123456789' },
      body: JSON.stringify({ name: 'service_name', matchers: ['{}'], ...range() }),
    });
    assert.equal(r.status, 200);
    assert.deepEqual(((await r.json()) as { names?: string[] }).names, ['grpc-auth']);
  });
});

/**
 * A budget that counts what calls draw from it and give back; the process-wide decode budget
 * (-distributor.decode-budget-mb) is handed to the gRPC handler through the same interface.
 */
class CountingBudget {
  held = 0;
  taken = 0;
  opened = 0;
  released = 0;
  /** When set, take() refuses as a spent budget does. */
  refuse = false;
  account(): BudgetAccount {
    this.opened++;
    let mine = 0;
    return {
      take: async (n) => {
        if (this.refuse) {
          throw new LimitError('the decode budget is spent: retry later', 429, 1);
        }
        mine += n;
        this.held += n;
        this.taken += n;
      },
      force: (n) => {
        mine += n;
        this.held += n;
      },
      giveBack: (n) => {
        const k = Math.min(n, mine);
        mine -= k;
        this.held -= k;
      },
      release: () => {
        this.released++;
        this.held -= mine;
        mine = 0;
      },
    };
  }
}

describe('the gRPC handler draws every call’s bytes from the budget and gives them back', () => {
  const budget = new CountingBudget();
  const stored: IngestProfile[] = [];
  const finished: Array<{ method: string; code: number }> = [];
  let onFinished: () => void = () => undefined;
  let server: http2.Http2Server;
  let h2: ClientHttp2Session;

  before(async () => {
    const limits = loadConfig(['-storage.backend=filesystem', '-storage.filesystem.dir=/nonexistent']).limits;
    const ingester = new Ingester({ write: async (_t, ps) => void stored.push(...ps) }, () => limits);
    server = http2.createServer();
    server.on(
      'request',
      grpcHandler({
        ingester,
        tenantOf: () => 'anonymous',
        maxMessageBytes: 1 << 20,
        budget,
        onDone: (method, code) => {
          finished.push({ method, code });
          onFinished();
        },
      })
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    h2 = await connect(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}`);
  });
  after(async () => {
    await close(h2);
    await new Promise((r) => server.close(r));
  });

  /** Resolves once the handler has answered (or given up on) `n` calls in all. */
  const callsDone = (n: number) =>
    new Promise<void>((resolve) => {
      const check = () => (finished.length >= n ? resolve() : undefined);
      onFinished = check;
      check();
    });

  test('a gzipped Push: the message as received and inflated is drawn, and all of it given back', async () => {
    const raw = handPprof({
      sampleTypes: [['cpu', 'nanoseconds']],
      periodType: ['cpu', 'nanoseconds'],
      period: 10_000_000,
      samples: [{ stack: ['budgeted', 'main'], values: [9] }],
      gzip: true,
    });
    const message = encodePush([{ labels: { __name__: 'process_cpu', service_name: 'budget' }, samples: [{ raw }] }]);
    const compressed = gzipSync(message);
    const answer = await call(h2, PUSH, frame(compressed, true), { 'grpc-encoding': 'gzip' });
    assert.equal(answer.status, OK, answer.message);
    await callsDone(1);
    assert.equal(stored.length, 1, 'the profile reached the sink');
    assert.ok(budget.taken >= 5 + compressed.length + message.length, `drew ${budget.taken} bytes`);
    assert.deepEqual([budget.opened, budget.released, budget.held], [1, 1, 0]);
  });

  test('a client that leaves mid-message: its bytes are given back', async () => {
    const head = Buffer.alloc(5);
    head.writeUInt32BE(1000, 1);
    const req = h2.request({ ':method': 'POST', ':path': PUSH, 'content-type': 'application/grpc' });
    req.on('error', () => undefined);
    const before = finished.length;
    // the first 505 bytes of a 1005-byte frame, then the stream is reset
    req.write(Buffer.concat([head, Buffer.alloc(500)]), () => req.close(http2.constants.NGHTTP2_CANCEL));
    await callsDone(before + 1);
    assert.deepEqual([budget.opened, budget.released, budget.held], [2, 2, 0]);
  });

  test('a spent budget refuses the call with the limit’s status; nothing is held', async () => {
    budget.refuse = true;
    try {
      const answer = await call(h2, PUSH, frame(Buffer.alloc(10)));
      assert.equal(answer.status, RESOURCE_EXHAUSTED, answer.message);
      assert.match(answer.message, /retry later/);
    } finally {
      budget.refuse = false;
    }
    await callsDone(3);
    assert.deepEqual([budget.opened, budget.released, budget.held], [3, 3, 0]);
  });
});

describe('the hardening limits apply to gRPC calls on the real server', () => {
  let be: Running;
  let h2: ClientHttp2Session;

  before(async () => {
    // a 1 MiB decode budget and a 2 s read timeout
    be = await startInProcess(['-distributor.decode-budget-mb=1', '-server.http-read-timeout=2s']);
    h2 = await connect(be.url);
  });
  after(async () => {
    await close(h2);
    await be?.stop();
  });

  test('a message that needs more than the whole decode budget is resource_exhausted, and the budget is whole again', async () => {
    const message = encodePush([
      {
        labels: { __name__: 'process_cpu', service_name: 'too-big' },
        samples: [{ raw: Buffer.alloc(2 * 1024 * 1024, 1) }],
      },
    ]);
    const answer = await call(h2, PUSH, frame(message));
    assert.equal(answer.status, RESOURCE_EXHAUSTED, answer.message);
    assert.match(answer.message, /decode budget/);
    const metrics = await (await fetch(`${be.url}/metrics`)).text();
    assert.match(metrics, /^pyroscope_decode_budget_bytes\{state="in_use"\} 0$/m);
  });

  test('a message still arriving at -server.http-read-timeout: the stream is reset, the budget is whole again', async () => {
    const head = Buffer.alloc(5);
    head.writeUInt32BE(10_000, 1);
    const rst = await new Promise<number>((resolve, reject) => {
      const req = h2.request(
        { ':method': 'POST', ':path': PUSH, 'content-type': 'application/grpc' },
        { signal: AbortSignal.timeout(60_000) }
      );
      req.on('error', (e: Error) => (e.name === 'AbortError' ? reject(new Error('no reset within 60 s')) : undefined));
      req.on('close', () => resolve(req.rstCode));
      // 105 of 10,005 bytes, and then nothing
      req.write(Buffer.concat([head, Buffer.alloc(100)]));
    });
    assert.equal(rst, http2.constants.NGHTTP2_INTERNAL_ERROR);
    // the connection still serves calls
    const ok = await call(h2, EXPORT, frame(handEncodedRequest({ timeNs: BigInt(Date.now()) * 1_000_000n })));
    assert.equal(ok.status, OK, ok.message);
    const metrics = await (await fetch(`${be.url}/metrics`)).text();
    assert.match(metrics, /^pyroscope_decode_budget_bytes\{state="in_use"\} 0$/m);
  });
});
