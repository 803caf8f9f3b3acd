// The store's outage reaches the handlers through the layers that use the store (this one, ingest's sink and
// tenant state alike), so that api/ never imports storage/.
export { StoreUnavailableError } from '../storage/objectStore.js';

/** A query the client got wrong (bad selector, range too long, ...): answered with a 4xx. */
export class QueryError extends Error {
  override name = 'QueryError';
}
