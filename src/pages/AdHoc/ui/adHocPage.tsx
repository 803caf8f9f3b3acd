import {
  DataSourceVariable,
  EmbeddedScene,
  SceneAppPage,
  SceneVariableSet,
  VariableValueSelectors,
} from '@grafana/scenes';
import { PYROSCOPE_DATASOURCE_TYPE, ROUTES, prefixRoute } from '../../../constants';
import { chosenDataSourceUid, rememberDataSourceUid } from '../../../shared/domain/dataSourceChoice';
import { SceneAdHoc } from './SceneAdHoc';

function buildScene(): EmbeddedScene {
  const dataSource = new DataSourceVariable({
    name: 'dataSource',
    label: 'Data source',
    pluginId: PYROSCOPE_DATASOURCE_TYPE,
    value: chosenDataSourceUid() ?? '',
  });
  dataSource.subscribeToState((s, prev) => {
    if (s.value && s.value !== prev.value) {
      rememberDataSourceUid(String(s.value));
    }
  });
  return new EmbeddedScene({
    $variables: new SceneVariableSet({ variables: [dataSource] }),
    controls: [new VariableValueSelectors({})],
    body: new SceneAdHoc(),
  });
}

export function buildAdHocPage(): SceneAppPage {
  return new SceneAppPage({
    title: 'Ad hoc view',
    subTitle: 'Upload a pprof, flamebearer JSON or folded file to look at it, next to another or as a diff',
    url: prefixRoute(ROUTES.AdHoc),
    routePath: `${ROUTES.AdHoc}/*`,
    getScene: buildScene,
  });
}
