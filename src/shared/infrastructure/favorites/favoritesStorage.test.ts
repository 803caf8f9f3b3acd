import { readFavorites, subscribeToFavorites, toggleFavorite, isFavoriteStored } from './favoritesStorage';

const f = { dataSourceUid: 'pyro', profileMetricId: 'cpu', labelSelector: '{service_name="a"}', groupBy: [] };

describe('favourites in local storage', () => {
  beforeEach(() => localStorage.clear());

  it('toggles, persists and notifies', () => {
    const seen: number[] = [];
    const off = subscribeToFavorites(() => seen.push(readFavorites().length));
    expect(toggleFavorite(f)).toBe(true);
    expect(isFavoriteStored({ ...f })).toBe(true);
    expect(JSON.parse(localStorage.getItem('grafana-pyroscope-app.favorites')!)).toEqual([f]);
    expect(toggleFavorite(f)).toBe(false);
    expect(readFavorites()).toEqual([]);
    off();
    toggleFavorite(f);
    expect(seen).toEqual([1, 0]);
  });

  it('drops malformed entries and survives malformed JSON', () => {
    localStorage.setItem('grafana-pyroscope-app.favorites', JSON.stringify([f, { nope: 1 }, null]));
    expect(readFavorites()).toEqual([f]);
    localStorage.setItem('grafana-pyroscope-app.favorites', '{not json');
    expect(readFavorites()).toEqual([]);
  });
});
