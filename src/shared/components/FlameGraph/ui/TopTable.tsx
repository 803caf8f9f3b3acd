import React, { useMemo, useState } from 'react';
import { css, cx } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { Icon, IconButton, useStyles2 } from '@grafana/ui';
import { TopFunction } from '../domain/topFunctions';
import { ValueFormatter } from '../../../../../shared/components/FlameGraph/domain/formatValue';

type SortKey = 'name' | 'self' | 'total';

export interface TopTableProps {
  rows: TopFunction[];
  rootTotal: number;
  format: ValueFormatter;
  selected?: string;
  onSelect: (name: string | undefined) => void;
  /** opens the sandwich view (callers and callees) of a function */
  onSandwich?: (name: string) => void;
  limit?: number;
}

export function TopTable({ rows, rootTotal, format, selected, onSelect, onSandwich, limit = 200 }: TopTableProps) {
  const styles = useStyles2(getStyles);
  const [sort, setSort] = useState<{ key: SortKey; desc: boolean }>({ key: 'self', desc: true });
  const sorted = useMemo(() => {
    const dir = sort.desc ? -1 : 1;
    const copy = [...rows];
    copy.sort((a, b) =>
      sort.key === 'name'
        ? dir * a.name.localeCompare(b.name)
        : dir * (a[sort.key] - b[sort.key]) || a.name.localeCompare(b.name)
    );
    return copy.slice(0, limit);
  }, [rows, sort, limit]);
  const header = (key: SortKey, label: string) => (
    <th
      className={styles.th}
      data-testid={`top-table-sort-${key}`}
      onClick={() => setSort((s) => ({ key, desc: s.key === key ? !s.desc : key !== 'name' }))}
    >
      {label}
      {sort.key === key && <Icon name={sort.desc ? 'arrow-down' : 'arrow-up'} size="sm" />}
    </th>
  );
  const pct = (v: number) => `${((100 * v) / (rootTotal || 1)).toFixed(2)} %`;
  return (
    <div className={styles.wrapper}>
      <table className={styles.table} data-testid="top-table">
        <thead>
          <tr>
            {header('name', 'Symbol')}
            {header('self', 'Self')}
            {header('total', 'Total')}
          </tr>
        </thead>
        <tbody>
          {sorted.map((r) => (
            <tr
              key={r.name}
              className={cx(styles.row, selected === r.name && styles.selected)}
              onClick={() => onSelect(selected === r.name ? undefined : r.name)}
              data-testid="top-table-row"
            >
              <td className={styles.name} title={r.name} data-col="name">
                {onSandwich && (
                  <IconButton
                    name="gf-layout-simple"
                    size="sm"
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
              </td>
              <td className={styles.num} data-col="self" data-value={r.self}>
                {format.short(r.self)} <span className={styles.pct}>{pct(r.self)}</span>
              </td>
              <td className={styles.num} data-col="total" data-value={r.total}>
                {format.short(r.total)} <span className={styles.pct}>{pct(r.total)}</span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  wrapper: css({ maxHeight: 600, overflow: 'auto', border: `1px solid ${theme.colors.border.weak}` }),
  table: css({
    width: '100%',
    tableLayout: 'fixed',
    borderCollapse: 'collapse',
    fontSize: theme.typography.bodySmall.fontSize,
    'th:first-child': { width: '46%' },
  }),
  th: css({
    position: 'sticky',
    top: 0,
    background: theme.colors.background.secondary,
    textAlign: 'left',
    padding: theme.spacing(0.5, 1),
    cursor: 'pointer',
    userSelect: 'none',
  }),
  row: css({ cursor: 'pointer', '&:hover': { background: theme.colors.action.hover } }),
  selected: css({ background: theme.colors.action.selected }),
  name: css({
    padding: theme.spacing(0.5, 1),
    maxWidth: 420,
    overflow: 'hidden',
    textOverflow: 'ellipsis',
    whiteSpace: 'nowrap',
  }),
  num: css({
    padding: theme.spacing(0.5, 1),
    textAlign: 'right',
    whiteSpace: 'nowrap',
    overflow: 'hidden',
    textOverflow: 'ellipsis',
  }),
  pct: css({ color: theme.colors.text.secondary, marginLeft: theme.spacing(0.5) }),
  action: css({ marginRight: theme.spacing(0.5), verticalAlign: 'middle' }),
});
