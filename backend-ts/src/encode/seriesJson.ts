// SelectSeriesResponse as Connect JSON, written directly. The All services page asks for every service's series
// at once (300 services x 120 points = 36,000 points at the 10x), and protobuf-es builds a message per
// point and then reflects over its fields to write JSON: about 40 % of a warm query's CPU. The output is exactly
// what `toJsonString(SelectSeriesResponseSchema, …)` writes (test/seriesJson.test.ts compares them): proto3 JSON,
// lowerCamelCase names in declaration order, fields at their zero value left out, int64 as a decimal string,
// doubles as numbers except NaN and ±Infinity (strings).
import type { LabelSet } from '../model/labels.js';
import type { ProfilePoint } from '../model/profilePoints.js';

export interface SeriesJsonIn {
  labels: LabelSet;
  points: ReadonlyArray<{ timestamp: number; value: number; exemplar?: ProfilePoint }>;
}

function double(v: number): string {
  if (Number.isFinite(v)) {
    return JSON.stringify(v);
  }
  return Number.isNaN(v) ? '"NaN"' : v > 0 ? '"Infinity"' : '"-Infinity"';
}

/** An int64 field from a JS number, as the handlers convert it (BigInt of the rounded value). */
function int64(v: number): string {
  const n = Math.round(v);
  return Number.isSafeInteger(n) ? String(n) : BigInt(n).toString();
}

function labelsJson(labels: LabelSet): string {
  let s = '';
  for (let i = 0; i < labels.length; i++) {
    const [name, value] = labels[i];
    let f = '';
    if (name !== '') {
      f = `"name":${JSON.stringify(name)}`;
    }
    if (value !== '') {
      f += `${f ? ',' : ''}"value":${JSON.stringify(value)}`;
    }
    s += `${i > 0 ? ',' : ''}{${f}}`;
  }
  return s;
}

function exemplarJson(e: ProfilePoint): string {
  const f: string[] = [];
  const ts = Math.round(e.ts);
  if (ts !== 0) {
    f.push(`"timestamp":"${int64(ts)}"`);
  }
  if (e.profileId !== '') {
    f.push(`"profileId":${JSON.stringify(e.profileId)}`);
  }
  if (e.spanId !== '') {
    f.push(`"spanId":${JSON.stringify(e.spanId)}`);
  }
  const value = Math.round(e.value);
  if (value !== 0) {
    f.push(`"value":"${int64(value)}"`);
  }
  if (e.labels.length > 0) {
    f.push(`"labels":[${labelsJson(e.labels)}]`);
  }
  if (e.traceId !== '') {
    f.push(`"traceId":${JSON.stringify(e.traceId)}`);
  }
  return `{${f.join(',')}}`;
}

/** The JSON text of a SelectSeriesResponse holding `series`. */
export function selectSeriesJson(series: readonly SeriesJsonIn[]): string {
  if (series.length === 0) {
    return '{}';
  }
  const parts: string[] = [];
  for (const s of series) {
    let out = '{';
    if (s.labels.length > 0) {
      out += `"labels":[${labelsJson(s.labels)}]`;
    }
    if (s.points.length > 0) {
      let pts = '';
      for (let i = 0; i < s.points.length; i++) {
        const p = s.points[i];
        let f = '';
        // -0 is not the zero value for protobuf-es: written, as 0
        if (p.value !== 0 || Object.is(p.value, -0)) {
          f = `"value":${double(p.value)}`;
        }
        const ts = Math.round(p.timestamp);
        if (ts !== 0) {
          f += `${f ? ',' : ''}"timestamp":"${int64(ts)}"`;
        }
        if (p.exemplar) {
          f += `${f ? ',' : ''}"exemplars":[${exemplarJson(p.exemplar)}]`;
        }
        pts += `${i > 0 ? ',' : ''}{${f}}`;
      }
      out += `${s.labels.length > 0 ? ',' : ''}"points":[${pts}]`;
    }
    parts.push(`${out}}`);
  }
  return `{"series":[${parts.join(',')}]}`;
}
