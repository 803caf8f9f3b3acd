import { DataFrame, FieldType, createDataFrame } from '@grafana/data';

/**
 * The "maxima" table: per series its peak and when it happened, the highest first. A reduction of the
 * time-series frames rather than a Grafana transformation, so it needs nothing registered by the host.
 */
export function seriesMaxima(frames: DataFrame[]): DataFrame {
  const rows: Array<{ name: string; max: number; at: number; unit?: string }> = [];
  for (const f of frames) {
    const time = f.fields.find((x) => x.type === FieldType.time);
    const value = f.fields.find((x) => x.type === FieldType.number);
    if (!value || !value.values.length) {
      continue;
    }
    let best = 0;
    for (let i = 1; i < value.values.length; i++) {
      if (Number(value.values[i]) > Number(value.values[best])) {
        best = i;
      }
    }
    rows.push({
      // the series' own name (a label value), not its legend: the official table shows `eu`, not `cpu eu`
      name: String(f.name ?? value.config.displayNameFromDS ?? ''),
      max: Number(value.values[best]),
      at: Number(time?.values[best] ?? 0),
      unit: value.config.unit,
    });
  }
  rows.sort((a, b) => b.max - a.max || a.name.localeCompare(b.name));
  return createDataFrame({
    name: 'maxima',
    refId: frames[0]?.refId,
    fields: [
      { name: 'Series', type: FieldType.string, values: rows.map((r) => r.name) },
      { name: 'Max', type: FieldType.number, values: rows.map((r) => r.max), config: { unit: rows[0]?.unit } },
      { name: 'Time of max', type: FieldType.time, values: rows.map((r) => r.at) },
    ],
  });
}
