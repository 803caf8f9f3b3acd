import { DataSourceVariable, EmbeddedScene, SceneCanvasText, sceneGraph } from '@grafana/scenes';
import { lastValueFrom } from 'rxjs';
import { readLastDataSourceUid, storeLastDataSourceUid } from '../../../shared/infrastructure/lastDataSource';
import { buildVariables } from './variables';

const PYROSCOPES = [
  { uid: 'first', name: 'Pyroscope 1', type: 'grafana-pyroscope-datasource', meta: {}, isDefault: false },
  { uid: 'last-used', name: 'Pyroscope 2', type: 'grafana-pyroscope-datasource', meta: {}, isDefault: false },
  { uid: 'from-link', name: 'Pyroscope 3', type: 'grafana-pyroscope-datasource', meta: {}, isDefault: true },
];

jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getDataSourceSrv: () => ({
    getList: () => PYROSCOPES,
    getInstanceSettings: (uid: string) => PYROSCOPES.find((d) => d.uid === uid),
  }),
}));

/** The explorer's data-source variable, in a scene as the app builds it (variables created once, at the root). */
function dataSourceVariable(): DataSourceVariable {
  const $variables = buildVariables();
  new EmbeddedScene({ $variables, body: new SceneCanvasText({ text: '' }) });
  return $variables.getByName('dataSource') as DataSourceVariable;
}

describe('data-source choice of the explorer', () => {
  beforeEach(() => localStorage.clear());

  it('var-dataSource in the URL beats the last used data source, and becomes the last used', async () => {
    storeLastDataSourceUid('last-used');
    const ds = dataSourceVariable();
    ds.urlSync!.updateFromUrl({ 'var-dataSource': 'from-link' });
    await lastValueFrom(ds.validateAndUpdate());
    expect(ds.getValue()).toBe('from-link');
    expect(readLastDataSourceUid()).toBe('from-link');
  });

  it('without var-dataSource the last used one is chosen over the default', async () => {
    storeLastDataSourceUid('last-used');
    const ds = dataSourceVariable();
    await lastValueFrom(ds.validateAndUpdate());
    expect(ds.getValue()).toBe('last-used');
  });

  it('with neither, the default data source', async () => {
    const ds = dataSourceVariable();
    await lastValueFrom(ds.validateAndUpdate());
    expect(ds.getValue()).toBe('from-link');
  });
});

describe('group-by variable', () => {
  function interpolateGroupBy(urlValue: string): string {
    const $variables = buildVariables();
    const text = new SceneCanvasText({ text: '' });
    new EmbeddedScene({ $variables, body: text });
    $variables.getByName('groupBy')!.urlSync!.updateFromUrl({ 'var-groupBy': urlValue });
    return sceneGraph.interpolate(text, '${groupBy}');
  }

  it('reads the official app`s `all` as no label, and a label as itself', () => {
    expect(interpolateGroupBy('all')).toBe('');
    expect(interpolateGroupBy('region')).toBe('region');
    expect(interpolateGroupBy('')).toBe('');
  });
});
