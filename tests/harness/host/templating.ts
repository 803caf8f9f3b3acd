// Grafana's template service, as a Scenes app sees it: variables are those of the scene a query was made in.
// The scene arrives with the query (`scopedVars.__sceneObject`, set by every SceneQueryRunner and data-source
// lookup, from whichever copy of @grafana/scenes the plugin bundles); without it, the active scene
// (`window.__grafanaSceneContext`); without either, only the scoped variables and the built-in macros, as on a
// Grafana page with no dashboard variables.
import { ScopedVars } from '@grafana/data';
import { VariableInterpolation } from '@grafana/runtime';
import { SceneObject, SceneObjectBase, SceneObjectState, VariableCustomFormatterFn, sceneGraph } from '@grafana/scenes';

class NoVariables extends SceneObjectBase<SceneObjectState> {}

let noVariables: SceneObject | undefined;

type SceneContextWindow = { __grafanaSceneContext?: SceneObject & { isActive?: boolean } };

function sceneOf(scopedVars?: ScopedVars): SceneObject {
  const carried = scopedVars?.__sceneObject?.value;
  if (carried) {
    // Scenes >= 5.6 wraps it in a SafeSerializableSceneObject whose valueOf() is the scene object
    return (carried as { valueOf: () => SceneObject }).valueOf();
  }
  const active = (window as unknown as SceneContextWindow).__grafanaSceneContext;
  if (active?.isActive) {
    return active;
  }
  noVariables ??= new NoVariables({});
  return noVariables;
}

// Formats as Grafana's TemplateSrv.replace takes them: a format id, or a function (value, variable, default).
type Format = string | VariableCustomFormatterFn | ((value: unknown) => unknown) | undefined;

export const templateSrv = {
  getVariables: () => [],
  replace(target?: string, scopedVars?: ScopedVars, format?: Format, interpolations?: VariableInterpolation[]) {
    if (!target) {
      return target ?? '';
    }
    return sceneGraph.interpolate(
      sceneOf(scopedVars),
      target,
      scopedVars,
      format as string | VariableCustomFormatterFn | undefined,
      interpolations
    );
  },
  containsTemplate(target?: string) {
    return Boolean(target && /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\${(\w+)(?:\.([^:^}]+))?(?::([^}]+))?}/.test(target));
  },
  updateTimeRange: () => {},
  getAdhocFilters: () => [],
};
