import { FlameTree, flamebearerToTree } from '../../../shared/domain/converters/flamebearer';
import { RenderResponse } from '../../../shared/infrastructure/pyroscope/types';
import { AdHocGetResponse } from '../infrastructure/AdHocApiClient';

export interface AdHocProfile {
  id: string;
  name: string;
  uploadedAt: number;
  profileType: string;
  profileTypes: string[];
  tree: FlameTree;
  /** Grafana unit id of the values */
  unit: string;
  /** the flame graph as the server encoded it: the input of the diff */
  flamebearer: { names: string[]; levels: number[][] };
}

/** Grafana unit of a legacy flamebearer's metadata (cpu arrives as "samples" at a 1e9 rate: nanoseconds). */
export function flamebearerUnit(units: string | undefined, sampleRate: number | undefined): string {
  if (units === 'samples' && sampleRate === 1e9) {
    return 'ns';
  }
  switch (units) {
    case 'nanoseconds':
      return 'ns';
    case 'bytes':
      return 'bytes';
    default:
      return 'short';
  }
}

export function toAdHocProfile(r: AdHocGetResponse): AdHocProfile {
  let doc: RenderResponse;
  try {
    doc = JSON.parse(r.flamebearerProfile ?? '') as RenderResponse;
  } catch {
    throw new Error('the server answered without a flame graph');
  }
  const flamebearer = { names: doc.flamebearer?.names ?? [], levels: doc.flamebearer?.levels ?? [] };
  return {
    id: r.id,
    name: r.name ?? '',
    uploadedAt: Number(r.uploadedAt ?? 0),
    profileType: r.profileType ?? '',
    profileTypes: r.profileTypes ?? [],
    tree: flamebearerToTree(flamebearer),
    unit: flamebearerUnit(doc.metadata?.units, doc.metadata?.sampleRate),
    flamebearer,
  };
}
