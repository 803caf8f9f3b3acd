// ExportProfilesServiceRequest (opentelemetry-proto v1.10.0, see release.ts) → series, the way Pyroscope's
// OTLP ingest (pkg/ingester/otlp) maps them:
// - labels: `__name__`, `__otel__="true"`, the resource's then the scope's string attributes with their keys
//   as sent (dots kept: `k8s.pod.name`), first occurrence of a key winning, and `service_name`;
// - service_name: a sample's own `service.name` attribute (samples are split by it), else the resource's
//   `service.name`, else `unknown_service[:<process.executable.name>]`;
// - `__name__`: samples/count with a cpu/nanoseconds period → `process_cpu`, values × period, sample type
//   cpu/nanoseconds; off_cpu/nanoseconds without period → `off_cpu`; anything else is named after its
//   period type (Pyroscope's rule), and without a period type it has no name and is rejected;
// - sample attributes (string, int, bool, double values; not service.name) → the sample's label set;
//   the linked span id → the sample's span (hex), its trace id → the sample's trace (hex).
// A sample's values are summed (one per occurrence); without values, each timestamp counts 1.
import type { AnyValue, KeyValue } from '../../gen/opentelemetry/proto/common/v1/common_pb.js';
import type { ExportProfilesServiceRequest } from '../../gen/opentelemetry/proto/collector/profiles/v1development/profiles_service_pb.js';
import type {
  Function as OtlpFunction,
  KeyValueAndUnit,
  Link,
  Location,
  Mapping,
  Profile,
  ProfilesDictionary,
  Stack,
} from '../../gen/opentelemetry/proto/profiles/v1development/profiles_pb.js';
import type { NormalizedProfile, ValueType } from '../../model/profile.js';
import { FormatError } from '../formatError.js';
import { uniqueSortedLabels } from '../../model/labels.js';
import { NormalizedProfileBuilder, type FormatOutput } from '../normalizedProfileBuilder.js';
import { decodeOtlpRequest, type OtlpDecodeOptions } from './decodeOtlpRequest.js';

const SERVICE_NAME_ATTR = 'service.name';
const EXECUTABLE_NAME_ATTR = 'process.executable.name';
const UNKNOWN_SERVICE = 'unknown_service';

/** Decodes and reads an OTLP profiles request body in one step. */
export function parseOtlp(
  body: Uint8Array,
  contentType: string | null | undefined,
  opts: OtlpDecodeOptions = {}
): FormatOutput[] {
  return readOtlpProfiles(decodeOtlpRequest(body, contentType, opts));
}

/** One entry per (profile, service) with at least one non-zero sample. */
export function readOtlpProfiles(req: ExportProfilesServiceRequest): FormatOutput[] {
  const out: FormatOutput[] = [];
  const hasProfiles = req.resourceProfiles.some((rp) => rp.scopeProfiles.some((sp) => sp.profiles.length > 0));
  if (!hasProfiles) {
    return out;
  }
  if (!req.dictionary) {
    throw new FormatError('OTLP profiles: the request has profiles but no dictionary');
  }
  const dict = new Dictionary(req.dictionary);
  let where = '';
  try {
    req.resourceProfiles.forEach((rp, i) => {
      where = `resource_profiles[${i}]`;
      const resourceAttrs = rp.resource?.attributes ?? [];
      const serviceName = resourceServiceName(resourceAttrs, dict);
      rp.scopeProfiles.forEach((sp, j) => {
        where = `resource_profiles[${i}].scope_profiles[${j}]`;
        const attrLabels = attributeLabels([resourceAttrs, sp.scope?.attributes ?? []], dict);
        sp.profiles.forEach((p, k) => {
          where = `resource_profiles[${i}].scope_profiles[${j}].profiles[${k}]`;
          const { name, byService } = convertProfile(p, dict);
          for (const [service, profile] of byService) {
            // service_name last: it wins over an attribute that happens to be called service_name
            const labels = uniqueSortedLabels([
              ['__name__', name],
              ['__otel__', 'true'],
              ...attrLabels,
              ['service_name', service || serviceName],
            ]);
            out.push({ labels, profile });
          }
        });
      });
    });
  } catch (e) {
    if (e instanceof FormatError) {
      throw new FormatError(`OTLP profiles: ${where}: ${e.message}`, e.status);
    }
    throw e;
  }
  return out;
}

