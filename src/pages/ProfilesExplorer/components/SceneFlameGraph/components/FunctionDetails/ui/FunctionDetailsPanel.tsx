import React from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { Alert, Icon, IconButton, LoadingPlaceholder, TextLink, useStyles2 } from '@grafana/ui';
import { ValueFormatter } from '../../../../../../../shared/components/FlameGraph/domain/formatValue';
import { sourceLink } from '../domain/sourceLink';
import { FunctionDetailsQuery, useFunctionDetails } from '../domain/useFunctionDetails';

export interface FunctionDetailsPanelProps {
  query: FunctionDetailsQuery;
  format: ValueFormatter;
  onClose: () => void;
}

/** One function, in a panel beside the graph: where it is, its self and total, and which of its lines cost what. */
export function FunctionDetailsPanel({ query, format, onClose }: FunctionDetailsPanelProps) {
  const styles = useStyles2(getStyles);
  const { details, source, error } = useFunctionDetails(query).data;
  const link = (line: number) => (details ? sourceLink(source, details.file, line) : undefined);
  const pct = (v: number, of: number) => `${((100 * v) / (of || 1)).toFixed(2)} %`;
  return (
    <div className={styles.container} data-testid="function-details">
      <div className={styles.title}>
        <h5>Function details</h5>
        <IconButton name="times" tooltip="Close" onClick={onClose} data-testid="function-details-close" />
      </div>
      <div className={styles.container}>
        {error && <Alert title="Could not load the function details">{error}</Alert>}
        {!details && !error && <LoadingPlaceholder text="Loading function details..." />}
        {details && (
          <>
            <dl className={styles.facts}>
              <dt>Function</dt>
              <dd data-testid="function-details-name">{details.name}</dd>
              <dt>File</dt>
              <dd data-testid="function-details-file">
                {details.file || 'unknown'}
                {link(details.startLine) && (
                  <>
                    {' '}
                    <TextLink href={link(details.startLine)!} external data-testid="function-details-source">
                      View source
                    </TextLink>
                  </>
                )}
              </dd>
              <dt>Start line</dt>
              <dd data-testid="function-details-start-line">{details.startLine || 'unknown'}</dd>
              <dt>Self</dt>
              <dd data-testid="function-details-self" data-value={details.self}>
                {format.full(details.self)}
              </dd>
              <dt>Total</dt>
              <dd data-testid="function-details-total" data-value={details.total}>
                {format.full(details.total)}
              </dd>
              <dt>Call sites</dt>
              <dd>
                {query.callSites.length || 'all'}
                {query.callSites.length > 8 && ' (read as one merged profile)'}
              </dd>
            </dl>
            <table className={styles.table} data-testid="function-details-lines">
              <thead>
                <tr>
                  <th>Line</th>
                  <th>Self</th>
                  <th>Total</th>
                </tr>
              </thead>
              <tbody>
                {details.lines.map((l) => (
                  <tr key={l.line} data-testid="function-details-line" data-line={l.line}>
                    <td>
                      {link(l.line) ? (
                        <a href={link(l.line)} target="_blank" rel="noreferrer">
                          {l.line} <Icon name="external-link-alt" size="xs" />
                        </a>
                      ) : (
                        l.line
                      )}
                    </td>
                    <td data-col="self" data-value={l.self}>
                      {format.short(l.self)} <span className={styles.pct}>{pct(l.self, details.total)}</span>
                    </td>
                    <td data-col="total" data-value={l.total}>
                      {format.short(l.total)} <span className={styles.pct}>{pct(l.total, details.total)}</span>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </div>
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  container: css({ display: 'flex', flexDirection: 'column', gap: theme.spacing(2) }),
  title: css({
    display: 'flex',
    justifyContent: 'space-between',
    alignItems: 'center',
    h5: { margin: 0 },
  }),
  facts: css({
    display: 'grid',
    gridTemplateColumns: 'max-content 1fr',
    gap: theme.spacing(0.5, 2),
    dt: { color: theme.colors.text.secondary },
    dd: { margin: 0, wordBreak: 'break-all' },
  }),
  table: css({
    width: '100%',
    borderCollapse: 'collapse',
    fontSize: theme.typography.bodySmall.fontSize,
    'th, td': { padding: theme.spacing(0.5, 1), borderBottom: `1px solid ${theme.colors.border.weak}` },
    th: { textAlign: 'left' },
    'td + td': { textAlign: 'right' },
  }),
  pct: css({ color: theme.colors.text.secondary, marginLeft: theme.spacing(0.5) }),
});
