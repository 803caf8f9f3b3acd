import React, { useState } from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { Alert, ClipboardButton, Tab, TabsBar, TextLink, useStyles2 } from '@grafana/ui';
import { onboardingSnippets, serverUrlOf } from '../domain/snippets';
import { dataSourceByUid } from '../../../../../../../shared/domain/dataSourceChoice';

export interface OnboardingProps {
  dataSourceUid: string;
}

/** Shown while the data source has never received a profile: how to send the first one. */
export function Onboarding({ dataSourceUid }: OnboardingProps) {
  const styles = useStyles2(getStyles);
  const settings = dataSourceByUid(dataSourceUid);
  const direct = /^https?:\/\//.test(settings?.url ?? '');
  const snippets = onboardingSnippets(serverUrlOf(settings?.url));
  const [active, setActive] = useState(snippets[0].id);
  const snippet = snippets.find((s) => s.id === active) ?? snippets[0];
  return (
    <div data-testid="onboarding" className={styles.container}>
      <Alert severity="info" title="Welcome to Profiles Drilldown">
        The data source {settings?.name ? <strong>{settings.name}</strong> : 'you chose'} has not received any profile
        yet. Instrument a service with a Pyroscope SDK, collect with Grafana Alloy, or push a pprof file; its services
        appear here within seconds, without reloading.
        {!direct && ' Replace http://localhost:4040 below with the URL this data source points at.'}
      </Alert>
      <TabsBar>
        {snippets.map((s) => (
          <Tab
            key={s.id}
            label={s.label}
            active={s.id === active}
            onChangeTab={() => setActive(s.id)}
            data-testid={`onboarding-tab-${s.id}`}
          />
        ))}
      </TabsBar>
      <div className={styles.snippet}>
        <pre className={styles.code} data-testid="onboarding-snippet">
          {snippet.code}
        </pre>
        <div className={styles.actions}>
          <ClipboardButton icon="copy" size="sm" variant="secondary" getText={() => snippet.code}>
            Copy
          </ClipboardButton>
          <TextLink href={snippet.docs} external>
            {snippet.label} documentation
          </TextLink>
        </div>
      </div>
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  container: css({ display: 'flex', flexDirection: 'column', gap: theme.spacing(1) }),
  snippet: css({ display: 'flex', flexDirection: 'column', gap: theme.spacing(1) }),
  code: css({
    margin: 0,
    padding: theme.spacing(1.5),
    overflowX: 'auto',
    fontSize: theme.typography.bodySmall.fontSize,
  }),
  actions: css({ display: 'flex', gap: theme.spacing(2), alignItems: 'center' }),
});
