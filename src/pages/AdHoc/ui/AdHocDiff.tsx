import React, { useCallback, useMemo } from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { useStyles2 } from '@grafana/ui';
import {
  DIFF_LEGEND,
  diffColor,
  diffFlamebearerToTree,
  formatChange,
  formatShare,
  nodeDiff,
} from '../../../shared/domain/converters/diffTree';
import { valueFormatter } from '../../../shared/components/FlameGraph/domain/formatValue';
import { FlameGraph } from '../../../shared/components/FlameGraph/ui/FlameGraph';
import { AdHocProfile } from '../domain/adHocProfile';
import { doubleFlamebearer } from '../domain/doubleFlamebearer';

export interface AdHocDiffProps {
  baseline: AdHocProfile;
  comparison: AdHocProfile;
}

/** Red where the comparison spends a larger share than the baseline, green where less. */
export function AdHocDiff({ baseline, comparison }: AdHocDiffProps) {
  const styles = useStyles2(getStyles);
  const tree = useMemo(
    () => diffFlamebearerToTree(doubleFlamebearer(baseline.tree, comparison.tree)),
    [baseline.tree, comparison.tree]
  );
  const format = useMemo(() => valueFormatter(baseline.unit), [baseline.unit]);
  const colorFor = useCallback((i: number) => diffColor(nodeDiff(tree, i)), [tree]);
  const tooltipRows = useCallback(
    (i: number): Array<[string, string]> => {
      const d = nodeDiff(tree, i);
      return [
        ['Baseline', `${formatShare(d.baseTotalShare)} (${format.short(tree.baseTotal[i])})`],
        ['Comparison', `${formatShare(d.compTotalShare)} (${format.short(tree.compTotal[i])})`],
        ['Change', formatChange(d.totalChange, d.status)],
      ];
    },
    [tree, format]
  );
  return (
    <div
      className={styles.container}
      data-testid="adhoc-diff"
      data-baseline={tree.baseRoot}
      data-comparison={tree.compRoot}
    >
      {baseline.profileType !== comparison.profileType && (
        <div className={styles.note}>
          Comparing {baseline.profileType} with {comparison.profileType}: shares of each side are compared, not values.
        </div>
      )}
      <div className={styles.legend}>
        {DIFF_LEGEND.map((l) => (
          <span key={l.label} className={styles.swatch} style={{ background: l.color }}>
            {l.label}
          </span>
        ))}
      </div>
      <FlameGraph tree={tree} format={format} colorFor={colorFor} tooltipRows={tooltipRows} />
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  container: css({ display: 'flex', flexDirection: 'column', gap: theme.spacing(1) }),
  note: css({ color: theme.colors.text.secondary }),
  legend: css({ display: 'flex', gap: theme.spacing(0.5), flexWrap: 'wrap' }),
  swatch: css({ padding: theme.spacing(0, 1), color: '#000', fontSize: theme.typography.bodySmall.fontSize }),
});
