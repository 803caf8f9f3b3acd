import { of, throwError } from 'rxjs';
import { ApiError } from './DataSourceProxyTransport';
import { PyroscopeApiClient } from './PyroscopeApiClient';

const fetchMock = jest.fn();
jest.mock('@grafana/runtime', () => ({ getBackendSrv: () => ({ fetch: fetchMock }) }));

describe('Pyroscope API client', () => {
  beforeEach(() => {
    fetchMock.mockReset();
    fetchMock.mockReturnValue(of({ data: { ok: true } }));
  });
  const client = new PyroscopeApiClient('pyro uid');

  it('calls querier.v1 with Connect JSON through the data-source proxy', async () => {
    await client.series({ start: 1, end: 2, labelNames: ['service_name', '__profile_type__'] });
    expect(fetchMock).toHaveBeenCalledWith(
      expect.objectContaining({
        url: 'api/datasources/proxy/uid/pyro%20uid/querier.v1.QuerierService/Series',
        method: 'POST',
        data: { start: 1, end: 2, matchers: [], labelNames: ['service_name', '__profile_type__'] },
        headers: { 'Content-Type': 'application/json' },
        showErrorAlert: false,
      })
    );
  });

  it('asks SelectSeries for a step in seconds and the group-by labels', async () => {
    await client.selectSeries({
      profileTypeID: 'cpu',
      labelSelector: '{}',
      start: 1,
      end: 2,
      step: 15,
      groupBy: ['region'],
    });
    expect(fetchMock.mock.calls[0][0].data).toEqual({
      profileTypeID: 'cpu',
      labelSelector: '{}',
      start: 1,
      end: 2,
      step: 15,
      groupBy: ['region'],
    });
  });

  it('renders with the legacy HTTP API and the official max-nodes parameter', async () => {
    await client.render({ query: 'cpu{service_name="a"}', start: 10, end: 20, maxNodes: 16384 });
    expect(fetchMock.mock.calls[0][0]).toMatchObject({
      url: 'api/datasources/proxy/uid/pyro%20uid/pyroscope/render',
      method: 'GET',
      params: { query: 'cpu{service_name="a"}', from: 10, until: 20, format: 'json', 'max-nodes': 16384 },
    });
  });

  it('sends span ids to SelectMergeSpanProfile', async () => {
    await client.selectMergeSpanProfile({
      profileTypeID: 'cpu',
      labelSelector: '{}',
      spanSelector: ['0123456789abcdef'],
      start: 1,
      end: 2,
    });
    expect(fetchMock.mock.calls[0][0].url).toMatch(/querier\.v1\.QuerierService\/SelectMergeSpanProfile$/);
    expect(fetchMock.mock.calls[0][0].data.spanSelector).toEqual(['0123456789abcdef']);
  });

  it('turns a failed call into an ApiError with the server message and status', async () => {
    fetchMock.mockReturnValue(
      throwError(() => ({ status: 501, data: { code: 'unimplemented', message: 'not here' } }))
    );
    await expect(client.labelNames({ start: 1, end: 2, matchers: [] })).rejects.toEqual(
      new ApiError('LabelNames: not here', 501)
    );
  });
});
