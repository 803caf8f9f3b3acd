import React, { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { Button, ContextMenu, IconName, MenuItem, Stack, useStyles2 } from '@grafana/ui';
import flamegraph, { FlameGraph as Chart, FlameGraphTooltip } from 'd3-flame-graph';
import { select } from 'd3-selection';
import { timerFlush } from 'd3-timer';
import type { HierarchyRectangularNode } from 'd3-hierarchy';
import { FlameTree } from '../../../domain/converters/flamebearer';
import { ViewNode, foldToVisible, subtreeSizes } from '../domain/foldToVisible';
import { SearchResult } from '../domain/search';
import { ValueFormatter } from '../domain/formatValue';

export interface FlameGraphProps {
  tree: FlameTree;
  search?: SearchResult;
  format: ValueFormatter;
  /** colour of a frame by its tree index (the diff view); name hues otherwise */
  colorFor?: (i: number) => string;
  /** tooltip rows of a frame by its tree index, replacing total and self (the diff view) */
  tooltipRows?: (i: number) => Array<[string, string]>;
  /** actions of the right-click menu of a frame (function details, sandwich) */
  menuItems?: (frame: { name: string; index: number }) => FrameMenuItem[];
  /** root at the bottom: callers in a sandwich view */
  upsideDown?: boolean;
  /** reports each (re)fold: frames handed to d3-flame-graph and the JS time of folding and drawing */
  onRender?: (info: RenderInfo) => void;
}

export interface FrameMenuItem {
  label: string;
  icon: IconName;
  testId: string;
  onClick: () => void;
}

export interface RenderInfo {
  visible: number;
  focus: number;
  foldMs: number;
  drawMs: number;
}

const MATCH_COLOR = '#E600E6';
const FOLDED_MATCH_COLOR = '#c27bd8';

type Frame = HierarchyRectangularNode<ViewNode>;

/**
 * d3-flame-graph fed only what can be seen: frames narrower than a pixel at the current zoom are folded into
 * their parent before the tree is handed over, and the tree is folded again on every zoom. The chart's own
 * zoom (which keeps every frame in the DOM) is replaced by ours.
 */
export function FlameGraph({
  tree,
  search,
  format,
  colorFor,
  tooltipRows,
  menuItems,
  upsideDown,
  onRender,
}: FlameGraphProps) {
  const styles = useStyles2(getStyles);
  const container = useRef<HTMLDivElement>(null);
  const tooltip = useRef<HTMLDivElement>(null);
  const chart = useRef<Chart<ViewNode> | null>(null);
  const searchRef = useRef(search);
  const treeRef = useRef(tree);
  const colorForRef = useRef(colorFor);
  const tooltipRowsRef = useRef(tooltipRows);
  useLayoutEffect(() => {
    colorForRef.current = colorFor;
    tooltipRowsRef.current = tooltipRows;
  });
  const menuItemsRef = useRef(menuItems);
  useLayoutEffect(() => {
    menuItemsRef.current = menuItems;
  });
  const [menu, setMenu] = useState<{ x: number; y: number; items: FrameMenuItem[] } | undefined>();
  const [width, setWidth] = useState(0);
  // Zoom belongs to one tree: new data starts unzoomed.
  const [zoom, setZoom] = useState({ tree, focus: 0 });
  const focus = zoom.tree === tree ? zoom.focus : 0;
  const setFocus = (f: number) => setZoom({ tree, focus: f });
  const sizes = useMemo(() => subtreeSizes(tree), [tree]);

  useLayoutEffect(() => {
    const el = container.current;
    if (!el) {
      return;
    }
    setWidth(el.clientWidth);
    const ro = new ResizeObserver(() => setWidth(el.clientWidth));
    ro.observe(el);
    // The chart binds its own click-to-zoom (which keeps every frame) on each frame at every update. One
    // capturing listener here takes the click first and re-folds instead; the chart never sees it.
    const onClick = (event: MouseEvent) => {
      const g = (event.target as Element | null)?.closest('g.frame') as (Element & { __data__?: Frame }) | null;
      if (g?.__data__) {
        event.stopPropagation();
        setZoom({ tree: treeRef.current, focus: g.__data__.data.i });
      }
    };
    el.addEventListener('click', onClick, true);
    const onMenu = (event: MouseEvent) => {
      const g = (event.target as Element | null)?.closest('g.frame') as (Element & { __data__?: Frame }) | null;
      const items = g?.__data__ && menuItemsRef.current?.({ name: g.__data__.data.name, index: g.__data__.data.i });
      if (items?.length) {
        event.preventDefault();
        setMenu({ x: event.clientX, y: event.clientY, items });
      }
    };
    el.addEventListener('contextmenu', onMenu);
    return () => {
      ro.disconnect();
      el.removeEventListener('click', onClick, true);
      el.removeEventListener('contextmenu', onMenu);
    };
  }, []);

  const colorOf = (d: Frame) => {
    const s = searchRef.current;
    if (s) {
      const i = d.data.i;
      if (s.nodeMatches[i]) {
        return MATCH_COLOR;
      }
      // A frame whose folded (too narrow to draw) descendants match: the match stays findable.
      const shown = (d.children ?? []).reduce((sum, c) => sum + s.subtreeMatches[c.data.i], 0);
      if (!d.data.fade && s.subtreeMatches[i] - shown > 0) {
        return FOLDED_MATCH_COLOR;
      }
    }
    const custom = colorForRef.current;
    return custom && !d.data.fade ? custom(d.data.i) : nameColor(d.data.name, d.data.fade);
  };

  // (Re)fold and draw on data, width or zoom changes; before paint, so a zoom costs one frame, not two.
  useLayoutEffect(() => {
    const el = container.current;
    if (!el || !width || !tree.count) {
      return;
    }
    const t0 = performance.now();
    const { root, visible } = foldToVisible(tree, focus, width, sizes);
    const t1 = performance.now();
    if (!chart.current) {
      const tip = Object.assign(() => {}, {
        show: (event: MouseEvent, d: Frame) =>
          showTooltip(tooltip.current, el, event, treeRef.current, d.data, format, tooltipRowsRef.current),
        hide: () => tooltip.current && (tooltip.current.style.display = 'none'),
      }) as FlameGraphTooltip;
      chart.current = flamegraph<ViewNode>()
        .width(width)
        .cellHeight(20)
        .transitionDuration(0)
        .minFrameSize(0)
        .sort(false)
        .inverted(!upsideDown)
        .resetHeightOnZoom(true)
        .tooltip(tip)
        .setColorMapper((d) => colorOf(d as Frame));
      select(el).datum(root).call(chart.current);
    } else {
      chart.current.width(width);
      chart.current.update(root);
    }
    treeRef.current = tree;
    // Zero-length transitions still wait for d3's next timer tick: run them now, so that the frame painted
    // after this effect shows the new layout instead of one frame of stale positions.
    timerFlush();
    timerFlush();
    onRender?.({ visible, focus, foldMs: t1 - t0, drawMs: performance.now() - t1 });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [tree, width, focus, sizes]);

  // Search only recolours the frames already drawn.
  useLayoutEffect(() => {
    searchRef.current = search;
    const el = container.current;
    if (el && chart.current) {
      select(el)
        .selectAll<SVGRectElement, Frame>('g.frame rect')
        .attr('fill', (d) => colorOf(d));
    }
  }, [search]);

  useEffect(() => () => void chart.current?.destroy(), []);

  return (
    <div className={styles.wrapper}>
      <Stack gap={1} alignItems="center">
        <Button
          size="sm"
          variant="secondary"
          icon="search-minus"
          disabled={focus === 0}
          onClick={() => setFocus(0)}
          data-testid="flamegraph-reset"
        >
          Reset zoom
        </Button>
        {focus !== 0 && (
          <span className={styles.focus} data-testid="flamegraph-focus">
            Zoomed on {tree.names[tree.nameIndex[focus]]}
          </span>
        )}
      </Stack>
      <div ref={container} className={styles.chart} data-testid="flamegraph" />
      <div ref={tooltip} className={styles.tooltip} data-testid="flamegraph-tooltip" />
      {menu && (
        <ContextMenu
          x={menu.x}
          y={menu.y}
          onClose={() => setMenu(undefined)}
          renderMenuItems={() =>
            menu.items.map((item) => (
              <MenuItem
                key={item.label}
                label={item.label}
                icon={item.icon}
                testId={item.testId}
                onClick={() => {
                  setMenu(undefined);
                  item.onClick();
                }}
              />
            ))
          }
        />
      )}
    </div>
  );
}

// Warm hues hashed from the name: a function keeps its colour across zooms, searches and reloads.
const colorCache = new Map<string, string>();
function nameColor(name: string, faded?: boolean): string {
  if (faded) {
    return '#9a9a9a';
  }
  let c = colorCache.get(name);
  if (!c) {
    let h = 0;
    for (let k = 0; k < name.length; k++) {
      h = (h * 31 + name.charCodeAt(k)) | 0;
    }
    const u = (h >>> 0) / 0xffffffff;
    c = `hsl(${Math.round(10 + 40 * u)}, ${Math.round(70 + (20 * ((h >>> 8) % 100)) / 100)}%, ${Math.round(55 + (12 * ((h >>> 16) % 100)) / 100)}%)`;
    colorCache.set(name, c);
  }
  return c;
}

function showTooltip(
  tip: HTMLDivElement | null,
  host: HTMLElement,
  event: MouseEvent,
  tree: FlameTree,
  node: ViewNode,
  format: ValueFormatter,
  customRows?: (i: number) => Array<[string, string]>
) {
  if (!tip) {
    return;
  }
  const i = node.i;
  const rootTotal = tree.total[0] || 1;
  const rows: Array<[string, string]> = customRows
    ? customRows(i)
    : [
        ['Total', `${format.full(tree.total[i])} · ${((100 * tree.total[i]) / rootTotal).toFixed(2)} %`],
        ['Self', `${format.full(tree.self[i])} · ${((100 * tree.self[i]) / rootTotal).toFixed(2)} %`],
      ];
  if (node.folded) {
    rows.push(['Folded', `${node.folded} narrower frames drawn inside this one`]);
  }
  tip.replaceChildren();
  const title = document.createElement('div');
  title.className = 'title';
  title.textContent = node.name;
  tip.appendChild(title);
  for (const [k, v] of rows) {
    const row = document.createElement('div');
    row.setAttribute('data-row', k.toLowerCase());
    row.textContent = `${k}: ${v}`;
    tip.appendChild(row);
  }
  const box = host.getBoundingClientRect();
  tip.style.display = 'block';
  tip.style.left = `${Math.min(event.clientX - box.left + 12, box.width - 320)}px`;
  tip.style.top = `${event.clientY - box.top + host.offsetTop + 16}px`;
}

const getStyles = (theme: GrafanaTheme2) => ({
  wrapper: css({ position: 'relative', display: 'flex', flexDirection: 'column', gap: theme.spacing(1) }),
  chart: css({ width: '100%', minHeight: 100, '.d3-flame-graph-label': { color: '#000' } }),
  focus: css({ color: theme.colors.text.secondary }),
  tooltip: css({
    display: 'none',
    position: 'absolute',
    zIndex: theme.zIndex.tooltip,
    pointerEvents: 'none',
    maxWidth: 480,
    padding: theme.spacing(1),
    background: theme.colors.background.primary,
    border: `1px solid ${theme.colors.border.medium}`,
    borderRadius: theme.shape.radius.default,
    boxShadow: theme.shadows.z3,
    fontSize: theme.typography.bodySmall.fontSize,
    '.title': {
      fontWeight: theme.typography.fontWeightMedium,
      wordBreak: 'break-all',
      marginBottom: theme.spacing(0.5),
    },
  }),
});
