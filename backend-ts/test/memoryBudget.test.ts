// -querier.cache-memory-budget-mb: the query caches together never hold more than the budget, whatever the
// queries read, and a query answered under a tiny budget (caches evicting all along) equals one answered with
// room to spare.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ProfileGenerator } from '../scripts/lib/profileGenerator.js';
import { FilesystemStore } from '../src/storage/filesystem.js';
import { hourOf, segmentKey } from '../src/storage/keys.js';
import { SegmentBuilder } from '../src/storage/format/builder.js';
import { connectJson, startInProcess, type Running } from './helpers.js';

const CPU = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';
const MIB = 1024 * 1024;
const PROFILES = 120;
const STEP_MS = 60_000;
/** The time of day the profiles' content is drawn at (see before). */
const CONTENT_DAY = Date.UTC(2026, 0, 5, 10, 0, 0);
/** Compaction off: whether the data's hours are settled (and merged) during the run depends on the clock. */
const NO_COMPACTION = '-compactor.compaction-interval=0';

let dir: string;
let start: number;
let end: number;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bts-budget-'));
  const store = new FilesystemStore(dir);
  await store.init();
  // one object per profile, as the ingest path writes them at low rate: ~130 KB each, 15 MB in all
  const gen = new ProfileGenerator({ seed: 7 });
  end = Date.now() - 60_000;
  start = end - PROFILES * STEP_MS;
  for (let i = 0; i < PROFILES; i++) {
    const t = start + i * STEP_MS;
    const b = new SegmentBuilder('anonymous');
    // The generator's samples follow a daily curve (fewer, and other, stacks at night). Drawn at the time they
    // are stored, the distinct call paths, and so what the roomy budget holds, depended on the hour the test ran:
    // 1.8 MiB at 04:00 UTC against more than 2 MiB by day. Drawn at a fixed time of day, the data is the same at
    // any hour; only its timestamps follow the clock, as the query range does.
    const p = gen.ingestProfile(CONTENT_DAY + i * STEP_MS);
    b.add({ ...p, timeMs: t, profile: { ...p.profile, timeMs: t } });
    await store.put(segmentKey('', 'anonymous', hourOf(t), b.minTime, b.maxTime, t + 1), b.encode(t + 1), {
      ifAbsent: true,
    });
  }
});

async function answers(be: Running): Promise<string> {
  const q = { profileTypeID: CPU, labelSelector: '{service_name="checkout"}', start, end: end + STEP_MS };
  const fg = await connectJson(be.url, 'SelectMergeStacktraces', { ...q, maxNodes: 4096 });
  assert.equal(fg.status, 200, JSON.stringify(fg.json));
  const series = await connectJson(be.url, 'SelectSeries', { ...q, step: 60, groupBy: [] });
  assert.equal(series.status, 200, JSON.stringify(series.json));
  return JSON.stringify([fg.json, series.json]);
}

async function cacheBytes(be: Running): Promise<Map<string, number>> {
  const text = await (await fetch(`${be.url}/metrics`)).text();
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^pyroscope_query_cache_bytes\{cache="([a-z_]+)"\} (\S+)$/gm)) {
    out.set(m[1], Number(m[2]));
  }
  return out;
}

let small: Running;
let large: Running;
after(async () => {
  await small?.stop();
  await large?.stop();
});

test('a 2 MiB budget holds after 15 MB of objects were read, and the answers equal those of a 512 MiB budget', async () => {
  small = await startInProcess(['-querier.cache-memory-budget-mb=2', NO_COMPACTION], dir);
  large = await startInProcess([NO_COMPACTION], dir);
  const want = await answers(large);
  for (let round = 0; round < 3; round++) {
    assert.equal(await answers(small), want, `round ${round}`);
    const held = await cacheBytes(small);
    const total = [...held.values()].reduce((a, b) => a + b, 0);
    console.log(`# round ${round}: ${[...held].map(([k, v]) => `${k}=${(v / 1024).toFixed(0)}KiB`).join(' ')}`);
    assert.ok(held.size >= 4, `every cache reported: ${[...held.keys()].join(', ')}`);
    assert.ok(total > 0, 'the caches are in use');
    assert.ok(total <= 2 * MIB, `caches hold ${total} bytes, above the 2 MiB budget`);
  }
  // with room to spare the same queries keep far more: the small budget did bound something
  const roomyHeld = await cacheBytes(large);
  const roomy = [...roomyHeld.values()].reduce((a, b) => a + b, 0);
  console.log(`# 512 MiB budget: ${[...roomyHeld].map(([k, v]) => `${k}=${(v / 1024).toFixed(0)}KiB`).join(' ')}`);
  assert.ok(roomy > 2 * MIB, `the 512 MiB budget holds ${roomy} bytes`);
});
