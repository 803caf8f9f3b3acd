import { PprofJson } from '../../../../../../../shared/infrastructure/pyroscope/types';

export interface LineDetails {
  line: number;
  self: number;
  total: number;
}

export interface FunctionDetails {
  name: string;
  /** file of the function as the profile names it (Go: a module path or an absolute path) */
  file: string;
  startLine: number;
  self: number;
  total: number;
  /** lines with samples, ascending */
  lines: LineDetails[];
  /** sample type and unit of the values, e.g. cpu / nanoseconds */
  sampleType: string;
  unit: string;
}

const num = (v: string | number | undefined) => Number(v ?? 0);

/**
 * One function's self and total by line, from pprof profiles in Connect JSON (SelectMergeProfile, one profile
 * per call site of the function). A sample counts towards the total at the line of the outermost frame of the
 * function (recursion once, as the top table counts), towards self at the line of its leaf frame.
 */
export function functionDetails(profiles: PprofJson[], name: string): FunctionDetails {
  const details: FunctionDetails = {
    name,
    file: '',
    startLine: 0,
    self: 0,
    total: 0,
    lines: [],
    sampleType: '',
    unit: '',
  };
  const byLine = new Map<number, LineDetails>();
  const at = (line: number) => {
    let d = byLine.get(line);
    if (!d) {
      d = { line, self: 0, total: 0 };
      byLine.set(line, d);
    }
    return d;
  };
  for (const p of profiles) {
    const strings = p.stringTable ?? [];
    const fnName = new Map<string, string>();
    const fnMeta = new Map<string, { file: string; startLine: number }>();
    for (const f of p.function ?? []) {
      const id = String(f.id ?? 0);
      fnName.set(id, strings[num(f.name)] || strings[num(f.systemName)] || '');
      fnMeta.set(id, { file: strings[num(f.filename)] ?? '', startLine: num(f.startLine) });
    }
    // pprof lines of a location are innermost first: an inlined call is a frame of its own
    const locations = new Map<string, Array<{ id: string; line: number }>>();
    for (const l of p.location ?? []) {
      locations.set(
        String(l.id ?? 0),
        (l.line ?? []).map((ln) => ({ id: String(ln.functionId ?? 0), line: num(ln.line) }))
      );
    }
    const type = p.sampleType?.[0];
    if (type && !details.sampleType) {
      details.sampleType = strings[num(type.type)] ?? '';
      details.unit = strings[num(type.unit)] ?? '';
    }
    for (const s of p.sample ?? []) {
      const value = num(s.value?.[0]);
      if (!value) {
        continue;
      }
      // leaf first, as pprof lists them
      const frames: Array<{ id: string; line: number }> = [];
      for (const loc of s.locationId ?? []) {
        frames.push(...(locations.get(String(loc)) ?? []));
      }
      let outer = -1;
      for (let i = frames.length - 1; i >= 0; i--) {
        if (fnName.get(frames[i].id) === name) {
          outer = i;
          break;
        }
      }
      if (outer < 0) {
        continue;
      }
      if (!details.file) {
        const meta = fnMeta.get(frames[outer].id);
        details.file = meta?.file ?? '';
        details.startLine = meta?.startLine ?? 0;
      }
      at(frames[outer].line).total += value;
      details.total += value;
      if (frames.length && fnName.get(frames[0].id) === name) {
        at(frames[0].line).self += value;
        details.self += value;
      }
    }
  }
  details.lines = [...byLine.values()].sort((a, b) => a.line - b.line);
  return details;
}
