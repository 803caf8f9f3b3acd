// Prometheus label selector syntax as Pyroscope accepts it: `{a="x", b!="y", c=~"re", d!~"re"}`, optionally
// preceded by a profile type id (`process_cpu:cpu:nanoseconds:cpu:nanoseconds{...}`, the legacy render query).
import type { LabelSet } from './labels.js';
import { LinearRegex } from './labelRegex.js';

// Label regexes come from users and are matched against stored label values: a backtracking engine lets one
// query such as {a=~"(a+)+b"} hold the event loop for minutes. Prometheus (and so Pyroscope) uses RE2, which runs
// in linear time. V8's linear-time engine (behind a flag that start-up sets, config/runtime.ts) decides which
// regexes are accepted, so that the language does not depend on our own engine; without it every regex matcher
// is refused, never run backtracking. The matching itself runs on labelRegex.ts, a lazy DFA that is fast on the
// shapes V8's engine is slow on and can be run in slices (a query yields between them).

/**
 * Compiles a label regex (matched against the whole value). What cannot run in linear time is refused:
 * backreferences and lookarounds (RE2 has neither, so Prometheus refuses them too) and large counted
 * repetitions such as x{100} (which RE2 accepts; rewrite them with + or *).
 */
function compileLabelRegex(value: string): LinearRegex {
  // the pattern must stand on its own: `a)|(?:b` is only valid inside the anchoring group
  new RegExp(value);
  try {
    new RegExp(`^(?:${value})$`, 'l');
  } catch (e) {
    if (!linearEngineOn()) {
      throw new Error('label regexes need the linear-time engine: enableLinearRegex() was not called at start-up');
    }
    throw new Error(
      `${(e as Error).message.replace(/^Invalid regular expression: /, '')}: backreferences, lookarounds and ` +
        'counted repetitions above {16} are not supported (label regexes must run in linear time, as RE2 does)'
    );
  }
  try {
    return new LinearRegex(value);
  } catch (e) {
    throw new Error(`${(e as Error).message}: not supported in label regexes`);
  }
}

function linearEngineOn(): boolean {
  try {
    new RegExp('', 'l');
    return true;
  } catch {
    return false;
  }
}

export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface Matcher {
  name: string;
  op: MatchOp;
  value: string;
  /** The regex of =~ and !~, matched against the whole value. */
  re?: LinearRegex;
}

export class SelectorError extends Error {
  override name = 'SelectorError';
}

const NAME_RE = /[A-Za-z_][A-Za-z0-9_.]*/y;

/** Parses a selector; returns the optional leading metric/profile-type part and the matchers. */
export function parseSelector(input: string): { head: string; matchers: Matcher[] } {
  const s = input.trim();
  if (s === '') {
    return { head: '', matchers: [] };
  }
  const brace = s.indexOf('{');
  if (brace < 0) {
    if (!/^[A-Za-z0-9_.:\-]+$/.test(s)) {
      throw new SelectorError(`invalid selector "${input}": expected {name="value", ...}`);
    }
    return { head: s, matchers: [] };
  }
  const head = s.slice(0, brace).trim();
  if (!s.endsWith('}')) {
    throw new SelectorError(`invalid selector "${input}": missing closing "}"`);
  }
  const body = s.slice(brace + 1, -1);
  const matchers: Matcher[] = [];
  let pos = 0;
  const ws = () => {
    while (pos < body.length && /\s/.test(body[pos])) {
      pos++;
    }
  };
  /** Reads the quoted string at pos (Go's quoting: backslash escapes except in backquotes). */
  const readString = (what: string): string => {
    const q = body[pos++];
    let out = '';
    for (;;) {
      if (pos >= body.length) {
        throw new SelectorError(`invalid selector "${input}": unterminated string for ${what}`);
      }
      const c = body[pos++];
      if (c === q) {
        return out;
      }
      if (c === '\\' && q !== '`') {
        const e = body[pos++];
        out += e === 'n' ? '\n' : e === 't' ? '\t' : e;
      } else {
        out += c;
      }
    }
  };
  ws();
  while (pos < body.length) {
    let name: string;
    if (body[pos] === '"' || body[pos] === "'" || body[pos] === '`') {
      // Prometheus 3 quotes label names that are not identifiers, e.g. OpenTelemetry's {"thread.name"="main"}.
      name = readString('label name');
      if (name === '') {
        throw new SelectorError(`invalid selector "${input}": empty label name at offset ${brace + 1 + pos}`);
      }
    } else {
      NAME_RE.lastIndex = pos;
      const m = NAME_RE.exec(body);
      if (!m) {
        throw new SelectorError(`invalid selector "${input}": expected a label name at offset ${brace + 1 + pos}`);
      }
      name = m[0];
      pos = NAME_RE.lastIndex;
    }
    ws();
    let op: MatchOp;
    if (body.startsWith('=~', pos)) {
      op = '=~';
    } else if (body.startsWith('!~', pos)) {
      op = '!~';
    } else if (body.startsWith('!=', pos)) {
      op = '!=';
    } else if (body.startsWith('=', pos)) {
      op = '=';
    } else {
      throw new SelectorError(`invalid selector "${input}": expected =, !=, =~ or !~ after "${name}"`);
    }
    pos += op.length;
    ws();
    const q = body[pos];
    if (q !== '"' && q !== "'" && q !== '`') {
      throw new SelectorError(`invalid selector "${input}": the value of "${name}" must be quoted`);
    }
    const value = readString(`"${name}"`);
    const matcher: Matcher = { name, op, value };
    if (op === '=~' || op === '!~') {
      try {
        matcher.re = compileLabelRegex(value);
      } catch (e) {
        throw new SelectorError(
          `invalid selector "${input}": bad regular expression for "${name}": ${(e as Error).message}`
        );
      }
    }
    matchers.push(matcher);
    ws();
    if (body[pos] === ',') {
      pos++;
      ws();
    } else if (pos < body.length) {
      throw new SelectorError(`invalid selector "${input}": expected "," or "}" at offset ${brace + 1 + pos}`);
    }
  }
  return { head, matchers };
}

export function parseMatchers(input: string): Matcher[] {
  const { head, matchers } = parseSelector(input);
  if (head) {
    throw new SelectorError(`invalid selector "${input}": unexpected "${head}" before "{"`);
  }
  return matchers;
}

/** A missing label matches as the empty string, as in Prometheus. */
export function matches(ms: Matcher[], labels: LabelSet): boolean {
  for (const m of ms) {
    let v = '';
    for (const [n, lv] of labels) {
      if (n === m.name) {
        v = lv;
        break;
      }
    }
    switch (m.op) {
      case '=':
        if (v !== m.value) {
          return false;
        }
        break;
      case '!=':
        if (v === m.value) {
          return false;
        }
        break;
      case '=~':
        if (!m.re!.test(v)) {
          return false;
        }
        break;
      case '!~':
        if (m.re!.test(v)) {
          return false;
        }
        break;
    }
  }
  return true;
}
