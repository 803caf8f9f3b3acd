import {
  CoreApp,
  DataQueryRequest,
  DataSourceInstanceSettings,
  dateTime,
  LoadingState,
  PanelData,
} from '@grafana/data';
import { BackendSrvRequest, config, setBackendSrv, setDataSourceSrv, setTemplateSrv } from '@grafana/runtime';
import {
  AdHocFiltersVariable,
  ConstantVariable,
  CustomVariable,
  EmbeddedScene,
  SafeSerializableSceneObject,
  SceneFlexLayout,
  SceneVariableSet,
} from '@grafana/scenes';
import { lastValueFrom, of } from 'rxjs';
import { HostQueryRunner, PyroscopeDataSource, PyroscopeQuery, dataSourceSrv } from '../harness/host/datasources';
import { templateSrv } from '../harness/host/templating';
import { profileFrame } from '../harness/pyroscope-datasource.mjs';

// The harness page's data-source side: Grafana's template interpolation from the scene carried with the query,
// data-source variables, and the Pyroscope data source front end posting to /api/ds/query and reading the frames.

const SETTINGS = {
  id: 1,
  uid: 'pyroscope',
  name: 'Pyroscope',
  type: 'grafana-pyroscope-datasource',
  access: 'proxy',
  jsonData: {},
  readOnly: true,
  meta: { id: 'grafana-pyroscope-datasource', type: 'datasource', name: 'Grafana Pyroscope', info: {} },
} as unknown as DataSourceInstanceSettings;

let posted: BackendSrvRequest[] = [];
let answer: unknown = { results: {} };

beforeAll(() => {
  config.datasources = { Pyroscope: SETTINGS };
  config.defaultDatasource = 'Pyroscope';
  setTemplateSrv(templateSrv as never);
  setDataSourceSrv(dataSourceSrv as never);
  setBackendSrv({
    fetch: (o: BackendSrvRequest) => {
      posted.push(o);
      return of({ data: answer, status: 200, ok: true });
    },
  } as never);
});
beforeEach(() => {
  posted = [];
  answer = { results: {} };
});

/** A scene as a Scenes app holds it: a data-source variable, the service, ad hoc filters. */
function scene() {
  return new EmbeddedScene({
    $variables: new SceneVariableSet({
      variables: [
        new ConstantVariable({ name: 'dataSource', value: 'pyroscope' }),
        new CustomVariable({ name: 'serviceName', query: 'checkout', value: 'checkout', text: 'checkout' }),
        new ConstantVariable({ name: 'profileMetricId', value: 'process_cpu:cpu:nanoseconds:cpu:nanoseconds' }),
        new AdHocFiltersVariable({
          name: 'filters',
          filters: [{ key: 'region', operator: '=', value: 'eu-west-1' }],
        }),
      ],
    }),
    body: new SceneFlexLayout({ children: [] }),
  });
}

const carried = (s: EmbeddedScene) => ({
  __sceneObject: { text: '__sceneObject', value: new SafeSerializableSceneObject(s) },
});

function request(
  targets: PyroscopeQuery[],
  scopedVars = {},
  app: string = CoreApp.Unknown
): DataQueryRequest<PyroscopeQuery> {
  const to = dateTime(1_700_003_600_000);
  const from = dateTime(1_700_000_000_000);
  return {
    app,
    requestId: 'Q1',
    interval: '1m',
    intervalMs: 60_000,
    range: { from, to, raw: { from, to } },
    scopedVars,
    targets,
    timezone: 'browser',
    startTime: 0,
  };
}

describe('harness template service', () => {
  it('interpolates from the scene carried with the query', () => {
    const s = scene();
    expect(templateSrv.replace('{service_name="$serviceName",$filters}', carried(s))).toBe(
      '{service_name="checkout",region="eu-west-1"}'
    );
    expect(templateSrv.replace('${profileMetricId}', carried(s))).toBe('process_cpu:cpu:nanoseconds:cpu:nanoseconds');
  });

  it('without a scene, uses the scoped variables and leaves unknown ones', () => {
    expect(templateSrv.replace('$a-$b', { a: { text: 'x', value: 'x' } })).toBe('x-$b');
    expect(templateSrv.containsTemplate('{service_name="$svc"}')).toBe(true);
    expect(templateSrv.containsTemplate('{service_name="svc"}')).toBe(false);
  });
});

describe('harness data-source service', () => {
  it('resolves a data-source variable to the data source it holds, as Grafana does', async () => {
    const s = scene();
    const settings = dataSourceSrv.getInstanceSettings('$dataSource', carried(s));
    expect(settings).toMatchObject({ uid: '$dataSource', rawRef: { uid: 'pyroscope', type: SETTINGS.type } });
    const ds = await dataSourceSrv.get({ uid: '$dataSource' }, carried(s));
    expect(ds).toBeInstanceOf(PyroscopeDataSource);
    expect(ds.uid).toBe('pyroscope');
    expect(dataSourceSrv.getInstanceSettings(undefined)?.uid).toBe('pyroscope');
    await expect(dataSourceSrv.get('missing')).rejects.toEqual({ message: 'Datasource missing was not found' });
  });
});

