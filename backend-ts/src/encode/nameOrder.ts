// Pyroscope orders siblings by Go string comparison, i.e. by UTF-8 bytes. JavaScript's `<` compares UTF-16
// code units, which agrees with UTF-8 byte order except at a first difference where both strings hold a
// code unit >= U+D800 (a surrogate sorts below U+E000..U+FFFF in UTF-16 but above it in UTF-8). Names are
// almost always ASCII, so the native comparison is kept and the slow path taken only when both can differ.

const HIGH = /[\uD800-\uFFFF]/;

/** Go's string order (UTF-8 bytes) for two names. */
export function compareUtf8(a: string, b: string): number {
  if (a === b) {
    return 0;
  }
  if (!HIGH.test(a) || !HIGH.test(b)) {
    return a < b ? -1 : 1;
  }
  return compareCodeUnits(a, b);
}

/** Same order as compareUtf8 for the names of one table, with the "may need the slow path" test cached per id. */
export class NameOrder {
  private readonly high: Uint8Array;

  constructor(readonly names: readonly string[]) {
    // 0 = not looked at yet, 1 = ASCII/BMP-low only, 2 = holds a code unit >= U+D800.
    this.high = new Uint8Array(names.length);
  }

  isHigh(id: number): boolean {
    let h = this.high[id];
    if (h === 0) {
      h = HIGH.test(this.names[id]) ? 2 : 1;
      this.high[id] = h;
    }
    return h === 2;
  }

  compareIds(x: number, y: number): number {
    if (x === y) {
      return 0;
    }
    const a = this.names[x];
    const b = this.names[y];
    if (!this.isHigh(x) || !this.isHigh(y)) {
      return a < b ? -1 : a > b ? 1 : 0;
    }
    return compareCodeUnits(a, b);
  }
}

/** Compares names of two different tables (as the diff must). */
export function compareAcross(left: NameOrder, x: number, right: NameOrder, y: number): number {
  const a = left.names[x];
  const b = right.names[y];
  if (a === b) {
    return 0;
  }
  if (!left.isHigh(x) || !right.isHigh(y)) {
    return a < b ? -1 : 1;
  }
  return compareCodeUnits(a, b);
}

function compareCodeUnits(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      return utf8Rank(x) - utf8Rank(y);
    }
  }
  return a.length - b.length;
}

// Moves surrogates above U+E000..U+FFFF so that code-unit order becomes code-point (= UTF-8) order.
function utf8Rank(c: number): number {
  if (c < 0xd800) {
    return c;
  }
  return c < 0xe000 ? c + 0x2000 : c - 0x800;
}
