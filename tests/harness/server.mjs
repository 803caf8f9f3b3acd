#!/usr/bin/env node
// Grafana host harness: serves the BUILT plugin (dist/) to a page that loads it the way Grafana does
// (AMD define, externals from the real packages), and stands in for the few Grafana HTTP routes the app uses.
//
//   node tests/harness/server.mjs --port 3000 --backend http://127.0.0.1:4040 [--llm http://127.0.0.1:5005] [--llm-disabled]
//
// Env equivalents: HARNESS_PORT, PYROSCOPE_URL, LLM_URL (+ LLM_API_KEY; the OpenAI-compatible root, with or
// without /v1). Without an LLM URL the grafana-llm-app routes answer 404 "not installed", as Grafana does when
// that app is absent.
import { createServer, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createReadStream, existsSync, statSync, readFileSync } from 'node:fs';
import { join, extname, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Readable } from 'node:stream';
import { buildHost } from './build-host.mjs';
import { callResource, checkHealth, queryData } from './pyroscope-datasource.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PLUGIN_ID = 'grafana-pyroscope-app';
const DATASOURCE_UID = 'pyroscope';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.HARNESS_PORT || '3000' },
    host: { type: 'string', default: '127.0.0.1' },
    backend: { type: 'string', default: process.env.PYROSCOPE_URL || 'http://127.0.0.1:4040' },
    llm: { type: 'string', default: process.env.LLM_URL || '' },
    // The LLM app installed but disabled: its settings say `enabled: false`, as Grafana answers then.
    'llm-disabled': { type: 'boolean', default: process.env.LLM_DISABLED === '1' },
    dist: { type: 'string', default: join(ROOT, 'dist') },
  },
});

const TYPES = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.html': 'text/html; charset=utf-8',
  '.md': 'text/markdown',
  '.woff2': 'font/woff2',
};
const ICONS = join(ROOT, 'node_modules/@grafana/ui/dist/public/img/icons');
// Grafana serves the unicons set from its own build; it is not on npm. A neutral glyph keeps the UI readable.
const PLACEHOLDER_ICON =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><circle cx="12" cy="12" r="4" fill="currentColor"/></svg>';

function sendFile(res, file) {
  if (!existsSync(file) || !statSync(file).isFile()) {
    return send(res, 404, 'not found', 'text/plain');
  }
  res.writeHead(200, {
    'content-type': TYPES[extname(file)] || 'application/octet-stream',
    'cache-control': 'no-cache',
  });
  createReadStream(file).pipe(res);
}

function send(res, status, body, type = 'application/json') {
  res.writeHead(status, { 'content-type': type });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

function safeJoin(base, rel) {
  const p = normalize(join(base, decodeURIComponent(rel)));
  return p.startsWith(base) ? p : join(base, '__outside__');
}

function proxy(req, res, target) {
  const url = new URL(target);
  const doRequest = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const headers = { ...req.headers, host: url.host };
  delete headers.cookie;
  const up = doRequest(url, { method: req.method, headers }, (r) => {
    res.writeHead(r.statusCode || 502, r.headers);
    r.pipe(res);
  });
  up.on('error', (e) => send(res, 502, { message: `data source proxy: ${e.message}` }));
  req.pipe(up);
}

function readBody(req) {
  return new Promise((resolve) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
  });
}

// The OpenAI-compatible API root: LLM_URL may be given with or without its `/v1` (both are common).
function llmBase() {
  const base = args.llm.replace(/\/+$/, '');
  return /\/v1$/.test(base) ? base : `${base}/v1`;
}

function llmHeaders() {
  const headers = { 'content-type': 'application/json' };
  if (process.env.LLM_API_KEY) {
    headers.authorization = `Bearer ${process.env.LLM_API_KEY}`;
  }
  return headers;
}

// What the health route says about the provider: whether the forward target answers at all (GET /models, as
// OpenAI-compatible servers list their models there), and whether it accepts the key. Any other answer, a 404
// from a server without /models included, still means it is reachable.
async function probeLlm() {
  try {
    const r = await fetch(`${llmBase()}/models`, { headers: llmHeaders(), signal: AbortSignal.timeout(3000) });
    if (r.status === 401 || r.status === 403) {
      return { ok: false, error: `${llmBase()} refused the API key (${r.status})` };
    }
    if (r.status >= 500) {
      return { ok: false, error: `${llmBase()} answered ${r.status}` };
    }
    return { ok: true };
  } catch (e) {
    return { ok: false, error: `${llmBase()} is unreachable: ${e.cause?.message ?? e.message}` };
  }
}

