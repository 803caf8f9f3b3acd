// The import directions between backend-ts/src folders (eslint.layers.mjs) hold: a deliberately wrong import
// fails lint with the rule's message, an allowed one passes, and the sources as they are pass.
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const RULE = 'layers/import-direction';

async function ruleMessages(file: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: ROOT });
  const [result] = await eslint.lintText(code, { filePath: join(ROOT, file) });
  return result.messages.filter((m) => m.ruleId === RULE).map((m) => m.message);
}

const wrong: Array<[file: string, code: string, message: RegExp]> = [
  [
    'backend-ts/src/model/wrong.ts',
    "import { Querier } from '../query/querier.js';\nvoid Querier;\n",
    /model\/ must not import query\//,
  ],
  [
    'backend-ts/src/api/wrong.ts',
    "import { FilesystemStore } from '../storage/filesystem.js';\nvoid FilesystemStore;\n",
    /api\/ must not import storage\//,
  ],
  [
    'backend-ts/src/formats/jfr/wrong.ts',
    "import type { Ingester } from '../../ingest/ingester.js';\nexport type X = Ingester;\n",
    /formats\/ must not import ingest\//,
  ],
  [
    'backend-ts/src/storage/wrong.ts',
    "import Fastify from 'fastify';\nvoid Fastify;\n",
    /storage\/ must not import fastify/,
  ],
  [
    'backend-ts/src/ingest/wrong.ts',
    "export { errorBody } from '../api/errors.js';\n",
    /ingest\/ must not import api\//,
  ],
  [
    'backend-ts/src/newroom/wrong.ts',
    "import { sortLabels } from '../model/labels.js';\nvoid sortLabels;\n",
    /no place/,
  ],
];

test('a deliberately wrong import fails lint', async () => {
  for (const [file, code, message] of wrong) {
    const got = await ruleMessages(file, code);
    assert.equal(got.length, 1, `${file}: ${JSON.stringify(got)}`);
    assert.match(got[0], message);
  }
});

test('allowed imports pass', async () => {
  const ok: Array<[string, string]> = [
    ['backend-ts/src/formats/ok.ts', "import { sortLabels } from '../model/labels.js';\nvoid sortLabels;\n"],
    ['backend-ts/src/query/ok.ts', "import { NotFoundError } from '../storage/objectStore.js';\nvoid NotFoundError;\n"],
    ['backend-ts/src/api/ok.ts', "import { QueryError } from '../query/errors.js';\nvoid QueryError;\n"],
    ['backend-ts/src/model/ok.ts', "import { FlameTree } from './tree.js';\nvoid FlameTree;\n"],
  ];
  for (const [file, code] of ok) {
    assert.deepEqual(await ruleMessages(file, code), [], file);
  }
});

test('the sources follow the layer table', async () => {
  const eslint = new ESLint({ cwd: ROOT });
  const results = await eslint.lintFiles([join(ROOT, 'backend-ts/src')]);
  const broken = results.flatMap((r) =>
    r.messages.filter((m) => m.ruleId === RULE).map((m) => `${r.filePath}:${m.line} ${m.message}`)
  );
  assert.deepEqual(broken, []);
  // the rule ran over the sources: the handlers, the folder with the most allowed directions, were linted
  assert.ok(results.some((r) => r.filePath.includes(`${join('backend-ts', 'src', 'api')}`)));
});
