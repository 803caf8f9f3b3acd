import React, { useLayoutEffect, useMemo, useRef, useState } from 'react';
import { css, cx } from '@emotion/css';
import { GrafanaTheme2, SelectableValue } from '@grafana/data';
import { Button, ButtonGroup, Input, RadioButtonGroup, useStyles2 } from '@grafana/ui';
import { FlameTree } from '../../../domain/converters/flamebearer';
import { DiffTree } from '../../../domain/converters/diffTree';
import { ColorScheme, DiffColorScheme, diffColor, toCss } from '../domain/colors';
import { CollapsedFlags, allGroups, findFrameGroups, withGroup } from '../domain/frameGroups';
import { ValueFormatter } from '../domain/formatValue';
import { escapeRegExp, nameMatcher, searchTree } from '../domain/search';
import { diffTableRows, filterRows, formatDiffPercent, singleTableRows } from '../domain/tableRows';
import { ColorSchemeButton } from './ColorSchemeButton';
import { FlameGraph, FrameMenuItem, TextAlign } from './FlameGraph';
import { SandwichView } from './SandwichView';
import { TableColumn, TopTable } from './TopTable';

export type ViewMode = 'topTable' | 'flameGraph' | 'both';

export interface FlameGraphContainerProps {
  tree: FlameTree;
  format: ValueFormatter;
  /** the two sides when the tree is a diff: red/green frames and the diff table */
  diff?: DiffTree;
  /** the search text, when the caller keeps it (in the URL); kept here otherwise */
  search?: string;
  onSearchChange?: (text: string) => void;
  /** fold single-child chains into groups (the `collapsedFlamegraphs` setting) */
  collapsing?: boolean;
  tooltipRows?: (i: number) => Array<[string, string]>;
  /** the function details action of the frame menu; absent when they are turned off */
  onFunctionDetails?: (name: string) => void;
  /** shown beside the graph (function details, explanations) */
  sidePanel?: React.ReactNode;
  /** controls at the right end of the header */
  extraHeader?: React.ReactNode;
  /** height of the table and graph panel, which scrolls inside */
  height?: number;
}

/** Below this width the official chart offers no side-by-side view. */
const MIN_WIDTH_FOR_BOTH = 800;

const VIEW_OPTIONS: Array<SelectableValue<ViewMode>> = [
  { value: 'topTable', label: 'Top Table', description: 'Only show top table' },
  { value: 'flameGraph', label: 'Flame Graph', description: 'Only show flame graph' },
  { value: 'both', label: 'Both', description: 'Show both the top table and flame graph' },
];

const ALIGN_OPTIONS: Array<SelectableValue<TextAlign>> = [
  { value: 'left', description: 'Align text left', icon: 'align-left', ariaLabel: 'Align text left' },
  { value: 'right', description: 'Align text right', icon: 'align-right', ariaLabel: 'Align text right' },
];

/**
 * The flame graph as the official app lays it out: a header (search, colour scheme, groups, text alignment,
 * view mode) over a fixed-height panel with the top table and the graph side by side, either alone, the
 * sandwich view in place of the graph, and an optional side panel.
 */
