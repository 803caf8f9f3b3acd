// A linear-time matcher for label regexes, resumable so that a query can yield between slices of one match.
//
// V8's linear engine (the `l` flag) guarantees linear time but not speed: it simulates the NFA and records
// captures for every thread, so a 700-character regex over a 2,000-character label value takes 0.4-0.6 s of
// one uninterruptible call here, and a 7,000-character one seconds. This engine runs the same language (the
// selector still asks V8 whether a regex is valid and linear, so what is accepted does not change) as a lazily
// built DFA over UTF-16 code units, as RE2 does: each distinct set of NFA states is computed once per regex,
// so the hostile shapes cost a few thousand steps. When the DFA cache outgrows its bound it is dropped and
// rebuilt as it goes, which is still linear (a plain NFA simulation at worst). A run works in bounded steps
// and returns `undefined` until it has an answer, so the caller decides when to give the event loop back.
//
// Semantics are JavaScript's without flags (the standard engine's, no `u`): `.` excludes line terminators,
// `\s` is Unicode white space, `\w` ASCII word characters, Annex B escapes. The whole value must match
// (the regex is anchored, as Prometheus anchors label regexes).

export class LabelRegexError extends Error {
  override name = 'LabelRegexError';
}

// ---- character sets: sorted, disjoint, inclusive ranges of UTF-16 code units -----------------------------

type Ranges = number[];
const MAX_UNIT = 0xffff;

function normalize(r: Ranges): Ranges {
  const pairs: Array<[number, number]> = [];
  for (let i = 0; i < r.length; i += 2) {
    pairs.push([r[i], r[i + 1]]);
  }
  pairs.sort((a, b) => a[0] - b[0]);
  const out: Ranges = [];
  for (const [lo, hi] of pairs) {
    const n = out.length;
    if (n > 0 && lo <= out[n - 1] + 1) {
      out[n - 1] = Math.max(out[n - 1], hi);
    } else {
      out.push(lo, hi);
    }
  }
  return out;
}

function negate(r: Ranges): Ranges {
  const out: Ranges = [];
  let next = 0;
  for (let i = 0; i < r.length; i += 2) {
    if (r[i] > next) {
      out.push(next, r[i] - 1);
    }
    next = r[i + 1] + 1;
  }
  if (next <= MAX_UNIT) {
    out.push(next, MAX_UNIT);
  }
  return out;
}

function contains(r: Ranges, c: number): boolean {
  let lo = 0;
  let hi = (r.length >> 1) - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (c < r[2 * mid]) {
      hi = mid - 1;
    } else if (c > r[2 * mid + 1]) {
      lo = mid + 1;
    } else {
      return true;
    }
  }
  return false;
}

const DIGIT: Ranges = [0x30, 0x39];
const WORD: Ranges = normalize([0x30, 0x39, 0x41, 0x5a, 0x5f, 0x5f, 0x61, 0x7a]);
// ECMAScript WhiteSpace and LineTerminator
const SPACE: Ranges = normalize([
  0x09, 0x0d, 0x20, 0x20, 0xa0, 0xa0, 0x1680, 0x1680, 0x2000, 0x200a, 0x2028, 0x2029, 0x202f, 0x202f, 0x205f, 0x205f,
  0x3000, 0x3000, 0xfeff, 0xfeff,
]);
const DOT: Ranges = negate(normalize([0x0a, 0x0a, 0x0d, 0x0d, 0x2028, 0x2029]));

function isWordUnit(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || (c >= 0x61 && c <= 0x7a);
}

// ---- syntax ------------------------------------------------------------------------------------------------

type Assertion = 'start' | 'end' | 'word' | 'notWord';

type Node =
  | { t: 'set'; r: Ranges }
  | { t: 'cat'; items: Node[] }
  | { t: 'alt'; items: Node[] }
  | { t: 'rep'; node: Node; min: number; max: number }
  | { t: 'assert'; a: Assertion };

const EMPTY: Node = { t: 'cat', items: [] };

/** Parses a pattern the way V8 does without flags, for patterns V8 already accepted with `l`. */
class Parser {
  private pos = 0;
  private readonly groups: number;
  private readonly named: boolean;

