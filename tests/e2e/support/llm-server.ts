import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

// A test LLM: OpenAI-compatible chat completions, streamed as server-sent events in several delayed chunks,
// so that a test can see the answer grow before it ends. It records every request it gets.
export interface ChatRequest {
  model?: string;
  stream?: boolean;
  messages: Array<{ role: string; content: string }>;
}

export interface TestLlm {
  url: string;
  requests: ChatRequest[];
  /** From now on each chunk of an answer waits for a releaseChunk() (a test's proof the previous one is shown). */
  holdChunks: () => void;
  releaseChunk: () => void;
  /** Back to sending chunks on their own delay; chunks waiting for a release go at once. */
  releaseAll: () => void;
  stop: () => Promise<void>;
}

/** Permits for held chunks: with a loaded browser, a fixed delay between chunks can be shorter than a render. */
class ChunkGate {
  private held = false;
  private permits = 0;
  private waiting: Array<() => void> = [];

  hold() {
    this.held = true;
    this.permits = 0;
  }

  release() {
    const next = this.waiting.shift();
    if (next) {
      next();
    } else {
      this.permits++;
    }
  }

  releaseAll() {
    this.held = false;
    for (const w of this.waiting.splice(0)) {
      w();
    }
  }

  pass(): Promise<void> {
    if (!this.held) {
      return new Promise((r) => setTimeout(r, CHUNK_DELAY_MS));
    }
    if (this.permits > 0) {
      this.permits--;
      return Promise.resolve();
    }
    return new Promise((r) => this.waiting.push(r));
  }
}

export const CHUNK_DELAY_MS = 350;
export const FINAL_SENTENCE = 'That is the whole answer.';

/** The chunks of an answer: the first answer names the function the prompt lists first; a follow-up echoes it. */
export function answerChunks(req: ChatRequest): string[] {
  const users = req.messages.filter((m) => m.role === 'user');
  if (users.length > 1) {
    const q = users[users.length - 1].content;
    return ['Follow-up: ', `you asked "${q}". `, 'The numbers above still hold. ', FINAL_SENTENCE];
  }
  const first = users[0]?.content.match(/^- ([^:\n]+):/m)?.[1] ?? 'nothing';
  return [
    '**Summary.** ',
    `The first function in the data is \`${first}\`. `,
    'It dominates the profile. ',
    'Look at it first. ',
    FINAL_SENTENCE,
  ];
}

function chunk(content: string | undefined, finish: string | null) {
  return {
    id: 'chatcmpl-test',
    object: 'chat.completion.chunk',
    created: Math.floor(Date.now() / 1000),
    model: 'test-model',
    choices: [{ index: 0, delta: content === undefined ? {} : { content }, finish_reason: finish }],
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, requests: ChatRequest[], gate: ChunkGate) {
  if (req.method !== 'POST' || !req.url?.endsWith('/v1/chat/completions')) {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: 'not found' } }));
    return;
  }
  const body: Buffer[] = [];
  for await (const c of req) {
    body.push(c as Buffer);
  }
  const request = JSON.parse(Buffer.concat(body).toString('utf8')) as ChatRequest;
  requests.push(request);
  const parts = answerChunks(request);
  if (!request.stream) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        id: 'chatcmpl-test',
        object: 'chat.completion',
        choices: [{ index: 0, message: { role: 'assistant', content: parts.join('') }, finish_reason: 'stop' }],
      })
    );
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  res.write(
    `data: ${JSON.stringify({ ...chunk(undefined, null), choices: [{ index: 0, delta: { role: 'assistant' }, finish_reason: null }] })}\n\n`
  );
  for (const p of parts) {
    await gate.pass();
    if (res.destroyed) {
      return;
    }
    res.write(`data: ${JSON.stringify(chunk(p, null))}\n\n`);
  }
  res.write(`data: ${JSON.stringify(chunk(undefined, 'stop'))}\n\n`);
  res.write('data: [DONE]\n\n');
  res.end();
}

export function startTestLlm(): Promise<TestLlm> {
  const requests: ChatRequest[] = [];
  const gate = new ChunkGate();
  const server: Server = createServer((req, res) => {
    handle(req, res, requests, gate).catch((e) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: String(e) } }));
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        requests,
        holdChunks: () => gate.hold(),
        releaseChunk: () => gate.release(),
        releaseAll: () => gate.releaseAll(),
        stop: () => new Promise<void>((r) => server.close(() => r())),
      });
    });
  });
}
