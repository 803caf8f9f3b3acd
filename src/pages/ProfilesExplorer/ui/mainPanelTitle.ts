import { SceneObject, VizPanel, sceneGraph } from '@grafana/scenes';
import { profileMetricTitle } from '../../../shared/domain/profileMetricTitles';
import { getVariableValue } from '../domain/variables';

/**
 * Titles a view's main series panel with what its profile type measures ("CPU time consumed"), as the official
 * app does, and keeps the title in step with the profile type picker while the view is active.
 */
export function titleMainPanelByProfileType(owner: SceneObject, panel: VizPanel): void {
  owner.addActivationHandler(() => {
    const update = () => {
      const id = getVariableValue(owner, 'profileMetricId');
      if (id) {
        panel.setState({ title: profileMetricTitle(id) });
      }
    };
    update();
    const variable = sceneGraph.lookupVariable('profileMetricId', owner);
    const sub = variable?.subscribeToState(update);
    return () => sub?.unsubscribe();
  });
}