  constructor(private readonly p: string) {
    // capture groups decide whether \N is a backreference (refused upstream) or a legacy octal escape
    let groups = 0;
    let named = false;
    for (let i = 0; i < p.length; i++) {
      const c = p[i];
      if (c === '\\') {
        i++;
      } else if (c === '[') {
        for (i++; i < p.length && p[i] !== ']'; i++) {
          if (p[i] === '\\') {
            i++;
          }
        }
      } else if (c === '(') {
        if (p[i + 1] !== '?') {
          groups++;
        } else if (p[i + 2] === '<' && p[i + 3] !== '=' && p[i + 3] !== '!') {
          groups++;
          named = true;
        }
      }
    }
    this.groups = groups;
    this.named = named;
  }

  parse(): Node {
    const n = this.alternation();
    if (this.pos < this.p.length) {
      throw this.fail(`unexpected "${this.p[this.pos]}"`);
    }
    return n;
  }

  private fail(msg: string): LabelRegexError {
    return new LabelRegexError(`${msg} at offset ${this.pos}`);
  }

  private alternation(): Node {
    const items = [this.sequence()];
    while (this.p[this.pos] === '|') {
      this.pos++;
      items.push(this.sequence());
    }
    return items.length === 1 ? items[0] : { t: 'alt', items };
  }

  private sequence(): Node {
    const items: Node[] = [];
    while (this.pos < this.p.length && this.p[this.pos] !== '|' && this.p[this.pos] !== ')') {
      const atom = this.atom();
      items.push(this.quantified(atom));
    }
    return items.length === 1 ? items[0] : { t: 'cat', items };
  }

  /** `{n}`, `{n,}` or `{n,m}` at pos, or null when the brace is a literal (Annex B). */
  private braces(): { min: number; max: number; end: number } | null {
    const m = /^\{(\d+)(,(\d*))?\}/.exec(this.p.slice(this.pos, this.pos + 24));
    if (!m) {
      return null;
    }
    const min = Number(m[1]);
    const max = m[2] === undefined ? min : m[3] === '' ? -1 : Number(m[3]);
    return { min, max, end: this.pos + m[0].length };
  }

  private quantified(atom: Node): Node {
    const c = this.p[this.pos];
    let min: number;
    let max: number;
    if (c === '*') {
      [min, max] = [0, -1];
      this.pos++;
    } else if (c === '+') {
      [min, max] = [1, -1];
      this.pos++;
    } else if (c === '?') {
      [min, max] = [0, 1];
      this.pos++;
    } else if (c === '{') {
      const b = this.braces();
      if (!b) {
        return atom;
      }
      [min, max] = [b.min, b.max];
      this.pos = b.end;
    } else {
      return atom;
    }
    if (atom.t === 'assert') {
      throw this.fail('nothing to repeat');
    }
    // laziness changes which match is found, never whether there is one
    if (this.p[this.pos] === '?') {
      this.pos++;
    }
    return { t: 'rep', node: atom, min, max };
  }

  private atom(): Node {
    const p = this.p;
    const c = p[this.pos];
    switch (c) {
      case '(': {
        this.pos++;
        if (p[this.pos] === '?') {
          if (p[this.pos + 1] === ':') {
            this.pos += 2;
          } else if (p[this.pos + 1] === '<' && p[this.pos + 2] !== '=' && p[this.pos + 2] !== '!') {
            const close = p.indexOf('>', this.pos);
            if (close < 0) {
              throw this.fail('unterminated group name');
            }
            this.pos = close + 1;
          } else {
            throw this.fail('lookarounds are not supported');
          }
        }
        const inner = this.alternation();
        if (p[this.pos] !== ')') {
          throw this.fail('missing ")"');
        }
        this.pos++;
        // a group may be repeated even when it holds only an assertion
        return inner.t === 'assert' ? { t: 'cat', items: [inner] } : inner;
      }
      case '[':
        return this.charClass();
      case '.':
        this.pos++;
        return { t: 'set', r: DOT };
      case '^':
        this.pos++;
        return { t: 'assert', a: 'start' };
      case '$':
        this.pos++;
        return { t: 'assert', a: 'end' };
      case '\\':
        return this.escape();
      case '*':
      case '+':
      case '?':
        throw this.fail('nothing to repeat');
      case '{':
        if (this.braces()) {
          throw this.fail('nothing to repeat');
        }
        this.pos++;
        return unit(0x7b);
      default:
        this.pos++;
        return unit(c.charCodeAt(0));
    }
  }

