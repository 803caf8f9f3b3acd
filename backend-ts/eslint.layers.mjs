// The directions imports may take between the rooms of backend-ts/src (docs/ARCHITECTURE.md), checked by ESLint:
// each folder names the folders it may import; a folder missing from the table is an error until it is placed.
import { dirname, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), 'src');

/** Folder (or top-level file) -> the folders it may import besides itself. '*' = any. */
export const LAYERS = {
  // pure data: imports none of the others
  model: [],
  // generated protobuf code
  gen: [],
  // flags, YAML and durations; limits read them
  config: ['model'],
  limits: ['config', 'model'],
  // one reader per input format: sizes arrive as numbers, never HTTP, storage or tenants
  formats: ['model', 'gen'],
  // every output encoding
  encode: ['model', 'gen'],
  // object store, segment format, reader, writer, compaction: no HTTP (see FORBIDDEN_PACKAGES)
  storage: ['model', 'config'],
  // the write pipeline: params, validation, limits, the sink
  ingest: ['model', 'formats', 'limits', 'config', 'gen'],
  // planner, merger, caches
  query: ['model', 'storage', 'limits', 'config'],
  // per-tenant state: settings, ad hoc profiles
  tenant: ['model', 'storage', 'formats', 'encode', 'limits', 'config'],
  // handlers: parse, call, encode; never the store
  api: ['model', 'gen', 'encode', 'formats', 'ingest', 'query', 'tenant', 'limits', 'config'],
  // wiring and the entry point
  server: '*',
  main: '*',
};

/** Packages a folder must not import. */
export const FORBIDDEN_PACKAGES = {
  storage: [/^fastify/, /^@connectrpc\//, /^(node:)?https?$/, /^(node:)?http2$/],
  model: [/^fastify/, /^@connectrpc\//, /^(node:)?https?$/, /^@azure\//],
  formats: [/^fastify/, /^@connectrpc\//, /^(node:)?https?$/, /^@azure\//],
};

function roomOf(file) {
  const rel = relative(SRC, file);
  if (rel.startsWith('..') || rel === '') {
    return null;
  }
  const first = rel.split(sep)[0];
  return first.replace(/\.(ts|js|mjs)$/, '');
}

const importDirection = {
  meta: {
    type: 'problem',
    docs: { description: 'imports between backend-ts/src folders follow the layer table (eslint.layers.mjs)' },
    schema: [],
  },
  create(context) {
    const file = context.filename ?? context.getFilename();
    const from = roomOf(file);
    if (from === null) {
      return {};
    }
    const check = (node, spec) => {
      if (typeof spec !== 'string') {
        return;
      }
      if (!(from in LAYERS)) {
        context.report({ node, message: `backend-ts/src/${from} has no place in the layer table (eslint.layers.mjs)` });
        return;
      }
      if (!spec.startsWith('.')) {
        const banned = (FORBIDDEN_PACKAGES[from] ?? []).find((re) => re.test(spec));
        if (banned) {
          context.report({ node, message: `${from}/ must not import ${spec}` });
        }
        return;
      }
      const to = roomOf(resolve(dirname(file), spec));
      if (to === null || to === from) {
        return;
      }
      const allowed = LAYERS[from];
      if (allowed !== '*' && !allowed.includes(to)) {
        context.report({
          node,
          message: `${from}/ must not import ${to}/ (allowed: ${allowed.join(', ') || 'none'}; see docs/ARCHITECTURE.md)`,
        });
      }
    };
    return {
      ImportDeclaration: (node) => check(node, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node, node.source.value),
      ExportAllDeclaration: (node) => check(node, node.source.value),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node, node.source.value),
    };
  },
};

export default [
  {
    files: ['backend-ts/src/**/*.ts'],
    ignores: ['backend-ts/src/gen/**'],
    plugins: { layers: { rules: { 'import-direction': importDirection } } },
    rules: { 'layers/import-direction': 'error' },
  },
];
