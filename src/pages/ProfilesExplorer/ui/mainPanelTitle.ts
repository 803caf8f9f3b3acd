import { SceneObject, VizPanel, sceneGraph } from '@grafana/scenes';
import { profileMetricTitle } from '../../../shared/domain/profileMetricTitles';
import { getVariableValue } from '../domain/variables';

/**
 * Titles a view's main series panel with what its profile type measures ("CPU time consumed"), as the official
 * app does, and keeps the title in step with the profile type picker while the view is active. A panel whose
 * series follow the group-by label says so ("CPU time consumed, grouped by region"), in step with that label.
 */
export function titleMainPanelByProfileType(owner: SceneObject, panel: VizPanel, o: { grouped?: boolean } = {}): void {
  owner.addActivationHandler(() => {
    const update = () => {
      const id = getVariableValue(owner, 'profileMetricId');
      if (id) {
        const groupBy = o.grouped ? getVariableValue(owner, 'groupBy') : '';
        panel.setState({ title: profileMetricTitle(id, groupBy) });
      }
    };
    update();
    const names = o.grouped ? ['profileMetricId', 'groupBy'] : ['profileMetricId'];
    const subs = names.map((name) => sceneGraph.lookupVariable(name, owner)?.subscribeToState(update));
    return () => subs.forEach((s) => s?.unsubscribe());
  });
}