  private escape(): Node {
    const p = this.p;
    this.pos++;
    if (this.pos >= p.length) {
      throw this.fail('\\ at end of pattern');
    }
    const c = p[this.pos];
    switch (c) {
      case 'b':
        this.pos++;
        return { t: 'assert', a: 'word' };
      case 'B':
        this.pos++;
        return { t: 'assert', a: 'notWord' };
      case 'k':
        if (this.named) {
          throw this.fail('backreferences are not supported');
        }
        this.pos++;
        return unit(0x6b);
      default: {
        if (c >= '1' && c <= '9') {
          const m = /^\d+/.exec(p.slice(this.pos))!;
          if (Number(m[0]) <= this.groups) {
            throw this.fail('backreferences are not supported');
          }
        }
        const r = this.classEscape(false);
        return { t: 'set', r };
      }
    }
  }

  /** An escape after the backslash (pos at the letter) as a set; inClass: \b is backspace and \c takes more. */
  private classEscape(inClass: boolean): Ranges {
    const p = this.p;
    const c = p[this.pos++];
    switch (c) {
      case 'd':
        return DIGIT;
      case 'D':
        return negate(DIGIT);
      case 'w':
        return WORD;
      case 'W':
        return negate(WORD);
      case 's':
        return SPACE;
      case 'S':
        return negate(SPACE);
      case 't':
        return [9, 9];
      case 'n':
        return [10, 10];
      case 'v':
        return [11, 11];
      case 'f':
        return [12, 12];
      case 'r':
        return [13, 13];
      case 'b':
        return [8, 8];
      case 'c': {
        const x = p[this.pos];
        if (x !== undefined && (/[A-Za-z]/.test(x) || (inClass && /[0-9_]/.test(x)))) {
          this.pos++;
          const v = x.charCodeAt(0) % 32;
          return [v, v];
        }
        // Annex B: a lone \c is a backslash, and the c is read again as itself
        this.pos--;
        return [0x5c, 0x5c];
      }
      case 'x': {
        const h = p.slice(this.pos, this.pos + 2);
        if (/^[0-9A-Fa-f]{2}$/.test(h)) {
          this.pos += 2;
          const v = parseInt(h, 16);
          return [v, v];
        }
        return [0x78, 0x78];
      }
      case 'u': {
        const h = p.slice(this.pos, this.pos + 4);
        if (/^[0-9A-Fa-f]{4}$/.test(h)) {
          this.pos += 4;
          const v = parseInt(h, 16);
          return [v, v];
        }
        return [0x75, 0x75];
      }
      default: {
        if (c >= '0' && c <= '7') {
          // \0 and Annex B's legacy octal escapes: up to three digits, at most \377
          let v = c.charCodeAt(0) - 48;
          const maxDigits = c <= '3' ? 3 : 2;
          for (let n = 1; n < maxDigits && p[this.pos] >= '0' && p[this.pos] <= '7'; n++) {
            v = v * 8 + (p.charCodeAt(this.pos) - 48);
            this.pos++;
          }
          return [v, v];
        }
        const v = c.charCodeAt(0);
        return [v, v];
      }
    }
  }

  private charClass(): Node {
    const p = this.p;
    this.pos++;
    let negated = false;
    if (p[this.pos] === '^') {
      negated = true;
      this.pos++;
    }
    const acc: Ranges = [];
    /** One class atom: a single unit (for ranges) or a whole set such as \d (never a range end). */
    const classAtom = (): { single: number } | { set: Ranges } => {
      if (p[this.pos] === '\\') {
        this.pos++;
        if (this.pos >= p.length) {
          throw this.fail('\\ at end of pattern');
        }
        const letter = p[this.pos];
        const r = this.classEscape(true);
        if ('dDwWsS'.includes(letter)) {
          return { set: r };
        }
        return { single: r[0] };
      }
      return { single: p.charCodeAt(this.pos++) };
    };
    for (;;) {
      if (this.pos >= p.length) {
        throw this.fail('missing "]"');
      }
      if (p[this.pos] === ']') {
        this.pos++;
        break;
      }
      const a = classAtom();
      if (p[this.pos] === '-' && p[this.pos + 1] !== ']' && this.pos + 1 < p.length) {
        this.pos++;
        const b = classAtom();
        if ('single' in a && 'single' in b) {
          if (a.single > b.single) {
            throw this.fail('range out of order in character class');
          }
          acc.push(a.single, b.single);
          continue;
        }
        // Annex B: a class escape at either end makes the dash a literal
        for (const x of [a, b]) {
          if ('single' in x) {
            acc.push(x.single, x.single);
          } else {
            acc.push(...x.set);
          }
        }
        acc.push(0x2d, 0x2d);
        continue;
      }
      if ('single' in a) {
        acc.push(a.single, a.single);
      } else {
        acc.push(...a.set);
      }
    }
    const r = normalize(acc);
    return { t: 'set', r: negated ? negate(r) : r };
  }
}