async function llmRoute(req, res, path) {
  if (args['llm-disabled']) {
    return path === 'settings'
      ? send(res, 200, { id: 'grafana-llm-app', enabled: false, jsonData: {} })
      : send(res, 404, { message: 'Plugin not enabled' });
  }
  if (!args.llm) {
    return send(res, 404, { message: 'Plugin not found, no installed plugin with that id' });
  }
  if (path === 'settings') {
    return send(res, 200, { id: 'grafana-llm-app', enabled: true, jsonData: {} });
  }
  if (path === 'health') {
    const provider = await probeLlm();
    return send(res, 200, {
      status: provider.ok ? 'OK' : 'Error',
      details: {
        llmProvider: {
          configured: true,
          ...provider,
          models: { base: { ok: provider.ok }, large: { ok: provider.ok } },
        },
        version: '1.0.0',
      },
    });
  }
  const m = path.match(/^resources\/llm\/v1\/(.*)$/);
  if (m) {
    const body = await readBody(req);
    try {
      const r = await fetch(`${llmBase()}/${m[1]}`, {
        method: req.method,
        headers: llmHeaders(),
        body: body.length ? body : undefined,
      });
      // Streamed through as it arrives: chat completions with `stream: true` are server-sent events.
      res.writeHead(r.status, { 'content-type': r.headers.get('content-type') || 'application/json' });
      if (!r.body) {
        return res.end();
      }
      return Readable.fromWeb(r.body).pipe(res);
    } catch (e) {
      return send(res, 502, { message: `llm: ${e.message}` });
    }
  }
  return send(res, 404, { message: 'not found' });
}

// The one data source of this Grafana: what the page's boot data lists and what `/api/ds/query` queries.
const DATASOURCE = {
  uid: DATASOURCE_UID,
  name: 'Pyroscope',
  type: 'grafana-pyroscope-datasource',
  jsonData: {},
};

async function dsQuery(req, res) {
  let body;
  try {
    body = JSON.parse((await readBody(req)).toString('utf8') || '{}');
  } catch {
    return send(res, 400, { message: 'bad request data' });
  }
  const answer = await queryData(body, { [DATASOURCE_UID]: { ...DATASOURCE, url: args.backend } });
  return send(res, answer.status, answer.body);
}