export function FlameGraphContainer({
  tree,
  format,
  diff,
  search: controlledSearch,
  onSearchChange,
  collapsing = false,
  tooltipRows,
  onFunctionDetails,
  sidePanel,
  extraHeader,
  height = 800,
}: FlameGraphContainerProps) {
  const styles = useStyles2(getStyles);
  const [ownSearch, setOwnSearch] = useState('');
  const searchText = controlledSearch ?? ownSearch;
  const setSearch = (text: string) => (onSearchChange ? onSearchChange(text) : setOwnSearch(text));
  const [viewMode, setViewMode] = useState<ViewMode>('both');
  const [textAlign, setTextAlign] = useState<TextAlign>('left');
  const [colorScheme, setColorScheme] = useState<ColorScheme | DiffColorScheme>(diff ? 'diffDefault' : 'packageBased');
  const [sandwich, setSandwich] = useState<string>();
  const [focus, setFocus] = useState({ tree, node: 0 });
  const focused = focus.tree === tree ? focus.node : 0;
  const groups = useMemo(() => (collapsing ? findFrameGroups(tree) : undefined), [tree, collapsing]);
  // Groups start collapsed, as in the official chart; new data starts over.
  const [flags, setFlags] = useState<{ groups?: typeof groups; collapsed?: CollapsedFlags }>({});
  const collapsed = groups && flags.groups === groups ? flags.collapsed! : groups ? allGroups(groups, true) : undefined;
  const groupsView = useMemo(() => (groups && collapsed ? { groups, collapsed } : undefined), [groups, collapsed]);
  const setCollapsed = (c: CollapsedFlags) => setFlags({ groups, collapsed: c });

  const host = useRef<HTMLDivElement>(null);
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
  const narrow = width > 0 && width < MIN_WIDTH_FOR_BOTH;
  const mode: ViewMode = narrow && viewMode === 'both' ? 'flameGraph' : viewMode;

  const search = useMemo(() => searchTree(tree, searchText), [tree, searchText]);
  const exact = searchText.match(/^\^(.*)\$$/)?.[1]?.replace(/\\(.)/g, '$1');
  const rows = useMemo(() => (diff ? diffTableRows(diff) : singleTableRows(tree)), [tree, diff]);
  const shownRows = useMemo(
    // a row picked in the table keeps the whole table in view; typed searches narrow it
    () => filterRows(rows, searchText && !exact ? nameMatcher(searchText) : undefined),
    [rows, searchText, exact]
  );
  const columns = useMemo(
    () => tableColumns(format, rootTotal(tree, diff), diff, colorScheme),
    [format, tree, diff, colorScheme]
  );

  const menuItems = (frame: { name: string; index: number }): FrameMenuItem[] => [
    ...(frame.index === 0 && !sandwich
      ? []
      : [
          {
            label: 'Sandwich view',
            icon: 'gf-show-context' as const,
            testId: 'menu-sandwich',
            onClick: () => {
              setFocus({ tree, node: 0 });
              setSandwich(frame.name);
            },
          },
        ]),
    ...(onFunctionDetails && frame.index !== 0
      ? [
          {
            label: 'Function details',
            icon: 'info-circle' as const,
            testId: 'menu-function-details',
            onClick: () => onFunctionDetails(frame.name),
          },
        ]
      : []),
  ];
  const onGroupToggle = (group: number, c: boolean) => collapsed && setCollapsed(withGroup(collapsed, group, c));

  const graph = sandwich ? (
    <SandwichView
      tree={tree}
      name={sandwich}
      format={format}
      onClose={() => setSandwich(undefined)}
      menuItems={menuItems}
      colorScheme={diff ? 'packageBased' : colorScheme}
      textAlign={textAlign}
    />
  ) : (
    <FlameGraph
      tree={tree}
      search={search}
      format={format}
      diff={diff}
      colorScheme={colorScheme}
      textAlign={textAlign}
      groups={groupsView}
      onGroupToggle={onGroupToggle}
      focus={focused}
      onFocusChange={(node) => setFocus({ tree, node })}
      tooltipRows={tooltipRows}
      menuItems={menuItems}
    />
  );
  const table = (
    <TopTable
      key={diff ? 'diff' : 'single'}
      rows={shownRows}
      columns={columns}
      defaultSort={diff ? 'diff' : 'self'}
      selected={exact}
      onSelect={(name) => setSearch(name ? `^${escapeRegExp(name)}$` : '')}
      onSandwich={(name) => {
        setFocus({ tree, node: 0 });
        setSandwich(sandwich === name ? undefined : name);
      }}
      sandwiched={sandwich}
    />
  );
  const rootValue = rootTotal(tree, diff);

  return (
    <div ref={host} className={styles.container} data-testid="flamegraph-container" data-view={mode}>
      <div className={styles.header}>
        <div className={styles.search}>
          <Input
            placeholder="Search functions (regex or text)"
            value={searchText}
            onChange={(e) => setSearch(e.currentTarget.value)}
            data-testid="flamegraph-search"
            suffix={
              search ? (
                <span data-testid="flamegraph-search-count" data-count={search.count}>
                  {search.count} matches · {format.short(search.value)} (
                  {((100 * search.value) / (rootValue || 1)).toFixed(2)} %)
                </span>
              ) : undefined
            }
          />
        </div>
        <div className={styles.controls}>
          {(focused !== 0 || sandwich) && (
            <Button
              variant="secondary"
              fill="outline"
              size="sm"
              icon="history-alt"
              tooltip="Reset focus and sandwich state"
              aria-label="Reset focus and sandwich state"
              data-testid="flamegraph-reset-all"
              onClick={() => {
                setFocus({ tree, node: 0 });
                setSandwich(undefined);
              }}
            />
          )}
          <ColorSchemeButton value={colorScheme} onChange={setColorScheme} isDiff={Boolean(diff)} />
          <ButtonGroup>
            <Button
              variant="secondary"
              fill="outline"
              size="sm"
              icon="angle-double-down"
              tooltip="Expand all groups"
              aria-label="Expand all groups"
              data-testid="expand-all-groups"
              disabled={mode === 'topTable'}
              onClick={() => groups && setCollapsed(allGroups(groups, false))}
            />
            <Button
              variant="secondary"
              fill="outline"
              size="sm"
              icon="angle-double-up"
              tooltip="Collapse all groups"
              aria-label="Collapse all groups"
              data-testid="collapse-all-groups"
              disabled={mode === 'topTable'}
              onClick={() => groups && setCollapsed(allGroups(groups, true))}
            />
          </ButtonGroup>
          <div data-testid="text-align">
            <RadioButtonGroup<TextAlign>
              size="sm"
              disabled={mode === 'topTable'}
              options={ALIGN_OPTIONS}
              value={textAlign}
              onChange={setTextAlign}
            />
          </div>
          <div data-testid="view-mode">
            <RadioButtonGroup<ViewMode>
              size="sm"
              options={narrow ? VIEW_OPTIONS.filter((o) => o.value !== 'both') : VIEW_OPTIONS}
              value={mode}
              onChange={setViewMode}
            />
          </div>
          {extraHeader}
        </div>
      </div>
      <div className={styles.body} style={{ height }}>
        {mode !== 'flameGraph' && (
          <div className={cx(styles.pane, mode === 'both' ? styles.half : styles.full)} data-testid="pane-table">
            {table}
          </div>
        )}
        {mode !== 'topTable' && (
          <div
            className={cx(styles.pane, styles.scroll, mode === 'both' ? styles.half : styles.full)}
            data-testid="pane-graph"
          >
            {graph}
          </div>
        )}
        {sidePanel && <div className={cx(styles.pane, styles.scroll, styles.side)}>{sidePanel}</div>}
      </div>
    </div>
  );
}

