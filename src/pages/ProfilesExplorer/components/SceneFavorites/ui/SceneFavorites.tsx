import React from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2 } from '@grafana/data';
import { SceneComponentProps, SceneObjectBase, SceneObjectState } from '@grafana/scenes';
import { Alert, useStyles2 } from '@grafana/ui';
import { Favorite, describeFavorite } from '../../../../../shared/domain/favorites';
import { parseProfileMetricId } from '../../../../../shared/domain/profileMetrics';
import { listFavorites, onFavoritesChange } from '../../../../../shared/domain/useFavorite';
import { buildSeriesPanel } from '../../../../../shared/ui/buildSeriesPanel';
import { PanelType } from '../../../../../shared/domain/explorerNavigation';
import { ScenePanelGrid } from '../../ScenePanelGrid/ui/ScenePanelGrid';

interface SceneFavoritesState extends SceneObjectState {
  grid: ScenePanelGrid;
  count: number;
}

export function favoriteTitle(f: Favorite): string {
  const { serviceName, filters } = describeFavorite(f);
  const parts = [serviceName || 'all services', parseProfileMetricId(f.profileMetricId).label];
  if (filters.length) {
    parts.push(filters.map((x) => `${x.key}${x.operator}${x.value}`).join(', '));
  }
  if (f.groupBy.length) {
    parts.push(`by ${f.groupBy.join(', ')}`);
  }
  return parts.join(' · ');
}

/** The starred panels, each with the data source, profile type, filters and group-by it was starred with. */
export class SceneFavorites extends SceneObjectBase<SceneFavoritesState> {
  constructor() {
    super({
      grid: new ScenePanelGrid({ noun: 'favourites' }),
      count: 0,
    });
    this.addActivationHandler(() => {
      this.build();
      // un-starring a panel here removes it at once
      return onFavoritesChange(() => this.build());
    });
  }

  private build() {
    const favorites = listFavorites();
    const panels = favorites.map((f) => {
      const { serviceName } = describeFavorite(f);
      return {
        name: favoriteTitle(f),
        build: (panelType: PanelType) =>
          buildSeriesPanel({
            title: favoriteTitle(f),
            panelType,
            dataSourceUid: f.dataSourceUid,
            profileMetricId: f.profileMetricId,
            labelSelector: f.labelSelector,
            groupBy: f.groupBy,
            displayName: serviceName || f.profileMetricId,
            showLegend: f.groupBy.length > 0,
            actions: serviceName
              ? [
                  {
                    label: 'Labels',
                    target: { explorationType: 'labels', serviceName, profileMetricId: f.profileMetricId },
                  },
                  {
                    label: 'Flame graph',
                    target: { explorationType: 'flame-graph', serviceName, profileMetricId: f.profileMetricId },
                  },
                ]
              : [],
          }),
      };
    });
    this.state.grid.setPanels(panels);
    this.setState({ count: favorites.length });
  }

  static Component = SceneFavoritesRenderer;
}

function SceneFavoritesRenderer({ model }: SceneComponentProps<SceneFavorites>) {
  const styles = useStyles2(getStyles);
  const { grid, count } = model.useState();
  return (
    <div className={styles.container} data-testid="favorites-view" data-count={count}>
      {count === 0 && (
        <Alert severity="info" title="No favourites yet">
          Star a panel (the star in its header) in any view: it appears here with its profile type, filters and
          group-by, in this browser.
        </Alert>
      )}
      <grid.Component model={grid} />
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  container: css({ display: 'flex', flexDirection: 'column', gap: theme.spacing(1) }),
});
