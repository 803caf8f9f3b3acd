export interface FrameJson {
  schema: {
    name: string;
    refId: string;
    meta: { typeVersion: [number, number]; preferredVisualisationType: string; custom?: Record<string, unknown> };
    fields: Array<{
      name: string;
      type: string;
      typeInfo: { frame: string };
      labels?: Record<string, string>;
      config?: { unit?: string; type?: { enum?: { text: string[] } } };
    }>;
  };
  data: { values: unknown[][] };
}

export interface QueryResult {
  status: number;
  frames?: FrameJson[];
  error?: string;
  errorSource?: string;
}

export interface DataSourceSettings {
  type: string;
  url: string;
  jsonData?: { minStep?: string };
}

export function profileUnit(profileTypeId: string): string;
export function isCumulative(profileTypeId: string): boolean;
export function seriesDisplay(
  profileTypeId: string,
  stepSeconds: number
): { unit: string; rate: boolean; transform: (v: number) => number };
export function flamebearerToNestedSet(
  names: string[],
  levels: number[][]
): Array<{ level: number; value: number; self: number; label: string }>;
export function profileFrame(
  refId: string,
  profileTypeId: string,
  flamegraph?: { names: string[]; levels: number[][] }
): FrameJson;
export function seriesFrames(
  refId: string,
  profileTypeId: string,
  stepSeconds: number,
  series: Array<{ labels: Array<{ name: string; value: string }>; points: Array<{ value: number; timestamp: number }> }>
): FrameJson[];
export function parseDurationMs(text: string | undefined): number | undefined;
export function parseTimeMs(text: string | number | undefined, now?: number): number;
export function runPyroscopeQuery(
  query: Record<string, unknown>,
  range: { from: number; to: number },
  settings: DataSourceSettings,
  fetchImpl?: typeof fetch
): Promise<QueryResult>;
export function queryData(
  body: unknown,
  dataSources: Record<string, DataSourceSettings>,
  fetchImpl?: typeof fetch
): Promise<{ status: number; body: { results?: Record<string, QueryResult>; message?: string } }>;
export function callResource(
  path: string,
  params: URLSearchParams,
  settings: DataSourceSettings,
  fetchImpl?: typeof fetch
): Promise<{ status: number; body: unknown }>;
export function checkHealth(
  settings: DataSourceSettings,
  fetchImpl?: typeof fetch
): Promise<{ status: number; body: { status: string; message: string } }>;