function rootTotal(tree: FlameTree, diff?: DiffTree): number {
  return diff ? diff.baseRoot + diff.compRoot : (tree.total[0] ?? 0);
}

function tableColumns(
  format: ValueFormatter,
  total: number,
  diff: DiffTree | undefined,
  scheme: ColorScheme | DiffColorScheme
): TableColumn[] {
  if (diff) {
    const palette: DiffColorScheme = scheme === 'diffColorBlind' ? 'diffColorBlind' : 'diffDefault';
    // the ends of the diff scale: text in the colour of a removed or an added function
    const removed = toCss(diffColor(1, 0, 1, 1, palette));
    const added = toCss(diffColor(0, 1, 1, 1, palette));
    const pct = (v: number) => `${v.toFixed(2)} %`;
    return [
      { key: 'baseline', label: 'Baseline', render: pct },
      { key: 'comparison', label: 'Comparison', render: pct },
      {
        key: 'diff',
        label: 'Diff',
        render: formatDiffPercent,
        color: (v) => (v > 0 ? added : v < 0 ? removed : undefined),
      },
    ];
  }
  const share = (v: number) => `${((100 * v) / (total || 1)).toFixed(2)} %`;
  const cell = (v: number) => (
    <>
      {format.short(v)} <span style={{ opacity: 0.7 }}>{share(v)}</span>
    </>
  );
  return [
    { key: 'self', label: 'Self', render: cell },
    { key: 'total', label: 'Total', render: cell },
  ];
}

const getStyles = (theme: GrafanaTheme2) => ({
  container: css({ display: 'flex', flexDirection: 'column', gap: theme.spacing(1), minWidth: 0 }),
  header: css({
    display: 'flex',
    flexWrap: 'wrap',
    justifyContent: 'space-between',
    alignItems: 'flex-start',
    gap: theme.spacing(1),
  }),
  search: css({ flexGrow: 1, minWidth: 150, maxWidth: 520 }),
  controls: css({ display: 'flex', alignItems: 'center', flexWrap: 'wrap', gap: theme.spacing(1) }),
  body: css({ display: 'flex', gap: theme.spacing(1), minHeight: 0 }),
  pane: css({ minWidth: 0, minHeight: 0, height: '100%' }),
  scroll: css({ overflowY: 'auto', overflowX: 'hidden' }),
  half: css({ flex: '1 1 50%' }),
  full: css({ flex: '1 1 100%' }),
  side: css({
    flex: '0 0 34%',
    border: `1px solid ${theme.colors.border.weak}`,
    borderRadius: theme.shape.radius.default,
    padding: theme.spacing(1),
  }),
});