function unit(c: number): Node {
  return { t: 'set', r: [c, c] };
}

// ---- the NFA -------------------------------------------------------------------------------------------------

const OP_SET = 0;
const OP_SPLIT = 1;
const OP_ASSERT = 2;
const OP_MATCH = 3;

const ASSERT_START = 0;
const ASSERT_END = 1;
const ASSERT_WORD = 2;
const ASSERT_NOT_WORD = 3;

/** Bound of the NFA: a regex that V8 accepts as linear stays far below it within the selector length cap. */
const MAX_NFA_STATES = 1 << 20;

class NfaBuilder {
  readonly op: number[] = [];
  readonly arg: number[] = [];
  readonly out: number[] = [];
  readonly out2: number[] = [];
  readonly sets: Ranges[] = [];
  hasAssertions = false;

  emit(op: number, arg = 0): number {
    if (this.op.length >= MAX_NFA_STATES) {
      throw new LabelRegexError(`regex is too large (more than ${MAX_NFA_STATES} states once repetitions expand)`);
    }
    this.op.push(op);
    this.arg.push(arg);
    this.out.push(-1);
    this.out2.push(-1);
    return this.op.length - 1;
  }

  /** Compiles node so that it continues at `next`; returns its entry state. Built back to front. */
  compile(node: Node, next: number): number {
    switch (node.t) {
      case 'set': {
        const s = this.emit(OP_SET, this.sets.length);
        this.sets.push(node.r);
        this.out[s] = next;
        return s;
      }
      case 'assert': {
        this.hasAssertions = true;
        const kind = { start: ASSERT_START, end: ASSERT_END, word: ASSERT_WORD, notWord: ASSERT_NOT_WORD }[node.a];
        const s = this.emit(OP_ASSERT, kind);
        this.out[s] = next;
        return s;
      }
      case 'cat': {
        let entry = next;
        for (let i = node.items.length - 1; i >= 0; i--) {
          entry = this.compile(node.items[i], entry);
        }
        return entry;
      }
      case 'alt': {
        let entry = this.compile(node.items[node.items.length - 1], next);
        for (let i = node.items.length - 2; i >= 0; i--) {
          const s = this.emit(OP_SPLIT);
          this.out[s] = this.compile(node.items[i], next);
          this.out2[s] = entry;
          entry = s;
        }
        return entry;
      }
      case 'rep': {
        let entry = next;
        if (node.max < 0) {
          // a loop: split -> body -> back to the split
          const loop = this.emit(OP_SPLIT);
          this.out[loop] = this.compile(node.node, loop);
          this.out2[loop] = next;
          entry = loop;
        } else {
          for (let i = node.min; i < node.max; i++) {
            const s = this.emit(OP_SPLIT);
            this.out[s] = this.compile(node.node, entry);
            this.out2[s] = next;
            entry = s;
          }
        }
        for (let i = 0; i < node.min; i++) {
          entry = this.compile(node.node, entry);
        }
        return entry;
      }
    }
  }
}

// ---- the lazy DFA ------------------------------------------------------------------------------------------
// A DFA state is a *kernel*: the NFA states reached right after consuming a unit (before following empty
// moves), plus what assertions need to know about the position: whether it is the start, and whether the
// unit before it was a word character. Empty moves are followed when the next unit (or the end) is known,
// so \b, ^ and $ are decided exactly.

const FLAG_START = 1;
const FLAG_PREV_WORD = 2;

interface DState {
  kernel: Int32Array;
  flags: number;
  /** next state per unit class, -1 until computed */
  next: Int32Array;
  /** whether the value may end here: 1 yes, 0 no, -1 not yet computed */
  accept: number;
}

/** Units of work a DFA cache may hold (kernel entries plus transition slots) before it is rebuilt. */
const DFA_CACHE_UNITS = 1 << 20;

