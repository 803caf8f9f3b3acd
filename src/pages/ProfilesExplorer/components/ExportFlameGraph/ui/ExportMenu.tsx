import React, { useRef, useState } from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { Button, Dropdown, Menu, Stack, useStyles2, useTheme2 } from '@grafana/ui';
import { exportFileName } from '../domain/selectMergeProfileRequest';
import { ExportQuery, useExportActions } from '../domain/useExportActions';
import { downloadBlob, flameGraphToPng } from './flameGraphPng';

export interface ExportMenuProps {
  serviceName: string;
  profileMetricId: string;
  /** the query of the flame graph on screen; absent: no pprof export (the diff view) */
  getQuery?: () => ExportQuery;
  /** the JSON to save instead of asking the render API again (the diff view has it already) */
  getJson?: () => object | undefined;
  start: number;
  title: string;
}

/** Export of the flame graph on screen: pprof (SelectMergeProfile), JSON flamebearer, PNG. */
export function ExportMenu({ serviceName, profileMetricId, getQuery, getJson, start, title }: ExportMenuProps) {
  const styles = useStyles2(getStyles);
  const theme = useTheme2();
  const anchor = useRef<HTMLSpanElement>(null);
  const { actions } = useExportActions();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const name = (ext: string) => exportFileName(serviceName, profileMetricId, start, ext);

  const run = (job: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    job()
      .catch((e: unknown) => setError(`Export failed: ${(e as Error)?.message ?? String(e)}`))
      .finally(() => setBusy(false));
  };

  // The chart is a sibling of the toolbar: the nearest ancestor holding one is this graph's.
  const findSvg = (): SVGSVGElement | null => {
    for (let el = anchor.current?.parentElement; el; el = el.parentElement) {
      const svg = el.querySelector<SVGSVGElement>('[data-testid="flamegraph"] svg');
      if (svg) {
        return svg;
      }
    }
    return null;
  };

  const menu = (
    <Menu>
      {getQuery && (
        <Menu.Item
          label="pprof (.pb.gz)"
          testId="export-pprof"
          onClick={() => run(async () => downloadBlob(await actions.exportPprof(getQuery()), name('pb.gz')))}
        />
      )}
      <Menu.Item
        label="JSON (flamebearer)"
        testId="export-json"
        onClick={() =>
          run(async () => {
            const json = getJson?.() ?? (getQuery ? await actions.exportJson(getQuery()) : undefined);
            if (json) {
              downloadBlob(new Blob([JSON.stringify(json)], { type: 'application/json' }), name('json'));
            }
          })
        }
      />
      <Menu.Item
        label="PNG image"
        testId="export-png"
        onClick={() =>
          run(async () => {
            const svg = findSvg();
            if (!svg) {
              throw new Error('no flame graph on screen');
            }
            const blob = await flameGraphToPng(svg, title, theme.colors.background.primary, theme.colors.text.primary);
            downloadBlob(blob, name('png'));
          })
        }
      />
    </Menu>
  );
  return (
    <Stack gap={1} alignItems="center">
      <span ref={anchor} />
      <Dropdown overlay={menu} placement="bottom-end">
        <Button size="sm" variant="secondary" icon={busy ? 'spinner' : 'download-alt'} data-testid="export-button">
          Export
        </Button>
      </Dropdown>
      {error && (
        <span className={styles.error} data-testid="export-error">
          {error}
        </span>
      )}
    </Stack>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  error: css({ color: theme.colors.error.text, fontSize: theme.typography.bodySmall.fontSize }),
});
