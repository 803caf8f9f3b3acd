/**
 * MurmurHash3, x86 32-bit variant, over the low byte of each UTF-16 code unit. Grafana's flame graph hashes
 * package names this way (not over UTF-8 bytes), so a package gets the same palette slot here as there.
 */
export function murmur3(key: string, seed = 0): number {
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  const tail = key.length & 3;
  const blocks = key.length - tail;
  let h = seed | 0;
  let i = 0;
  for (; i < blocks; i += 4) {
    let k =
      (key.charCodeAt(i) & 0xff) |
      ((key.charCodeAt(i + 1) & 0xff) << 8) |
      ((key.charCodeAt(i + 2) & 0xff) << 16) |
      ((key.charCodeAt(i + 3) & 0xff) << 24);
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  if (tail === 3) {
    k ^= (key.charCodeAt(i + 2) & 0xff) << 16;
  }
  if (tail >= 2) {
    k ^= (key.charCodeAt(i + 1) & 0xff) << 8;
  }
  if (tail >= 1) {
    k ^= key.charCodeAt(i) & 0xff;
  }
  // The reference mixes an all-zero tail in as well; k = 0 leaves h unchanged, so both agree.
  k = Math.imul(k, c1);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, c2);
  h ^= k;
  h ^= key.length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
