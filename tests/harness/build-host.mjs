// Builds the host bundle (React, @grafana/* and the other externals Grafana provides to plugins, plus the
// runtime services) with esbuild from this repository's node_modules. Cached by the hash of the lockfile
// and the host sources, so only the first start after an install pays the ~5 s.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const HOST_DIR = fileURLToPath(new URL('./host', import.meta.url));

export async function buildHost({ force = false } = {}) {
  const hash = createHash('sha256');
  hash.update(readFileSync(join(ROOT, 'package-lock.json')));
  hash.update(readFileSync(fileURLToPath(import.meta.url)));
  for (const f of readdirSync(HOST_DIR).sort()) {
    hash.update(f).update(readFileSync(join(HOST_DIR, f)));
  }
  const dir = join(tmpdir(), `pyroscope-app-harness-${hash.digest('hex').slice(0, 16)}`);
  if (!force && existsSync(join(dir, 'host.js'))) {
    return { dir, cached: true };
  }
  mkdirSync(dir, { recursive: true });
  const t0 = Date.now();
  const result = await build({
    entryPoints: { host: join(HOST_DIR, 'index.tsx') },
    bundle: true,
    minify: true,
    // ES modules with splitting: lazy parts of @grafana/ui (the Monaco editor, 3 MB) stay out of the first load,
    // as they do in Grafana.
    format: 'esm',
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    platform: 'browser',
    target: 'es2020',
    outdir: dir,
    absWorkingDir: ROOT,
    define: { 'process.env.NODE_ENV': '"production"', global: 'window' },
    loader: { '.svg': 'dataurl', '.png': 'dataurl', '.woff': 'file', '.woff2': 'file', '.ttf': 'file', '.eot': 'file' },
    logLevel: 'error',
    metafile: Boolean(process.env.HARNESS_METAFILE),
    plugins: [compatRuntimeImports, cjsDefaultFromMjs],
  });
  if (result.metafile) {
    writeFileSync(join(dir, 'meta.json'), JSON.stringify(result.metafile));
  }
  console.log(`harness: host bundle built in ${Date.now() - t0} ms -> ${dir}`);
  return { dir, cached: false };
}

// @grafana/plugin-compat (used by @grafana/scenes) imports names that @grafana/runtime 12.4 does not export yet
// and checks them with `typeof x === 'function'` at run time. Webpack lets such imports be undefined; esbuild
// refuses them, so read them off the namespace instead.
const compatRuntimeImports = {
  name: 'plugin-compat-runtime',
  setup(b) {
    b.onLoad({ filter: /@grafana[\\/]plugin-compat[\\/].*\.m?js$/ }, async (a) => {
      let n = 0;
      const source = readFileSync(a.path, 'utf8');
      const contents = source.replace(
        /import\s*\{([^}]*)\}\s*from\s*'(@grafana\/runtime(?:\/unstable)?)';/g,
        (_m, names, mod) => {
          const ns = `__runtime${n++}`;
          const bindings = names
            .split(',')
            .map((x) => x.trim())
            .filter(Boolean)
            .map((x) => {
              const [from, to = from] = x.split(/\s+as\s+/);
              return `${to} = ${ns}[${JSON.stringify(from)}]`;
            });
          return `import * as ${ns} from '${mod}';\nconst ${bindings.join(', ')};`;
        }
      );
      return { contents, loader: 'js' };
    });
  },
};

// `import X from 'cjs-package'` in an .mjs file: esbuild follows Node there and hands the whole `module.exports`
// as the default, ignoring `__esModule`. Grafana compiles @grafana/ui from source with webpack, where such a default
// is `exports.default`; so `<Scrollbars>` (react-custom-scrollbars-2) arrived as an object (React error 130).
// Imports from .mjs files of CommonJS modules that set `__esModule` go through a small ES module that re-exports
// them the way a non-.mjs importer sees them.
const cjsDefaultFromMjs = {
  name: 'cjs-default-from-mjs',
  setup(b) {
    const seen = new Map();
    b.onResolve({ filter: /^[^./]/ }, async (a) => {
      if (!a.importer.endsWith('.mjs') || a.kind !== 'import-statement' || a.pluginData?.interop) {
        return undefined;
      }
      const r = await b.resolve(a.path, {
        importer: a.importer,
        resolveDir: a.resolveDir,
        kind: a.kind,
        pluginData: { interop: true },
      });
      if (r.errors.length || !/\.c?js$/.test(r.path) || !isEsModuleFlaggedCjs(r.path, seen)) {
        return undefined;
      }
      return { path: r.path, namespace: 'cjs-interop' };
    });
    b.onLoad({ filter: /.*/, namespace: 'cjs-interop' }, (a) => ({
      contents: `export * from ${JSON.stringify(a.path)};\nimport d from ${JSON.stringify(a.path)};\nexport default d;\n`,
      resolveDir: dirname(a.path),
      loader: 'js',
    }));
  },
};

function isEsModuleFlaggedCjs(file, seen) {
  if (!seen.has(file)) {
    const text = readFileSync(file, 'utf8');
    const esm = /^\s*(import|export)\s/m.test(text);
    seen.set(file, !esm && /__esModule/.test(text) && !packageIsModule(dirname(file)));
  }
  return seen.get(file);
}

function packageIsModule(dir) {
  for (let d = dir; d !== dirname(d); d = dirname(d)) {
    const pj = join(d, 'package.json');
    if (existsSync(pj)) {
      try {
        const pkg = JSON.parse(readFileSync(pj, 'utf8'));
        if (pkg.name || pkg.type) {
          return pkg.type === 'module';
        }
      } catch {
        return false;
      }
    }
  }
  return false;
}
