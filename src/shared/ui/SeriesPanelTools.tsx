import React, { useEffect, useState } from 'react';
import { config } from '@grafana/runtime';
import { VizPanel, sceneGraph } from '@grafana/scenes';
import { IconButton, LinkButton } from '@grafana/ui';
import { ScaleDistribution } from '@grafana/schema';
import { ResolvedSeriesQuery, exploreUrl, queryText } from '../domain/exploreUrl';
import { Favorite } from '../domain/favorites';
import { normalizeSelector } from '../domain/labelSelector';
import { useFavorite } from '../domain/useFavorite';
import { SeriesQuery } from '../domain/runtimeDataSources';

export interface SeriesPanelToolsProps {
  panel: VizPanel;
  query: SeriesQuery;
}

/** The panel's query with the variables of its scene resolved, as it runs right now. */
export function resolveSeriesQuery(panel: VizPanel, query: SeriesQuery): ResolvedSeriesQuery {
  const interpolate = (s: string) => sceneGraph.interpolate(panel, s);
  const range = sceneGraph.getTimeRange(panel).state;
  return {
    dataSourceUid: interpolate(query.dataSourceUid),
    profileMetricId: interpolate(query.profileMetricId),
    labelSelector: normalizeSelector(interpolate(query.labelSelector)),
    groupBy: (query.groupBy ?? []).map(interpolate).filter(Boolean),
    from: String(range.from),
    to: String(range.to),
  };
}

/** Favourite star, Open in Explore and copy query: on every time-series panel. */
export function SeriesPanelTools({ panel, query }: SeriesPanelToolsProps) {
  // the query reruns whenever a variable or the time range changes: resolve again then
  panel.state.$data?.useState();
  sceneGraph.getTimeRange(panel).useState();
  const resolved = resolveSeriesQuery(panel, query);
  const favoriteQuery: Favorite = {
    dataSourceUid: resolved.dataSourceUid,
    profileMetricId: resolved.profileMetricId,
    labelSelector: resolved.labelSelector,
    groupBy: resolved.groupBy,
  };
  const { data: favorite, actions: favoriteActions } = useFavorite(favoriteQuery);
  const starred = favorite.isFavorite;
  const [copied, setCopied] = useState(false);
  const { fieldConfig, pluginId } = panel.useState();
  const custom = (fieldConfig.defaults.custom ?? {}) as { scaleDistribution?: { type?: ScaleDistribution } };
  const log2 = custom.scaleDistribution?.type === ScaleDistribution.Log;
  // The y axis in powers of two (the official panel menu's "log2 scale"): services far apart stay readable.
  const toggleLog2 = () =>
    panel.onFieldConfigChange({
      ...fieldConfig,
      defaults: {
        ...fieldConfig.defaults,
        custom: {
          ...fieldConfig.defaults.custom,
          scaleDistribution: log2 ? { type: ScaleDistribution.Linear } : { type: ScaleDistribution.Log, log: 2 },
        },
      },
    });
  useEffect(() => {
    if (!copied) {
      return;
    }
    const t = setTimeout(() => setCopied(false), 2000);
    return () => clearTimeout(t);
  }, [copied]);
  return (
    <>
      <IconButton
        name={starred ? 'favorite' : 'star'}
        tooltip={starred ? 'Remove from favourites' : 'Add to favourites'}
        data-testid="favorite-toggle"
        data-active={starred}
        onClick={favoriteActions.toggleFavorite}
      />
      {pluginId === 'timeseries' && (
        <IconButton
          name="graph-bar"
          tooltip={log2 ? 'Linear scale' : 'Log2 scale'}
          data-testid="log2-toggle"
          data-active={log2}
          onClick={toggleLog2}
        />
      )}
      <LinkButton
        size="sm"
        variant="secondary"
        fill="text"
        icon="compass"
        tooltip="Open this query in Grafana Explore"
        href={exploreUrl(resolved, config.appSubUrl ?? '')}
        data-testid="open-in-explore"
      />
      <IconButton
        name={copied ? 'check' : 'copy'}
        tooltip={copied ? 'Copied' : `Copy query: ${queryText(resolved)}`}
        data-testid="copy-query"
        onClick={() =>
          navigator.clipboard
            ?.writeText(queryText(resolved))
            .then(() => setCopied(true))
            // a page without clipboard permission: the query stays readable in the tooltip
            .catch(() => setCopied(false))
        }
      />
    </>
  );
}
