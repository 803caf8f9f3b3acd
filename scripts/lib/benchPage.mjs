// The flame graph bench page (tests/bench/flameGraphBench.tsx) bundled and served on 127.0.0.1, shared by
// `npm run bench:ui` (minified, as shipped) and `npm run profile:ui` (names kept, for a readable trace).
import { build } from 'esbuild';
import { createServer } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Bundles the bench page into `out` and serves it; resolves to the server and its URL. */
export async function serveBenchPage(out, { readable = false } = {}) {
  await build({
    entryPoints: { bench: join(ROOT, 'tests/bench/flameGraphBench.tsx') },
    bundle: true,
    minify: !readable,
    keepNames: readable,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    outdir: out,
    define: { 'process.env.NODE_ENV': '"production"', global: 'window' },
    loader: {
      '.svg': 'dataurl',
      '.png': 'dataurl',
      '.woff': 'empty',
      '.woff2': 'empty',
      '.ttf': 'empty',
      '.eot': 'empty',
    },
    logLevel: 'error',
  });
  const html = `<!doctype html><html><head><meta charset="utf-8"><link rel="stylesheet" href="/bench.css"></head>
<body style="margin:0;background:#111"><div id="bench" style="width:1200px"></div><script src="/bench.js"></script></body></html>`;
  const server = createServer((req, res) => {
    const file = { '/bench.js': 'bench.js', '/bench.css': 'bench.css' }[req.url ?? ''];
    if (file && existsSync(join(out, file))) {
      res.writeHead(200, { 'content-type': file.endsWith('.js') ? 'text/javascript' : 'text/css' });
      return res.end(readFileSync(join(out, file)));
    }
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(html);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${server.address().port}/` };
}
