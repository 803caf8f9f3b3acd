import React, { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2, dateTimeFormat } from '@grafana/data';
import { useStyles2, useTheme2 } from '@grafana/ui';
import { BrushBehavior, area, axisBottom, axisLeft, brushX, max, scaleLinear, select } from 'd3';
import type { TimeWindow } from '../../../../../shared/infrastructure/pyroscope/PyroscopeApiClient';

export interface BrushSeriesChartProps {
  /** [unix ms, value] */
  points: Array<[number, number]>;
  window: TimeWindow;
  /** undefined: nothing selected yet */
  selection?: TimeWindow;
  onSelect: (selection: TimeWindow) => void;
  /** the top of the y axis, shared by the two sides so their heights compare */
  yMax?: number;
  color: string;
  formatValue: (v: number) => string;
  height?: number;
  testId?: string;
}

const MARGIN = { top: 8, right: 12, bottom: 22, left: 64 };

/**
 * A small time series with a drag-selected range. Our own chart, not a Grafana panel: the panel's drag
 * zooms the dashboard time range, while here a drag picks the part of the range to compare.
 */
export function BrushSeriesChart({
  points,
  window,
  selection,
  onSelect,
  color,
  formatValue,
  yMax,
  height = 160,
  testId,
}: BrushSeriesChartProps) {
  const styles = useStyles2(getStyles);
  const theme = useTheme2();
  const host = useRef<HTMLDivElement>(null);
  const svg = useRef<SVGSVGElement>(null);
  const brush = useRef<BrushBehavior<unknown> | null>(null);
  const onSelectRef = useRef(onSelect);
  const selectionRef = useRef(selection);
  useLayoutEffect(() => {
    onSelectRef.current = onSelect;
    selectionRef.current = selection;
  });
  const [width, setWidth] = useState(0);

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
        .domain([window.start, window.end])
        .range([MARGIN.left, Math.max(MARGIN.left + 1, width - MARGIN.right)]),
    [window.start, window.end, width]
  );

  // Axes, area and brush are redrawn when the data, size or theme change.
  useEffect(() => {
    const el = svg.current;
    if (!el || !width) {
      return;
    }
    const root = select(el);
    root.selectAll('*').remove();
    const y = scaleLinear()
      .domain([0, yMax || max(points, (p) => p[1]) || 1])
      .nice()
      .range([height - MARGIN.bottom, MARGIN.top]);
    root
      .append('path')
      .datum(points)
      .attr('fill', color)
      .attr('fill-opacity', 0.25)
      .attr('stroke', color)
      .attr('stroke-width', 1.5)
      .attr(
        'd',
        area<[number, number]>()
          .x((p) => x(p[0]))
          .y0(height - MARGIN.bottom)
          .y1((p) => y(p[1]))
      );
    const span = window.end - window.start;
    root
      .append('g')
      .attr('transform', `translate(0,${height - MARGIN.bottom})`)
      .call(
        axisBottom(x)
          .ticks(Math.max(2, Math.floor(width / 110)))
          .tickFormat((t) => dateTimeFormat(Number(t), { format: span > 86_400_000 ? 'MM/DD HH:mm' : 'HH:mm:ss' }))
      )
      .attr('color', theme.colors.text.secondary);
    root
      .append('g')
      .attr('transform', `translate(${MARGIN.left},0)`)
      .call(
        axisLeft(y)
          .ticks(4)
          .tickFormat((v) => formatValue(Number(v)))
      )
      .attr('color', theme.colors.text.secondary);
    const b = brushX<unknown>()
      .extent([
        [MARGIN.left, MARGIN.top],
        [width - MARGIN.right, height - MARGIN.bottom],
      ])
      .on('end', (event: { selection: [number, number] | null; sourceEvent?: Event }) => {
        // Programmatic moves (from the URL) have no source event and must not echo back.
        if (!event.sourceEvent) {
          return;
        }
        if (!event.selection) {
          // A click without a drag: the range stays what it was.
          const s = selectionRef.current;
          g.call(b.move, s ? [Math.max(MARGIN.left, x(s.start)), Math.min(width - MARGIN.right, x(s.end))] : null);
          return;
        }
        const [a, z] = event.selection;
        onSelectRef.current({ start: Math.round(x.invert(a)), end: Math.round(x.invert(z)) });
      });
    brush.current = b;
    const g = root
      .append('g')
      .attr('class', 'brush')
      .attr('data-testid', testId ? `${testId}-brush` : null)
      .call(b);
    g.select('.selection').attr('fill', color).attr('fill-opacity', 0.3).attr('stroke', color);
    // Every drag draws a new range, also one that starts inside the current one (no moving or resizing).
    g.selectAll('.selection, .handle').style('pointer-events', 'none');
  }, [points, width, height, x, color, theme, formatValue, window.start, window.end, testId, yMax]);

  // The selection follows the URL.
  const [selectionStart, selectionEnd] = [selection?.start, selection?.end];
  useEffect(() => {
    const el = svg.current;
    if (!el || !width || !brush.current) {
      return;
    }
    const [start, end] = [selectionStart ?? 0, selectionEnd ?? 0];
    const a = Math.max(MARGIN.left, x(start));
    const z = Math.min(width - MARGIN.right, x(end));
    select(el)
      .select<SVGGElement>('g.brush')
      .call(brush.current.move, z > a ? [a, z] : null);
  }, [selectionStart, selectionEnd, x, width, points, yMax]);

  return (
    <div
      ref={host}
      className={styles.host}
      data-testid={testId}
      // what is plotted, for readers that are not eyes
      data-values={JSON.stringify(points.map((p) => p[1]))}
      data-y-max={yMax}
    >
      <svg ref={svg} width={width} height={height} className={styles.svg} />
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  host: css({ width: '100%', position: 'relative' }),
  svg: css({ display: 'block', fontSize: theme.typography.bodySmall.fontSize }),
});
