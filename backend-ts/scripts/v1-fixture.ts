// Writes test/fixtures/v1-segment.seg: a small segment object in storage format version 1. The committed file was
// made by this script at the commit before format version 2 (issue 14), with the segment writer of that time, so
// the compatibility test reads bytes real stores hold; the version 1 encoder kept since then writes the same bytes
// (`--check` compares instead of writing). Deterministic: fixed times, ids and createdAt.
//   node --import tsx backend-ts/scripts/v1-fixture.ts [--check]
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parsePprof } from '../src/formats/pprof.js';
import type { IngestProfile } from '../src/model/profile.js';
import { SegmentBuilder } from '../src/storage/format/builder.js';
import { handPprof } from '../test/wire.js';

/** 2023-11-14T22:13:20Z: every profile of the fixture lies in the hour that starts 13 min 20 s before it. */
export const V1_T0 = 1_700_000_000_000;
export const V1_FIXTURE = join(dirname(fileURLToPath(import.meta.url)), '../test/fixtures/v1-segment.seg');

function profile(
  service: string,
  extra: Array<[string, string]>,
  name: string,
  timeMs: number,
  pprof: Parameters<typeof handPprof>[0],
  id?: string
): IngestProfile {
  return {
    labels: [['service_name', service], ['__name__', name], ...extra],
    profile: parsePprof(handPprof(pprof)),
    timeMs,
    ...(id ? { id } : {}),
  };
}

export function v1Profiles(): IngestProfile[] {
  const cpu = (scale: number) => ({
    sampleTypes: [['cpu', 'nanoseconds']] as Array<[string, string]>,
    periodType: ['cpu', 'nanoseconds'] as [string, string],
    period: 10_000_000,
    samples: [
      { stack: ['work', 'main'], values: [300 * scale], labels: { span_id: '00000000000000aa' } },
      { stack: ['idle', 'main'], values: [100 * scale] },
    ],
  });
  return [
    profile('fixture-a', [['pod', 'a-0']], 'process_cpu', V1_T0 + 1000, cpu(1)),
    profile(
      'fixture-b',
      [['pod', 'b-0']],
      'memory',
      V1_T0 + 2000,
      {
        sampleTypes: [
          ['alloc_objects', 'count'],
          ['alloc_space', 'bytes'],
        ],
        periodType: ['space', 'bytes'],
        period: 524288,
        samples: [{ stack: ['alloc', 'main'], values: [2, 4096] }],
      },
      'client-1'
    ),
    profile('fixture-a', [['pod', 'a-0']], 'process_cpu', V1_T0 + 3000, cpu(2)),
  ];
}

function build(): Buffer {
  // the version 1 encoder is kept for this fixture; --check shows it still writes what the old writer wrote
  const b = new SegmentBuilder('anonymous', { version: 1 });
  for (const p of v1Profiles()) {
    b.add(p);
  }
  return b.encode(V1_T0 + 5000);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const bytes = build();
  if (process.argv.includes('--check')) {
    const same = Buffer.compare(bytes, readFileSync(V1_FIXTURE)) === 0;
    console.log(same ? 'v1 fixture: identical' : 'v1 fixture: DIFFERS');
    process.exitCode = same ? 0 : 1;
  } else {
    writeFileSync(V1_FIXTURE, bytes);
    console.log(`wrote ${V1_FIXTURE} (${bytes.length} bytes)`);
  }
}
