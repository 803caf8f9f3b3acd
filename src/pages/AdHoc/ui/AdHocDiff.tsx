import React, { useCallback, useMemo } from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { useStyles2 } from '@grafana/ui';
import { diffFlamebearerToTree, formatChange, formatShare, nodeDiff } from '../../../shared/domain/converters/diffTree';
import { valueFormatter } from '../../../shared/components/FlameGraph/domain/formatValue';
import { FlameGraphContainer } from '../../../shared/components/FlameGraph/ui/FlameGraphContainer';
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
      <FlameGraphContainer tree={tree} format={format} diff={tree} tooltipRows={tooltipRows} />
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  container: css({ display: 'flex', flexDirection: 'column', gap: theme.spacing(1) }),
  note: css({ color: theme.colors.text.secondary }),
});
