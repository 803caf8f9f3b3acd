import { EmbeddedScene, SceneAppPage } from '@grafana/scenes';
import { ROUTES, prefixRoute } from '../../../constants';
import { SceneProfilesExplorer } from './SceneProfilesExplorer';

export function buildExplorePage(): SceneAppPage {
  return new SceneAppPage({
    title: 'Profiles',
    url: prefixRoute(ROUTES.Explore),
    routePath: `${ROUTES.Explore}/*`,
    getScene: () => new EmbeddedScene({ body: new SceneProfilesExplorer() }),
  });
}
