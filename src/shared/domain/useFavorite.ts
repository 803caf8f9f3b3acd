import { useSyncExternalStore } from 'react';
import { Favorite } from './favorites';
import {
  isFavoriteStored,
  readFavorites,
  subscribeToFavorites,
  toggleFavorite,
} from '../infrastructure/favorites/favoritesStorage';

/** One query's star: whether it is a favourite (kept in step with other tabs) and how to toggle it. */
export function useFavorite(favorite: Favorite): {
  data: { isFavorite: boolean };
  actions: { toggleFavorite: () => void };
} {
  const isFavorite = useSyncExternalStore(subscribeToFavorites, () => isFavoriteStored(favorite));
  return { data: { isFavorite }, actions: { toggleFavorite: () => toggleFavorite(favorite) } };
}

/** The stored favourites, for the views that list them (scene objects, outside React's hooks). */
export function listFavorites(): Favorite[] {
  return readFavorites();
}

/** Calls `listener` whenever the favourites change (here or in another tab); returns the unsubscribe. */
export function onFavoritesChange(listener: () => void): () => void {
  return subscribeToFavorites(listener);
}