interface ProfileType {
  name: string;
  sampleType: ValueType;
  periodType: ValueType;
  period: number;
  /** Values are multiplied by this (the period, when samples are counts of cpu periods). */
  scale: number;
}

function profileTypeOf(p: Profile, dict: Dictionary): ProfileType {
  if (!p.sampleType) {
    throw new FormatError('sample_type is missing');
  }
  const type = dict.string(p.sampleType.typeStrindex, 'sample_type.type_strindex');
  const unit = dict.string(p.sampleType.unitStrindex, 'sample_type.unit_strindex');
  const period = Number(p.period);
  const periodType: ValueType = p.periodType
    ? {
        type: dict.string(p.periodType.typeStrindex, 'period_type.type_strindex'),
        unit: dict.string(p.periodType.unitStrindex, 'period_type.unit_strindex'),
      }
    : { type: '', unit: '' };
  // Pyroscope leaves the period out of the type key when the period is 0.
  const keyPeriod = period !== 0 ? periodType : { type: '', unit: '' };
  const key = `${type}:${unit}:${keyPeriod.type}:${keyPeriod.unit}`;
  if (key === 'samples:count:cpu:nanoseconds') {
    return { name: 'process_cpu', sampleType: { type: 'cpu', unit: 'nanoseconds' }, periodType, period, scale: period };
  }
  if (key === 'off_cpu:nanoseconds::') {
    return { name: 'off_cpu', sampleType: { type, unit }, periodType, period, scale: 1 };
  }
  if (keyPeriod.type === '') {
    throw new FormatError(
      `cannot name profile type "${type}:${unit}": it is named after its period type, and period_type/period are unset`
    );
  }
  return { name: keyPeriod.type, sampleType: { type, unit }, periodType, period, scale: 1 };
}

/** Splits a profile by the samples' own service.name; services whose samples are all zero are left out. */
function convertProfile(p: Profile, dict: Dictionary): { name: string; byService: Map<string, NormalizedProfile> } {
  const type = profileTypeOf(p, dict);
  const timeMs = Number(p.timeUnixNano / 1_000_000n);
  const groups = new Map<string, ProfileConverter>();
  p.samples.forEach((s, i) => {
    let service = '';
    const labels: Array<[string, string]> = [];
    for (const ai of s.attributeIndices) {
      const attr = dict.attribute(ai, `samples[${i}].attribute_indices`);
      const key = dict.string(attr.keyStrindex, `attribute_table[${ai}].key_strindex`);
      const value = anyValueString(attr.value, dict);
      if (key === SERVICE_NAME_ATTR) {
        service = value ?? '';
      } else if (key !== '' && value !== undefined && value !== '') {
        labels.push([key, value]);
      }
    }
    let group = groups.get(service);
    if (!group) {
      group = new ProfileConverter(dict, type, timeMs, Number(p.durationNano));
      groups.set(service, group);
    }
    const value = sampleValue(s.values, s.timestampsUnixNano.length, i) * type.scale;
    group.addSample(s.stackIndex, value, labels, s.linkIndex, i);
  });
  const byService = new Map<string, NormalizedProfile>();
  for (const [service, g] of groups) {
    if (!g.b.isEmpty()) {
      byService.set(service, g.b.build());
    }
  }
  return { name: type.name, byService };
}

function sampleValue(values: bigint[], timestamps: number, i: number): number {
  if (values.length > 0) {
    let sum = 0;
    for (const v of values) {
      sum += Number(v);
    }
    return sum;
  }
  if (timestamps > 0) {
    return timestamps;
  }
  throw new FormatError(`samples[${i}] has neither values nor timestamps`);
}

