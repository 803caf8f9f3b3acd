import React, { useState } from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2, dateTimeFormat } from '@grafana/data';
import { config } from '@grafana/runtime';
import {
  SceneComponentProps,
  SceneObjectBase,
  SceneObjectState,
  TextBoxVariable,
  VariableDependencyConfig,
  sceneGraph,
} from '@grafana/scenes';
import {
  Alert,
  Collapse,
  IconButton,
  LoadingPlaceholder,
  RadioButtonGroup,
  Stack,
  Tag,
  TextLink,
  useStyles2,
} from '@grafana/ui';
import { normalizeSelector } from '../../../../../shared/domain/labelSelector';
import { grafanaUnit, parseProfileMetricId } from '../../../../../shared/domain/profileMetrics';
import { traceExploreUrl } from '../../../../../shared/domain/exploreUrl';
import { valueFormatter } from '../../../../../shared/components/FlameGraph/domain/formatValue';
import { getDataSourceUid, getTimeWindow, getVariableValue } from '../../../domain/variables';
import { encodeProfileSelection } from '../../../../../shared/domain/profileSelection';
import { ProfileExemplar } from '../domain/heatmapGrid';
import { heatmapStep, useProfilesHeatmap } from '../domain/useProfilesHeatmap';
import { HeatmapChart } from './HeatmapChart';

interface SceneProfilesHeatmapState extends SceneObjectState {
  labelSelector: string;
  /** the exemplar whose flame graph is shown (its trace id is not in the URL) */
  opened?: ProfileExemplar;
}

/**
 * Under the service's series: its exemplars and a heatmap of its individual profiles (or spans); a click on
 * either shows the flame graph of exactly that profile (`profile_id_selector`) or span (`span_selector`).
 */
export class SceneProfilesHeatmap extends SceneObjectBase<SceneProfilesHeatmapState> {
  protected _variableDependency = new VariableDependencyConfig(this, {
    variableNames: ['dataSource', 'serviceName', 'profileMetricId', 'filters', 'profile', 'spanSelector'],
    onReferencedVariableValueChanged: () => this.forceRender(),
  });

  private variable(name: string): TextBoxVariable | undefined {
    const v = sceneGraph.lookupVariable(name, this);
    return v instanceof TextBoxVariable ? v : undefined;
  }

  /** Shows the flame graph of one profile or span (the other selector is cleared). */
  open(e: ProfileExemplar) {
    this.setState({ opened: e });
    this.variable('profile')?.setValue(e.spanId ? '' : encodeProfileSelection(e));
    this.variable('spanSelector')?.setValue(e.spanId);
  }

  /** Back to the flame graph of the whole selection. */
  close() {
    this.setState({ opened: undefined });
    this.variable('profile')?.setValue('');
  }

  static Component = SceneProfilesHeatmapRenderer;
}

function SceneProfilesHeatmapRenderer({ model }: SceneComponentProps<SceneProfilesHeatmap>) {
  const styles = useStyles2(getStyles);
  const { labelSelector, opened } = model.useState();
  const timeRange = sceneGraph.getTimeRange(model).useState();
  const [open, setOpen] = useState(false);
  const [kind, setKind] = useState<'profiles' | 'spans'>('profiles');
  const window = getTimeWindow(model);
  const profileMetricId = getVariableValue(model, 'profileMetricId');
  const query = {
    dataSourceUid: getDataSourceUid(model),
    profileMetricId,
    labelSelector: normalizeSelector(sceneGraph.interpolate(model, labelSelector)),
    start: window.start,
    end: window.end,
    step: heatmapStep(window.start, window.end),
  };
  const { data } = useProfilesHeatmap(query, open && Boolean(profileMetricId));
  const format = valueFormatter(grafanaUnit(parseProfileMetricId(profileMetricId).unit));
  const grid = kind === 'spans' && data.spans ? data.spans : data.profiles;
  const profile = getVariableValue(model, 'profile');
  const shown =
    opened &&
    (opened.spanId
      ? opened.spanId === getVariableValue(model, 'spanSelector')
      : encodeProfileSelection(opened) === profile);

  return (
    <div className={styles.container} data-testid="profiles-heatmap">
      {(profile || shown) && (
        <div className={styles.opened} data-testid="opened-exemplar">
          <Tag
            name={
              shown && opened?.spanId
                ? `Span ${opened.spanId}`
                : `Profile ${opened?.profileId || (profile.startsWith('@') ? '' : profile)}`.trim()
            }
            icon="crosshair"
          />
          {shown && opened && (
            <span className={styles.muted}>
              {dateTimeFormat(opened.time, { format: 'YYYY-MM-DD HH:mm:ss' })} · {format.short(opened.value)}
            </span>
          )}
          {shown && opened?.traceId && (
            <span data-testid="trace-link" data-trace-id={opened.traceId}>
              {data.tempoUid ? (
                <TextLink
                  href={traceExploreUrl(
                    opened.traceId,
                    data.tempoUid,
                    { from: String(timeRange.value.from.valueOf()), to: String(timeRange.value.to.valueOf()) },
                    config.appSubUrl ?? ''
                  )}
                  icon="external-link-alt"
                  external
                >
                  {`Trace ${opened.traceId}`}
                </TextLink>
              ) : (
                <span className={styles.muted} title="No Tempo data source is configured to open it in">
                  Trace {opened.traceId}
                </span>
              )}
            </span>
          )}
          {!opened?.spanId && (
            <IconButton
              name="times"
              tooltip="Show every profile of the selection"
              onClick={() => model.close()}
              data-testid="close-exemplar"
            />
          )}
        </div>
      )}
      <Collapse label="Profiles heatmap and exemplars" isOpen={open} onToggle={() => setOpen(!open)}>
        {data.error ? (
          <Alert severity="info" title="No heatmap">
            This data source did not answer SelectHeatmap ({data.error}).
          </Alert>
        ) : data.loading || !grid ? (
          <LoadingPlaceholder text="Loading heatmap..." />
        ) : (
          <Stack direction="column" gap={1}>
            <Stack gap={2} alignItems="center">
              {data.spans && (
                <RadioButtonGroup
                  size="sm"
                  value={kind}
                  onChange={setKind}
                  options={[
                    { label: 'Profiles', value: 'profiles' },
                    { label: 'Spans', value: 'spans' },
                  ]}
                />
              )}
              <span className={styles.muted}>
                {grid.cells.reduce((n, c) => n + c.count, 0)} {kind === 'spans' && data.spans ? 'spans' : 'profiles'} ·
                diamonds are exemplars (the highest-value profile of a step); click one or a cell for its flame graph
              </span>
            </Stack>
            <HeatmapChart
              grid={grid}
              series={data.series}
              start={window.start}
              end={window.end}
              formatValue={format.short}
              spans={kind === 'spans' && Boolean(data.spans)}
              onOpen={(e) => model.open(e)}
            />
          </Stack>
        )}
      </Collapse>
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  container: css({ display: 'flex', flexDirection: 'column', gap: theme.spacing(1) }),
  opened: css({ display: 'flex', alignItems: 'center', gap: theme.spacing(1) }),
  muted: css({ color: theme.colors.text.secondary, fontSize: theme.typography.bodySmall.fontSize }),
});
