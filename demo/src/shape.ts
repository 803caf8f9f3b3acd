// Time-varying load: a daily curve (busy afternoons, quiet nights), a little noise, and a seeded random source
// so that a tick (service, time) always produces the same profile, live or backfilled.

/** 0.55 at night to 1.0 at the 14:00 UTC peak. */
export function dailyShape(ms: number): number {
  const hour = (((ms / 3_600_000) % 24) + 24) % 24;
  return 0.55 + 0.45 * (0.5 + 0.5 * Math.cos((2 * Math.PI * (hour - 14)) / 24));
}

export type Rng = () => number;

/** mulberry32: small, fast, good enough for load noise. */
export function seededRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function hashString(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) {
    h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  }
  return h >>> 0;
}

export function randomHex(rng: Rng, bytes: number): string {
  let s = '';
  for (let i = 0; i < bytes; i++) {
    s += Math.floor(rng() * 256)
      .toString(16)
      .padStart(2, '0');
  }
  return s;
}