/** One normalized profile under construction, with the OTLP location → frame ids cache it needs. */
class ProfileConverter {
  readonly b: NormalizedProfileBuilder;
  private readonly locationFrames = new Map<number, number[]>();
  private readonly stackFrames = new Map<number, number[]>();

  constructor(
    private readonly dict: Dictionary,
    type: ProfileType,
    timeMs: number,
    durationNanos: number
  ) {
    this.b = new NormalizedProfileBuilder({
      sampleTypes: [type.sampleType],
      periodType: type.periodType,
      period: type.period,
      timeMs,
      durationNanos,
    });
  }

  addSample(stackIndex: number, value: number, labels: Array<[string, string]>, linkIndex: number, i: number): void {
    const frames = this.frames(stackIndex, i);
    let span = '';
    let trace = '';
    if (linkIndex !== 0) {
      const link = this.dict.link(linkIndex, `samples[${i}].link_index`);
      span = Buffer.from(link.spanId).toString('hex');
      trace = link.traceId.some((b) => b !== 0) ? Buffer.from(link.traceId).toString('hex') : '';
    }
    this.b.addSample(this.b.stack(frames), [value], this.b.labelSet(labels), span, trace);
  }

  private frames(stackIndex: number, i: number): number[] {
    let frames = this.stackFrames.get(stackIndex);
    if (!frames) {
      frames = [];
      const stack = this.dict.stack(stackIndex, `samples[${i}].stack_index`);
      for (const li of stack.locationIndices) {
        for (const f of this.location(li, stackIndex)) {
          frames.push(f);
        }
      }
      this.stackFrames.set(stackIndex, frames);
    }
    return frames;
  }

  // A location's lines are its inlined calls innermost first, so they are already in leaf-first order.
  private location(li: number, stackIndex: number): number[] {
    let frames = this.locationFrames.get(li);
    if (!frames) {
      const loc = this.dict.location(li, `stack_table[${stackIndex}].location_indices`);
      frames = [];
      for (const line of loc.lines) {
        const fn = this.dict.function(line.functionIndex, `location_table[${li}].lines.function_index`);
        const name = this.dict.string(fn.nameStrindex, 'function.name_strindex');
        const systemName = this.dict.string(fn.systemNameStrindex, 'function.system_name_strindex');
        const file = this.dict.string(fn.filenameStrindex, 'function.filename_strindex');
        frames.push(
          this.b.frame(this.b.function(name, systemName || name, file, Number(fn.startLine)), Number(line.line))
        );
      }
      if (frames.length === 0) {
        frames.push(this.b.frame(this.b.function(this.unsymbolizedName(loc, li))));
      }
      this.locationFrames.set(li, frames);
    }
    return frames;
  }

  // An address without symbols (eBPF native frames before symbolization) still needs a name to show:
  // the binary it is in and the address.
  private unsymbolizedName(loc: Location, li: number): string {
    const mapping = this.dict.mapping(loc.mappingIndex, `location_table[${li}].mapping_index`);
    const file = this.dict.string(mapping.filenameStrindex, 'mapping.filename_strindex');
    const addr = `0x${loc.address.toString(16)}`;
    return file ? `${file.slice(file.lastIndexOf('/') + 1)} ${addr}` : addr;
  }
}

/**
 * Bounds-checked access to the request's dictionary. Index 0 is the zero value of every table: when a
 * sender leaves a table empty, index 0 still means "unset" instead of failing.
 */
class Dictionary {
  constructor(private readonly d: ProfilesDictionary) {}

