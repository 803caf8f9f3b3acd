import {
  ApiError,
  DataSourceProxyTransport,
  getTransport,
} from '../../../shared/infrastructure/pyroscope/DataSourceProxyTransport';
import { Int64 } from '../../../shared/infrastructure/pyroscope/types';

/** adhocprofiles.v1 AdHocProfilesGetResponse in Connect JSON. */
export interface AdHocGetResponse {
  id: string;
  name?: string;
  uploadedAt?: Int64;
  profileType?: string;
  profileTypes?: string[];
  /** the /pyroscope/render document, as a string */
  flamebearerProfile?: string;
}

export interface AdHocListResponse {
  profiles?: Array<{ id: string; name?: string; uploadedAt?: Int64 }>;
}

// adhocprofiles.v1 over the shared data-source proxy transport: uploads go to the Pyroscope server, never elsewhere.
export class AdHocApiClient {
  private readonly transport: DataSourceProxyTransport;

  constructor(dataSourceUid: string) {
    this.transport = getTransport(dataSourceUid);
  }

  upload(name: string, base64: string): Promise<AdHocGetResponse> {
    return this.call('Upload', { name, profile: base64 });
  }

  get(id: string, profileType?: string): Promise<AdHocGetResponse> {
    return this.call('Get', { id, ...(profileType ? { profileType } : {}) });
  }

  list(): Promise<AdHocListResponse> {
    return this.call('List', {});
  }

  private async call<T>(method: string, data: object): Promise<T> {
    try {
      return await this.transport.connect<T>('adhocprofiles.v1.AdHocProfileService', method, data);
    } catch (e) {
      // The service is optional in Pyroscope servers: say so when it is missing.
      if (e instanceof ApiError && (e.status === 404 || e.status === 501)) {
        throw new ApiError(`${e.message} (does this Pyroscope server offer ad hoc profiles?)`, e.status);
      }
      throw e;
    }
  }
}

/** The file as base64, read in the browser: Upload takes the bytes inside its JSON body. */
export function readFileAsBase64(file: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onerror = () => reject(reader.error ?? new Error('could not read the file'));
    reader.onload = () => {
      const url = String(reader.result);
      resolve(url.slice(url.indexOf(',') + 1));
    };
    reader.readAsDataURL(file);
  });
}
