/**
 * The walk visits each level right to left (last child first); this reverses the level's tuples into left
 * to right order and delta-encodes the x column at `xAt` (each x relative to the previous node's end).
 */
export function finishLevel(level: number[], width: number, ...xAt: number[]): void {
  const count = level.length / width;
  for (let a = 0, b = count - 1; a < b; a++, b--) {
    const pa = a * width;
    const pb = b * width;
    for (let k = 0; k < width; k++) {
      const t = level[pa + k];
      level[pa + k] = level[pb + k];
      level[pb + k] = t;
    }
  }
  for (const col of xAt) {
    let prevEnd = 0;
    for (let p = col; p < level.length; p += width) {
      const x = level[p];
      level[p] = x - prevEnd;
      prevEnd = x + level[p + 1];
    }
  }
}
