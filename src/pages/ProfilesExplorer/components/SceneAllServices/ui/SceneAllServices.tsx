import React from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2, LoadingState } from '@grafana/data';
import {
  SceneCSSGridItem,
  SceneCSSGridLayout,
  SceneComponentProps,
  SceneObject,
  SceneObjectBase,
  SceneObjectState,
  MultiValueVariable,
  VariableDependencyConfig,
  VizPanel,
  sceneGraph,
} from '@grafana/scenes';
import { Alert, Input, LoadingPlaceholder, RadioButtonGroup, Switch, Stack, useStyles2 } from '@grafana/ui';
import { buildLabelSelector } from '../../../../../shared/domain/labelSelector';
import { framesTotal } from '../../../../../shared/domain/converters/seriesToDataFrames';
import { hasIngestedProfiles, loadServiceCatalog } from '../../../domain/catalog';
import { buildSeriesPanel } from '../../../../../shared/ui/buildSeriesPanel';
import { Onboarding } from '../components/Onboarding/ui/Onboarding';
import { PanelType } from '../../../../../shared/domain/explorerNavigation';
import { ExplorerUrlState, GridLayout, quickFilterMatcher } from '../../../domain/urlState';
import { getDataSourceUid, getTimeWindow, getVariableValue } from '../../../domain/variables';

interface SceneAllServicesState extends SceneObjectState {
  grid: SceneCSSGridLayout;
  services: string[];
  loading: boolean;
  error?: string;
  noData: Record<string, boolean>;
  /** the data source has never received a profile (GetProfileStats): show how to send some */
  nothingIngested?: boolean;
}

type ExplorerLike = SceneObject<SceneObjectState & ExplorerUrlState>;

const PANEL_TYPE_OPTIONS: Array<{ label: string; value: PanelType; description: string }> = [
  { label: 'Time series', value: 'time-series', description: 'Each service over time' },
  { label: 'Totals', value: 'bar-gauge', description: 'Sum over the time range, as a bar gauge' },
  { label: 'Maxima', value: 'table', description: 'The peak of each service and when, as a table' },
  { label: 'Histograms', value: 'histogram', description: 'How often each value occurred' },
];

const ONBOARDING_POLL_MS = 3000;

export function gridTemplate(layout: GridLayout) {
  return layout === 'rows' ? '1fr' : 'repeat(auto-fill, minmax(420px, 1fr))';
}

export class SceneAllServices extends SceneObjectBase<SceneAllServicesState> {
  protected _variableDependency = new VariableDependencyConfig(this, {
    variableNames: ['dataSource', 'profileMetricId'],
    onReferencedVariableValueChanged: () => this.load(),
  });