export class LinearRegex {
  private readonly op: Int8Array;
  private readonly arg: Int32Array;
  private readonly out: Int32Array;
  private readonly out2: Int32Array;
  private readonly sets: Ranges[];
  private readonly start: number;
  /** class of each ASCII unit, and the class boundaries above ASCII (lo of each class, ascending) */
  private readonly asciiClass: Int32Array;
  private readonly bounds: Int32Array;
  private readonly classCount: number;
  /** a representative unit of each class */
  private readonly classUnit: Int32Array;
  private readonly usesWord: boolean;

  private states: DState[] = [];
  /** first state of each kernel hash, and the next state with the same hash */
  private index = new Map<number, number>();
  private sameHash: number[] = [];
  private cacheUnits = 0;
  /** scratch for closures */
  private readonly mark: Int32Array;
  private markGen = 1;
  private readonly stack: Int32Array;
  /** scratch for the next kernel: its states, and which are already in it */
  private readonly gather: Int32Array;
  private readonly seen: Int32Array;
  private seenGen = 0;

  /** Compiles `source` for whole-value matching; throws a LabelRegexError for what it does not support. */
  constructor(readonly source: string) {
    const ast = new Parser(source).parse();
    const b = new NfaBuilder();
    const match = b.emit(OP_MATCH);
    this.start = b.compile(ast, match);
    this.op = Int8Array.from(b.op);
    this.arg = Int32Array.from(b.arg);
    this.out = Int32Array.from(b.out);
    this.out2 = Int32Array.from(b.out2);
    this.sets = b.sets;
    this.usesWord = b.hasAssertions;
    const n = this.op.length;
    this.mark = new Int32Array(n);
    this.stack = new Int32Array(n * 3 + 2);
    this.gather = new Int32Array(n);
    this.seen = new Int32Array(n);

    // unit classes: units no set (and, with assertions, not the word test) tells apart share a class
    const cuts = new Set<number>([0]);
    for (const r of this.sets) {
      for (let i = 0; i < r.length; i += 2) {
        cuts.add(r[i]);
        if (r[i + 1] + 1 <= MAX_UNIT) {
          cuts.add(r[i + 1] + 1);
        }
      }
    }
    if (this.usesWord) {
      for (let i = 0; i < WORD.length; i += 2) {
        cuts.add(WORD[i]);
        cuts.add(WORD[i + 1] + 1);
      }
    }
    const lows = [...cuts].sort((x, y) => x - y);
    this.classCount = lows.length;
    this.classUnit = Int32Array.from(lows);
    this.bounds = Int32Array.from(lows);
    this.asciiClass = new Int32Array(128);
    let k = 0;
    for (let c = 0; c < 128; c++) {
      while (k + 1 < lows.length && lows[k + 1] <= c) {
        k++;
      }
      this.asciiClass[c] = k;
    }
  }

  private classOf(c: number): number {
    if (c < 128) {
      return this.asciiClass[c];
    }
    const b = this.bounds;
    let lo = 0;
    let hi = b.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (b[mid] <= c) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    return lo;
  }

  /** The state for a kernel (sorted, distinct), added to the cache when new. */
  private stateOf(kernel: Int32Array, flags: number): number {
    let h = (flags + 1) | 0;
    for (let i = 0; i < kernel.length; i++) {
      h = Math.imul(h ^ kernel[i], 0x01000193);
    }
    for (let id = this.index.get(h) ?? -1; id >= 0; id = this.sameHash[id]) {
      const st = this.states[id];
      if (st.flags === flags && sameKernel(st.kernel, kernel)) {
        return id;
      }
    }
    if (this.cacheUnits > DFA_CACHE_UNITS) {
      this.states = [];
      this.index = new Map();
      this.sameHash = [];
      this.cacheUnits = 0;
    }
    const id = this.states.length;
    this.states.push({ kernel, flags, next: new Int32Array(this.classCount).fill(-1), accept: -1 });
    this.sameHash.push(this.index.get(h) ?? -1);
    this.index.set(h, id);
    this.cacheUnits += kernel.length + this.classCount + 16;
    return id;
  }

