// A counting HTTP proxy to Azurite on its own thread (bench-recent): each replica reaches the store through one,
// so its Azure requests and bytes are exact, and the bench's own work (pushing, sampling) never holds up a
// replica's store round trips. Counts go into a shared Float64Array: requests, reads, writes, lists, bytes in,
// then the reads by what they read: level-0 segments, blocks, index documents; then the milliseconds listings
// and reads were in flight (summed over requests) and when the last answer ended (ms since the epoch), so a
// query's wall time splits into waiting for the store and what came after its last answer.
import { createServer, request } from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';

const { target, counts: shared } = workerData;
const counts = new Float64Array(shared);
const server = createServer((req, res) => {
  counts[0]++;
  const began = performance.now();
  const isList = /[?&]comp=list/.test(req.url ?? '');
  const isRead = !isList && (req.method === 'GET' || req.method === 'HEAD');
  res.on('finish', () => {
    const took = performance.now() - began;
    if (isList) {
      counts[8] += took;
    } else if (isRead) {
      counts[9] += took;
    }
    counts[10] = Date.now();
  });
  if (isList) {
    counts[3]++;
  } else if (req.method === 'GET' || req.method === 'HEAD') {
    counts[1]++;
    const path = req.url ?? '';
    if (path.includes('/l0/')) {
      counts[5]++;
    } else if (path.includes('/blocks/')) {
      counts[6]++;
    } else if (path.includes('/index/')) {
      counts[7]++;
    }
  } else {
    counts[2]++;
  }
  const up = request(
    { host: '127.0.0.1', port: target, method: req.method, path: req.url, headers: req.headers },
    (ur) => {
      res.writeHead(ur.statusCode ?? 502, ur.headers);
      ur.on('data', (d) => (counts[4] += d.length));
      ur.pipe(res);
    }
  );
  up.on('error', () => res.destroy());
  // a client that gave up (the SDK's timeout, then its retry on a new connection) must not leave the upstream
  // request waiting on a stalled Azurite: over a long stall those piled up until the process ran out of files
  res.on('close', () => {
    if (!res.writableFinished) {
      up.destroy();
    }
  });
  req.pipe(up);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.address().port));
parentPort.on('message', (m) => {
  if (m === 'close') {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  }
});
