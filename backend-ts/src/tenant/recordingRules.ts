// settings.v1.RecordingRulesService's state, as Pyroscope OSS keeps it with its metrics exporter off: one document
// of rules per tenant in the object store, validated as Pyroscope validates them, nothing evaluated. Updates are
// optimistic twice over: a rule's generation guards it against a client that saw an older version, and the
// document's ETag guards the document against another process (Pyroscope holds a mutex per process; several of
// ours share one container, so a write that lost the race is retried on the fresh document).
import { randomInt } from 'node:crypto';
import { parseMatchers } from '../model/selector.js';
import { recordingRulesKey } from '../storage/keys.js';
import { ConflictError, type ObjectStore } from '../storage/objectStore.js';

export interface LabelPair {
  name: string;
  value: string;
}

export interface StacktraceFilter {
  functionName?: { functionName: string; metricType: number };
}

/** A rule as the client writes it (UpsertRecordingRuleRequest). */
export interface RecordingRuleInput {
  id: string;
  metricName: string;
  matchers: string[];
  groupBy: string[];
  externalLabels: LabelPair[];
  generation: number;
  stacktraceFilter?: StacktraceFilter;
}

/** A stored rule, as answered (RecordingRule): profileType is derived from the __profile_type__ matcher. */
export interface RecordingRule extends RecordingRuleInput {
  profileType: string;
}

export type RecordingRuleErrorKind = 'invalid' | 'not_found' | 'stale' | 'limit';

/** What the client got wrong, by kind: the handlers answer invalid_argument, not_found, already_exists, resource_exhausted. */
export class RecordingRuleError extends Error {
  override name = 'RecordingRuleError';
  constructor(
    message: string,
    readonly kind: RecordingRuleErrorKind
  ) {
    super(message);
  }
}

/** The stored document, in the shape of Pyroscope's settings store (a generation, then the elements). */
interface Doc {
  generation: string;
  elements: RecordingRuleInput[];
}

const ID_RE = /^[a-zA-Z]+$/;
const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
const ID_LENGTH = 10;
/** Prometheus' legacy metric name and label name rules, which Pyroscope applies to recorded metrics. */
const METRIC_NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const METRIC_NAME_PREFIX = 'profiles_recorded_';
const PROFILE_TYPE = '__profile_type__';
/** Conditional writes lost to other processes before a client is told to retry. */
const WRITE_ATTEMPTS = 10;

function newId(): string {
  let id = '';
  for (let i = 0; i < ID_LENGTH; i++) {
    id += ID_ALPHABET[randomInt(ID_ALPHABET.length)];
  }
  return id;
}

/** Checks a rule as Pyroscope's validateUpsert does, every problem at once; fills a new rule's id. */
function validate(r: RecordingRuleInput): RecordingRuleInput {
  const rule = { ...r, metricName: r.metricName.trim() };
  if (rule.id === '') {
    rule.id = newId();
    rule.generation = 1;
  }
  const errs: string[] = [];
  if (!ID_RE.test(rule.id)) {
    errs.push(`id ${JSON.stringify(rule.id)} must match ${ID_RE.source}`);
  }
  if (rule.metricName === '') {
    errs.push('metric_name is required');
  } else if (!METRIC_NAME_RE.test(rule.metricName)) {
    errs.push(`metric_name ${JSON.stringify(rule.metricName)} is invalid: invalid metric name`);
  } else if (!rule.metricName.startsWith(METRIC_NAME_PREFIX)) {
    errs.push(
      `metric_name ${JSON.stringify(rule.metricName)} is invalid: metric name must start with ${METRIC_NAME_PREFIX}`
    );
  }
  let profileTypeMatchers = 0;
  for (const m of rule.matchers) {
    try {
      for (const matcher of parseMatchers(m)) {
        if (matcher.name === PROFILE_TYPE) {
          if (matcher.op !== '=') {
            errs.push(`matcher "${PROFILE_TYPE}" must have type "="`);
          }
          profileTypeMatchers++;
        }
      }
    } catch (e) {
      errs.push(`matcher ${JSON.stringify(m)} is invalid: ${(e as Error).message}`);
    }
  }
  if (profileTypeMatchers !== 1) {
    errs.push(`matchers must contain exactly one "${PROFILE_TYPE}" matcher`);
  }
  for (const l of rule.groupBy) {
    if (!LABEL_NAME_RE.test(l)) {
      errs.push(`group_by label ${JSON.stringify(l)} must match ${LABEL_NAME_RE.source}`);
    }
  }
  for (const l of rule.externalLabels) {
    if (!LABEL_NAME_RE.test(l.name)) {
      errs.push(`external_labels name ${JSON.stringify(l.name)} must match ${LABEL_NAME_RE.source}`);
    }
  }
  if (rule.generation < 0) {
    errs.push('generation must be positive');
  }
  if (errs.length > 0) {
    throw new RecordingRuleError(`invalid request: ${errs.join('\n')}`, 'invalid');
  }
  return rule;
}

