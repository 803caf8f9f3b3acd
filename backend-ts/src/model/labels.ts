// Label sets, profile type ids and Prometheus-style matchers: pure data, shared by the write and read paths.

export type Label = [name: string, value: string];
export type LabelSet = Label[];

/** Sorts a label set by name, in place; a repeated name stays repeated (callers build sets without repeats). */
export function sortLabels(ls: LabelSet): LabelSet {
  return ls.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** A new label set sorted by name in which a repeated name keeps its last value, as Pyroscope's LabelsBuilder. */
export function uniqueSortedLabels(labels: ReadonlyArray<readonly [string, string]>): LabelSet {
  const byName = new Map<string, string>();
  for (const [k, v] of labels) {
    byName.set(k, v);
  }
  return [...byName].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** A stable key for a label set that is already sorted. */
export function labelsKey(ls: LabelSet): string {
  let k = '';
  for (const [n, v] of ls) {
    k += n + '\u0000' + v + '\u0001';
  }
  return k;
}

export function compareLabelSets(a: LabelSet, b: LabelSet): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i][0] !== b[i][0]) {
      return a[i][0] < b[i][0] ? -1 : 1;
    }
    if (a[i][1] !== b[i][1]) {
      return a[i][1] < b[i][1] ? -1 : 1;
    }
  }
  return a.length - b.length;
}

export interface ProfileTypeId {
  id: string;
  name: string;
  sampleType: string;
  sampleUnit: string;
  periodType: string;
  periodUnit: string;
}

export function profileTypeId(
  name: string,
  sampleType: string,
  sampleUnit: string,
  periodType: string,
  periodUnit: string
): string {
  return `${name}:${sampleType}:${sampleUnit}:${periodType}:${periodUnit}`;
}

/** Parses `name:sample_type:sample_unit:period_type:period_unit`; throws a message naming the problem. */
export function parseProfileTypeId(id: string): ProfileTypeId {
  const parts = id.split(':');
  if (parts.length !== 5 || !parts[0] || !parts[1]) {
    throw new Error(`invalid profile type id "${id}": expected name:sample_type:sample_unit:period_type:period_unit`);
  }
  return { id, name: parts[0], sampleType: parts[1], sampleUnit: parts[2], periodType: parts[3], periodUnit: parts[4] };
}
