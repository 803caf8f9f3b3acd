import React from 'react';
import { css, cx } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { Button, Dropdown, Menu, useStyles2 } from '@grafana/ui';
import { ColorScheme, DiffColorScheme, PACKAGE_GRADIENT, VALUE_GRADIENT, diffGradient } from '../domain/colors';

export interface ColorSchemeButtonProps {
  value: ColorScheme | DiffColorScheme;
  onChange: (scheme: ColorScheme | DiffColorScheme) => void;
  isDiff: boolean;
}

/** The colour switch of the official chart: a swatch of the current scale opening the choices. */
export function ColorSchemeButton({ value, onChange, isDiff }: ColorSchemeButtonProps) {
  const styles = useStyles2(getStyles);
  const menu = isDiff ? (
    <Menu>
      <Menu.Item label="Default (green to red)" onClick={() => onChange('diffDefault')} testId="color-diffDefault" />
      <Menu.Item
        label="Color blind (blue to red)"
        onClick={() => onChange('diffColorBlind')}
        testId="color-diffColorBlind"
      />
    </Menu>
  ) : (
    <Menu>
      <Menu.Item label="By package name" onClick={() => onChange('packageBased')} testId="color-packageBased" />
      <Menu.Item label="By value" onClick={() => onChange('valueBased')} testId="color-valueBased" />
    </Menu>
  );
  const background =
    value === 'valueBased'
      ? VALUE_GRADIENT
      : value === 'packageBased'
        ? PACKAGE_GRADIENT
        : diffGradient(value === 'diffColorBlind' ? 'diffColorBlind' : 'diffDefault');
  return (
    <Dropdown overlay={menu}>
      <Button
        variant="secondary"
        fill="outline"
        size="sm"
        tooltip="Change color scheme"
        aria-label="Change color scheme"
        data-testid="color-scheme"
        data-value={value}
      >
        {isDiff ? (
          <div className={cx(styles.diffScale)} style={{ background }} data-testid="diff-legend">
            <div>-100% (removed)</div>
            <div>0%</div>
            <div>+100% (added)</div>
          </div>
        ) : (
          <span className={styles.dot} style={{ background }} />
        )}
      </Button>
    </Dropdown>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  dot: css({ display: 'inline-block', width: 10, height: 10, borderRadius: theme.shape.radius.circle }),
  diffScale: css({
    display: 'flex',
    width: 200,
    height: 12,
    color: 'white',
    fontSize: 9,
    lineHeight: 1.3,
    fontWeight: 300,
    justifyContent: 'space-between',
    padding: '0 2px',
    borderRadius: theme.shape.radius.default,
  }),
});