describe('harness Pyroscope data source', () => {
  it('posts interpolated queries to /api/ds/query and reads the frames the back end sends', async () => {
    const s = scene();
    const ds = (await dataSourceSrv.get('pyroscope')) as PyroscopeDataSource;
    answer = {
      results: {
        A: {
          status: 200,
          frames: [
            profileFrame('A', 'process_cpu:cpu:nanoseconds:cpu:nanoseconds', {
              names: ['total', 'main'],
              levels: [
                [0, 5, 0, 0],
                [0, 5, 5, 1],
              ],
            }),
          ],
        },
      },
    };
    const response = await lastValueFrom(
      ds.query(
        request(
          [
            {
              refId: 'A',
              datasource: { uid: '$dataSource', type: SETTINGS.type },
              queryType: 'both',
              profileTypeId: '$profileMetricId',
              labelSelector: '{service_name="$serviceName",$filters}',
            },
            // no profile type: not sent, as in Grafana
            { refId: 'B', profileTypeId: '', labelSelector: '{}' },
          ],
          carried(s)
        )
      )
    );
    expect(posted).toHaveLength(1);
    expect(posted[0].url).toBe('/api/ds/query?ds_type=grafana-pyroscope-datasource&requestId=Q1');
    const body = posted[0].data as { from: string; to: string; queries: Array<Record<string, unknown>> };
    expect([body.from, body.to]).toEqual(['1700000000000', '1700003600000']);
    expect(body.queries).toHaveLength(1);
    expect(body.queries[0]).toMatchObject({
      refId: 'A',
      datasource: { uid: 'pyroscope', type: SETTINGS.type },
      // outside Explore a `both` query is a flame graph
      queryType: 'profile',
      profileTypeId: 'process_cpu:cpu:nanoseconds:cpu:nanoseconds',
      labelSelector: '{service_name="checkout",region="eu-west-1"}',
      groupBy: [],
      intervalMs: 60_000,
    });
    const [frame] = response.data;
    expect(frame.refId).toBe('A');
    expect(frame.meta.preferredVisualisationType).toBe('flamegraph');
    const label = frame.fields.find((f: { name: string }) => f.name === 'label');
    expect(label.type).toBe('enum');
    expect(label.config.type.enum.text).toEqual(['total', 'main']);
    expect(frame.fields.find((f: { name: string }) => f.name === 'value').config.unit).toBe('ns');
  });

  it('keeps `both` in Explore, sends `{}` for an empty selector and adds ad hoc filters', async () => {
    const ds = (await dataSourceSrv.get('pyroscope')) as PyroscopeDataSource;
    await lastValueFrom(
      ds.query({
        ...request(
          [
            { refId: 'A', queryType: 'both', profileTypeId: 'x:y:count:a:b', labelSelector: '{a="1", b="2"}' },
            { refId: 'B', queryType: 'metrics', profileTypeId: 'x:y:count:a:b', labelSelector: '' },
          ],
          {},
          CoreApp.Explore
        ),
        filters: [{ key: 'b', operator: '!=', value: '3' }],
      })
    );
    const queries = (posted[0].data as { queries: Array<Record<string, unknown>> }).queries;
    expect(queries[0]).toMatchObject({ queryType: 'both', labelSelector: '{a="1", b!="3"}' });
    // an empty selector becomes `{}` (without the defaults being applied, a quirk of Grafana's), then filtered
    expect(queries[1]).toMatchObject({ labelSelector: '{b!="3"}' });
    expect(queries[1].groupBy).toBeUndefined();
  });
});

describe('harness Pyroscope data source resources', () => {
  it('reads ad hoc filter keys and values through the data source resources', async () => {
    const ds = (await dataSourceSrv.get('pyroscope')) as PyroscopeDataSource;
    answer = ['region', 'pod'];
    const from = dateTime(1_700_000_000_000);
    const to = dateTime(1_700_003_600_000);
    const keys = await ds.getTagKeys({
      filters: [{ key: 'service_name', operator: '=', value: 'checkout' }],
      timeRange: { from, to, raw: { from, to } },
    });
    expect(keys).toEqual([{ text: 'region' }, { text: 'pod' }]);
    expect(posted[0]).toMatchObject({
      method: 'GET',
      url: '/api/datasources/uid/pyroscope/resources/labelNames',
      params: { query: '{service_name="checkout"}', start: 1_700_000_000_000, end: 1_700_003_600_000 },
    });
    answer = ['eu'];
    await ds.getTagValues({ key: 'region', filters: [], timeRange: { from, to, raw: { from, to } } });
    expect(posted[1]).toMatchObject({
      url: '/api/datasources/uid/pyroscope/resources/labelValues',
      params: { label: 'region', query: '{}' },
    });
  });
});

describe('harness query runner (createQueryRunner)', () => {
  it('derives the interval from the range and the panel width, and gives Loading then Done', async () => {
    const runner = new HostQueryRunner();
    const seen: PanelData[] = [];
    const done = new Promise<void>((resolve) =>
      runner.get().subscribe((d) => {
        seen.push(d);
        if (d.state !== LoadingState.Loading) {
          resolve();
        }
      })
    );
    const to = dateTime(1_700_003_600_000);
    const from = dateTime(1_700_000_000_000);
    runner.run({
      datasource: { uid: 'pyroscope' },
      queries: [{ refId: 'A', queryType: 'metrics', profileTypeId: 'x:y:count:a:b', labelSelector: '{}' } as never],
      timezone: 'browser',
      timeRange: { from, to, raw: { from: 'now-1h', to: 'now' } },
      maxDataPoints: 100,
      minInterval: undefined,
    });
    await done;
    runner.destroy();
    expect(seen.map((d) => d.state)).toEqual([LoadingState.Loading, LoadingState.Done]);
    // an hour over 100 points: Grafana's interval rounding gives 30 s
    expect(seen[1].request?.intervalMs).toBe(30_000);
    expect((posted[0].data as { queries: Array<{ intervalMs: number }> }).queries[0].intervalMs).toBe(30_000);
  });
});
