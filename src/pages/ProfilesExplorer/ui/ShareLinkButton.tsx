import React, { useState } from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { config, locationService } from '@grafana/runtime';
import { Button, Input, Stack, useStyles2 } from '@grafana/ui';
import { buildShareUrl } from '../domain/shareLink';

export interface ShareLinkButtonProps {
  /** the URL keys whose current values must be written as absolute times */
  getAbsolute: () => Record<string, string | number>;
}

/** Copies a link that reopens this view with the same absolute time range (and diff selections). */
export function ShareLinkButton({ getAbsolute }: ShareLinkButtonProps) {
  const styles = useStyles2(getStyles);
  const [url, setUrl] = useState<string>();
  const [copied, setCopied] = useState(false);
  const share = () => {
    const location = locationService.getLocation();
    const link = buildShareUrl(config.appUrl, location.pathname, location.search, getAbsolute());
    setUrl(link);
    setCopied(false);
    navigator.clipboard?.writeText(link).then(
      () => setCopied(true),
      () => setCopied(false)
    );
  };
  return (
    <Stack gap={1} alignItems="center">
      <Button size="sm" variant="secondary" icon="share-alt" onClick={share} data-testid="share-link">
        Share link
      </Button>
      {url && (
        <>
          <Input
            className={styles.url}
            readOnly
            value={url}
            onFocus={(e) => e.currentTarget.select()}
            data-testid="share-link-url"
          />
          <span className={styles.note}>{copied ? 'Copied' : 'Copy it from the field'}</span>
        </>
      )}
    </Stack>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  url: css({ width: 360 }),
  note: css({ color: theme.colors.text.secondary, fontSize: theme.typography.bodySmall.fontSize }),
});
