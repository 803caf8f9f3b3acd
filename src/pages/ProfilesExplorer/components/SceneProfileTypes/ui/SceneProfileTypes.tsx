import React from 'react';
import {
  SceneComponentProps,
  SceneObjectBase,
  SceneObjectState,
  VariableDependencyConfig,
  sceneGraph,
} from '@grafana/scenes';
import { Alert, LoadingPlaceholder } from '@grafana/ui';
import { buildLabelSelector } from '../../../../../shared/domain/labelSelector';
import { parseProfileMetricId, sortProfileMetricIds } from '../../../../../shared/domain/profileMetrics';
import { loadServiceCatalog } from '../../../domain/catalog';
import { buildSeriesPanel } from '../../../../../shared/ui/buildSeriesPanel';
import { getDataSourceUid, getTimeWindow, getVariableValue } from '../../../domain/variables';
import { ScenePanelGrid } from '../../ScenePanelGrid/ui/ScenePanelGrid';
import { PanelType } from '../../../../../shared/domain/explorerNavigation';

interface SceneProfileTypesState extends SceneObjectState {
  grid: ScenePanelGrid;
  types: string[];
  loading: boolean;
  error?: string;
}

export class SceneProfileTypes extends SceneObjectBase<SceneProfileTypesState> {
  protected _variableDependency = new VariableDependencyConfig(this, {
    variableNames: ['dataSource', 'serviceName'],
    onReferencedVariableValueChanged: () => this.load(),
  });

  constructor() {
    super({
      grid: new ScenePanelGrid({ noun: 'profile types' }),
      types: [],
      loading: true,
    });
    this.addActivationHandler(() => {
      this.load();
      const tr = sceneGraph.getTimeRange(this).subscribeToState(() => this.load());
      return () => tr.unsubscribe();
    });
  }

  async load() {
    const serviceName = getVariableValue(this, 'serviceName');
    if (!serviceName) {
      this.setState({ loading: false, types: [] });
      return;
    }
    this.setState({ loading: true, error: undefined });
    try {
      const catalog = await loadServiceCatalog(getDataSourceUid(this), getTimeWindow(this));
      const types = sortProfileMetricIds(catalog.services.get(serviceName) ?? []);
      const panels = types.map((id) => ({
        name: parseProfileMetricId(id).label,
        build: (panelType: PanelType) =>
          buildSeriesPanel({
            title: `${parseProfileMetricId(id).label}`,
            panelType,
            profileMetricId: id,
            labelSelector: buildLabelSelector(serviceName),
            displayName: serviceName,
            actions: [
              {
                label: 'Labels',
                target: { explorationType: 'labels', profileMetricId: id },
                testId: `action-labels-${id}`,
              },
              {
                label: 'Flame graph',
                target: { explorationType: 'flame-graph', profileMetricId: id },
                testId: `action-flame-graph-${id}`,
              },
            ],
          }),
      }));
      this.state.grid.setPanels(panels);
      this.setState({ types, loading: false });
    } catch (e) {
      this.setState({ loading: false, error: String((e as Error).message ?? e) });
    }
  }

  static Component = SceneProfileTypesRenderer;
}

function SceneProfileTypesRenderer({ model }: SceneComponentProps<SceneProfileTypes>) {
  const { grid, types, loading, error } = model.useState();
  return (
    <div data-testid="profile-types-view">
      {error && <Alert title="Could not list profile types">{error}</Alert>}
      {loading && !types.length && <LoadingPlaceholder text="Loading profile types..." />}
      {!loading && !error && !types.length && (
        <Alert severity="info" title="No profile types">
          Choose a service that has data in the selected time range.
        </Alert>
      )}
      <grid.Component model={grid} />
    </div>
  );
}
