import React, { useCallback } from 'react';
import { SceneObject, sceneGraph } from '@grafana/scenes';
import { Stack } from '@grafana/ui';
import { FlameTree } from '../../../../../shared/domain/converters/flamebearer';
import { normalizeSelector } from '../../../../../shared/domain/labelSelector';
import { getDataSourceUid, getTimeWindow, getVariableValue } from '../../../domain/variables';
import { ShareLinkButton } from '../../../ui/ShareLinkButton';
import { ExplainInput } from '../../ExplainFlameGraph/domain/explainPrompt';
import { ExplainFlameGraph } from '../../ExplainFlameGraph/ui/ExplainFlameGraph';
import type { ExportQuery } from '../../ExportFlameGraph/domain/useExportActions';
import { ExportMenu } from '../../ExportFlameGraph/ui/ExportMenu';
import { ValueFormatter } from '../../../../../shared/components/FlameGraph/domain/formatValue';

export interface FlameGraphActionsProps {
  /** the scene object of the flame graph: variables and time range are read from it */
  scene: SceneObject;
  /** the flame graph's selector, with variables (`{service_name="${serviceName}",${filters}}`) */
  labelSelector: string;
  tree: FlameTree;
  format: ValueFormatter;
  maxNodes: number;
}

function spans(scene: SceneObject): string[] {
  return getVariableValue(scene, 'spanSelector')
    .split(/[\s,]+/)
    .filter(Boolean);
}

/** Explain, export and share of the single flame graph on screen. */
export function FlameGraphActions({ scene, labelSelector, tree, format, maxNodes }: FlameGraphActionsProps) {
  const serviceName = getVariableValue(scene, 'serviceName');
  const profileMetricId = getVariableValue(scene, 'profileMetricId');
  const window = getTimeWindow(scene);
  const getQuery = useCallback(
    (): ExportQuery => ({
      dataSourceUid: getDataSourceUid(scene),
      profileMetricId: getVariableValue(scene, 'profileMetricId'),
      selector: normalizeSelector(sceneGraph.interpolate(scene, labelSelector)),
      window: getTimeWindow(scene),
      maxNodes,
      spanSelector: spans(scene),
    }),
    [scene, labelSelector, maxNodes]
  );
  const getInput = useCallback(
    (): ExplainInput => ({
      kind: 'single',
      tree,
      serviceName: getVariableValue(scene, 'serviceName'),
      profileMetricId: getVariableValue(scene, 'profileMetricId'),
      window: getTimeWindow(scene),
      format,
      spanSelector: spans(scene).join(', ') || undefined,
    }),
    [scene, tree, format]
  );
  const getAbsolute = useCallback(() => {
    const w = getTimeWindow(scene);
    return { from: w.start, to: w.end };
  }, [scene]);
  return (
    <Stack gap={2} alignItems="center" wrap="wrap" data-testid="flamegraph-actions">
      <ExplainFlameGraph getInput={getInput} format={format} />
      <ExportMenu
        serviceName={serviceName}
        profileMetricId={profileMetricId}
        getQuery={getQuery}
        start={window.start}
        title={`${serviceName} · ${profileMetricId}`}
      />
      <ShareLinkButton getAbsolute={getAbsolute} />
    </Stack>
  );
}
