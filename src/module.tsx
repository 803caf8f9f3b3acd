import React, { Suspense, lazy } from 'react';
import { AppPlugin, type AppRootProps } from '@grafana/data';
import { initPluginTranslations } from '@grafana/i18n';
import { loadResources } from '@grafana/scenes';
import { LoadingPlaceholder } from '@grafana/ui';
import { PLUGIN_ID } from './constants';
import { PROFILES_LINK } from './extensions/profilesLinkConfig';

await initPluginTranslations(PLUGIN_ID, [loadResources]);

const LazyApp = lazy(() => import('./app/App'));

const App = (props: AppRootProps) => (
  <Suspense fallback={<LoadingPlaceholder text="Loading Profiles Drilldown..." />}>
    <LazyApp {...props} />
  </Suspense>
);

export const plugin = new AppPlugin<{}>().setRootPage(App).addLink(PROFILES_LINK);
