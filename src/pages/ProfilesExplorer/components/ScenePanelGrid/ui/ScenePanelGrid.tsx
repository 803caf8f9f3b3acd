import React from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2, LoadingState } from '@grafana/data';
import {
  SceneCSSGridItem,
  SceneCSSGridLayout,
  SceneComponentProps,
  SceneObject,
  SceneObjectBase,
  SceneObjectState,
  VizPanel,
} from '@grafana/scenes';
import { Input, RadioButtonGroup, Stack, Switch, useStyles2 } from '@grafana/ui';
import { framesTotal } from '../../../../../shared/domain/converters/seriesToDataFrames';
import { PanelType } from '../../../../../shared/domain/explorerNavigation';
import { ExplorerUrlState, GridLayout, quickFilterMatcher } from '../../../domain/urlState';

/** One panel of a grid: the name the quick filter matches, and how to build it for a panel type. */
export interface GridPanel {
  name: string;
  build: (panelType: PanelType) => VizPanel;
}

interface ScenePanelGridState extends SceneObjectState {
  grid: SceneCSSGridLayout;
  names: string[];
  /** panels whose query answered with nothing (or only zeros) */
  noData: Record<string, boolean>;
  /** what one panel is, for the count: `services`, `profile types` … */
  noun: string;
}

type ExplorerLike = SceneObject<SceneObjectState & ExplorerUrlState>;

const PANEL_TYPE_OPTIONS: Array<{ label: string; value: PanelType; description: string }> = [
  { label: 'Time series', value: 'time-series', description: 'Each panel over time' },
  { label: 'Totals', value: 'bar-gauge', description: 'Sum over the time range, as a bar gauge' },
  { label: 'Maxima', value: 'table', description: 'The peak of each series and when, as a table' },
  { label: 'Histograms', value: 'histogram', description: 'How often each value occurred' },
];

export function gridTemplate(layout: GridLayout) {
  return layout === 'rows' ? '1fr' : 'repeat(auto-fill, minmax(420px, 1fr))';
}

/**
 * A grid of panels with the controls of the official app's grids, on every grid view: a quick filter on the
 * panel names (comma-separated regexes) with a count, hide panels without data, the panel type, grid or rows.
 * The settings are the explorer's (URL) state, so they carry from one view to the next.
 */
export class ScenePanelGrid extends SceneObjectBase<ScenePanelGridState> {
  private panels: GridPanel[] = [];
  private built?: PanelType;
  private dataSubs: Array<{ unsubscribe: () => void }> = [];

  constructor(state: { noun: string }) {
    super({
      grid: new SceneCSSGridLayout({
        children: [],
        templateColumns: gridTemplate('grid'),
        autoRows: '220px',
        rowGap: 1,
        columnGap: 1,
      }),
      names: [],
      noData: {},
      ...state,
    });
    this.addActivationHandler(() => {
      const sub = this.explorer()?.subscribeToState((s, prev) => {
        if (s.panelType !== prev.panelType) {
          this.build();
        } else if (s.searchText !== prev.searchText || s.layout !== prev.layout || s.hideNoData !== prev.hideNoData) {
          this.applyView();
        }
      });
      if (this.built !== this.explorer()?.state.panelType) {
        this.build();
      }
      return () => {
        sub?.unsubscribe();
        this.dataSubs.forEach((s) => s.unsubscribe());
        this.dataSubs = [];
      };
    });
  }

  explorer(): ExplorerLike | undefined {
    for (let p = this.parent; p; p = p.parent) {
      if ('explorationType' in p.state) {
        return p as ExplorerLike;
      }
    }
    return undefined;
  }

  /** The panels to show, in order; built for the current panel type. */
  setPanels(panels: GridPanel[]) {
    this.panels = panels;
    this.build();
  }

