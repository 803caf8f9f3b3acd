// The process-wide decode budget (limits/decodeBudget.ts): takes while there is room, waits in arrival order
// while there is not, 503 with Retry-After when the wait runs out, the size error for more than the whole
// budget, and everything given back on release, including bytes granted to a request that was released while
// it waited.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DecodeBudget } from '../src/limits/decodeBudget.js';
import { LimitError } from '../src/limits/errors.js';

test('takes while there is room; a waiter is granted in arrival order as others give back', async () => {
  const b = new DecodeBudget(100, 60_000);
  const a = b.account();
  const c = b.account();
  const d = b.account();
  assert.equal(a.tryTake(70), true);
  assert.equal(c.tryTake(40), false);
  const order: string[] = [];
  const cDone = c.take(40).then(() => order.push('c'));
  // d fits the room left (30) but must not overtake c
  assert.equal(d.tryTake(20), false);
  const dDone = d.take(20).then(() => order.push('d'));
  a.release();
  await Promise.all([cDone, dDone]);
  assert.deepEqual(order, ['c', 'd']);
  assert.equal(b.inUse, 60);
  c.release();
  d.release();
  assert.equal(b.inUse, 0);
});

test('a request that cannot get its share in time gets 503 with Retry-After; the next in line then may fit', async () => {
  const b = new DecodeBudget(100, 20);
  const holder = b.account();
  await holder.take(90);
  const late = b.account();
  const small = b.account();
  const lateTake = late.take(50);
  const smallTake = small.take(5);
  await assert.rejects(
    lateTake,
    (e) =>
      e instanceof LimitError && e.status === 503 && e.retryAfterSeconds === 1 && /decode-budget-mb/.test(e.message)
  );
  await smallTake;
  assert.equal(small.bytes, 5);
  assert.equal(b.stats.unavailable, 1);
  holder.release();
  small.release();
  late.release();
  assert.equal(b.inUse, 0);
});

test('more than the whole budget is the size error at once, counted per request', async () => {
  const b = new DecodeBudget(100);
  const a = b.account();
  await a.take(60);
  await assert.rejects(a.take(41), (e) => e instanceof LimitError && e.status === 413);
  assert.throws(
    () => b.account().tryTake(101),
    (e) => e instanceof LimitError && e.status === 413
  );
  a.release();
  assert.equal(b.inUse, 0);
});

test('bytes granted to a request released while it waited go straight back', async () => {
  const b = new DecodeBudget(100, 60_000);
  const holder = b.account();
  await holder.take(100);
  const gone = b.account();
  const waiting = gone.take(50);
  gone.release();
  holder.release();
  await waiting;
  assert.equal(b.inUse, 0);
});

test('force counts bytes that already exist, over the capacity; no budget counts nothing', () => {
  const b = new DecodeBudget(10);
  const a = b.account();
  a.force(25);
  assert.equal(b.inUse, 25);
  a.giveBack(5);
  assert.equal(a.bytes, 20);
  a.release();
  assert.equal(b.inUse, 0);
  const none = new DecodeBudget(0).account();
  assert.equal(none.tryTake(1 << 30), true);
  none.force(5);
  assert.equal(none.bytes, 0);
});
