/**
 * @jest-environment node
 */
import { ChildProcess, spawn } from 'node:child_process';
import { IncomingMessage, Server, ServerResponse, createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';

// The harness server's HTTP contract: data-source proxy to a Pyroscope URL, grafana-llm-app routes answered
// from an OpenAI-compatible server (or "not installed"), the built plugin's files, the page for app routes.
const ROOT = resolve(__dirname, '..', '..');

interface Seen {
  method?: string;
  url?: string;
  body: string;
  headers: IncomingMessage['headers'];
}

function listen(handler: (req: IncomingMessage, res: ServerResponse, body: string) => void): Promise<Server> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => handler(req, res, body));
  });
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r(server)));
}

const port = (s: Server) => (s.address() as AddressInfo).port;

async function startHarness(args: string[]): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [join(ROOT, 'tests/harness/server.mjs'), '--port', '0', ...args], {
    cwd: ROOT,
    env: { ...process.env, LLM_URL: '', LLM_API_KEY: 'sk-test' },
  });
  const url = await new Promise<string>((res, rej) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = out.match(/harness: (http:\/\/127\.0\.0\.1:\d+)\//);
      if (m) {
        res(m[1]);
      }
    });
    child.stderr!.on('data', (d) => (out += d));
    child.on('exit', (code) => rej(new Error(`harness exited ${code}: ${out}`)));
  });
  return { url, child };
}

describe('harness server', () => {
  let backend: Server;
  let llm: Server;
  let withLlm: { url: string; child: ChildProcess };
  let withoutLlm: { url: string; child: ChildProcess };
  let withLlmV1: { url: string; child: ChildProcess };
  let withDeadLlm: { url: string; child: ChildProcess };
  let deadPort: number;
  const seen: Seen[] = [];
  const llmSeen: Seen[] = [];

  beforeAll(async () => {
    backend = await listen((req, res, body) => {
      seen.push({ method: req.method, url: req.url, body, headers: req.headers });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ names: ['eu', 'us'] }));
    });
    llm = await listen((req, res, body) => {
      llmSeen.push({ method: req.method, url: req.url, body, headers: req.headers });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ choices: [{ message: { role: 'assistant', content: 'hello from the stub' } }] }));
    });
    withLlm = await startHarness([
      '--backend',
      `http://127.0.0.1:${port(backend)}`,
      '--llm',
      `http://127.0.0.1:${port(llm)}`,
    ]);
    withoutLlm = await startHarness(['--backend', `http://127.0.0.1:${port(backend)}`]);
    // LLM_URL given as the API root with its /v1, as OpenAI documents it.
    withLlmV1 = await startHarness([
      '--backend',
      `http://127.0.0.1:${port(backend)}`,
      '--llm',
      `http://127.0.0.1:${port(llm)}/v1/`,
    ]);
    // A port nothing listens on: a server opened and closed again.
    const closed = await listen(() => undefined);
    deadPort = port(closed);
    await new Promise((r) => closed.close(r));
    withDeadLlm = await startHarness([
      '--backend',
      `http://127.0.0.1:${port(backend)}`,
      '--llm',
      `http://127.0.0.1:${deadPort}`,
    ]);
  }, 120_000);

  afterAll(() => {
    withLlm?.child.kill();
    withoutLlm?.child.kill();
    withLlmV1?.child.kill();
    withDeadLlm?.child.kill();
    backend?.close();
    llm?.close();
  });

  it('proxies the Pyroscope data source (uid pyroscope) with path, query and body', async () => {
    const r = await fetch(
      `${withLlm.url}/api/datasources/proxy/uid/pyroscope/querier.v1.QuerierService/LabelValues?x=1`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'region' }),
      }
    );
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ names: ['eu', 'us'] });
    const last = seen[seen.length - 1];
    expect(last).toMatchObject({
      method: 'POST',
      url: '/querier.v1.QuerierService/LabelValues?x=1',
      body: '{"name":"region"}',
    });
  });

  it('answers 404 for other data sources', async () => {
    expect((await fetch(`${withLlm.url}/api/datasources/proxy/uid/other/x`)).status).toBe(404);
  });

  it('reports grafana-llm-app as enabled and healthy when an LLM URL is given, and forwards chat completions', async () => {
    expect(await (await fetch(`${withLlm.url}/api/plugins/grafana-llm-app/settings`)).json()).toMatchObject({
      enabled: true,
    });
    const health = await (await fetch(`${withLlm.url}/api/plugins/grafana-llm-app/health`)).json();
    expect(health.details.llmProvider.ok).toBe(true);
    const r = await fetch(`${withLlm.url}/api/plugins/grafana-llm-app/resources/llm/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect((await r.json()).choices[0].message.content).toBe('hello from the stub');
    const last = llmSeen[llmSeen.length - 1];
    expect(last.url).toBe('/v1/chat/completions');
    expect(last.headers.authorization).toBe('Bearer sk-test');
  });

  it('does not double /v1 when LLM_URL already ends with it', async () => {
    const before = llmSeen.length;
    const r = await fetch(`${withLlmV1.url}/api/plugins/grafana-llm-app/resources/llm/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect((await r.json()).choices[0].message.content).toBe('hello from the stub');
    expect(llmSeen.slice(before).map((s) => s.url)).toEqual(['/v1/chat/completions']);
  });

  it('health asks the LLM target whether it is reachable', async () => {
    const before = llmSeen.length;
    const health = await (await fetch(`${withLlm.url}/api/plugins/grafana-llm-app/health`)).json();
    expect(health.details.llmProvider).toMatchObject({ configured: true, ok: true });
    expect(llmSeen.slice(before).map((s) => `${s.method} ${s.url}`)).toEqual(['GET /v1/models']);
    expect(llmSeen[llmSeen.length - 1].headers.authorization).toBe('Bearer sk-test');
  });

  it('health reports an unreachable LLM target as not ok, with the reason', async () => {
    const r = await fetch(`${withDeadLlm.url}/api/plugins/grafana-llm-app/health`);
    expect(r.status).toBe(200);
    const health = await r.json();
    expect(health.status).not.toBe('OK');
    expect(health.details.llmProvider.ok).toBe(false);
    expect(health.details.llmProvider.error).toContain(`127.0.0.1:${deadPort}/v1 is unreachable`);
    // The app still reads as installed and enabled: Explain says why it is unavailable.
    expect(await (await fetch(`${withDeadLlm.url}/api/plugins/grafana-llm-app/settings`)).json()).toMatchObject({
      enabled: true,
    });
  });

  it('reports grafana-llm-app as not installed without an LLM URL', async () => {
    expect((await fetch(`${withoutLlm.url}/api/plugins/grafana-llm-app/settings`)).status).toBe(404);
    expect((await fetch(`${withoutLlm.url}/api/plugins/grafana-llm-app/health`)).status).toBe(404);
  });

  it('serves the page for app routes and redirects the root to the explore page', async () => {
    const root = await fetch(`${withLlm.url}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/a/grafana-pyroscope-app/explore');
    const page = await (await fetch(`${withLlm.url}/a/grafana-pyroscope-app/explore?explorationType=all`)).text();
    expect(page).toContain('window.grafanaBootData');
    expect(page).toContain('"uid":"pyroscope"');
    expect((await fetch(`${withLlm.url}/public/plugins/grafana-pyroscope-app/..%2f..%2fpackage.json`)).status).toBe(
      404
    );
  });
});
