import React, { useMemo } from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { Button, useStyles2 } from '@grafana/ui';
import { FlameTree } from '../../../domain/converters/flamebearer';
import { ValueFormatter } from '../domain/formatValue';
import { FlameGraph, FrameMenuItem, TextAlign } from './FlameGraph';
import { buildSandwich } from '../domain/sandwich';
import { ColorScheme, DiffColorScheme } from '../domain/colors';

export interface SandwichViewProps {
  tree: FlameTree;
  name: string;
  format: ValueFormatter;
  onClose: () => void;
  menuItems?: (frame: { name: string; index: number }) => FrameMenuItem[];
  colorScheme?: ColorScheme | DiffColorScheme;
  textAlign?: TextAlign;
}

/** Who calls the function (above, read upwards) and what it calls (below), each merged over every call. */
export function SandwichView({ tree, name, format, onClose, menuItems, colorScheme, textAlign }: SandwichViewProps) {
  const styles = useStyles2(getStyles);
  const sandwich = useMemo(() => buildSandwich(tree, name), [tree, name]);
  return (
    <div className={styles.container} data-testid="sandwich">
      <div className={styles.header}>
        <span>
          Sandwich view of <strong data-testid="sandwich-function">{name}</strong> · total{' '}
          <span data-testid="sandwich-total" data-value={sandwich.total}>
            {format.full(sandwich.total)}
          </span>
        </span>
        <Button size="sm" variant="secondary" icon="times" onClick={onClose} data-testid="sandwich-close">
          Back to the flame graph
        </Button>
      </div>
      <div className={styles.label}>Callers</div>
      <div data-testid="sandwich-callers">
        <FlameGraph
          tree={sandwich.callers}
          format={format}
          upsideDown
          menuItems={menuItems}
          colorScheme={colorScheme}
          textAlign={textAlign}
        />
      </div>
      <div className={styles.label}>Callees</div>
      <div data-testid="sandwich-callees">
        <FlameGraph
          tree={sandwich.callees}
          format={format}
          menuItems={menuItems}
          colorScheme={colorScheme}
          textAlign={textAlign}
        />
      </div>
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  container: css({ display: 'flex', flexDirection: 'column', gap: theme.spacing(1) }),
  header: css({ display: 'flex', justifyContent: 'space-between', alignItems: 'center', gap: theme.spacing(1) }),
  label: css({ color: theme.colors.text.secondary, fontSize: theme.typography.bodySmall.fontSize }),
});
