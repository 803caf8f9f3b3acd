import { useEffect, useState } from 'react';
import { FunctionDetails } from './functionDetails';
import { SourceLabels } from './sourceLink';
import { FunctionDetailsQuery, fetchFunctionDetails, fetchSourceLabels } from '../infrastructure/fetchFunctionDetails';

export type { FunctionDetailsQuery };

export interface DetailsState {
  query?: FunctionDetailsQuery;
  details?: FunctionDetails;
  source: SourceLabels;
  error?: string;
}

/** One function's details and source labels, fetched when the query changes. */
export function useFunctionDetails(query: FunctionDetailsQuery): { data: DetailsState } {
  const [state, setState] = useState<DetailsState>({ source: {} });
  useEffect(() => {
    let live = true;
    Promise.all([fetchFunctionDetails(query), fetchSourceLabels(query).catch((): SourceLabels => ({}))])
      .then(([details, source]) => live && setState({ query, details, source }))
      .catch((e: Error) => live && setState({ query, source: {}, error: e.message }));
    return () => {
      live = false;
    };
  }, [query]);
  // an answer for an earlier function is not shown while the next one loads
  return { data: state.query === query ? state : { source: {} } };
}
