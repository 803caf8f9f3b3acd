// The page Grafana would be: boot data (inline in index.html), runtime services, an AMD loader that gives the
// plugin its externals from the real packages, then the plugin's root page under a router at /a/<id>/*.
import React, { useLayoutEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import {
  AppPlugin,
  AppPluginMeta,
  DataTransformerInfo,
  PluginType,
  ThemeContext,
  standardTransformers,
  standardTransformersRegistry,
  TransformerRegistryItem,
} from '@grafana/data';
import { LocationServiceProvider, config, locationService } from '@grafana/runtime';
import { GlobalStyles } from '@grafana/ui';
import { Route, Router, Routes } from 'react-router';
import { installRuntimeServices } from './services';
import { installPanels } from './panels';
import * as ReactNs from 'react';
import * as JsxRuntime from 'react/jsx-runtime';
import * as JsxDevRuntime from 'react/jsx-dev-runtime';
import * as ReactDom from 'react-dom';
import * as ReactRouter from 'react-router';
import * as GrafanaData from '@grafana/data';
import * as GrafanaDataUnstable from '@grafana/data/unstable';
import * as GrafanaUi from '@grafana/ui';
import * as GrafanaUiUnstable from '@grafana/ui/unstable';
import * as GrafanaRuntime from '@grafana/runtime';
import * as GrafanaRuntimeUnstable from '@grafana/runtime/unstable';
import * as EmotionCss from '@emotion/css';
import * as EmotionReact from '@emotion/react';
import * as Rxjs from 'rxjs';
import * as Lodash from 'lodash';
import * as I18next from 'i18next';
import * as D3 from 'd3';

const PLUGIN_ID = 'grafana-pyroscope-app';
const MODULE_URI = `/public/plugins/${PLUGIN_ID}/module.js`;

// What Grafana exposes to plugins through SystemJS. Namespace imports, so that the plugin gets the very module
// instances the host itself uses (one React, one LocationService context) and ES packages keep live bindings.
const EXTERNALS: Record<string, unknown> = {
  react: ReactNs,
  'react/jsx-runtime': JsxRuntime,
  'react/jsx-dev-runtime': JsxDevRuntime,
  'react-dom': ReactDom,
  'react-router': ReactRouter,
  '@grafana/data': GrafanaData,
  '@grafana/data/unstable': GrafanaDataUnstable,
  '@grafana/ui': GrafanaUi,
  '@grafana/ui/unstable': GrafanaUiUnstable,
  '@grafana/runtime': GrafanaRuntime,
  '@grafana/runtime/unstable': GrafanaRuntimeUnstable,
  '@emotion/css': EmotionCss,
  '@emotion/react': EmotionReact,
  rxjs: Rxjs,
  lodash: Lodash,
  i18next: I18next,
  d3: D3,
};

// Grafana keeps the packages it shares with plugins in its SystemJS registry (`window.System`); tests reach them there
// too, to build a panel's query runner in the page.
(window as unknown as { System: { import: (name: string) => Promise<unknown> } }).System = {
  import: (name: string) =>
    name in EXTERNALS
      ? Promise.resolve(EXTERNALS[name])
      : Promise.reject(new Error(`harness: "${name}" is not a package Grafana shares with plugins`)),
};

function asAmdModule(mod: unknown): unknown {
  if (mod === null || (typeof mod !== 'object' && typeof mod !== 'function')) {
    return mod;
  }
  const src = mod as Record<string, unknown>;
  const copy: Record<string, unknown> = { __esModule: true };
  for (const key of Object.keys(src)) {
    Object.defineProperty(copy, key, { enumerable: true, get: () => src[key] });
  }
  if (!('default' in src)) {
    copy.default = mod;
  }
  return copy;
}

type Factory = (...deps: unknown[]) => unknown;
let pending: { resolve: (v: unknown) => void; reject: (e: unknown) => void } | null = null;

// A minimal AMD `define`: enough for webpack's `library.type: 'amd'` output, with a loud failure for any
// external Grafana would not provide.
function define(...args: unknown[]) {
  const factory = args[args.length - 1] as Factory;
  const deps = (Array.isArray(args[args.length - 2]) ? args[args.length - 2] : []) as string[];
  const target = pending;
  pending = null;
  try {
    const resolved = deps.map((d) => {
      if (d === 'module') {
        return { uri: MODULE_URI, id: MODULE_URI };
      }
      if (d === 'exports') {
        return {};
      }
      if (!(d in EXTERNALS)) {
        throw new Error(`harness: the plugin needs external "${d}", which Grafana does not provide`);
      }
      return asAmdModule(EXTERNALS[d]);
    });
    Promise.resolve(factory(...resolved)).then(target?.resolve, target?.reject);
  } catch (e) {
    target?.reject(e);
  }
}
(define as unknown as { amd: object }).amd = {};

function loadPluginModule(): Promise<{ plugin: AppPlugin }> {
  return new Promise((resolve, reject) => {
    pending = { resolve: resolve as (v: unknown) => void, reject };
    (window as unknown as { define: typeof define }).define = define;
    const s = document.createElement('script');
    s.src = MODULE_URI;
    s.onerror = () => reject(new Error(`harness: could not load ${MODULE_URI} (is the plugin built?)`));
    document.head.appendChild(s);
  });
}

async function loadMeta(): Promise<AppPluginMeta> {
  const r = await fetch(`/api/plugins/${PLUGIN_ID}/settings`);
  const meta = await r.json();
  return { ...meta, type: PluginType.app };
}

function Host({ plugin }: { plugin: AppPlugin }) {
  const history = locationService.getHistory();
  const [location, setLocation] = useState(history.location);
  useLayoutEffect(() => history.listen((l: typeof location) => setLocation(l)), [history]);
  const Root = plugin.root!;
  return (
    <ThemeContext.Provider value={config.theme2}>
      <GlobalStyles />
      <LocationServiceProvider service={locationService}>
        <Router location={location} navigator={history}>
          <Routes>
            <Route
              path={`/a/${PLUGIN_ID}/*`}
              element={
                <main style={{ padding: 16, minHeight: '100vh', background: config.theme2.colors.background.canvas }}>
                  <Root
                    meta={plugin.meta}
                    basename={`/a/${PLUGIN_ID}`}
                    onNavChanged={() => {}}
                    query={{}}
                    path={location.pathname}
                  />
                </main>
              }
            />
            <Route path="*" element={<div>Not an app route: {location.pathname}</div>} />
          </Routes>
        </Router>
      </LocationServiceProvider>
    </ThemeContext.Provider>
  );
}

async function main() {
  await I18next.default.init({ lng: 'en-US', fallbackLng: 'en-US', resources: {}, returnEmptyString: false });
  installRuntimeServices();
  installPanels();
  // Grafana registers @grafana/data's transformations (with editors, which no panel here shows); apps run them
  // through SceneDataTransformer (the official app's maxima table reduces its series).
  standardTransformersRegistry.setInit(() => {
    const byId = new Map(Object.values(standardTransformers).map((t) => [t.id, t]));
    return [...byId.values()].map((t): TransformerRegistryItem => ({
      id: t.id,
      name: t.name,
      description: t.description,
      transformation: t as DataTransformerInfo,
      editor: () => null,
      imageDark: '',
      imageLight: '',
    }));
  });
  const [{ plugin }, meta] = await Promise.all([loadPluginModule(), loadMeta()]);
  if (!plugin) {
    throw new Error('harness: module.js exported no `plugin`');
  }
  plugin.init(meta);
  plugin.meta = meta;
  createRoot(document.getElementById('reactRoot')!).render(<Host plugin={plugin} />);
}

main().catch((e) => {
  document.body.innerHTML = `<pre id="harness-error" style="color:red">${String(e?.stack ?? e)}</pre>`;
  throw e;
});