  private build() {
    const panelType = this.explorer()?.state.panelType ?? 'time-series';
    this.built = panelType;
    this.dataSubs.forEach((s) => s.unsubscribe());
    this.dataSubs = [];
    const children = this.panels.map((p) => {
      const panel = p.build(panelType);
      this.watchNoData(p.name, panel);
      return new SceneCSSGridItem({ body: panel });
    });
    this.state.grid.setState({ children });
    this.setState({ names: this.panels.map((p) => p.name), noData: {} });
    this.applyView();
  }

  private watchNoData(name: string, panel: VizPanel) {
    const data = panel.state.$data;
    if (!data) {
      return;
    }
    this.dataSubs.push(
      data.subscribeToState((s) => {
        if (s.data?.state !== LoadingState.Done) {
          return;
        }
        const empty = !s.data.series.length || framesTotal(s.data.series) === 0;
        if (this.state.noData[name] !== empty) {
          this.setState({ noData: { ...this.state.noData, [name]: empty } });
          this.applyView();
        }
      })
    );
  }

  /** Quick filter, layout and hide-no-data act on the existing panels: nothing is asked again. */
  applyView() {
    const { searchText = '', layout = 'grid', hideNoData = false } = this.explorer()?.state ?? {};
    const matches = quickFilterMatcher(searchText);
    const { grid, names, noData } = this.state;
    grid.state.children.forEach((item, i) => {
      const name = names[i];
      const hidden = !matches(name) || (hideNoData && noData[name] === true);
      if ((item as SceneCSSGridItem).state.isHidden !== hidden) {
        (item as SceneCSSGridItem).setState({ isHidden: hidden });
      }
    });
    const templateColumns = gridTemplate(layout);
    if (grid.state.templateColumns !== templateColumns) {
      grid.setState({ templateColumns });
    }
  }

  static Component = ScenePanelGridRenderer;
}

function ScenePanelGridRenderer({ model }: SceneComponentProps<ScenePanelGrid>) {
  const styles = useStyles2(getStyles);
  const { grid, names, noData, noun } = model.useState();
  const explorer = model.explorer();
  const {
    searchText = '',
    layout = 'grid',
    hideNoData = false,
    panelType = 'time-series',
  } = explorer?.useState() ?? {};
  const matches = quickFilterMatcher(searchText);
  const shown = names.filter((n) => matches(n) && !(hideNoData && noData[n])).length;
  return (
    <div className={styles.container}>
      <div className={styles.controls}>
        <Input
          className={styles.search}
          placeholder={`Search ${noun} by name (comma-separated regexes)`}
          value={searchText}
          data-testid="quick-filter"
          onChange={(e) => explorer?.setState({ searchText: e.currentTarget.value })}
          suffix={<span data-testid="quick-filter-count">{`${shown} of ${names.length} ${noun}`}</span>}
        />
        <Stack gap={2} alignItems="center">
          <Stack gap={1} alignItems="center">
            <span>Hide panels without data</span>
            <Switch
              value={hideNoData}
              onChange={() => explorer?.setState({ hideNoData: !hideNoData })}
              data-testid="hide-no-data"
            />
          </Stack>
          <div data-testid="panel-type">
            <RadioButtonGroup<PanelType>
              size="sm"
              options={PANEL_TYPE_OPTIONS}
              value={panelType}
              onChange={(v) => explorer?.setState({ panelType: v })}
            />
          </div>
          <div data-testid="grid-layout">
            <RadioButtonGroup
              size="sm"
              options={[
                { label: 'Grid', value: 'grid' as const, icon: 'apps' },
                { label: 'Rows', value: 'rows' as const, icon: 'list-ul' },
              ]}
              value={layout}
              onChange={(v) => explorer?.setState({ layout: v })}
            />
          </div>
        </Stack>
      </div>
      <grid.Component model={grid} />
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  container: css({ display: 'flex', flexDirection: 'column', gap: theme.spacing(1) }),
  controls: css({
    display: 'flex',
    gap: theme.spacing(2),
    alignItems: 'center',
    justifyContent: 'space-between',
    flexWrap: 'wrap',
  }),
  search: css({ flex: 1, minWidth: 320 }),
});
