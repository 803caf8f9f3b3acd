import { Favorite, favoriteKey } from '../../domain/favorites';

const KEY = 'grafana-pyroscope-app.favorites';
const listeners = new Set<() => void>();

function isFavorite(v: unknown): v is Favorite {
  const f = v as Favorite;
  return (
    typeof f?.dataSourceUid === 'string' &&
    typeof f.profileMetricId === 'string' &&
    typeof f.labelSelector === 'string' &&
    Array.isArray(f.groupBy)
  );
}

/** Favourites live in this browser only, as in the official app; malformed entries are dropped. */
export function readFavorites(): Favorite[] {
  try {
    const parsed: unknown = JSON.parse(localStorage.getItem(KEY) ?? '[]');
    return Array.isArray(parsed) ? parsed.filter(isFavorite) : [];
  } catch {
    return [];
  }
}

function write(favorites: Favorite[]) {
  try {
    localStorage.setItem(KEY, JSON.stringify(favorites));
  } catch {
    // a full or disabled storage: the star simply does not stick
  }
  listeners.forEach((l) => l());
}

export function isFavoriteStored(f: Favorite): boolean {
  const key = favoriteKey(f);
  return readFavorites().some((x) => favoriteKey(x) === key);
}

/** Adds or removes; returns whether it is a favourite afterwards. */
export function toggleFavorite(f: Favorite): boolean {
  const key = favoriteKey(f);
  const all = readFavorites();
  const rest = all.filter((x) => favoriteKey(x) !== key);
  const added = rest.length === all.length;
  write(added ? [...all, f] : rest);
  return added;
}

/** Called on every change made in this window. */
export function subscribeToFavorites(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
