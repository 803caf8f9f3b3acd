import React, { useState } from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { EmbeddedScene, SceneAppPage, SceneReactObject } from '@grafana/scenes';
import {
  Alert,
  Button,
  Combobox,
  Field,
  FieldSet,
  Input,
  LoadingPlaceholder,
  Stack,
  Switch,
  useStyles2,
} from '@grafana/ui';
import { ROUTES, prefixRoute } from '../../../constants';
import { MAX_NODES_LIMIT, isValidMaxNodes } from '../../../shared/domain/pluginSettings';
import { chosenDataSourceUid, dataSourceByUid, pyroscopeDataSources } from '../../../shared/domain/dataSourceChoice';
import { useSettings } from '../domain/useSettings';
import { BackToExploreButton } from '../../../shared/ui/BackToExploreButton';

function SettingsPage() {
  const styles = useStyles2(getStyles);
  // Settings live in each Pyroscope: the one the explorer last used first.
  const [dataSourceUid, setDataSourceUid] = useState(() => chosenDataSourceUid());
  const [sources] = useState(() => pyroscopeDataSources());
  const dataSourceName = dataSourceByUid(dataSourceUid)?.name;
  const { data, actions } = useSettings(dataSourceUid);
  const [maxNodesText, setMaxNodesText] = useState<string>();
  if (data.loading) {
    return <LoadingPlaceholder text="Loading settings..." />;
  }
  const s = data.settings;
  const maxNodesValue = maxNodesText ?? String(s?.maxNodes ?? '');
  const maxNodesValid = isValidMaxNodes(Number(maxNodesValue));
  return (
    <div className={styles.page} data-testid="settings-page">
      {data.error && (
        <Alert severity="error" title="Settings">
          {data.error}
        </Alert>
      )}
      {sources.length > 1 && (
        <Field label="Data source" description="Settings are stored in, and apply to, one Pyroscope data source.">
          <Combobox
            width={40}
            options={sources.map((d) => ({ label: d.name, value: d.uid }))}
            value={dataSourceUid ?? null}
            onChange={(o) => {
              setMaxNodesText(undefined);
              setDataSourceUid(o.value);
            }}
            data-testid="settings-data-source"
          />
        </Field>
      )}
      {s && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            actions.saveSettings();
          }}
        >
          <FieldSet label="Flame graph">
            <Field
              label="Maximum nodes"
              description={`Frames per flame graph, the smallest folded into "other". Used when the URL has no maxNodes. 1 to ${MAX_NODES_LIMIT.toLocaleString('en-US')}.`}
              invalid={!maxNodesValid}
              error={maxNodesValid ? undefined : 'A whole number between 1 and 1,000,000'}
            >
              <Input
                width={20}
                type="number"
                value={maxNodesValue}
                onChange={(e) => {
                  const text = e.currentTarget.value;
                  setMaxNodesText(text);
                  if (isValidMaxNodes(Number(text))) {
                    actions.updateSettings({ maxNodes: Number(text) });
                  }
                }}
                data-testid="settings-max-nodes"
              />
            </Field>
            <Field
              label="Collapsed flame graphs"
              description="Fold a frame whose only child holds more than 99 % of its value into one group frame, with expand and collapse."
            >
              <Switch
                value={s.collapsedFlamegraphs}
                onChange={() => actions.updateSettings({ collapsedFlamegraphs: !s.collapsedFlamegraphs })}
                data-testid="settings-collapsed-flamegraphs"
              />
            </Field>
          </FieldSet>
          <FieldSet label="Function details">
            <Field
              label="Enable function details"
              description="A frame's menu offers its details: file, lines and their cost, and a link to the source."
            >
              <Switch
                value={s.enableFunctionDetails}
                onChange={() => actions.updateSettings({ enableFunctionDetails: !s.enableFunctionDetails })}
                data-testid="settings-function-details"
              />
            </Field>
          </FieldSet>
          <Stack gap={2} alignItems="center">
            <Button type="submit" disabled={data.saving || !maxNodesValid} data-testid="settings-save">
              {data.saving ? 'Saving...' : 'Save settings'}
            </Button>
            <Button
              type="button"
              variant="secondary"
              onClick={() => {
                setMaxNodesText(undefined);
                actions.resetSettings();
              }}
              data-testid="settings-reset"
            >
              Reset to defaults
            </Button>
            <BackToExploreButton dataSourceUid={dataSourceUid} />
            {data.saved && (
              <span className={styles.note} data-testid="settings-saved">
                Saved in {dataSourceName ?? dataSourceUid}
              </span>
            )}
          </Stack>
          <p className={styles.note}>
            Stored in the Pyroscope data source {dataSourceName ? `"${dataSourceName}"` : ''} (settings.v1,{' '}
            <code>pluginSettings</code>), shared by everyone using it. Two settings of the official app are kept as
            stored but not offered here: the flamegraph.com export (it uploads profiles to the internet) and metrics
            from profiles (recording rules, which this app does not have yet).
          </p>
        </form>
      )}
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  page: css({ maxWidth: 720, display: 'flex', flexDirection: 'column', gap: theme.spacing(2) }),
  note: css({ color: theme.colors.text.secondary, fontSize: theme.typography.bodySmall.fontSize }),
});

export function buildSettingsPage(): SceneAppPage {
  return new SceneAppPage({
    // the official app's title: the settings belong to the tenant of the data source, not to this browser
    title: 'Profiles settings (tenant)',
    url: prefixRoute(ROUTES.Settings),
    routePath: `${ROUTES.Settings}/*`,
    getScene: () => new EmbeddedScene({ body: new SceneReactObject({ component: SettingsPage }) }),
  });
}
