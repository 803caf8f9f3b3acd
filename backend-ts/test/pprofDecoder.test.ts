// PprofDecoder: worker threads decode what the main thread would, and bad input fails the same way.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { Function as PFunction, Line, Location, Profile, Sample, StringTable, ValueType } from 'pprof-format';
import { FormatError } from '../src/formats/formatError.js';
import { parsePprof } from '../src/formats/pprof.js';
import { PprofDecoder, WORKER_MIN_BYTES } from '../src/formats/pprofDecoder.js';
import { readText } from '../src/formats/textFormats.js';
import { HAVE_FIXTURES, NO_FIXTURES, pprofFixtureFiles } from './helpers.js';

/** A CPU profile of `stacks` distinct stacks over `fns` functions, large enough for the worker path. */
function bigPprof(fns: number, stacks: number): Buffer {
  const st = new StringTable();
  const functions = Array.from(
    { length: fns },
    (_, i) => new PFunction({ id: i + 1, name: st.dedup(`pkg.fn${i}`), filename: st.dedup(`pkg/f${i % 7}.go`) })
  );
  const locations = functions.map(
    (f, i) => new Location({ id: i + 1, line: [new Line({ functionId: f.id, line: i })] })
  );
  let seed = 7;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const samples = Array.from(
    { length: stacks },
    (_, i) =>
      new Sample({
        locationId: Array.from({ length: 3 + rand(20) }, () => rand(fns) + 1),
        value: [i + 1, (i + 1) * 10_000_000],
        label: [],
      })
  );
  return Buffer.from(
    new Profile({
      sampleType: [
        new ValueType({ type: st.dedup('samples'), unit: st.dedup('count') }),
        new ValueType({ type: st.dedup('cpu'), unit: st.dedup('nanoseconds') }),
      ],
      sample: samples,
      location: locations,
      function: functions,
      stringTable: st,
      periodType: new ValueType({ type: st.dedup('cpu'), unit: st.dedup('nanoseconds') }),
      period: 10_000_000,
    }).encode()
  );
}

describe('PprofDecoder with a worker thread', () => {
  const decoder = new PprofDecoder(1);
  after(() => decoder.close());

  test('decodes large profiles, plain and gzipped, exactly as the main thread does, many at once', async () => {
    const raw = bigPprof(400, 3000);
    assert.ok(raw.length > WORKER_MIN_BYTES * 4, `${raw.length} bytes`);
    const bodies = [raw, gzipSync(raw), bigPprof(50, 200), gzipSync(bigPprof(900, 5000))];
    const many = Array.from({ length: 24 }, (_, i) => bodies[i % bodies.length]!);
    const got = await Promise.all(many.map((b) => decoder.decode(b, 0)));
    got.forEach((g, i) => {
      const want = parsePprof(many[i]!);
      assert.deepEqual(g.profile, want);
      const body = many[i]!;
      assert.equal(g.inflatedBytes, body[0] === 0x1f ? gunzipSync(body).length : body.length);
    });
  });

  test('text bodies (folded, lines, gzipped) are read in the worker as in place; a given buffer moves, no copy', async () => {
    const folded = Buffer.from(
      Array.from({ length: 3000 }, (_, i) => `main;pkg.serve;pkg.handler${i % 40};pkg.work${i} ${i + 1}`).join('\n')
    );
    const lines = Buffer.from(Array.from({ length: 3000 }, (_, i) => `main;work${i % 50}`).join('\n'));
    const params = { appName: 'app.cpu', labels: [['env', 'prod']] as Array<[string, string]>, sampleRate: 100 };
    for (const [format, body, inflate] of [
      ['folded', folded, true],
      ['folded', gzipSync(folded), true],
      ['lines', lines, true],
    ] as const) {
      assert.ok(body.length >= WORKER_MIN_BYTES || body[0] === 0x1f, `${body.length} bytes`);
      const want = readText(format, body, inflate, 0, params);
      assert.deepEqual(await decoder.decodeText(format, body, inflate, 0, params), want);
      assert.ok(body.length > 0, 'a buffer not given is copied and stays readable');
    }
    const own = Buffer.from(folded);
    const got = await decoder.decodeText('folded', own, true, 0, params, new Set([own.buffer]));
    assert.deepEqual(got, readText('folded', folded, true, 0, params));
    assert.equal(own.length, 0, 'the given buffer was transferred to the worker, not copied');
    await assert.rejects(
      decoder.decodeText('folded', Buffer.from(`${'main;x '.repeat(2000)}seven\n`), true, 0, params),
      (e: unknown) => e instanceof FormatError && /count/.test(e.message)
    );
    await assert.rejects(
      decoder.decodeText('folded', folded, true, 1000, params),
      (e: unknown) => e instanceof FormatError && e.status === 413
    );
  });

  test('every pprof fixture decodes the same in the worker', { skip: NO_FIXTURES }, async () => {
    assert.ok(HAVE_FIXTURES);
    for (const f of pprofFixtureFiles()) {
      const body = readFileSync(f);
      let want;
      try {
        want = parsePprof(body);
      } catch {
        continue; // the malformed ones are the next test's subject
      }
      const got = await decoder.decode(body, 0);
      assert.deepEqual(got.profile, want, f);
    }
  });

  test('bad input rejects with the FormatError and status the main thread gives', async () => {
    const bomb = gzipSync(Buffer.alloc(8 * 1024 * 1024));
    await assert.rejects(decoder.decode(bomb, 1024 * 1024), (e: unknown) => {
      assert.ok(e instanceof FormatError);
      assert.equal(e.status, 413);
      assert.match(e.message, /above the limit of 1048576 bytes/);
      return true;
    });
    const junk = Buffer.alloc(64 * 1024, 0xff);
    const expected = (() => {
      try {
        parsePprof(junk);
      } catch (e) {
        return e as FormatError;
      }
      throw new Error('junk decoded');
    })();
    await assert.rejects(decoder.decode(junk, 0), (e: unknown) => {
      assert.ok(e instanceof FormatError);
      assert.equal(e.status, expected.status);
      assert.equal(e.message, expected.message);
      return true;
    });
    const cut = gzipSync(bigPprof(400, 3000)).subarray(0, 5000);
    await assert.rejects(decoder.decode(cut, 0), (e: unknown) => e instanceof FormatError && e.status === 400);
    // and the worker still serves after them
    const ok = await decoder.decode(bigPprof(50, 200), 0);
    assert.equal(ok.profile.sampleStack.length, 200);
  });

  test('with no workers everything is decoded in place, with the same results', async () => {
    const inline = new PprofDecoder(0);
    const raw = bigPprof(400, 3000);
    assert.deepEqual((await inline.decode(raw, 0)).profile, parsePprof(raw));
    await assert.rejects(inline.decode(gzipSync(Buffer.alloc(2 * 1024 * 1024)), 1024), FormatError);
    await inline.close();
  });
});
