import React, { useLayoutEffect, useMemo, useRef, useState } from 'react';
import { css, cx } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { Icon, IconButton, useStyles2 } from '@grafana/ui';

/** One function of the table: its name and one number per column. */
export interface TableRow {
  name: string;
  values: number[];
}

export interface TableColumn {
  key: string;
  label: string;
  /** what the cell shows; the raw number stays in `data-value` */
  render: (v: number) => React.ReactNode;
  /** a colour for the cell's text (the diff column) */
  color?: (v: number) => string | undefined;
}

export interface TopTableProps {
  rows: TableRow[];
  columns: TableColumn[];
  /** the column sorted on first, descending */
  defaultSort: string;
  selected?: string;
  onSelect: (name: string | undefined) => void;
  /** opens the sandwich view (callers and callees) of a function */
  onSandwich?: (name: string) => void;
  sandwiched?: string;
}

const ROW_HEIGHT = 26;
const collator = new Intl.Collator();
/** rows drawn above and below the visible ones, so a scroll shows no blank band before the next render */
const OVERSCAN = 12;

/**
 * Every function of the profile, sortable, drawn as a window of rows: only the rows in view (and a few around
 * them) are in the DOM, so a 16k-node profile scrolls and sorts without stalling.
 */
export function TopTable({ rows, columns, defaultSort, selected, onSelect, onSandwich, sandwiched }: TopTableProps) {
  const styles = useStyles2(getStyles);
  const [sort, setSort] = useState<{ key: string; desc: boolean }>({ key: defaultSort, desc: true });
  const scroller = useRef<HTMLDivElement>(null);
  const [view, setView] = useState({ top: 0, height: 600 });
  const sorted = useMemo(() => {
    const dir = sort.desc ? -1 : 1;
    const col = columns.findIndex((c) => c.key === sort.key);
    const copy = [...rows];
    const byName = (a: TableRow, b: TableRow) => collator.compare(a.name, b.name);
    copy.sort(
      col < 0
        ? (a, b) => dir * byName(a, b)
        : (a, b) => dir * compareNumbers(a.values[col], b.values[col]) || byName(a, b)
    );
    return copy;
  }, [rows, sort, columns]);

  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) {
      return;
    }
    const measure = () => setView({ top: el.scrollTop, height: el.clientHeight || 600 });
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    el.addEventListener('scroll', measure, { passive: true });
    return () => {
      ro.disconnect();
      el.removeEventListener('scroll', measure);
    };
  }, []);

  const first = Math.max(0, Math.floor(view.top / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(sorted.length, Math.ceil((view.top + view.height) / ROW_HEIGHT) + OVERSCAN);
  const template = `minmax(0, 1fr) repeat(${columns.length}, 120px)`;
  const header = (key: string, label: string) => (
    <div
      role="columnheader"
      className={cx(styles.th, key !== 'name' && styles.num)}
      data-testid={`top-table-sort-${key}`}
      onClick={() => setSort((s) => ({ key, desc: s.key === key ? !s.desc : key !== 'name' }))}
    >
      {label}
      {sort.key === key && <Icon name={sort.desc ? 'arrow-down' : 'arrow-up'} size="sm" />}
    </div>
  );
  return (
    <div className={styles.wrapper} data-testid="top-table" data-rows={sorted.length} role="table">
      <div className={styles.head} style={{ gridTemplateColumns: template }} role="row">
        {header('name', 'Symbol')}
        {columns.map((c) => header(c.key, c.label))}
      </div>
      <div ref={scroller} className={styles.scroller} data-testid="top-table-scroller">
        <div style={{ height: sorted.length * ROW_HEIGHT, position: 'relative' }}>
          {sorted.slice(first, last).map((r, k) => (
            <div
              key={r.name}
              role="row"
              className={cx(styles.row, selected === r.name && styles.selected)}
              style={{ top: (first + k) * ROW_HEIGHT, gridTemplateColumns: template }}
              onClick={() => onSelect(selected === r.name ? undefined : r.name)}
              data-testid="top-table-row"
              data-index={first + k}
            >
              <div className={styles.name} title={r.name} data-col="name" role="cell">
                {onSandwich && (
                  <IconButton
                    name="gf-show-context"
                    size="sm"
                    variant={sandwiched === r.name ? 'primary' : 'secondary'}
                    tooltip="Sandwich view: callers and callees"
                    className={styles.action}
                    data-testid="top-table-sandwich"
                    onClick={(e) => {
                      e.stopPropagation();
                      onSandwich(r.name);
                    }}
                  />
                )}
                {r.name}
              </div>
              {columns.map((c, i) => (
                <div
                  key={c.key}
                  role="cell"
                  className={styles.num}
                  data-col={c.key}
                  data-value={r.values[i]}
                  style={{ color: c.color?.(r.values[i]) }}
                >
                  {c.render(r.values[i])}
                </div>
              ))}
            </div>
          ))}
        </div>
      </div>
    </div>
  );
}

// NaN (no value) sorts below every number; ±Infinity sort as the extremes they are.
function compareNumbers(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) {
    return Number.isNaN(a) ? (Number.isNaN(b) ? 0 : -1) : 1;
  }
  return a === b ? 0 : a < b ? -1 : 1;
}

const getStyles = (theme: GrafanaTheme2) => ({
  wrapper: css({
    display: 'flex',
    flexDirection: 'column',
    height: '100%',
    minHeight: 0,
    border: `1px solid ${theme.colors.border.weak}`,
    fontSize: theme.typography.bodySmall.fontSize,
  }),
  head: css({ display: 'grid', background: theme.colors.background.secondary, flex: '0 0 auto' }),
  scroller: css({ flex: 1, minHeight: 0, overflowY: 'auto', overflowX: 'hidden' }),
  th: css({
    padding: theme.spacing(0.5, 1),
    cursor: 'pointer',
    userSelect: 'none',
    whiteSpace: 'nowrap',
    fontWeight: theme.typography.fontWeightMedium,
  }),
  row: css({
    display: 'grid',
    position: 'absolute',
    left: 0,
    right: 0,
    height: ROW_HEIGHT,
    alignItems: 'center',
    cursor: 'pointer',
    borderBottom: `1px solid ${theme.colors.border.weak}`,
    '&:hover': { background: theme.colors.action.hover },
  }),
  selected: css({ background: theme.colors.action.selected }),
  name: css({ padding: theme.spacing(0, 1), overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }),
  num: css({
    padding: theme.spacing(0, 1),
    textAlign: 'right',
    whiteSpace: 'nowrap',
    overflow: 'hidden',
    textOverflow: 'ellipsis',
  }),
  action: css({ marginRight: theme.spacing(0.5), verticalAlign: 'middle' }),
});