/** The profile type a rule records: the value of its `__profile_type__=` matcher ("unknown" without one). */
function profileTypeOf(matchers: string[]): string {
  for (const m of matchers) {
    try {
      const found = parseMatchers(m).find((x) => x.name === PROFILE_TYPE && x.op === '=');
      if (found) {
        return found.value;
      }
    } catch {
      // stored rules were validated; a matcher that no longer parses names no type
    }
  }
  return 'unknown';
}

function answer(r: RecordingRuleInput): RecordingRule {
  return { ...r, profileType: profileTypeOf(r.matchers) };
}

function requireId(id: string): string {
  const t = id.trim();
  if (t === '') {
    throw new RecordingRuleError('invalid request: id is required', 'invalid');
  }
  return t;
}

export class RecordingRulesRepository {
  constructor(
    private readonly store: ObjectStore,
    private readonly prefix: string,
    /** -recording-rules.max-rules-per-tenant of a tenant (0: no limit). */
    private readonly maxRulesFor: (tenant: string) => number
  ) {}

  private async read(tenant: string): Promise<{ doc: Doc; version: string | null }> {
    const got = await this.store.getVersioned(recordingRulesKey(this.prefix, tenant));
    if (!got) {
      return { doc: { generation: '0', elements: [] }, version: null };
    }
    return { doc: JSON.parse(got.data.toString('utf8')) as Doc, version: got.version };
  }

  /**
   * Reads the tenant's document, applies `change` to it and writes it back unless another process wrote first,
   * in which case the change is made again on what that process wrote. `change` throws to refuse.
   */
  private async update<T>(tenant: string, change: (rules: RecordingRuleInput[]) => T): Promise<T> {
    for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
      const { doc, version } = await this.read(tenant);
      const rules = doc.elements.map((r) => ({ ...r }));
      const out = change(rules);
      const next: Doc = { generation: String(Number(doc.generation) + 1), elements: rules };
      try {
        await this.store.put(recordingRulesKey(this.prefix, tenant), Buffer.from(JSON.stringify(next)), {
          ifVersion: version,
        });
        return out;
      } catch (e) {
        if (!(e instanceof ConflictError)) {
          throw e;
        }
      }
    }
    throw new ConflictError('recording rules changed concurrently too often; retry');
  }

  async list(tenant: string): Promise<RecordingRule[]> {
    return (await this.read(tenant)).doc.elements.map(answer);
  }

  async get(tenant: string, id: string): Promise<RecordingRule> {
    const want = requireId(id);
    const found = (await this.read(tenant)).doc.elements.find((r) => r.id === want);
    if (!found) {
      throw new RecordingRuleError(`no rule with id='${want}' found`, 'not_found');
    }
    return answer(found);
  }

  /**
   * Creates the rule (an empty or unknown id; generation 1) or replaces it when the generation the client sends
   * is the stored one (the stored generation plus one then). A new rule beyond the tenant's limit is refused; an
   * update never is.
   */
  async upsert(tenant: string, input: RecordingRuleInput): Promise<RecordingRule> {
    const rule = validate(input);
    const max = this.maxRulesFor(tenant);
    const stored = await this.update(tenant, (rules) => {
      const pos = rules.findIndex((r) => r.id === rule.id);
      if (pos < 0) {
        if (max > 0 && rules.length >= max) {
          throw new RecordingRuleError(`recording rules limit (${max}) exceeded for this tenant`, 'limit');
        }
        const created = { ...rule, generation: 1 };
        rules.push(created);
        return created;
      }
      if (rules[pos].generation !== rule.generation) {
        throw new RecordingRuleError(
          `conflicting update, please try again: observed_generation=${rule.generation}, store_generation=${rules[pos].generation}`,
          'stale'
        );
      }
      const updated = { ...rule, generation: rules[pos].generation + 1 };
      rules[pos] = updated;
      return updated;
    });
    return answer(stored);
  }

  async delete(tenant: string, id: string): Promise<void> {
    const want = requireId(id);
    await this.update(tenant, (rules) => {
      const pos = rules.findIndex((r) => r.id === want);
      if (pos < 0) {
        throw new RecordingRuleError(`no rule with ID='${want}' found`, 'not_found');
      }
      rules.splice(pos, 1);
    });
  }
}
