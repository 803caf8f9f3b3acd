import type { LabelPair } from '../infrastructure/pyroscope/types';

/**
 * One stored profile as the `var-profile` URL parameter holds it: its UUID when the backend gave one, otherwise
 * `@<ms>{labels}` (the instant and labels it was stored with, which is what names a profile in storage without
 * UUIDs; several profiles sharing both are merged, as the backend's exemplar did).
 */
export type ProfileSelection = { profileIds: string[] } | { time: number; matchers: string[] };

const AT = /^@(\d+)(\{.*\})?$/;

export function encodeProfileSelection(e: { profileId: string; time: number; labels: LabelPair[] }): string {
  if (e.profileId) {
    return e.profileId;
  }
  // Reserved labels name the profile type and series internals, which the selector's profile type already fixes.
  const matchers = e.labels.filter((l) => !l.name.startsWith('__')).map((l) => `${l.name}=${JSON.stringify(l.value)}`);
  return `@${Math.round(e.time)}{${matchers.join(',')}}`;
}

/** undefined for an empty value. */
export function parseProfileSelection(value: string): ProfileSelection | undefined {
  const v = value.trim();
  if (!v) {
    return undefined;
  }
  const at = AT.exec(v);
  if (at) {
    const inner = (at[2] ?? '{}').slice(1, -1);
    return { time: Number(at[1]), matchers: splitMatchers(inner) };
  }
  return { profileIds: v.split(/[\s,]+/).filter(Boolean) };
}

/** Matchers of a selector body, split on the commas outside quoted values. */
function splitMatchers(body: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '\\' && quoted) {
      cur += c + (body[i + 1] ?? '');
      i++;
      continue;
    }
    if (c === '"') {
      quoted = !quoted;
    }
    if (c === ',' && !quoted) {
      out.push(cur.trim());
      cur = '';
      continue;
    }
    cur += c;
  }
  if (cur.trim()) {
    out.push(cur.trim());
  }
  return out;
}

/** A `{…}` selector with more matchers added (already present ones are kept once). */
export function withMatchers(selector: string, matchers: string[]): string {
  const own = splitMatchers(selector.trim().replace(/^\{/, '').replace(/\}$/, ''));
  const all = [...own, ...matchers.filter((m) => !own.includes(m))];
  return `{${all.join(',')}}`;
}

/** A query's window and selector, as SelectMergeStacktraces and SelectMergeProfile take them. */
export interface ProfileQueryScope {
  start: number;
  end: number;
  labelSelector: string;
}

/**
 * The scope narrowed to one selected profile: by UUID (profile_id_selector) when it has one, otherwise by its
 * instant and labels, which is how a profile is named in storage without UUIDs. The flame graph, the export
 * and Explain all go through here so that they show the same profile.
 */
export function narrowToProfile<T extends ProfileQueryScope>(
  scope: T,
  profile: ProfileSelection
): T & { profileIdSelector?: string[] } {
  if ('profileIds' in profile) {
    return { ...scope, profileIdSelector: profile.profileIds };
  }
  return {
    ...scope,
    start: profile.time,
    end: profile.time,
    labelSelector: withMatchers(scope.labelSelector, profile.matchers),
  };
}

/** The selected profile in words, for a prompt or a caption. */
export function describeProfileSelection(profile: ProfileSelection): string {
  if ('profileIds' in profile) {
    return `profile ${profile.profileIds.join(', ')}`;
  }
  const labels = profile.matchers.length ? ` with labels {${profile.matchers.join(', ')}}` : '';
  return `the profile stored at ${new Date(profile.time).toISOString()}${labels}`;
}
