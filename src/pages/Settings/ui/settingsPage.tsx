import React from 'react';
import { EmbeddedScene, SceneAppPage, SceneReactObject } from '@grafana/scenes';
import { Alert } from '@grafana/ui';
import { ROUTES, prefixRoute } from '../../../constants';

function SettingsPlaceholder() {
  return (
    <Alert severity="info" title="Settings">
      Plugin settings (stored in Pyroscope as <code>pluginSettings</code>) come with the next release. Until then the
      flame graph node limit is set with the <code>maxNodes</code> URL parameter (default 16384).
    </Alert>
  );
}

export function buildSettingsPage(): SceneAppPage {
  return new SceneAppPage({
    title: 'Settings',
    url: prefixRoute(ROUTES.Settings),
    routePath: `${ROUTES.Settings}/*`,
    getScene: () => new EmbeddedScene({ body: new SceneReactObject({ component: SettingsPlaceholder }) }),
  });
}