  constructor() {
    super({
      grid: new SceneCSSGridLayout({
        children: [],
        templateColumns: gridTemplate('grid'),
        autoRows: '220px',
        rowGap: 1,
        columnGap: 1,
      }),
      services: [],
      loading: true,
      noData: {},
    });
    this.addActivationHandler(() => {
      this.load();
      const explorer = this.explorer();
      const sub = explorer?.subscribeToState((s, prev) => {
        if (s.panelType !== prev.panelType) {
          this.load();
        } else if (s.searchText !== prev.searchText || s.layout !== prev.layout || s.hideNoData !== prev.hideNoData) {
          this.applyView();
        }
      });
      const tr = sceneGraph.getTimeRange(this).subscribeToState(() => this.load());
      return () => {
        sub?.unsubscribe();
        tr.unsubscribe();
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
      this.applyView();
      if (dataSourceUid) {
        // No profile type at all: maybe nothing was ever ingested.
        this.checkIngested(dataSourceUid);
      }
      return;
    }
    this.setState({ loading: true, error: undefined });
    try {
      const catalog = await loadServiceCatalog(dataSourceUid, getTimeWindow(this));
      const services = [...catalog.services.entries()]
        .filter(([, types]) => types.includes(profileMetricId))
        .map(([s]) => s);
      const children = services.map((service) => {
        const panel = buildSeriesPanel({
          title: service,
          labelSelector: buildLabelSelector(service),
          displayName: service,
          panelType: this.explorer()?.state.panelType,
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
        });
        this.watchNoData(service, panel);
        return new SceneCSSGridItem({ body: panel });
      });
      this.state.grid.setState({ children });
      this.setState({ services, loading: false, nothingIngested: false });
      if (services.length) {
        this.awaitingFirstProfile = false;
      }
      this.applyView();
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

  private watchNoData(service: string, panel: VizPanel) {
    const data = panel.state.$data;
    if (!data) {
      return;
    }
    this._subs.add(
      data.subscribeToState((s) => {
        if (s.data?.state !== LoadingState.Done) {
          return;
        }
        const empty = !s.data.series.length || framesTotal(s.data.series) === 0;
        if (this.state.noData[service] !== empty) {
          this.setState({ noData: { ...this.state.noData, [service]: empty } });
          this.applyView();
        }
      })
    );
  }

  /** Quick filter, layout and hide-no-data act on the existing panels: nothing is re-queried. */
  applyView() {
    const explorer = this.explorer();
    const { searchText = '', layout = 'grid', hideNoData = false } = explorer?.state ?? {};
    const matches = quickFilterMatcher(searchText);
    const { grid, services, noData } = this.state;
    grid.state.children.forEach((item, i) => {
      const service = services[i];
      const hidden = !matches(service) || (hideNoData && noData[service] === true);
      if ((item as SceneCSSGridItem).state.isHidden !== hidden) {
        (item as SceneCSSGridItem).setState({ isHidden: hidden });
      }
    });
    const templateColumns = gridTemplate(layout);
    if (grid.state.templateColumns !== templateColumns) {
      grid.setState({ templateColumns });
    }
  }

  static Component = SceneAllServicesRenderer;
}

function SceneAllServicesRenderer({ model }: SceneComponentProps<SceneAllServices>) {
  const styles = useStyles2(getStyles);
  const { grid, services, loading, error, noData, nothingIngested } = model.useState();
  const explorer = model.explorer();
  const {
    searchText = '',
    layout = 'grid',
    hideNoData = false,
    panelType = 'time-series',
  } = explorer?.useState() ?? {};
  const matches = quickFilterMatcher(searchText);
  const shown = services.filter((s) => matches(s) && !(hideNoData && noData[s])).length;
  return (
    <div className={styles.container}>
      <div className={styles.controls}>
        <Input
          className={styles.search}
          placeholder="Search services by name (comma-separated regexes)"
          value={searchText}
          data-testid="quick-filter"
          onChange={(e) => explorer?.setState({ searchText: e.currentTarget.value })}
          suffix={<span data-testid="quick-filter-count">{`${shown} of ${services.length} services`}</span>}
        />
        <Stack gap={2} alignItems="center">
          <Stack gap={1} alignItems="center">
            <span>Hide panels without data</span>
            <Switch value={hideNoData} onChange={() => explorer?.setState({ hideNoData: !hideNoData })} />
          </Stack>
          <div data-testid="panel-type">
            <RadioButtonGroup<PanelType>
              size="sm"
              options={PANEL_TYPE_OPTIONS}
              value={panelType}
              onChange={(v) => explorer?.setState({ panelType: v })}
            />
          </div>
          <RadioButtonGroup
            size="sm"
            options={[
              { label: 'Grid', value: 'grid' as const, icon: 'apps' },
              { label: 'Rows', value: 'rows' as const, icon: 'list-ul' },
            ]}
            value={layout}
            onChange={(v) => explorer?.setState({ layout: v })}
          />
        </Stack>
      </div>
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
  controls: css({
    display: 'flex',
    gap: theme.spacing(2),
    alignItems: 'center',
    justifyContent: 'space-between',
    flexWrap: 'wrap',
  }),
  search: css({ flex: 1, minWidth: 320 }),
});
