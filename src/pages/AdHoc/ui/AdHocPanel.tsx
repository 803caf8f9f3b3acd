import React, { useMemo } from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import {
  Alert,
  Combobox,
  FileDropzone,
  FileDropzoneDefaultChildren,
  LoadingPlaceholder,
  RadioButtonGroup,
  useStyles2,
} from '@grafana/ui';
import { valueFormatter } from '../../../shared/components/FlameGraph/domain/formatValue';
import { FlameGraphContainer } from '../../../shared/components/FlameGraph/ui/FlameGraphContainer';
import { AdHocProfileModel } from '../domain/useAdHocProfile';

export interface AdHocPanelProps {
  side: string;
  title: string;
  model: AdHocProfileModel;
  recent: Array<{ id: string; name: string }>;
  showFlameGraph: boolean;
}

/** An upload control, the profile type choice and the flame graph of one ad hoc file. */
export function AdHocPanel({ side, title, model, recent, showFlameGraph }: AdHocPanelProps) {
  const styles = useStyles2(getStyles);
  const { data, actions } = model;
  const { profile, loading, error } = data;
  const format = useMemo(() => valueFormatter(profile?.unit ?? 'short'), [profile?.unit]);
  const total = profile?.tree.total[0] ?? 0;
  return (
    <div className={styles.panel} data-testid={`adhoc-panel-${side}`}>
      <div className={styles.title}>{title}</div>
      <div className={styles.controls}>
        <div data-testid={`adhoc-upload-${side}`} className={styles.drop}>
          {/* drop a file here or click to choose one; the file is read by the upload itself */}
          <FileDropzone
            options={{
              multiple: false,
              onDrop: (files: File[]) => files[0] && actions.uploadFile(files[0]),
            }}
            fileListRenderer={() => null}
          >
            <FileDropzoneDefaultChildren
              primaryText="Drop a pprof, flamebearer JSON or folded file here"
              secondaryText="or click to choose one"
            />
          </FileDropzone>
        </div>
        {recent.length > 0 && (
          <Combobox
            width={36}
            placeholder="or reopen an earlier upload"
            options={recent.map((r) => ({ label: r.name, value: r.id, description: r.id }))}
            value={profile?.id ?? null}
            onChange={(o) => o?.value && actions.openUpload(o.value)}
          />
        )}
      </div>
      {error && (
        <Alert title="Could not read the profile" data-testid={`adhoc-error-${side}`}>
          {error}
        </Alert>
      )}
      {loading && <LoadingPlaceholder text="Reading the profile..." />}
      {profile && (
        <>
          <div className={styles.meta}>
            <span data-testid={`adhoc-name-${side}`}>{profile.name}</span>
            <span data-testid={`adhoc-total-${side}`} data-value={total} data-type={profile.profileType}>
              Total {format.full(total)}
            </span>
          </div>
          <div data-testid={`adhoc-profile-types-${side}`}>
            <RadioButtonGroup
              size="sm"
              options={profile.profileTypes.map((t) => ({ label: t, value: t }))}
              value={profile.profileType}
              onChange={(t) => actions.selectProfileType(t)}
            />
          </div>
          {showFlameGraph && (
            <div data-testid={`adhoc-flamegraph-${side}`}>
              <FlameGraphContainer tree={profile.tree} format={format} />
            </div>
          )}
        </>
      )}
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  panel: css({ display: 'flex', flexDirection: 'column', gap: theme.spacing(1), flex: 1, minWidth: 0 }),
  title: css({ fontWeight: theme.typography.fontWeightMedium }),
  controls: css({ display: 'flex', gap: theme.spacing(1), alignItems: 'center', flexWrap: 'wrap' }),
  drop: css({ flex: 1, minWidth: 280 }),
  meta: css({ display: 'flex', gap: theme.spacing(2), color: theme.colors.text.secondary, flexWrap: 'wrap' }),
});
