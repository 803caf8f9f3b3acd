// Grafana's core panels are part of Grafana, not of any npm package. The harness registers stand-ins built
// on @grafana/ui's own TimeSeries and BarGauge components (a plain table, bucket bars for the histogram) under the
// core ids, so VizPanels render real charts.
import React, { useLayoutEffect, useRef } from 'react';
import {
  DataFrame,
  PanelPlugin,
  PanelPluginMeta,
  PanelProps,
  PluginType,
  ReduceDataOptions,
  ThresholdsMode,
  buildHistogram,
  colorManipulator,
  getFieldDisplayValues,
  standardEditorsRegistry,
} from '@grafana/data';
import { setPluginImportUtils } from '@grafana/runtime';
import { BarGauge, LegendDisplayMode, Table, TimeSeries, UPlotConfigBuilder, useTheme2 } from '@grafana/ui';
import { BarGaugeDisplayMode, VizOrientation } from '@grafana/schema';

// Grafana's time series panel draws the annotations of the panel data: a region (time..timeEnd) as a band across
// the plot, a point as a vertical line, in the annotation's colour. Apps mark time ranges with them.
function AnnotationMarks({ config, annotations }: { config: UPlotConfigBuilder; annotations?: DataFrame[] }) {
  const theme = useTheme2();
  const latest = useRef(annotations);
  const plot = useRef<{ redraw: () => void } | null>(null);
  // annotations change without the frames changing: draw again
  useLayoutEffect(() => {
    latest.current = annotations;
    plot.current?.redraw();
  }, [annotations]);
  useLayoutEffect(() => {
    config.addHook('init', (u) => {
      plot.current = u;
    });
    config.addHook('draw', (u) => {
      const ctx = u.ctx;
      for (const frame of latest.current ?? []) {
        const field = (name: string) => frame.fields.find((f) => f.name === name)?.values;
        const time = field('time');
        const timeEnd = field('timeEnd');
        const color = field('color');
        for (let i = 0; i < frame.length; i++) {
          const x0 = u.valToPos(Number(time?.[i]), 'x', true);
          const end = timeEnd?.[i];
          const x1 = end ? u.valToPos(Number(end), 'x', true) : x0;
          const c = theme.visualization.getColorByName(String(color?.[i] ?? 'rgba(0, 211, 255, 1)'));
          ctx.save();
          if (x1 > x0) {
            ctx.fillStyle = colorManipulator.alpha(c, 0.1);
            ctx.fillRect(x0, u.bbox.top, x1 - x0, u.bbox.height);
          }
          ctx.strokeStyle = colorManipulator.alpha(c, 1);
          ctx.setLineDash([5, 5]);
          for (const x of x1 > x0 ? [x0, x1] : [x0]) {
            ctx.beginPath();
            ctx.moveTo(x, u.bbox.top);
            ctx.lineTo(x, u.bbox.top + u.bbox.height);
            ctx.stroke();
          }
          ctx.restore();
        }
      }
    });
  }, [config, theme]);
  return null;
}

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
    >
      {(config) => <AnnotationMarks config={config} annotations={data.annotations} />}
    </TimeSeries>
  );
}

// Grafana's table panel draws @grafana/ui's table of the first frame.
function TablePanel({ data, width, height }: PanelProps) {
  const frame = data.series[0];
  if (!frame) {
    return null;
  }
  return (
    <div data-harness-panel="table">
      <Table data={frame} width={width} height={height} />
    </div>
  );
}

// Grafana's bar gauge reduces each field (reduceOptions.calcs) and draws one bar per field, as this does.
function BarGaugePanel({
  data,
  width,
  height,
  fieldConfig,
  replaceVariables,
  options,
}: PanelProps<{ reduceOptions?: ReduceDataOptions; orientation?: VizOrientation; displayMode?: BarGaugeDisplayMode }>) {
  const theme = useTheme2();
  const values = getFieldDisplayValues({
    data: data.series,
    reduceOptions: options.reduceOptions ?? { values: false, calcs: ['lastNotNull'] },
    fieldConfig,
    replaceVariables,
    theme,
  });
  if (!data.series.length) {
    return <div style={{ padding: 8, opacity: 0.7 }}>No data</div>;
  }
  const each = Math.max(24, Math.floor(height / Math.max(1, values.length)));
  return (
    <div data-harness-panel="bargauge">
      {values.map((v, i) => (
        <BarGauge
          key={i}
          width={width}
          height={each}
          // Grafana fills in default thresholds for every panel; the bar colour comes from them
          field={{
            ...v.field,
            thresholds: v.field.thresholds ?? {
              mode: ThresholdsMode.Absolute,
              steps: [{ value: -Infinity, color: 'green' }],
            },
          }}
          value={v.display}
          orientation={options.orientation ?? VizOrientation.Horizontal}
          displayMode={options.displayMode ?? BarGaugeDisplayMode.Gradient}
          theme={theme}
          isOverflow={false}
        />
      ))}
    </div>
  );
}

// Grafana's histogram panel buckets every numeric value of the series; bars of bucket counts stand in for it.
function HistogramPanel({ data, width, height }: PanelProps) {
  const theme = useTheme2();
  const h = data.series.length ? buildHistogram(data.series, undefined, theme) : null;
  if (!h) {
    return <div style={{ padding: 8, opacity: 0.7 }}>No data</div>;
  }
  const counts = h.counts.map((f) => f.values as number[]);
  const n = h.xMin.values.length;
  const max = Math.max(1, ...counts.flatMap((c) => c));
  const w = width / Math.max(1, n);
  return (
    <svg width={width} height={height} data-harness-panel="histogram">
      {Array.from({ length: n }, (_, i) => {
        const c = counts.reduce((s, col) => s + (col[i] ?? 0), 0);
        const bh = ((height - 16) * c) / max;
        return (
          <rect
            key={i}
            x={i * w + 1}
            y={height - bh}
            width={Math.max(1, w - 2)}
            height={bh}
            fill={theme.visualization.getColorByName('green')}
            data-min={String(h.xMin.values[i])}
            data-max={String(h.xMax.values[i])}
            data-count={c}
          />
        );
      })}
    </svg>
  );
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
// As Grafana's, the time series panel takes annotations (and alert states) with its data; scenes strips them otherwise.
register('timeseries', 'Time series', TimeSeriesPanel as never)
  .setDataSupport({ annotations: true, alertStates: true })
  .useFieldConfig({
    useCustomConfig: (b) =>
      b
        .addNumberInput({ path: 'fillOpacity', name: 'Fill opacity', defaultValue: 0 })
        .addNumberInput({ path: 'lineWidth', name: 'Line width', defaultValue: 1 })
        .addNumberInput({ path: 'pointSize', name: 'Point size', defaultValue: 5 })
        .addTextInput({ path: 'showPoints', name: 'Show points', defaultValue: 'auto' })
        .addTextInput({ path: 'drawStyle', name: 'Style', defaultValue: 'line' }),
  });
register('table', 'Table', TablePanel as never);
register('bargauge', 'Bar gauge', BarGaugePanel as never);
register('histogram', 'Histogram', HistogramPanel as never);

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
