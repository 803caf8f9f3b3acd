import { getBackendSrv } from '@grafana/runtime';
import { lastValueFrom } from 'rxjs';
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

// adhocprofiles.v1 over the selected data source's proxy: uploads go to the Pyroscope server, never elsewhere.
export class AdHocApiClient {
  private readonly baseUrl: string;

  constructor(dataSourceUid: string) {
    this.baseUrl = `api/datasources/proxy/uid/${encodeURIComponent(dataSourceUid)}/adhocprofiles.v1.AdHocProfileService`;
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
      const response = await lastValueFrom(
        getBackendSrv().fetch<T>({
          url: `${this.baseUrl}/${method}`,
          method: 'POST',
          data,
          headers: { 'Content-Type': 'application/json' },
          showErrorAlert: false,
          showSuccessAlert: false,
        })
      );
      return response.data;
    } catch (e) {
      const err = e as { status?: number; data?: { message?: string }; statusText?: string; message?: string };
      const status = err.status ?? 0;
      const hint = status === 404 || status === 501 ? ' (does this Pyroscope server offer ad hoc profiles?)' : '';
      throw new Error(`${method}: ${err.data?.message ?? err.statusText ?? err.message ?? 'request failed'}${hint}`);
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
