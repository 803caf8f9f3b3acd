/** A query the client got wrong (bad selector, range too long, ...): answered with a 4xx. */
export class QueryError extends Error {
  override name = 'QueryError';
}
