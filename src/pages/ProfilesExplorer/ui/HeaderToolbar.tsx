import React, { useState } from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { config, locationService } from '@grafana/runtime';
import { IconButton, LinkButton, Stack, Toggletip, useStyles2 } from '@grafana/ui';
import { ROUTES, prefixRoute } from '../../../constants';
import { buildShareUrl } from '../domain/shareLink';
import { returnState } from '../../../shared/domain/backTarget';

export interface HeaderToolbarProps {
  /** the keys whose values must be absolute in a shared link (the time range) */
  getAbsolute: () => Record<string, string | number>;
  dataSourceUid: string;
}

/** The app's own buttons, as in the official header: ad hoc upload, settings, a share link, about. */
export function HeaderToolbar({ getAbsolute, dataSourceUid }: HeaderToolbarProps) {
  const styles = useStyles2(getStyles);
  const [copied, setCopied] = useState(false);
  const withDataSource = (route: ROUTES) =>
    dataSourceUid ? `${prefixRoute(route)}?var-dataSource=${encodeURIComponent(dataSourceUid)}` : prefixRoute(route);
  // In this tab, the page opened remembers this view, for its "Back to Profiles Drilldown"; a modified click
  // (new tab or window) is left to the browser.
  const openWithReturn = (route: ROUTES) => (event: React.MouseEvent) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
      return;
    }
    event.preventDefault();
    const here = locationService.getLocation();
    const [pathname, search = ''] = withDataSource(route).split('?');
    locationService.push({
      pathname,
      search: search ? `?${search}` : '',
      state: returnState(here.pathname, here.search),
    });
  };
  const share = () => {
    const location = locationService.getLocation();
    const link = buildShareUrl(config.appUrl, location.pathname, location.search, getAbsolute());
    navigator.clipboard?.writeText(link).then(
      () => setCopied(true),
      () => setCopied(false)
    );
  };
  return (
    <div className={styles.toolbar} data-testid="header-toolbar">
      <LinkButton
        href={withDataSource(ROUTES.AdHoc)}
        onClick={openWithReturn(ROUTES.AdHoc)}
        icon="upload"
        size="sm"
        variant="secondary"
        fill="text"
        tooltip="Upload ad hoc profiles"
        aria-label="Upload ad hoc profiles"
        data-testid="header-ad-hoc"
      />
      <LinkButton
        href={withDataSource(ROUTES.Settings)}
        onClick={openWithReturn(ROUTES.Settings)}
        icon="cog"
        size="sm"
        variant="secondary"
        fill="text"
        tooltip="View/edit tenant settings"
        aria-label="Settings"
        data-testid="header-settings"
      />
      <IconButton
        name="share-alt"
        tooltip={copied ? 'Link copied to the clipboard' : 'Copy shareable link to the clipboard'}
        onClick={share}
        onMouseLeave={() => setCopied(false)}
        data-testid="header-share"
      />
      <Toggletip
        placement="bottom-end"
        content={
          <Stack direction="column" gap={1}>
            <strong>Profiles Drilldown</strong>
            <span>
              Continuous profiles of your services: which functions use CPU, memory, locks, and how that changed. Data
              from the selected Pyroscope data source.
            </span>
          </Stack>
        }
      >
        <IconButton name="info-circle" tooltip="About this app" data-testid="header-info" />
      </Toggletip>
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  toolbar: css({
    display: 'flex',
    alignItems: 'center',
    gap: 4,
    height: 32,
    padding: theme.spacing(0, 1),
    border: `1px solid ${theme.colors.border.weak}`,
    background: theme.colors.background.secondary,
  }),
});
