import React, { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { css, cx } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { Button, ContextMenu, IconName, MenuItem, Stack, useStyles2, useTheme2 } from '@grafana/ui';
import flamegraph, { FlameGraph as Chart, FlameGraphTooltip } from 'd3-flame-graph';
import { select } from 'd3-selection';
import type { HierarchyRectangularNode } from 'd3-hierarchy';
import { FlameTree } from '../../../domain/converters/flamebearer';
import { GroupsView, ViewNode, foldToVisible, subtreeSizes } from '../domain/foldToVisible';
import { SearchResult } from '../domain/search';
import { withImmediateTransitions } from './immediateTransitions';
import { ValueFormatter } from '../domain/formatValue';
import {
  ColorScheme,
  DiffColorScheme,
  Rgb,
  diffColor,
  lighten,
  mutedColor,
  packageColor,
  toCss,
  valueColor,
} from '../domain/colors';

export type TextAlign = 'left' | 'right';

/** What a diff colours by: each side's value per node and each side's total. */
export interface DiffValues {
  baseTotal: Float64Array;
  compTotal: Float64Array;
  baseRoot: number;
  compRoot: number;
}

export interface FlameGraphProps {
  tree: FlameTree;
  search?: SearchResult;
  format: ValueFormatter;
  /** by package (the default) or by value; for a diff (with `diff` set) one of the two diff palettes */
  colorScheme?: ColorScheme | DiffColorScheme;
  /** the two sides of a diff: frames are coloured by their change */
  diff?: DiffValues;
  textAlign?: TextAlign;
  /** groups of single-child frames and which are folded into one frame */
  groups?: GroupsView;
  /** collapse (true) or expand a group, from the frame menu */
  onGroupToggle?: (group: number, collapsed: boolean) => void;
  /** the zoomed frame, when the caller keeps it (so that it can reset it); kept inside otherwise */
  focus?: number;
  onFocusChange?: (focus: number) => void;
  /** tooltip rows of a frame by its tree index, replacing total and self (the diff view) */
  tooltipRows?: (i: number) => Array<[string, string]>;
  /** actions of the right-click menu of a frame after focus, copy and the group toggle (function details, sandwich) */
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
/** Frames this narrow (px) are drawn in the muted grey, as the official chart does. */
const MUTE_PX = 10;
const CELL_HEIGHT = 20;

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
  colorScheme,
  diff,
  textAlign = 'left',
  groups,
  onGroupToggle,
  focus: controlledFocus,
  onFocusChange,
  tooltipRows,
  menuItems,
  upsideDown,
  onRender,
}: FlameGraphProps) {
  const styles = useStyles2(getStyles);
  const theme = useTheme2();
  const container = useRef<HTMLDivElement>(null);
  const tooltip = useRef<HTMLDivElement>(null);
  const chart = useRef<Chart<ViewNode> | null>(null);
  const searchRef = useRef(search);
  const treeRef = useRef(tree);
  const tooltipRowsRef = useRef(tooltipRows);
  const menuItemsRef = useRef(menuItems);
  const [menu, setMenu] = useState<{ x: number; y: number; items: FrameMenuItem[] } | undefined>();
  const [width, setWidth] = useState(0);
  const widthRef = useRef(width);
  // Zoom belongs to one tree: new data starts unzoomed.
  const [zoom, setZoom] = useState({ tree, focus: 0 });
  const ownFocus = zoom.tree === tree ? zoom.focus : 0;
  const focus = controlledFocus ?? ownFocus;
  const setFocus = (f: number) => {
    setZoom({ tree: treeRef.current, focus: f });
    onFocusChangeRef.current?.(f);
  };
  const onFocusChangeRef = useRef(onFocusChange);
  const sizes = useMemo(() => subtreeSizes(tree), [tree]);
  const paint = useMemo(
    () =>
      framePainter(
        tree,
        colorScheme,
        diff,
        theme.isLight,
        mutedColor(theme.colors.background.secondary, theme.isLight)
      ),
    [tree, colorScheme, diff, theme]
  );
  const paintRef = useRef(paint);
  const labelFormat = useMemo(() => cachedFormat(format), [format]);
  const labelFormatRef = useRef(labelFormat);
  const groupsRef = useRef(groups);
  const onGroupToggleRef = useRef(onGroupToggle);
  useLayoutEffect(() => {
    tooltipRowsRef.current = tooltipRows;
    menuItemsRef.current = menuItems;
    onFocusChangeRef.current = onFocusChange;
    onGroupToggleRef.current = onGroupToggle;
    groupsRef.current = groups;
    labelFormatRef.current = labelFormat;
  });

  useLayoutEffect(() => {
    const el = container.current;
    if (!el) {
      return;
    }
    setWidth(el.clientWidth);
    const ro = new ResizeObserver(() => setWidth(el.clientWidth));
    ro.observe(el);
    const frameOf = (event: MouseEvent) =>
      (event.target as Element | null)?.closest('g.frame') as (Element & { __data__?: Frame }) | null;
    // The chart binds its own click-to-zoom (which keeps every frame) on each frame at every update. One
    // capturing listener here takes the click first and re-folds instead; the chart never sees it.
    const onClick = (event: MouseEvent) => {
      const g = frameOf(event);
      if (g?.__data__) {
        event.stopPropagation();
        setZoom({ tree: treeRef.current, focus: g.__data__.data.i });
        onFocusChangeRef.current?.(g.__data__.data.i);
      }
    };
    el.addEventListener('click', onClick, true);
    const onMenu = (event: MouseEvent) => {
      const d = frameOf(event)?.__data__?.data;
      if (!d) {
        return;
      }
      event.preventDefault();
      const items: FrameMenuItem[] = [
        {
          label: 'Focus block',
          icon: 'eye',
          testId: 'menu-focus',
          onClick: () => {
            setZoom({ tree: treeRef.current, focus: d.i });
            onFocusChangeRef.current?.(d.i);
          },
        },
        {
          label: 'Copy function name',
          icon: 'copy',
          testId: 'menu-copy',
          onClick: () => void navigator.clipboard?.writeText(d.name).catch(() => undefined),
        },
        ...(menuItemsRef.current?.({ name: d.name, index: d.i }) ?? []),
      ];
      const group = d.group;
      const toggle = onGroupToggleRef.current;
      if (group && toggle) {
        items.push(
          group.collapsed
            ? {
                label: 'Expand group',
                icon: 'angle-double-down',
                testId: 'menu-expand-group',
                onClick: () => toggle(group.id, false),
              }
            : {
                label: 'Collapse group',
                icon: 'angle-double-up',
                testId: 'menu-collapse-group',
                onClick: () => toggle(group.id, true),
              }
        );
      }
      setMenu({ x: event.clientX, y: event.clientY, items });
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
    const p = paintRef.current;
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
      return p.muted;
    }
    if ((d.x1 - d.x0) * widthRef.current <= MUTE_PX) {
      return p.muted;
    }
    return p.color(d.data, d.parent ? undefined : d.data.value);
  };

  // (Re)fold and draw on data, width, zoom or group changes; before paint, so a zoom costs one frame, not two.
  useLayoutEffect(() => {
    const el = container.current;
    if (!el || !width || !tree.count) {
      return;
    }
    widthRef.current = width;
    paintRef.current = paint;
    const t0 = performance.now();
    const { root, visible } = foldToVisible(tree, focus, width, sizes, 1, groups);
    paint.setFocusTotal(tree.total[focus] || 1);
    const t1 = performance.now();
    if (!chart.current) {
      const tip = Object.assign(() => {}, {
        show: (event: MouseEvent, d: Frame) =>
          showTooltip(tooltip.current, el, event, treeRef.current, d.data, format, tooltipRowsRef.current),
        hide: () => tooltip.current && (tooltip.current.style.display = 'none'),
      }) as FlameGraphTooltip;
      chart.current = flamegraph<ViewNode>()
        .width(width)
        .cellHeight(CELL_HEIGHT)
        .transitionDuration(0)
        .minFrameSize(0)
        .sort(false)
        .inverted(!upsideDown)
        .resetHeightOnZoom(true)
        .tooltip(tip)
        .setColorMapper((d) => colorOf(d as Frame));
      // The chart writes its labels (and the frames' name attribute) from getName: the label as the official
      // chart words it, in one write; decorateFrames puts the plain name back in the attribute.
      (chart.current as unknown as { getName(f: (d: Frame) => string): void }).getName((d) =>
        frameLabel(d.data, labelFormatRef.current)
      );
      const created = chart.current;
      withImmediateTransitions(() => select(el).datum(root).call(created));
    } else {
      const existing = chart.current;
      existing.width(width);
      // written at once, so the frame painted after this effect shows the new layout
      withImmediateTransitions(() => existing.update(root));
    }
    treeRef.current = tree;
    decorateFrames(el, width, labelFormatRef.current, textAlign);
    onRender?.({ visible, focus, foldMs: t1 - t0, drawMs: performance.now() - t1 });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [tree, width, focus, sizes, groups]);

  // Search, colour scheme and text alignment only repaint the frames already drawn.
  useLayoutEffect(() => {
    searchRef.current = search;
    paintRef.current = paint;
    paint.setFocusTotal(tree.total[focus] || 1);
    const el = container.current;
    if (el && chart.current) {
      select(el)
        .selectAll<SVGRectElement, Frame>('g.frame > rect')
        .attr('fill', (d) => colorOf(d));
      decorateFrames(el, widthRef.current, labelFormatRef.current, textAlign);
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [search, paint, textAlign]);

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
      <div
        ref={container}
        className={cx(styles.chart, textAlign === 'right' && styles.alignRight)}
        data-testid="flamegraph"
        data-color-scheme={colorScheme ?? (diff ? 'diffDefault' : 'packageBased')}
        data-text-align={textAlign}
      />
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

interface FramePainter {
  muted: string;
  /** colour of a frame; `rootValue` set for the drawn root (so the value scale is relative to it) */
  color(d: ViewNode, rootValue?: number): string;
  setFocusTotal(total: number): void;
}

/**
 * Colours by the official chart's rules: package colours from its palette, or yellow-to-red by value, or the
 * diff scale; frames above a zoomed one lighter. Package colours are cached per name (a profile has far
 * fewer names than frames).
 */
function framePainter(
  tree: FlameTree,
  scheme: ColorScheme | DiffColorScheme | undefined,
  diff: DiffValues | undefined,
  isLight: boolean,
  muted: string
): FramePainter {
  const byName = new Map<string, string>();
  const byNameLight = new Map<string, string>();
  let focusTotal = tree.total[0] || 1;
  const effective: ColorScheme | DiffColorScheme = scheme ?? (diff ? 'diffDefault' : 'packageBased');
  const base = (d: ViewNode): Rgb => {
    if (diff && (effective === 'diffDefault' || effective === 'diffColorBlind')) {
      return diffColor(diff.baseTotal[d.i], diff.compTotal[d.i], diff.baseRoot, diff.compRoot, effective);
    }
    if (effective === 'valueBased') {
      return valueColor(tree.total[d.i], focusTotal);
    }
    return packageColor(d.name, isLight);
  };
  return {
    muted,
    setFocusTotal: (t) => (focusTotal = t),
    color: (d) => {
      const cache = d.fade ? byNameLight : byName;
      const cacheable = effective === 'packageBased' || (!diff && effective !== 'valueBased');
      let c = cacheable ? cache.get(d.name) : undefined;
      if (!c) {
        const rgb = base(d);
        c = toCss(d.fade ? lighten(rgb, 15) : rgb);
        if (cacheable) {
          cache.set(d.name, c);
        }
      }
      return c;
    },
  };
}

let measureContext: CanvasRenderingContext2D | null | undefined;
function textWidth(text: string): number {
  if (measureContext === undefined) {
    measureContext = document.createElement('canvas').getContext('2d');
    if (measureContext) {
      measureContext.font = '12px monospace';
    }
  }
  return measureContext ? measureContext.measureText(text).width : text.length * 7;
}

/**
 * What the chart does not draw itself: labels with the frame's value (as the official chart writes them), the
 * group count of a collapsed group, right-aligned names, and the strip that marks grouped frames.
 */
interface CachedFormat {
  format: ValueFormatter;
  short: (v: number) => string;
}

// Frame values repeat a lot (many frames of one sample): each is formatted once.
function cachedFormat(format: ValueFormatter): CachedFormat {
  const texts = new Map<number, string>();
  return {
    format,
    short: (v) => {
      let t = texts.get(v);
      if (t === undefined) {
        t = format.short(v);
        texts.set(v, t);
      }
      return t;
    },
  };
}

function groupPrefix(d: ViewNode): string {
  return d.group?.collapsed && d.group.count > 1 ? `(${d.group.count}) ` : '';
}

/** `name (value)`, and `(n) name (value)` for a collapsed group, as the official chart labels frames. */
function frameLabel(d: ViewNode, format: CachedFormat): string {
  return `${groupPrefix(d)}${d.name} (${format.short(d.value)})`;
}

/**
 * What the chart does not draw itself: the plain name back in the `name` attribute, right-aligned names that
 * do not fit, and the strip that marks grouped frames. Plain DOM, writing only what changed: this runs on every
 * zoom over every drawn frame.
 */
function decorateFrames(el: HTMLElement, width: number, format: CachedFormat, textAlign: TextAlign) {
  const frames = el.querySelectorAll<SVGGElement>('g.frame');
  for (let k = 0; k < frames.length; k++) {
    const g = frames[k] as SVGGElement & { __data__?: Frame };
    const d = g.__data__;
    if (!d) {
      continue;
    }
    setAttr(g, 'name', d.data.name);
    const group = d.data.group;
    setAttr(g, 'data-group', group ? String(group.id) : null);
    setAttr(g, 'data-group-collapsed', group ? String(group.collapsed) : null);
    const w = (d.x1 - d.x0) * width;
    if (textAlign === 'right' || group) {
      const div = g.querySelector('div');
      if (div) {
        const full = frameLabel(d.data, format);
        // Right alignment applies only to a name that does not fit, and shows the name alone, as the official chart.
        const right = textAlign === 'right' && textWidth(full) > w - 8 - (group ? 9 : 0);
        const text = right ? `\u2066${groupPrefix(d.data)}${d.data.name}\u2069` : full;
        if (div.textContent !== text) {
          div.textContent = text;
        }
        div.classList.toggle('label-right', right);
        div.style.paddingLeft = group ? '9px' : '';
      }
    } else {
      const div = g.querySelector('div');
      if (div && (div.style.paddingLeft || div.classList.contains('label-right'))) {
        div.style.paddingLeft = '';
        div.classList.remove('label-right');
      }
    }
    let strip = g.querySelector('path.group-strip');
    if (!group || w < 20) {
      strip?.remove();
      continue;
    }
    if (!strip) {
      strip = document.createElementNS('http://www.w3.org/2000/svg', 'path');
      strip.setAttribute('class', 'group-strip');
      g.appendChild(strip);
    }
    const h = CELL_HEIGHT;
    const [y0, y1] = group.collapsed
      ? [h / 4, (3 * h) / 4]
      : group.position === 'first'
        ? [h / 2, h]
        : group.position === 'last'
          ? [0, h / 2]
          : [0, h];
    strip.setAttribute('d', `M4,${y0}h3V${y1}h-3Z`);
    strip.setAttribute('data-collapsed', String(group.collapsed));
  }
}

function setAttr(el: Element, name: string, value: string | null) {
  if (value === null) {
    if (el.hasAttribute(name)) {
      el.removeAttribute(name);
    }
  } else if (el.getAttribute(name) !== value) {
    el.setAttribute(name, value);
  }
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
  chart: css({
    width: '100%',
    minHeight: 100,
    // full colours (the library's default dims every frame), dark label text on them, as the official chart
    'g.frame > rect': { fillOpacity: 1, stroke: theme.colors.background.primary, strokeWidth: 0.5 },
    'g.frame.fade': { opacity: 1 },
    '.d3-flame-graph-label': { color: '#222', fontFamily: 'monospace' },
    '.label-right': { direction: 'rtl', textAlign: 'left' },
    'path.group-strip': { fill: '#666', pointerEvents: 'none' },
  }),
  alignRight: css({}),
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