  /**
   * Follows the empty moves from a kernel at a position described by flags, with `unit` next (-1 at the end),
   * and calls `onState` for every SET or MATCH state reached. Returns the work done (states visited).
   */
  private closure(kernel: Int32Array, flags: number, unit: number, onState: (s: number) => void): number {
    const gen = ++this.markGen;
    if (gen === 0x7fffffff) {
      this.mark.fill(0);
      this.markGen = 1;
    }
    const { op, arg, out, out2, mark, stack } = this;
    const atStart = (flags & FLAG_START) !== 0;
    const prevWord = (flags & FLAG_PREV_WORD) !== 0;
    const nextWord = unit >= 0 && isWordUnit(unit);
    let work = 0;
    let sp = 0;
    for (let i = kernel.length - 1; i >= 0; i--) {
      stack[sp++] = kernel[i];
    }
    while (sp > 0) {
      const s = stack[--sp];
      if (mark[s] === gen) {
        continue;
      }
      mark[s] = gen;
      work++;
      switch (op[s]) {
        case OP_SET:
        case OP_MATCH:
          onState(s);
          break;
        case OP_SPLIT:
          stack[sp++] = out2[s];
          stack[sp++] = out[s];
          break;
        case OP_ASSERT: {
          const a = arg[s];
          const ok =
            a === ASSERT_START
              ? atStart
              : a === ASSERT_END
                ? unit < 0
                : (prevWord !== nextWord) === (a === ASSERT_WORD);
          if (ok) {
            stack[sp++] = out[s];
          }
          break;
        }
      }
    }
    return work;
  }

  /** The transition of state id on `unit`; returns [next state id, work]. */
  private step(id: number, unit: number, cls: number): [number, number] {
    const st = this.states[id];
    const { op, arg, out, sets, seen, gather } = this;
    const rep = this.classUnit[cls];
    let count = 0;
    if (this.seenGen === 0x7fffffff) {
      seen.fill(0);
      this.seenGen = 0;
    }
    const gen = ++this.seenGen;
    const work = this.closure(st.kernel, st.flags, unit, (s) => {
      if (op[s] === OP_SET && contains(sets[arg[s]], rep)) {
        const o = out[s];
        if (seen[o] !== gen) {
          seen[o] = gen;
          gather[count++] = o;
        }
      }
    });
    const kernel = gather.slice(0, count).sort();
    const flags = this.usesWord && isWordUnit(unit) ? FLAG_PREV_WORD : 0;
    const before = this.states;
    const to = this.stateOf(kernel, flags);
    // the cache may have been rebuilt: only a transition within one generation of the cache is remembered
    if (this.states === before) {
      st.next[cls] = to;
    }
    return [to, work + count];
  }

  private accepts(id: number): boolean {
    const st = this.states[id];
    if (st.accept < 0) {
      let ok = false;
      this.closure(st.kernel, st.flags, -1, (s) => {
        if (this.op[s] === OP_MATCH) {
          ok = true;
        }
      });
      st.accept = ok ? 1 : 0;
    }
    return st.accept === 1;
  }

  /** A resumable match of the whole of `value`. */
  run(value: string): RegexRun {
    let cur: DState | null = null;
    let id = -1;
    let states = this.states;
    let pos = 0;
    return {
      step: (budget: number): boolean | undefined => {
        if (cur === null) {
          id = this.stateOf(Int32Array.of(this.start), FLAG_START);
        } else if (states !== this.states) {
          // the cache was rebuilt while this run was paused (another run of the regex): re-enter by kernel
          id = this.stateOf(cur.kernel, cur.flags);
        }
        states = this.states;
        cur = this.states[id];
        let work = 0;
        const n = value.length;
        while (pos < n) {
          if (cur.kernel.length === 0) {
            // no thread left: nothing can match any more
            return false;
          }
          if (work >= budget) {
            return undefined;
          }
          const c = value.charCodeAt(pos);
          const cls = this.classOf(c);
          const known: number = cur.next[cls];
          if (known >= 0) {
            id = known;
            work++;
          } else {
            const [to, w] = this.step(id, c, cls);
            id = to;
            work += w;
            states = this.states;
          }
          cur = this.states[id];
          pos++;
        }
        return this.accepts(id);
      },
    };
  }

  /** Matches in one call (tests, small inputs): the whole value must match. */
  test(value: string): boolean {
    const r = this.run(value);
    for (;;) {
      const v = r.step(1 << 30);
      if (v !== undefined) {
        return v;
      }
    }
  }
}

function sameKernel(a: Int32Array, b: Int32Array): boolean {
  if (a.length !== b.length) {
    return false;
  }
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) {
      return false;
    }
  }
  return true;
}

/** A match in progress: `step(budget)` does about `budget` units of work and returns the answer once known. */
export interface RegexRun {
  step(budget: number): boolean | undefined;
}
