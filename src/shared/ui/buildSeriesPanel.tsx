import React from 'react';
import { locationService } from '@grafana/runtime';
import { DataFrame } from '@grafana/data';
import { PanelBuilders, SceneDataTransformer, SceneQueryRunner, VizPanel } from '@grafana/scenes';
import { Button, Stack } from '@grafana/ui';
import { BarGaugeDisplayMode, LegendDisplayMode, VisibilityMode, VizOrientation } from '@grafana/schema';
import { Observable, map } from 'rxjs';
import { navigationParams, NavigationTarget, PanelType } from '../domain/explorerNavigation';
import { seriesMaxima } from '../domain/converters/seriesMaxima';
import { SERIES_DATASOURCE, SeriesQuery } from '../domain/runtimeDataSources';
import { SeriesPanelTools } from './SeriesPanelTools';

export interface SeriesPanelOptions {
  title: string;
  labelSelector: string;
  profileMetricId?: string;
  groupBy?: string[];
  displayName?: string;
  limit?: number;
  actions?: Array<{ label: string; target: NavigationTarget; testId?: string }>;
  extraActions?: React.ReactNode;
  showLegend?: boolean;
  /** time series unless told otherwise (All services offers the others) */
  panelType?: PanelType;
  /** a fixed data source instead of the `dataSource` variable (favourites remember theirs) */
  dataSourceUid?: string;
}

/** A panel of SelectSeries (time series by default) through the app's runtime data source (the data-source proxy). */
export function buildSeriesPanel(o: SeriesPanelOptions): VizPanel {
  const query: SeriesQuery = {
    refId: 'A',
    dataSourceUid: o.dataSourceUid ?? '${dataSource}',
    profileMetricId: o.profileMetricId ?? '${profileMetricId}',
    labelSelector: o.labelSelector,
    groupBy: o.groupBy,
    displayName: o.displayName,
    limit: o.limit,
  };
  const runner = new SceneQueryRunner({ datasource: SERIES_DATASOURCE, queries: [query], maxDataPoints: 300 });
  const panel = buildPanel(o, runner);
  // the tools resolve the query against the panel itself, so they are added once it exists
  panel.setState({
    headerActions: (
      <Stack gap={0.5} alignItems="center">
        {navigation(o)}
        <SeriesPanelTools panel={panel} query={query} />
      </Stack>
    ),
  });
  return panel;
}

function buildPanel(o: SeriesPanelOptions, runner: SceneQueryRunner): VizPanel {
  switch (o.panelType) {
    case 'bar-gauge':
      // one bar per series: the sum of its points over the time range
      return PanelBuilders.bargauge()
        .setTitle(o.title)
        .setData(runner)
        .setOption('reduceOptions', { values: false, calcs: ['sum'], fields: '' })
        .setOption('orientation', VizOrientation.Horizontal)
        .setOption('displayMode', BarGaugeDisplayMode.Gradient)
        .build();
    case 'table':
      return PanelBuilders.table()
        .setTitle(o.title)
        .setData(
          new SceneDataTransformer({
            $data: runner,
            transformations: [() => (source: Observable<DataFrame[]>) => source.pipe(map((f) => [seriesMaxima(f)]))],
          })
        )
        .build();
    case 'histogram':
      // how often each value occurred over the time range
      return PanelBuilders.histogram().setTitle(o.title).setData(runner).build();
    default:
      return (
        PanelBuilders.timeseries()
          .setTitle(o.title)
          .setData(runner)
          // a legend under every series panel, as the official app shows one (`cpu`, `cpu eu`)
          .setOption('legend', {
            showLegend: o.showLegend ?? true,
            displayMode: LegendDisplayMode.List,
            placement: 'bottom',
          })
          .setCustomFieldConfig('fillOpacity', 10)
          // Profiles arrive every 10-60 s: a lone point must still be visible.
          .setCustomFieldConfig('showPoints', VisibilityMode.Always)
          .setCustomFieldConfig('pointSize', 5)
          .build()
      );
  }
}

function navigation(o: SeriesPanelOptions): React.ReactNode {
  return o.actions?.length ? (
    <Stack gap={0.5}>
      {o.actions.map((a) => (
        // links in the primary colour, as the official app's panel actions
        <Button
          key={a.label}
          size="sm"
          variant="primary"
          fill="text"
          data-testid={a.testId}
          onClick={() => locationService.partial(navigationParams(a.target))}
        >
          {a.label}
        </Button>
      ))}
      {o.extraActions}
    </Stack>
  ) : (
    o.extraActions
  );
}
