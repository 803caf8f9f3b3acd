import { of, throwError } from 'rxjs';
import { ApiError } from '../../../shared/infrastructure/pyroscope/DataSourceProxyTransport';
import { AdHocApiClient } from './AdHocApiClient';

const fetchMock = jest.fn();
jest.mock('@grafana/runtime', () => ({ getBackendSrv: () => ({ fetch: fetchMock }) }));

describe('ad hoc profiles client', () => {
  beforeEach(() => {
    fetchMock.mockReset();
    fetchMock.mockReturnValue(of({ data: {} }));
  });

  it('adhocprofiles.v1 goes through it, and a missing service says so', async () => {
    const client = new AdHocApiClient('pyroscope');
    await client.list();
    expect(fetchMock.mock.calls[0][0]).toMatchObject({
      url: 'api/datasources/proxy/uid/pyroscope/adhocprofiles.v1.AdHocProfileService/List',
      method: 'POST',
      data: {},
    });
    fetchMock.mockReturnValue(throwError(() => ({ status: 404, statusText: 'Not Found', data: '' })));
    await expect(client.upload('a.pb.gz', 'AAAA')).rejects.toEqual(
      new ApiError('adhocprofiles.v1 Upload: Not Found (does this Pyroscope server offer ad hoc profiles?)', 404)
    );
  });
});
