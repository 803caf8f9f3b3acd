import React, { useLayoutEffect, useMemo, useRef, useState } from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2, dateTimeFormat } from '@grafana/data';
import { useStyles2, useTheme2 } from '@grafana/ui';
import { line, scaleLinear } from 'd3';
import { HeatmapCell, HeatmapGrid, ProfileExemplar, SeriesPoint, cellColor } from '../domain/heatmapGrid';

export interface HeatmapChartProps {
  grid: HeatmapGrid;
  series: SeriesPoint[];
  /** ms: the scene's time range, the same axis as the series panel above */
  start: number;
  end: number;
  formatValue: (v: number) => string;
  /** a span heatmap (cells count spans) rather than one of individual profiles */
  spans: boolean;
  onOpen: (exemplar: ProfileExemplar) => void;
}

const MARGIN = { left: 72, right: 16 };
const SERIES_HEIGHT = 110;
const HEATMAP_HEIGHT = 180;
const AXIS_HEIGHT = 22;
const GAP = 12;

/**
 * Exemplars on the series (top) and the profiles of every time slot by value (bottom), on one time axis. Drawn
 * by us: Grafana's heatmap panel is not on npm, and one SVG keeps both tracks aligned to the pixel.
 */
export function HeatmapChart({ grid, series, start, end, formatValue, spans, onOpen }: HeatmapChartProps) {
  const styles = useStyles2(getStyles);
  const theme = useTheme2();
  const host = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(0);
  const [hover, setHover] = useState<{ x: number; y: number; text: string[] }>();

  useLayoutEffect(() => {
    const el = host.current;
    if (!el) {
      return;
    }
    setWidth(el.clientWidth);
    const ro = new ResizeObserver(() => setWidth(el.clientWidth));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const x = useMemo(
    () =>
      scaleLinear()
        .domain([start, end])
        .range([MARGIN.left, Math.max(MARGIN.left + 1, width - MARGIN.right)]),
    [start, end, width]
  );
  const seriesTop = 4;
  const heatTop = seriesTop + SERIES_HEIGHT + GAP;
  const axisTop = heatTop + HEATMAP_HEIGHT;
  const height = axisTop + AXIS_HEIGHT;

  const exemplars = useMemo(() => series.flatMap((p) => p.exemplars), [series]);
  const ySeries = useMemo(() => {
    const top = Math.max(1, ...series.map((p) => p.value), ...exemplars.map((e) => e.value));
    return scaleLinear()
      .domain([0, top])
      .nice(4)
      .range([seriesTop + SERIES_HEIGHT, seriesTop]);
  }, [series, exemplars]);
  const yHeat = useMemo(
    () =>
      scaleLinear()
        .domain([grid.low, grid.high])
        .range([heatTop + HEATMAP_HEIGHT, heatTop]),
    [grid.low, grid.high, heatTop]
  );
  const path = useMemo(
    () =>
      line<SeriesPoint>()
        .x((p) => x(p.time))
        .y((p) => ySeries(p.value))(series) ?? '',
    [series, x, ySeries]
  );
  const span = end - start;
  const timeTicks = x.ticks(Math.max(2, Math.floor(width / 120)));
  const what = spans ? 'spans' : 'profiles';

  const describe = (e: ProfileExemplar) => [
    `${dateTimeFormat(e.time, { format: 'YYYY-MM-DD HH:mm:ss' })}: ${formatValue(e.value)}`,
    e.spanId ? `span ${e.spanId}` : `profile ${e.profileId || '(no id)'}`,
    ...(e.traceId ? [`trace ${e.traceId}`] : []),
    ...e.labels.map((l) => `${l.name}=${l.value}`),
    'click to open its flame graph',
  ];
  const cellText = (c: HeatmapCell) => [
    `${dateTimeFormat(c.start, { format: 'HH:mm:ss' })} – ${dateTimeFormat(c.end, { format: 'HH:mm:ss' })}`,
    `${formatValue(c.low)} – ${formatValue(c.high)}: ${c.count} ${what}`,
    ...(c.exemplar
      ? describe(c.exemplar)
          .slice(0, -1)
          .map((s, i) => (i === 0 ? `highest ${s}` : s))
      : []),
    ...(c.exemplar ? ['click to open its flame graph'] : []),
  ];
  const show = (ev: React.MouseEvent, text: string[]) => {
    const box = host.current?.getBoundingClientRect();
    setHover({ x: ev.clientX - (box?.left ?? 0), y: ev.clientY - (box?.top ?? 0), text });
  };
  // without an id an exemplar still names its profile by instant and labels (shared/domain/profileSelection)
  const canOpen = (e?: ProfileExemplar): e is ProfileExemplar => e !== undefined;

  return (
    <div
      className={styles.host}
      ref={host}
      data-testid="profiles-heatmap-chart"
      onMouseLeave={() => setHover(undefined)}
    >
      {width > 0 && (
        <svg width={width} height={height} role="img" aria-label={`Series with exemplars and a heatmap of ${what}`}>
          {/* series track */}
          {ySeries.ticks(3).map((v) => (
            <g key={`s${v}`}>
              <line
                x1={MARGIN.left}
                x2={width - MARGIN.right}
                y1={ySeries(v)}
                y2={ySeries(v)}
                className={styles.grid}
              />
              <text x={MARGIN.left - 6} y={ySeries(v)} className={styles.yLabel}>
                {formatValue(v)}
              </text>
            </g>
          ))}
          <path d={path} fill="none" stroke={theme.visualization.getColorByName('green')} strokeWidth={1.5} />
          {exemplars.map((e, i) => (
            <path
              key={`e${i}`}
              data-testid="series-exemplar"
              data-profile-id={e.profileId}
              data-span-id={e.spanId}
              data-value={e.value}
              d={diamond(x(e.time), ySeries(e.value), 5)}
              className={styles.exemplar}
              onMouseMove={(ev) => show(ev, describe(e))}
              onClick={() => onOpen(e)}
            />
          ))}
          {/* heatmap track */}
          <rect
            x={MARGIN.left}
            y={heatTop}
            width={Math.max(0, width - MARGIN.left - MARGIN.right)}
            height={HEATMAP_HEIGHT}
            className={styles.heatBackground}
          />
          {yHeat.ticks(4).map((v) => (
            <text key={`h${v}`} x={MARGIN.left - 6} y={yHeat(v)} className={styles.yLabel}>
              {formatValue(v)}
            </text>
          ))}
          {grid.cells.map((c) => {
            const x0 = Math.max(MARGIN.left, x(c.start));
            const x1 = Math.min(width - MARGIN.right, x(c.end));
            if (x1 <= x0) {
              return null;
            }
            const y0 = yHeat(c.high);
            const y1 = yHeat(c.low);
            return (
              <rect
                key={`${c.end}/${c.bucket}`}
                data-testid="heatmap-cell"
                data-count={c.count}
                data-profile-id={c.exemplar?.profileId ?? ''}
                data-span-id={c.exemplar?.spanId ?? ''}
                data-value={c.exemplar?.value ?? ''}
                x={x0 + 0.5}
                y={y0 + 0.5}
                width={Math.max(1, x1 - x0 - 1)}
                height={Math.max(1, y1 - y0 - 1)}
                fill={cellColor(c.count, grid.maxCount)}
                className={canOpen(c.exemplar) ? styles.cell : undefined}
                onMouseMove={(ev) => show(ev, cellText(c))}
                onClick={() => canOpen(c.exemplar) && onOpen(c.exemplar)}
              />
            );
          })}
          {/* the shared time axis */}
          {timeTicks.map((t) => (
            <g key={`t${t}`}>
              <line x1={x(t)} x2={x(t)} y1={axisTop} y2={axisTop + 4} className={styles.axis} />
              <text x={x(t)} y={axisTop + 16} className={styles.xLabel}>
                {dateTimeFormat(t, { format: span > 86_400_000 ? 'MM/DD HH:mm' : 'HH:mm' })}
              </text>
            </g>
          ))}
          <line x1={MARGIN.left} x2={width - MARGIN.right} y1={axisTop} y2={axisTop} className={styles.axis} />
        </svg>
      )}
      {hover && (
        <div
          className={styles.tooltip}
          style={
            // near the right edge the tooltip opens to the left of the pointer, inside the panel
            hover.x > width - 320
              ? { right: width - hover.x + 12, top: hover.y + 12 }
              : { left: hover.x + 12, top: hover.y + 12 }
          }
          data-testid="heatmap-tooltip"
        >
          {hover.text.map((t) => (
            <div key={t}>{t}</div>
          ))}
        </div>
      )}
    </div>
  );
}

function diamond(cx: number, cy: number, r: number): string {
  return `M${cx},${cy - r}L${cx + r},${cy}L${cx},${cy + r}L${cx - r},${cy}Z`;
}

const getStyles = (theme: GrafanaTheme2) => ({
  host: css({ position: 'relative', width: '100%' }),
  grid: css({ stroke: theme.colors.border.weak }),
  axis: css({ stroke: theme.colors.border.medium }),
  yLabel: css({
    fill: theme.colors.text.secondary,
    fontSize: theme.typography.bodySmall.fontSize,
    textAnchor: 'end',
    dominantBaseline: 'middle',
  }),
  xLabel: css({
    fill: theme.colors.text.secondary,
    fontSize: theme.typography.bodySmall.fontSize,
    textAnchor: 'middle',
  }),
  heatBackground: css({ fill: theme.colors.background.canvas }),
  cell: css({ cursor: 'pointer', '&:hover': { stroke: theme.colors.text.primary, strokeWidth: 1 } }),
  exemplar: css({
    fill: theme.colors.primary.main,
    stroke: theme.colors.background.primary,
    cursor: 'pointer',
    '&:hover': { fill: theme.colors.primary.shade },
  }),
  tooltip: css({
    position: 'absolute',
    pointerEvents: 'none',
    zIndex: 10,
    background: theme.colors.background.secondary,
    border: `1px solid ${theme.colors.border.medium}`,
    borderRadius: theme.shape.radius.default,
    padding: theme.spacing(0.5, 1),
    fontSize: theme.typography.bodySmall.fontSize,
    whiteSpace: 'nowrap',
    boxShadow: theme.shadows.z2,
  }),
});