  string(i: number, what: string): string {
    return this.at(this.d.stringTable, i, what, 'string_table', '');
  }
  attribute(i: number, what: string): KeyValueAndUnit {
    return this.at(this.d.attributeTable, i, what, 'attribute_table', ZERO_ATTRIBUTE);
  }
  stack(i: number, what: string): Stack {
    return this.at(this.d.stackTable, i, what, 'stack_table', ZERO_STACK);
  }
  location(i: number, what: string): Location {
    return this.at(this.d.locationTable, i, what, 'location_table', ZERO_LOCATION);
  }
  function(i: number, what: string): OtlpFunction {
    return this.at(this.d.functionTable, i, what, 'function_table', ZERO_FUNCTION);
  }
  mapping(i: number, what: string): Mapping {
    return this.at(this.d.mappingTable, i, what, 'mapping_table', ZERO_MAPPING);
  }
  link(i: number, what: string): Link {
    return this.at(this.d.linkTable, i, what, 'link_table', ZERO_LINK);
  }

  private at<T>(table: T[], i: number, what: string, tableName: string, zero: T): T {
    if (i === 0 && table.length === 0) {
      return zero;
    }
    if (!Number.isInteger(i) || i < 0 || i >= table.length) {
      throw new FormatError(`${what} ${i} is out of range: ${tableName} has ${table.length} entries`);
    }
    return table[i];
  }
}

// Plain zero values (not generated message instances): only their fields are read.
const ZERO_ATTRIBUTE = { keyStrindex: 0, unitStrindex: 0 } as KeyValueAndUnit;
const ZERO_STACK = { locationIndices: [] as number[] } as Stack;
const ZERO_LOCATION = {
  mappingIndex: 0,
  address: 0n,
  lines: [],
  attributeIndices: [] as number[],
} as unknown as Location;
const ZERO_FUNCTION = { nameStrindex: 0, systemNameStrindex: 0, filenameStrindex: 0, startLine: 0n } as OtlpFunction;
const ZERO_MAPPING = { filenameStrindex: 0 } as Mapping;
const ZERO_LINK = { traceId: new Uint8Array(0), spanId: new Uint8Array(0) } as Link;

/** A value as label text; arrays, maps and bytes have no label form and are skipped. */
function anyValueString(v: AnyValue | undefined, dict: Dictionary): string | undefined {
  switch (v?.value.case) {
    case 'stringValue':
      return v.value.value;
    case 'stringValueStrindex':
      return dict.string(v.value.value, 'any_value.string_value_strindex');
    case 'intValue':
      return v.value.value.toString();
    case 'boolValue':
      return v.value.value ? 'true' : 'false';
    case 'doubleValue':
      return String(v.value.value);
    default:
      return undefined;
  }
}

function keyOf(kv: KeyValue, dict: Dictionary): string {
  return kv.key !== '' ? kv.key : kv.keyStrindex !== 0 ? dict.string(kv.keyStrindex, 'key_value.key_strindex') : '';
}

/** Resource and scope attributes become series labels only when their value is a (non-empty) string. */
function stringAttribute(kv: KeyValue, dict: Dictionary): string {
  const c = kv.value?.value;
  if (c?.case === 'stringValue') {
    return c.value;
  }
  if (c?.case === 'stringValueStrindex') {
    return dict.string(c.value, 'any_value.string_value_strindex');
  }
  return '';
}

function attributeLabels(levels: KeyValue[][], dict: Dictionary): Array<[string, string]> {
  const seen = new Set<string>(['__name__']);
  const out: Array<[string, string]> = [];
  for (const attrs of levels) {
    for (const kv of attrs) {
      const key = keyOf(kv, dict);
      const value = stringAttribute(kv, dict);
      if (key === '' || value === '' || seen.has(key)) {
        continue;
      }
      seen.add(key);
      out.push([key, value]);
    }
  }
  return out;
}

// As the OpenTelemetry semantic conventions define a missing service.name.
function resourceServiceName(attrs: KeyValue[], dict: Dictionary): string {
  let fallback = UNKNOWN_SERVICE;
  for (const kv of attrs) {
    const key = keyOf(kv, dict);
    const value = stringAttribute(kv, dict);
    if (key === SERVICE_NAME_ATTR && value !== '') {
      return value;
    }
    if (key === EXECUTABLE_NAME_ATTR && value !== '') {
      fallback = `${UNKNOWN_SERVICE}:${value}`;
    }
  }
  return fallback;
}