function indexHtml() {
  const bootData = {
    settings: {
      appSubUrl: '',
      appUrl: `http://${args.host}:${args.port}/`,
      defaultDatasource: 'Pyroscope',
      datasources: {
        [DATASOURCE.name]: {
          id: 1,
          uid: DATASOURCE.uid,
          name: DATASOURCE.name,
          type: DATASOURCE.type,
          access: 'proxy',
          url: `/api/datasources/proxy/uid/${DATASOURCE_UID}`,
          isDefault: true,
          jsonData: DATASOURCE.jsonData,
          readOnly: true,
          meta: {
            id: 'grafana-pyroscope-datasource',
            type: 'datasource',
            name: 'Grafana Pyroscope',
            metrics: true,
            module: 'core:plugin/grafana-pyroscope-datasource',
            info: { logos: { small: '', large: '' } },
          },
        },
      },
      apps: {
        [PLUGIN_ID]: { id: PLUGIN_ID, path: `/public/plugins/${PLUGIN_ID}/module.js`, preload: false },
        // Grafana lists every installed app here, enabled or not; an absent app is not installed.
        ...(args.llm || args['llm-disabled']
          ? {
              'grafana-llm-app': {
                id: 'grafana-llm-app',
                path: '/public/plugins/grafana-llm-app/module.js',
                preload: false,
              },
            }
          : {}),
      },
      buildInfo: { version: '12.4.10', edition: 'Open Source', commit: 'harness', env: 'production' },
      featureToggles: {},
      panels: {},
      liveEnabled: true,
    },
    user: {
      id: 1,
      login: 'admin',
      name: 'admin',
      orgId: 1,
      orgName: 'Main Org.',
      orgRole: 'Admin',
      isSignedIn: true,
      theme: 'dark',
      language: 'en-US',
      timezone: 'browser',
      weekStart: 'browser',
    },
    navTree: [],
  };
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><base href="/"><title>Profiles Drilldown (Grafana host harness)</title>
${testClockScript()}<script>window.grafanaBootData = ${JSON.stringify(bootData)}; window.__grafana_public_path__ = '/public/';</script>
<link rel="stylesheet" href="/harness/host.css">
</head><body><div id="reactRoot"></div><script type="module" src="/harness/host.js"></script></body></html>`;
}

/**
 * Under a test clock offset (scripts/test-clock.mjs, loaded into this process by the test scripts) the page's
 * clock moves with the backend's, so "the last 30 minutes" in the browser means the same minutes as on the server.
 */
function testClockScript() {
  const offset = Number(process.env.TEST_CLOCK_OFFSET_MS || 0);
  if (!offset) {
    return '';
  }
  return `<script>(() => { const R = Date, off = ${offset}, now = () => R.now() + off;
window.Date = new Proxy(R, { construct: (t, a, n) => Reflect.construct(t, a.length ? a : [now()], n),
  apply: () => new R(now()).toString(), get: (t, p, r) => (p === 'now' ? now : Reflect.get(t, p, r)) }); })();</script>
`;
}

const hostBuild = await buildHost();

const server = createServer(async (req, res) => {
  const url = new URL(req.url || '/', 'http://harness');
  const p = url.pathname;
  try {
    if (p.startsWith(`/api/datasources/proxy/uid/${DATASOURCE_UID}/`)) {
      const rest = p.slice(`/api/datasources/proxy/uid/${DATASOURCE_UID}`.length);
      return proxy(req, res, `${args.backend.replace(/\/$/, '')}${rest}${url.search}`);
    }
    if (p === '/api/ds/query' && req.method === 'POST') {
      return await dsQuery(req, res);
    }
    const dsApi = p.match(/^\/api\/datasources\/uid\/([^/]+)\/(health|resources\/(.+))$/);
    if (dsApi && req.method === 'GET') {
      if (dsApi[1] !== DATASOURCE_UID) {
        return send(res, 404, { message: 'Data source not found' });
      }
      const settings = { ...DATASOURCE, url: args.backend };
      const answer =
        dsApi[2] === 'health' ? await checkHealth(settings) : await callResource(dsApi[3], url.searchParams, settings);
      return send(res, answer.status, answer.body);
    }
    if (p.startsWith('/api/datasources/proxy/')) {
      return send(res, 404, { message: 'Data source not found' });
    }
    const llm = p.match(/^\/api\/plugins\/grafana-llm-app\/(.*)$/);
    if (llm) {
      return llmRoute(req, res, llm[1]);
    }
    if (p === `/api/plugins/${PLUGIN_ID}/settings`) {
      const meta = JSON.parse(readFileSync(join(args.dist, 'plugin.json'), 'utf8'));
      return send(res, 200, {
        ...meta,
        enabled: true,
        pinned: true,
        jsonData: {},
        baseUrl: `public/plugins/${PLUGIN_ID}`,
        module: `public/plugins/${PLUGIN_ID}/module`,
      });
    }
    if (p.startsWith('/api/')) {
      // Telemetry and other routes Grafana answers that the app does not depend on.
      return send(res, p.startsWith('/api/frontend') || p.startsWith('/api/user') ? 200 : 404, {});
    }
    if (p.startsWith(`/public/plugins/${PLUGIN_ID}/`)) {
      return sendFile(res, safeJoin(args.dist, p.slice(`/public/plugins/${PLUGIN_ID}/`.length)));
    }
    if (p.startsWith('/public/build/img/icons/')) {
      const file = safeJoin(ICONS, p.slice('/public/build/img/icons/'.length));
      if (existsSync(file)) {
        return sendFile(res, file);
      }
      return send(res, 200, PLACEHOLDER_ICON, 'image/svg+xml');
    }
    if (p.startsWith('/harness/')) {
      return sendFile(res, safeJoin(hostBuild.dir, p.slice('/harness/'.length)));
    }
    if (p.startsWith('/public/fonts/')) {
      // Grafana's Inter font ships with Grafana, not on npm: the browser falls back to a system font.
      return send(res, 204, '', 'font/woff2');
    }
    if (p.startsWith('/public/')) {
      return send(res, 404, 'not found', 'text/plain');
    }
    if (p === '/favicon.ico') {
      return send(res, 204, '', 'image/x-icon');
    }
    if (p === '/' || p === '/a' || p === `/a/${PLUGIN_ID}`) {
      res.writeHead(302, { location: `/a/${PLUGIN_ID}/explore` });
      return res.end();
    }
    return send(res, 200, indexHtml(), 'text/html; charset=utf-8');
  } catch (e) {
    return send(res, 500, { message: String(e) });
  }
});

server.listen(Number(args.port), args.host, () => {
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : args.port;
  console.log(
    `harness: http://${args.host}:${port}/a/${PLUGIN_ID}/explore  (plugin ${args.dist}, pyroscope ${args.backend}, llm ${args['llm-disabled'] ? 'disabled' : args.llm || 'not installed'})`
  );
});

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => server.close(() => process.exit(0)));
}
