// Which series a query selects: each distinct label set is matched once per query, and each regex matcher runs
// once per distinct value of its label (10,000 series of 10 services cost 10 runs of a service_name regex).
// Regex runs are resumable (model/labelRegex.ts) and yield through the query's slicer, so one hostile regex
// over long values neither blocks the event loop nor outlives the query's timeout.
import type { LabelSet } from '../model/labels.js';
import type { Matcher } from '../model/selector.js';
import { SeriesFlags } from './seriesIds.js';
import type { Slicer } from './slicer.js';

/** Work units of one regex step between two looks at the slicer. */
const REGEX_STEP = 4096;

const UNKNOWN = 0;
const NO = 1;
const YES = 2;

export class SeriesMatcher {
  /** The answer per series number (seriesIds.ts) of the query's numbering. */
  private readonly bySeries = new SeriesFlags();
  private readonly byValue = new Map<Matcher, Map<string, boolean>>();

  /** Selects every series: no selector, or one without matchers (`{}`, the All services page). */
  private readonly everything: boolean;
  /** Only equality matchers: a series is matched at once, without the regex path's promises. */
  private readonly plain: boolean;

  /**
   * `selectors` are alternatives (a series is selected when it matches all matchers of any one of them); no
   * selector at all selects every series, as does a selector without matchers.
   */
  constructor(
    private readonly selectors: Matcher[][],
    private readonly slicer: Slicer
  ) {
    this.everything = selectors.length === 0 || selectors.some((ms) => ms.length === 0);
    this.plain = selectors.every((ms) => ms.every((m) => m.op === '=' || m.op === '!='));
  }

  /**
   * The answer for series number `id` when it can be had without waiting: known already, or (equality matchers
   * only) worked out now. A query's planning asks this for every series of every object it opens: 3,000 services
   * cost 3,000 async matches a query when each went through the regex path's promises.
   */
  known(id: number, labels?: LabelSet): boolean | undefined {
    if (this.everything) {
      return true;
    }
    const v = this.bySeries.get(id);
    if (v !== UNKNOWN) {
      return v === YES;
    }
    if (!this.plain || !labels) {
      return undefined;
    }
    const ok = this.selectors.some((ms) => ms.every((m) => equalityHolds(m, valueOf(labels, m.name))));
    this.bySeries.set(id, ok ? YES : NO);
    return ok;
  }

  /** Whether series number `id`, of label set `labels`, is selected. */
  async matches(id: number, labels: LabelSet): Promise<boolean> {
    const known = this.known(id);
    if (known !== undefined) {
      return known;
    }
    let ok = false;
    for (const ms of this.selectors) {
      if (await this.all(ms, labels)) {
        ok = true;
        break;
      }
    }
    this.bySeries.set(id, ok ? YES : NO);
    await this.slicer.tick(labels.length + 1);
    return ok;
  }

  private async all(ms: Matcher[], labels: LabelSet): Promise<boolean> {
    for (const m of ms) {
      const v = valueOf(labels, m.name);
      let ok: boolean;
      switch (m.op) {
        case '=':
        case '!=':
          ok = equalityHolds(m, v);
          break;
        default:
          ok = (await this.regex(m, v)) === (m.op === '=~');
      }
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  private async regex(m: Matcher, v: string): Promise<boolean> {
    let memo = this.byValue.get(m);
    if (!memo) {
      memo = new Map();
      this.byValue.set(m, memo);
    }
    const known = memo.get(v);
    if (known !== undefined) {
      return known;
    }
    const run = m.re!.run(v);
    let r: boolean | undefined;
    while ((r = run.step(REGEX_STEP)) === undefined) {
      if (this.slicer.due(REGEX_STEP)) {
        await this.slicer.pause();
      }
    }
    memo.set(v, r);
    return r;
  }
}

/** The value of label `name`; a missing label matches as the empty string, as in Prometheus. */
function valueOf(labels: LabelSet, name: string): string {
  for (const [n, v] of labels) {
    if (n === name) {
      return v;
    }
  }
  return '';
}

/** An `=` or `!=` matcher against the label's value. */
function equalityHolds(m: Matcher, v: string): boolean {
  return (v === m.value) === (m.op === '=');
}
