import React, { useMemo, useState } from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2, LoadingState } from '@grafana/data';
import {
  SceneComponentProps,
  SceneObject,
  SceneObjectBase,
  SceneObjectState,
  SceneQueryRunner,
  sceneGraph,
} from '@grafana/scenes';
import { Alert, Combobox, LoadingPlaceholder, Stack, useStyles2 } from '@grafana/ui';
import { FlameTree, dataFrameToTree } from '../../../../../shared/domain/converters/flamebearer';
import { normalizeSelector } from '../../../../../shared/domain/labelSelector';
import { PROFILE_DATASOURCE, ProfileQuery } from '../../../../../shared/domain/runtimeDataSources';
import { DEFAULT_MAX_NODES, ExplorerUrlState } from '../../../domain/urlState';
import { getDataSourceUid } from '../../../domain/variables';
import { valueFormatter } from '../../../../../shared/components/FlameGraph/domain/formatValue';
import type { FunctionDetailsQuery } from '../components/FunctionDetails/domain/useFunctionDetails';
import { FunctionDetailsPanel } from '../components/FunctionDetails/ui/FunctionDetailsPanel';
import { outermostNodes, pathOf } from '../../../../../shared/components/FlameGraph/domain/sandwich';
import { FlameGraphContainer } from '../../../../../shared/components/FlameGraph/ui/FlameGraphContainer';
import { usePluginSettings } from '../../../../../shared/domain/usePluginSettings';
import { FlameGraphActions } from '../../FlameGraphActions/ui/FlameGraphActions';

// The server's default is 8,192 and the official app's 16,384; more nodes mean a truer picture of the tail.
const MAX_NODES_OPTIONS = [1024, 4096, 8192, 16384, 32768, 65536];

type ExplorerLike = SceneObject<SceneObjectState & ExplorerUrlState>;

interface SceneFlameGraphState extends SceneObjectState {
  labelSelector: string;
}

export class SceneFlameGraph extends SceneObjectBase<SceneFlameGraphState> {
  constructor(state: { labelSelector: string }) {
    super({
      ...state,
      $data: new SceneQueryRunner({ datasource: PROFILE_DATASOURCE, queries: [] }),
    });
    this.addActivationHandler(() => {
      this.updateQuery();
      const explorer = this.explorer();
      const sub = explorer?.subscribeToState((s, prev) => {
        if (s.maxNodes !== prev.maxNodes) {
          this.updateQuery();
        }
      });
      return () => sub?.unsubscribe();
    });
  }

  // The view is nested one level below the explorer.
  explorer(): ExplorerLike | undefined {
    return this.parent?.parent as ExplorerLike | undefined;
  }

  private updateQuery() {
    const runner = this.state.$data as SceneQueryRunner;
    const query: ProfileQuery = {
      refId: 'profile',
      dataSourceUid: '${dataSource}',
      profileMetricId: '${profileMetricId}',
      labelSelector: this.state.labelSelector,
      maxNodes: this.explorer()?.state.maxNodes,
      spanSelector: '${spanSelector}',
    };
    runner.setState({ queries: [query] });
    runner.runQueries();
  }

  /** What the function details panel asks for: this selection, narrowed to each call path of the function. */
  functionDetailsQuery(tree: FlameTree, name: string): FunctionDetailsQuery {
    const paths = outermostNodes(tree, name).map((n) => pathOf(tree, n));
    const { from, to } = sceneGraph.getTimeRange(this).state.value;
    return {
      dataSourceUid: sceneGraph.interpolate(this, '${dataSource}'),
      profileMetricId: sceneGraph.interpolate(this, '${profileMetricId}'),
      labelSelector: normalizeSelector(sceneGraph.interpolate(this, this.state.labelSelector)),
      start: from.valueOf(),
      end: to.valueOf(),
      name,
      // a path through a node folded into "other" names no real call site: ask for the whole profile then
      callSites: paths.some((p) => p.includes('other')) ? [] : paths,
    };
  }

  static Component = SceneFlameGraphRenderer;
}

function SceneFlameGraphRenderer({ model }: SceneComponentProps<SceneFlameGraph>) {
  const styles = useStyles2(getStyles);
  const { data } = sceneGraph.getData(model).useState();
  const explorer = model.explorer();
  const { searchText = '', maxNodes = DEFAULT_MAX_NODES } = explorer?.useState() ?? {};
  const { settings } = usePluginSettings(getDataSourceUid(model)).data;
  const frame = data?.series[0];
  const tree = useMemo(() => (frame ? dataFrameToTree(frame) : undefined), [frame]);
  const unit = String(frame?.fields.find((f) => f.name === 'value')?.config.unit ?? 'short');
  const format = useMemo(() => valueFormatter(unit), [unit]);
  const [details, setDetails] = useState<FunctionDetailsQuery>();
  if (data?.state === LoadingState.Error) {
    return <Alert title="Could not load the flame graph">{data.errors?.[0]?.message}</Alert>;
  }
  if (!tree) {
    return <LoadingPlaceholder text="Loading flame graph..." />;
  }
  const rootTotal = tree.total[0] ?? 0;
  return (
    <div className={styles.container}>
      <div className={styles.toolbar}>
        <FlameGraphActions
          scene={model}
          labelSelector={model.state.labelSelector}
          tree={tree}
          format={format}
          maxNodes={maxNodes}
        />
        <Stack gap={2} alignItems="center">
          <Stack gap={1} alignItems="center">
            <span className={styles.total}>Max nodes</span>
            <Combobox
              width={14}
              options={MAX_NODES_OPTIONS.map((n) => ({ label: n.toLocaleString('en-US'), value: String(n) }))}
              value={String(maxNodes)}
              onChange={(o) => o && explorer?.setState({ maxNodes: Number(o.value) })}
              createCustomValue
              data-testid="flamegraph-max-nodes"
            />
          </Stack>
          <span className={styles.total} data-testid="flamegraph-total" data-value={rootTotal}>
            Total {format.full(rootTotal)}
          </span>
        </Stack>
      </div>
      {tree.count <= 1 ? (
        <Alert severity="info" title="No data">
          No profiles in the selected time range for this selection.
        </Alert>
      ) : (
        <FlameGraphContainer
          tree={tree}
          format={format}
          search={searchText}
          onSearchChange={(text) => explorer?.setState({ searchText: text })}
          collapsing={settings.collapsedFlamegraphs}
          onFunctionDetails={
            settings.enableFunctionDetails ? (name) => setDetails(model.functionDetailsQuery(tree, name)) : undefined
          }
          sidePanel={
            details && <FunctionDetailsPanel query={details} format={format} onClose={() => setDetails(undefined)} />
          }
        />
      )}
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  container: css({ display: 'flex', flexDirection: 'column', gap: theme.spacing(1) }),
  toolbar: css({
    display: 'flex',
    justifyContent: 'space-between',
    alignItems: 'center',
    flexWrap: 'wrap',
    gap: theme.spacing(2),
  }),
  total: css({ color: theme.colors.text.secondary, whiteSpace: 'nowrap' }),
});
