import { useCallback, useState } from 'react';
import { AdHocApiClient, readFileAsBase64 } from '../infrastructure/AdHocApiClient';
import { AdHocProfile, toAdHocProfile } from './adHocProfile';

export interface AdHocProfileState {
  profile?: AdHocProfile;
  loading: boolean;
  error?: string;
}

/** One uploaded file on screen: upload it, reopen an earlier upload, switch its profile type. */
export function useAdHocProfile(dataSourceUid: string) {
  const [state, setState] = useState<AdHocProfileState>({ loading: false });
  const run = useCallback(
    async (load: (client: AdHocApiClient) => Promise<Parameters<typeof toAdHocProfile>[0]>) => {
      if (!dataSourceUid) {
        setState({ loading: false, error: 'Choose a Pyroscope data source first.' });
        return;
      }
      setState((s) => ({ ...s, loading: true, error: undefined }));
      try {
        const profile = toAdHocProfile(await load(new AdHocApiClient(dataSourceUid)));
        setState({ profile, loading: false });
      } catch (e) {
        setState((s) => ({ ...s, loading: false, error: (e as Error).message }));
      }
    },
    [dataSourceUid]
  );
  const uploadFile = useCallback(
    (file: File) => run(async (client) => client.upload(file.name, await readFileAsBase64(file))),
    [run]
  );
  const openUpload = useCallback((id: string) => run((client) => client.get(id)), [run]);
  const selectProfileType = useCallback(
    (profileType: string) => {
      const id = state.profile?.id;
      return id ? run((client) => client.get(id, profileType)) : Promise.resolve();
    },
    [run, state.profile?.id]
  );
  return { data: state, actions: { uploadFile, openUpload, selectProfileType } };
}

export type AdHocProfileModel = ReturnType<typeof useAdHocProfile>;
