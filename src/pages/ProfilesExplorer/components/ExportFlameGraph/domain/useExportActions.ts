import { useMemo } from 'react';
import type { TimeWindow } from '../../../../../shared/infrastructure/pyroscope/PyroscopeApiClient';
import type { RenderResponse } from '../../../../../shared/infrastructure/pyroscope/types';
import { fetchFlamebearerJson, fetchPprof } from '../infrastructure/exportQueries';

/** What is exported: the flame graph on screen's selection. */
export interface ExportQuery {
  dataSourceUid: string;
  profileMetricId: string;
  selector: string;
  window: TimeWindow;
  maxNodes?: number;
  spanSelector?: string[];
}

/** The exports that ask the backend: the whole merged profile as pprof, the flamebearer JSON. */
export function useExportActions(): {
  actions: { exportPprof: (q: ExportQuery) => Promise<Blob>; exportJson: (q: ExportQuery) => Promise<RenderResponse> };
} {
  return useMemo(() => ({ actions: { exportPprof: fetchPprof, exportJson: fetchFlamebearerJson } }), []);
}
