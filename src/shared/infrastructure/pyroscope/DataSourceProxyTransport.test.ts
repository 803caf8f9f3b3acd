import { of, throwError } from 'rxjs';
import { fetchPluginSettings, savePluginSettings } from '../settings/SettingsApiClient';
import { DEFAULT_PLUGIN_SETTINGS } from '../../domain/pluginSettings';
import { ApiError, DataSourceProxyTransport, serverMessage } from './DataSourceProxyTransport';
import { PyroscopeApiClient } from './PyroscopeApiClient';

const fetchMock = jest.fn();
jest.mock('@grafana/runtime', () => ({ getBackendSrv: () => ({ fetch: fetchMock }) }));

const bytes = (s: string) => new TextEncoder().encode(s);

describe('data-source proxy transport', () => {
  beforeEach(() => {
    fetchMock.mockReset();
    fetchMock.mockReturnValue(of({ data: {} }));
  });

  it('builds every URL under api/datasources/proxy/uid/<uid>', async () => {
    const t = new DataSourceProxyTransport('a/b c');
    await t.connect('querier.v1.QuerierService', 'LabelNames', {});
    await t.get('pyroscope/render', { query: 'x' });
    expect(fetchMock.mock.calls.map((c) => c[0].url)).toEqual([
      'api/datasources/proxy/uid/a%2Fb%20c/querier.v1.QuerierService/LabelNames',
      'api/datasources/proxy/uid/a%2Fb%20c/pyroscope/render',
    ]);
    for (const [options] of fetchMock.mock.calls) {
      expect(options).toMatchObject({ showErrorAlert: false, showSuccessAlert: false });
    }
  });

  it('settings.v1 Get and Set go through it in Connect JSON', async () => {
    fetchMock.mockReturnValueOnce(
      of({ data: { settings: [{ name: 'pluginSettings', value: JSON.stringify({ maxNodes: 512 }) }] } })
    );
    expect((await fetchPluginSettings('pyroscope')).maxNodes).toBe(512);
    await savePluginSettings('pyroscope', DEFAULT_PLUGIN_SETTINGS);
    expect(fetchMock.mock.calls[0][0]).toMatchObject({
      url: 'api/datasources/proxy/uid/pyroscope/settings.v1.SettingsService/Get',
      method: 'POST',
      data: {},
      headers: { 'Content-Type': 'application/json' },
    });
    expect(fetchMock.mock.calls[1][0].url).toBe('api/datasources/proxy/uid/pyroscope/settings.v1.SettingsService/Set');
    expect(fetchMock.mock.calls[1][0].data.setting.name).toBe('pluginSettings');
  });

  it('names failures of other services than the querier with their package', async () => {
    fetchMock.mockReturnValue(throwError(() => ({ status: 503, data: { message: 'store down' } })));
    await expect(fetchPluginSettings('pyroscope')).rejects.toEqual(new ApiError('settings.v1 Get: store down', 503));
  });

  it('calls Connect in protobuf binary and hands back the bytes', async () => {
    const answer = new Uint8Array([1, 2, 3]).buffer;
    fetchMock.mockReturnValue(of({ data: answer }));
    const got = await new PyroscopeApiClient('pyroscope').selectMergeProfileBinary(new Uint8Array([8, 1]));
    expect(got).toBe(answer);
    const options = fetchMock.mock.calls[0][0];
    expect(options).toMatchObject({
      url: 'api/datasources/proxy/uid/pyroscope/querier.v1.QuerierService/SelectMergeProfile',
      method: 'POST',
      headers: { 'Content-Type': 'application/proto', 'Connect-Protocol-Version': '1' },
      responseType: 'arraybuffer',
    });
    expect(options.data).toBeInstanceOf(Blob);
    expect(options.data.type).toBe('application/proto');
    expect(options.data.size).toBe(2);
  });

  it('reads the Connect error of a binary call from its bytes', async () => {
    fetchMock.mockReturnValue(
      throwError(() => ({ status: 400, data: bytes('{"code":"invalid_argument","message":"bad selector"}').buffer }))
    );
    await expect(new PyroscopeApiClient('pyroscope').selectMergeProfileBinary(new Uint8Array())).rejects.toEqual(
      new ApiError('SelectMergeProfile: bad selector', 400)
    );
  });

  it('finds the server message in parsed, text and byte bodies', () => {
    expect(serverMessage({ code: 'unknown', message: 'boom' })).toBe('boom');
    expect(serverMessage('{"message":"as text"}')).toBe('as text');
    expect(serverMessage('plain failure\n')).toBe('plain failure');
    expect(serverMessage(bytes('{"message":"as bytes"}'))).toBe('as bytes');
    expect(serverMessage(undefined)).toBeUndefined();
    expect(serverMessage('')).toBeUndefined();
    expect(serverMessage({})).toBeUndefined();
  });
});
