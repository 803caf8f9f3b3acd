import { VariableRefresh } from '@grafana/data';
import {
  AdHocFiltersVariable,
  CustomVariable,
  DataSourceVariable,
  MultiValueVariable,
  MultiValueVariableState,
  SceneObject,
  SceneVariableSet,
  TextBoxVariable,
  VariableDependencyConfig,
  VariableValueOption,
  sceneGraph,
} from '@grafana/scenes';
import { Observable, from, map } from 'rxjs';
import { PYROSCOPE_DATASOURCE_TYPE } from '../../../constants';
import { LabelFilter, buildLabelSelector } from '../../../shared/domain/labelSelector';
import {
  DEFAULT_PROFILE_METRIC_ID,
  parseProfileMetricId,
  sortProfileMetricIds,
} from '../../../shared/domain/profileMetrics';
import { TimeWindow } from '../../../shared/infrastructure/pyroscope/PyroscopeApiClient';
import {
  fetchLabelNames,
  fetchLabelValues,
  fetchServiceCatalog,
} from '../../../shared/infrastructure/pyroscope/PyroscopeRepository';
import { readLastDataSourceUid, storeLastDataSourceUid } from '../../../shared/infrastructure/lastDataSource';

export function getDataSourceUid(scene: SceneObject): string {
  return sceneGraph.interpolate(scene, '${dataSource}');
}

export function getTimeWindow(scene: SceneObject): TimeWindow {
  const { from: f, to } = sceneGraph.getTimeRange(scene).state.value;
  return { start: f.valueOf(), end: to.valueOf() };
}

export function getVariableValue(scene: SceneObject, name: string): string {
  const v = sceneGraph.lookupVariable(name, scene);
  const value = v?.getValue();
  return value === undefined || value === null ? '' : String(value);
}

export function getFilters(scene: SceneObject, name = 'filters'): LabelFilter[] {
  const v = sceneGraph.lookupVariable(name, scene);
  if (!(v instanceof AdHocFiltersVariable)) {
    return [];
  }
  return v.state.filters.map((f) => ({ key: f.key, operator: f.operator, value: f.value }));
}

/** The selector of the current service with the label filters: what every service-level query uses. */
export function getServiceSelector(scene: SceneObject, filtersName = 'filters'): string {
  return buildLabelSelector(getVariableValue(scene, 'serviceName'), getFilters(scene, filtersName));
}

// Options come from one Series call (services x profile types) shared through the repository cache.
abstract class CatalogVariable extends MultiValueVariable<MultiValueVariableState> {
  static Component = CustomVariable.Component;
  protected _variableDependency = new VariableDependencyConfig(this, { variableNames: ['dataSource'] });

  constructor(state: Partial<MultiValueVariableState> & { name: string }) {
    super({
      value: '',
      text: '',
      options: [],
      refresh: VariableRefresh.onTimeRangeChanged,
      ...state,
    } as MultiValueVariableState);
  }
}

export class ServiceNameVariable extends CatalogVariable {
  constructor(state: Partial<MultiValueVariableState> = {}) {
    super({ name: 'serviceName', label: 'Service', ...state });
  }

  getValueOptions(): Observable<VariableValueOption[]> {
    return from(fetchServiceCatalog(getDataSourceUid(this), getTimeWindow(this))).pipe(
      map((c) => [...c.services.keys()].map((s) => ({ label: s, value: s })))
    );
  }
}

export class ProfileMetricVariable extends CatalogVariable {
  constructor(state: Partial<MultiValueVariableState> = {}) {
    super({ name: 'profileMetricId', label: 'Profile type', ...state });
  }

  getValueOptions(): Observable<VariableValueOption[]> {
    return from(fetchServiceCatalog(getDataSourceUid(this), getTimeWindow(this))).pipe(
      map((c) =>
        sortProfileMetricIds(c.profileTypes).map((id) => ({ label: parseProfileMetricId(id).pickerLabel, value: id }))
      )
    );
  }

  // CPU first, as in the official app; otherwise the first type the data source has.
  protected getDefaultSingleState(options: VariableValueOption[]): VariableValueOption {
    return options.find((o) => o.value === DEFAULT_PROFILE_METRIC_ID) ?? options[0] ?? { label: '', value: '' };
  }
}

/**
 * Label filters. Those of one service take their labels from it; those of All services (`acrossServices`) from
 * every series of the profile type, so that e.g. a cluster or namespace narrows every panel at once.
 */
function filtersVariable(name: string, label: string, acrossServices = false) {
  const matcherOf = (variable: SceneObject) =>
    acrossServices
      ? `{__profile_type__="${getVariableValue(variable, 'profileMetricId')}"}`
      : buildLabelSelector(getVariableValue(variable, 'serviceName'));
  return new AdHocFiltersVariable({
    name,
    label,
    applyMode: 'manual',
    filters: [],
    getTagKeysProvider: async (variable) => {
      const matcher = matcherOf(variable);
      const names = await fetchLabelNames(getDataSourceUid(variable), getTimeWindow(variable), matcher);
      return { replace: true, values: names.map((n) => ({ text: n, value: n })) };
    },
    getTagValuesProvider: async (variable, filter) => {
      const matcher = matcherOf(variable);
      const values = await fetchLabelValues(getDataSourceUid(variable), getTimeWindow(variable), filter.key, matcher);
      return { replace: true, values: values.map((v) => ({ text: v, value: v })) };
    },
  });
}

/** What the official app's links carry in `var-groupBy` when the series are not grouped. */
export const GROUP_BY_ALL = 'all';

/**
 * The labels view's group-by label. `all` reads as no label, so a query that groups by `${groupBy}` groups by
 * nothing on a link from the official app, from its first run.
 */
export class GroupByVariable extends TextBoxVariable {
  getValue(): string {
    const value = String(this.state.value ?? '');
    return value === GROUP_BY_ALL ? '' : value;
  }
}

/** Created once, at the root: each synchronises its own `var-<name>` URL parameter. */
export function buildVariables(): SceneVariableSet {
  const dataSource = new DataSourceVariable({
    name: 'dataSource',
    label: 'Data source',
    pluginId: PYROSCOPE_DATASOURCE_TYPE,
    value: readLastDataSourceUid() ?? '',
  });
  dataSource.subscribeToState((s, prev) => {
    if (s.value && s.value !== prev.value) {
      storeLastDataSourceUid(String(s.value));
    }
  });
  return new SceneVariableSet({
    variables: [
      dataSource,
      new ServiceNameVariable(),
      new ProfileMetricVariable(),
      filtersVariable('filters', 'Filters'),
      filtersVariable('servicesFilters', 'Filters', true),
      filtersVariable('filtersBaseline', 'Baseline filters'),
      filtersVariable('filtersComparison', 'Comparison filters'),
      new GroupByVariable({ name: 'groupBy', label: 'Group by', value: '' }),
      new TextBoxVariable({ name: 'spanSelector', label: 'Span', value: '' }),
      // set from a heatmap cell or an exemplar: the flame graph of exactly that stored profile
      new TextBoxVariable({ name: 'profile', label: 'Profile', value: '' }),
    ],
  });
}
