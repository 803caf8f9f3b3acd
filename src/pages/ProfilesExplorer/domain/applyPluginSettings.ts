import { locationService } from '@grafana/runtime';
import { SceneObject, SceneObjectState } from '@grafana/scenes';
import { getPluginSettings } from '../../../shared/infrastructure/settings/SettingsApiClient';
import { readLastDataSourceUid } from '../../../shared/infrastructure/lastDataSource';
import { ExplorerUrlState } from './urlState';

/**
 * Scene behaviour of the explorer: the stored settings (settings.v1) give the default max nodes when the URL
 * names none; a link with `maxNodes` keeps its own.
 */
export function applyPluginSettings(explorer: SceneObject<SceneObjectState & ExplorerUrlState>) {
  const search = locationService.getSearchObject();
  if (search.maxNodes !== undefined) {
    return;
  }
  const uid = typeof search['var-dataSource'] === 'string' ? search['var-dataSource'] : readLastDataSourceUid();
  if (!uid) {
    return;
  }
  let active = true;
  getPluginSettings(uid)
    .then((s) => {
      if (
        active &&
        locationService.getSearchObject().maxNodes === undefined &&
        s.maxNodes !== explorer.state.maxNodes
      ) {
        explorer.setState({ maxNodes: s.maxNodes });
      }
    })
    // Without stored settings (or settings.v1) the defaults stand.
    .catch(() => undefined);
  return () => {
    active = false;
  };
}
