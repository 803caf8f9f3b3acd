import React from 'react';
import { EmbeddedScene, SceneAppPage, SceneReactObject } from '@grafana/scenes';
import { Alert } from '@grafana/ui';
import { ROUTES, prefixRoute } from '../../../constants';

function AdHocPlaceholder() {
  return (
    <Alert severity="info" title="Ad hoc profiles">
      Uploading a pprof or JSON profile to view it without storing it comes with the next release of this app.
    </Alert>
  );
}

export function buildAdHocPage(): SceneAppPage {
  return new SceneAppPage({
    title: 'Ad hoc view',
    url: prefixRoute(ROUTES.AdHoc),
    routePath: `${ROUTES.AdHoc}/*`,
    getScene: () => new EmbeddedScene({ body: new SceneReactObject({ component: AdHocPlaceholder }) }),
  });
}
