import React from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import {
  SceneComponentProps,
  SceneObject,
  SceneObjectBase,
  SceneObjectState,
  MultiValueVariable,
  VariableDependencyConfig,
  sceneGraph,
} from '@grafana/scenes';
import { Alert, LoadingPlaceholder, useStyles2 } from '@grafana/ui';
import { buildLabelSelector } from '../../../../../shared/domain/labelSelector';
import { describeFavorite } from '../../../../../shared/domain/favorites';
import { listFavorites, onFavoritesChange } from '../../../../../shared/domain/useFavorite';
import { hasIngestedProfiles, loadServiceCatalog } from '../../../domain/catalog';
import { buildSeriesPanel } from '../../../../../shared/ui/buildSeriesPanel';
import { Onboarding } from '../components/Onboarding/ui/Onboarding';
import { ExplorerUrlState } from '../../../domain/urlState';
import { PanelType } from '../../../../../shared/domain/explorerNavigation';
import { ScenePanelGrid } from '../../ScenePanelGrid/ui/ScenePanelGrid';
import { getDataSourceUid, getTimeWindow, getVariableValue } from '../../../domain/variables';

interface SceneAllServicesState extends SceneObjectState {
  grid: ScenePanelGrid;
  services: string[];
  loading: boolean;
  error?: string;
  /** the data source has never received a profile (GetProfileStats): show how to send some */
  nothingIngested?: boolean;
}

type ExplorerLike = SceneObject<SceneObjectState & ExplorerUrlState>;

const ONBOARDING_POLL_MS = 3000;

export class SceneAllServices extends SceneObjectBase<SceneAllServicesState> {
  protected _variableDependency = new VariableDependencyConfig(this, {
    variableNames: ['dataSource', 'profileMetricId', 'servicesFilters'],
    onReferencedVariableValueChanged: () => this.load(),
  });

  constructor() {
    super({
      grid: new ScenePanelGrid({ noun: 'services' }),
      services: [],
      loading: true,
    });
    this.addActivationHandler(() => {
      this.load();
      const tr = sceneGraph.getTimeRange(this).subscribeToState(() => this.load());
      // a starred service moves to the front
      const favorites = onFavoritesChange(() => this.load());
      return () => {
        tr.unsubscribe();
        favorites();
        clearTimeout(this.onboardingPoll);
      };
    });
  }

  private onboardingPoll?: ReturnType<typeof setTimeout>;
  /** the onboarding was shown: poll until the first services appear */
  private awaitingFirstProfile = false;

  explorer(): ExplorerLike | undefined {
    return this.parent as ExplorerLike | undefined;
  }

  async load() {
    const profileMetricId = getVariableValue(this, 'profileMetricId');
    const dataSourceUid = getDataSourceUid(this);
    if (!dataSourceUid || !profileMetricId) {
      this.setState({ loading: false, services: [] });
      this.state.grid.setPanels([]);
      if (dataSourceUid) {
        // No profile type at all: maybe nothing was ever ingested.
        this.checkIngested(dataSourceUid);
      }
      return;
    }
    this.setState({ loading: true, error: undefined });
    try {
      const catalog = await loadServiceCatalog(dataSourceUid, getTimeWindow(this));
      const starred = new Set(
        listFavorites()
          .filter((f) => f.profileMetricId === profileMetricId)
          .map((f) => describeFavorite(f).serviceName)
      );
      // favourites first, as in the official app; otherwise in the catalog's order
      const services = [...catalog.services.entries()]
        .filter(([, types]) => types.includes(profileMetricId))
        .map(([s]) => s)
        .sort((a, b) => Number(starred.has(b)) - Number(starred.has(a)));
      const panels = services.map((service) => ({
        name: service,
        build: (panelType: PanelType) =>
          buildSeriesPanel({
            title: service,
            // the All services label filters narrow every panel (variables keep the query in step)
            labelSelector: buildLabelSelector(service).replace(/\}$/, ',${servicesFilters}}'),
            displayName: service,
            panelType,
            actions: [
              {
                label: 'Profile types',
                target: { explorationType: 'profiles', serviceName: service },
                testId: `action-profiles-${service}`,
              },
              {
                label: 'Labels',
                target: { explorationType: 'labels', serviceName: service, profileMetricId },
                testId: `action-labels-${service}`,
              },
              {
                label: 'Flame graph',
                target: { explorationType: 'flame-graph', serviceName: service, profileMetricId },
                testId: `action-flame-graph-${service}`,
              },
            ],
          }),
      }));
      this.state.grid.setPanels(panels);
      this.setState({ services, loading: false, nothingIngested: false });
      if (services.length) {
        this.awaitingFirstProfile = false;
      }
      if (!services.length) {
        this.checkIngested(dataSourceUid);
      }
    } catch (e) {
      this.setState({ loading: false, error: String((e as Error).message ?? e) });
    }
  }

  private async checkIngested(dataSourceUid: string) {
    try {
      const ingested = await hasIngestedProfiles(dataSourceUid);
      this.setState({ nothingIngested: !ingested });
      if (!ingested) {
        this.awaitingFirstProfile = true;
      }
      if (!this.awaitingFirstProfile || !this.isActive) {
        return;
      }
      if (ingested) {
        // the pickers were filled before the first profile: they learn its type, and the new value reloads this
        // view (their catalog is cached for a few seconds, so this may take another round)
        const types = sceneGraph.lookupVariable('profileMetricId', this);
        if (types instanceof MultiValueVariable) {
          types.refreshOptions();
        }
      }
      // someone is following the onboarding right now: look again until their services show
      clearTimeout(this.onboardingPoll);
      this.onboardingPoll = setTimeout(() => this.isActive && this.load(), ONBOARDING_POLL_MS);
    } catch {
      // GetProfileStats is optional (older servers lack it): without it, the plain "no services" message stays.
    }
  }

  static Component = SceneAllServicesRenderer;
}

function SceneAllServicesRenderer({ model }: SceneComponentProps<SceneAllServices>) {
  const styles = useStyles2(getStyles);
  const { grid, services, loading, error, nothingIngested } = model.useState();
  return (
    <div className={styles.container}>
      {error && <Alert title="Could not list services">{error}</Alert>}
      {loading && !services.length && <LoadingPlaceholder text="Loading services..." />}
      {nothingIngested && <Onboarding dataSourceUid={getDataSourceUid(model)} />}
      {!loading && !error && !services.length && !nothingIngested && (
        <Alert severity="info" title="No services">
          No service reported this profile type in the selected time range.
        </Alert>
      )}
      <grid.Component model={grid} />
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  container: css({ display: 'flex', flexDirection: 'column', gap: theme.spacing(1) }),
});
