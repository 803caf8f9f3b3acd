// A Node.js service (frontend or payment) profiled by the real @pyroscope/nodejs SDK: the SDK samples this
// process's wall time and heap and uploads them to /ingest itself. The work is real (rendering, JSON, hashing),
// in short bursts, so the worker stays light on a shared machine.
import { createHash, randomUUID } from 'node:crypto';
import Pyroscope from '@pyroscope/nodejs';

const app = process.env.DEMO_APP ?? 'frontend';
const tags = JSON.parse(process.env.DEMO_TAGS ?? '{}') as Record<string, string>;
Pyroscope.init({
  serverAddress: process.env.PYROSCOPE_URL ?? 'http://127.0.0.1:4040',
  appName: app,
  tags,
  flushIntervalMs: Number(process.env.DEMO_INTERVAL_MS ?? 15_000),
  heap: { samplingIntervalBytes: 32 * 1024 },
});
Pyroscope.start();

interface Product {
  id: string;
  name: string;
  priceUsd: number;
  categories: string[];
}

// Retained state, so the heap profile has live objects to report.
const catalog: Product[] = Array.from({ length: 400 }, (_, i) => ({
  id: `OLJCESPC7Z${i}`,
  name: `Telescope ${i}`,
  priceUsd: 100 + (i % 50) * 7.5,
  categories: ['telescopes', i % 2 ? 'travel' : 'assembly'],
}));
const sessionCache = new Map<string, string>();

function fetchProductCatalog(): Product[] {
  return JSON.parse(JSON.stringify(catalog)) as Product[];
}

function formatCurrency(usd: number, currency: string): string {
  return new Intl.NumberFormat('en-US', { style: 'currency', currency }).format(usd);
}

function renderProductPage(products: Product[]): string {
  let html = '<main>';
  for (const p of products.slice(0, 60)) {
    html += `<article id="${p.id}"><h2>${p.name}</h2><span>${formatCurrency(p.priceUsd, 'EUR')}</span></article>`;
  }
  return `${html}</main>`;
}

function handleRequest(): void {
  const page = renderProductPage(fetchProductCatalog());
  const id = randomUUID();
  sessionCache.set(id, page.slice(0, 2048));
  if (sessionCache.size > 500) {
    sessionCache.delete(sessionCache.keys().next().value as string);
  }
}

function luhnCheck(card: string): boolean {
  let sum = 0;
  for (let i = 0; i < card.length; i++) {
    let d = card.charCodeAt(card.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) {
        d -= 9;
      }
    }
    sum += d;
  }
  return sum % 10 === 0;
}

function tokenizeCard(card: string): string {
  let h = card;
  for (let i = 0; i < 200; i++) {
    h = createHash('sha256').update(h).digest('hex');
  }
  return h;
}

function charge(): void {
  const card = '4432801561520454';
  if (!luhnCheck(card)) {
    throw new Error('invalid card');
  }
  const token = tokenizeCard(card + randomUUID());
  sessionCache.set(token, JSON.stringify({ amount: { currencyCode: 'USD', units: 42 }, token }));
  if (sessionCache.size > 2000) {
    sessionCache.delete(sessionCache.keys().next().value as string);
  }
}

// About 20 ms of work every 250 ms.
const timer = setInterval(() => {
  const until = performance.now() + 20;
  while (performance.now() < until) {
    if (app === 'payment') {
      charge();
    } else {
      handleRequest();
    }
  }
}, 250);

async function shutdown(): Promise<void> {
  clearInterval(timer);
  // Uploads what was profiled since the last flush.
  await Promise.race([Pyroscope.stop(), new Promise((r) => setTimeout(r, 3000))]);
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => void shutdown());
