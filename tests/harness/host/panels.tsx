// Grafana's core panels are part of Grafana, not of any npm package. The harness registers stand-ins built
// on @grafana/ui's own TimeSeries and Table components under the core ids, so VizPanels render real charts.
import React from 'react';
import { PanelPlugin, PanelPluginMeta, PanelProps, PluginType, standardEditorsRegistry } from '@grafana/data';
import { setPluginImportUtils } from '@grafana/runtime';
import { LegendDisplayMode, Table, TimeSeries } from '@grafana/ui';

function TimeSeriesPanel({
  data,
  width,
  height,
  timeRange,
  timeZone,
  options,
}: PanelProps<{ legend?: { showLegend?: boolean } }>) {
  if (!data.series.length) {
    return <div style={{ padding: 8, opacity: 0.7 }}>No data</div>;
  }
  return (
    <TimeSeries
      frames={data.series}
      width={width}
      height={height}
      timeRange={timeRange}
      timeZone={timeZone}
      legend={{
        showLegend: options.legend?.showLegend ?? true,
        displayMode: LegendDisplayMode.List,
        placement: 'bottom',
        calcs: [],
      }}
    />
  );
}

function TablePanel({ data, width, height }: PanelProps) {
  return data.series[0] ? <Table data={data.series[0]} width={width} height={height} /> : null;
}

function meta(id: string, name: string): PanelPluginMeta {
  return {
    id,
    name,
    type: PluginType.panel,
    sort: 0,
    module: `core:plugin/${id}`,
    baseUrl: '',
    info: {
      author: { name: 'harness' },
      description: '',
      links: [],
      logos: { small: '', large: '' },
      screenshots: [],
      updated: '',
      version: '',
    },
  };
}

const plugins: Record<string, PanelPlugin> = {};
function register(id: string, name: string, panel: React.ComponentType<PanelProps<never>>) {
  const p = new PanelPlugin(panel as never);
  p.meta = meta(id, name);
  plugins[id] = p;
  return p;
}
// Grafana keeps only the custom field options a panel declares; these are the timeseries ones apps set most.
register('timeseries', 'Time series', TimeSeriesPanel as never).useFieldConfig({
  useCustomConfig: (b) =>
    b
      .addNumberInput({ path: 'fillOpacity', name: 'Fill opacity', defaultValue: 0 })
      .addNumberInput({ path: 'lineWidth', name: 'Line width', defaultValue: 1 })
      .addNumberInput({ path: 'pointSize', name: 'Point size', defaultValue: 5 })
      .addTextInput({ path: 'showPoints', name: 'Show points', defaultValue: 'auto' })
      .addTextInput({ path: 'drawStyle', name: 'Style', defaultValue: 'line' }),
});
register('table', 'Table', TablePanel as never);

export function installPanels() {
  // Grafana registers its option editors at boot; panels need them to declare options. No editor UI here.
  standardEditorsRegistry.setInit(() =>
    ['number', 'text', 'radio', 'select', 'boolean', 'slider', 'color', 'unit', 'stats-picker'].map((id) => ({
      id,
      name: id,
      editor: () => null,
    }))
  );
  setPluginImportUtils({
    importPanelPlugin: (id: string) =>
      plugins[id]
        ? Promise.resolve(plugins[id])
        : Promise.reject(new Error(`harness: panel plugin ${id} is not available`)),
    getPanelPluginFromCache: (id: string) => plugins[id],
  });
}
