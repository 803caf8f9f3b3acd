import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROFILES_LINK } from './profilesLinkConfig';
import { ProfilesLinkContext } from './domain/profilesLink';

const configure = (c: ProfilesLinkContext | undefined) => PROFILES_LINK.configure?.(c);

describe('trace to profile extension link', () => {
  const meta = JSON.parse(readFileSync(join(__dirname, '..', '..', 'plugin.json'), 'utf8'));

  it('plugin.json declares the link on both extension points and preloads the app', () => {
    expect(meta.preload).toBe(true);
    const declared = meta.extensions.addedLinks;
    expect(declared).toHaveLength(1);
    expect(declared[0].targets).toEqual(['grafana/traceview/details', 'grafana/explore/toolbar/action']);
    expect(declared[0].targets).toEqual(PROFILES_LINK.targets);
    expect(declared[0].title).toBe(PROFILES_LINK.title);
    expect(declared[0].description).toBe(PROFILES_LINK.description);
  });

  it('the trace view context with its span: service, profile type, span id and span time ± 30 s', () => {
    // Grafana's ProfilesButtonContext (SpanDetailLinkButtons), with the span (TraceSpan: microseconds).
    const context: ProfilesLinkContext = {
      serviceName: 'checkout',
      profileTypeId: 'process_cpu:cpu:nanoseconds:cpu:nanoseconds',
      spanSelector: '9a3b5c7d1e2f4a6b',
      explorationType: 'flame-graph',
      timeRange: { from: '2023-11-14T21:00:00.000Z', to: '2023-11-14T23:00:00.000Z' },
      datasource: { uid: 'pyro-prod' },
      span: { spanID: '9a3b5c7d1e2f4a6b', startTime: 1_700_000_000_000_000, duration: 250_000 },
    };
    expect(configure(context)).toEqual({
      path:
        '/a/grafana-pyroscope-app/explore?explorationType=flame-graph&var-dataSource=pyro-prod' +
        '&var-serviceName=checkout&var-profileMetricId=process_cpu%3Acpu%3Ananoseconds%3Acpu%3Ananoseconds' +
        '&var-spanSelector=9a3b5c7d1e2f4a6b&from=1699999970000&to=1700000030250',
    });
  });

  it('without the span, the time range Grafana passes (ISO strings)', () => {
    const path = configure({
      serviceName: 'checkout',
      profileTypeId: 'wall:wall:nanoseconds:wall:nanoseconds',
      spanSelector: 'abc',
      timeRange: { from: '2023-11-14T22:13:20.000Z', to: '2023-11-14T22:14:20.000Z' },
      datasource: { uid: 'p' },
    })?.path;
    const q = new URL(`http://x${path}`).searchParams;
    expect(q.get('from')).toBe('1700000000000');
    expect(q.get('to')).toBe('1700000060000');
    expect(q.get('var-spanSelector')).toBe('abc');
  });

  it('the Explore toolbar: the Pyroscope query of the pane', () => {
    const path = configure({
      targets: [
        { datasource: { type: 'tempo', uid: 't' } },
        {
          datasource: { type: 'grafana-pyroscope-datasource', uid: 'pyro' },
          profileTypeId: 'memory:alloc_space:bytes:space:bytes',
          labelSelector: '{service_name="cart \\"eu\\"", region="eu"}',
          spanSelector: ['0011223344556677'],
        },
      ],
      timeRange: { from: 1_700_000_000_000, to: 1_700_000_600_000 },
    })?.path;
    expect(path).toBe(
      '/a/grafana-pyroscope-app/explore?explorationType=flame-graph&var-dataSource=pyro' +
        '&var-serviceName=cart+%22eu%22&var-profileMetricId=memory%3Aalloc_space%3Abytes%3Aspace%3Abytes' +
        '&var-spanSelector=0011223344556677&from=1700000000000&to=1700000600000'
    );
  });

  it('no service, no link', () => {
    expect(configure(undefined)).toBeUndefined();
    expect(configure({ targets: [{ datasource: { type: 'tempo' } }] })).toBeUndefined();
  });
});
