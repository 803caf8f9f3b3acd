import React, { Fragment } from 'react';
import { css, cx } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { useStyles2 } from '@grafana/ui';
import { ExplorationType } from '../../../shared/domain/explorerNavigation';

export interface ExplorationOption {
  label: string;
  value: ExplorationType;
  description: string;
}

export interface ExplorationTypeSelectorProps {
  options: ExplorationOption[];
  value: ExplorationType;
  onChange: (value: ExplorationType) => void;
}

/**
 * The exploration steps as the official app shows them: pills joined by a line, the steps up to the current
 * one lit (a drill-down path), diff and favourites apart from the path. Radios to assistive technology.
 */
export function ExplorationTypeSelector({ options, value, onChange }: ExplorationTypeSelectorProps) {
  const styles = useStyles2(getStyles);
  const active = options.findIndex((o) => o.value === value);
  // The last two (diff flame graph, favourites) are not steps of the path: only the current one is lit.
  const pathEnd = options.length - 2;
  const lit = (i: number) => (active < pathEnd ? i <= active : i === active);
  return (
    <div className={styles.container}>
      <span className={styles.label}>Exploration</span>
      <div role="radiogroup" aria-label="Exploration" className={styles.steps} data-testid="exploration-types">
        {options.map((o, i) => (
          <Fragment key={o.value}>
            <button
              type="button"
              role="radio"
              aria-checked={i === active}
              aria-label={o.label}
              title={o.description}
              className={cx(
                styles.pill,
                lit(i) && styles.lit,
                i === active && styles.active,
                i >= pathEnd && styles.apart
              )}
              onClick={() => i !== active && onChange(o.value)}
              data-testid={`exploration-${o.value}`}
            >
              {o.label}
            </button>
            {i < pathEnd - 1 && <span className={cx(styles.link, lit(i + 1) && styles.lit)} />}
          </Fragment>
        ))}
      </div>
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  container: css({ display: 'flex', alignItems: 'center', gap: theme.spacing(1) }),
  label: css({ fontSize: theme.typography.body.fontSize, color: theme.colors.text.secondary }),
  steps: css({ display: 'flex', alignItems: 'center', height: 32 }),
  pill: css({
    height: 27,
    padding: theme.spacing(0, 1.5),
    borderRadius: 15,
    border: `1px solid ${theme.colors.border.medium}`,
    background: theme.colors.secondary.main,
    color: theme.colors.text.primary,
    fontSize: theme.typography.bodySmall.fontSize,
    cursor: 'pointer',
    whiteSpace: 'nowrap',
    '&:hover': { borderColor: theme.colors.primary.main },
  }),
  lit: css({
    background: theme.colors.primary.main,
    borderColor: theme.colors.primary.main,
    color: theme.colors.primary.contrastText,
    opacity: 0.7,
  }),
  active: css({ opacity: 1, cursor: 'default' }),
  apart: css({ marginLeft: theme.spacing(1.5) }),
  link: css({ width: 10, height: 2, background: theme.colors.text.disabled }),
});
