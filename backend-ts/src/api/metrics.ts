// Prometheus metrics served on /metrics.
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class Metrics {
  readonly registry = new Registry();
  readonly ingestedBytes = new Counter({
    name: 'pyroscope_distributor_received_compressed_bytes_total',
    help: 'Bytes of profile bodies received, as sent (compressed).',
    labelNames: ['tenant', 'type'],
    registers: [this.registry],
  });
  readonly ingestedProfiles = new Counter({
    name: 'pyroscope_distributor_received_samples_total',
    help: 'Profiles accepted and stored.',
    labelNames: ['tenant', 'type'],
    registers: [this.registry],
  });
  readonly rejected = new Counter({
    name: 'pyroscope_discarded_samples_total',
    help: 'Requests rejected, by reason (HTTP status).',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly requestDuration = new Histogram({
    name: 'pyroscope_request_duration_seconds',
    help: 'Time spent serving HTTP requests, by route and status.',
    labelNames: ['method', 'route', 'status_code'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly storageErrors = new Counter({
    name: 'pyroscope_storage_errors_total',
    help: 'Failed object store operations.',
    labelNames: ['operation'],
    registers: [this.registry],
  });
  readonly segmentsWritten = new Counter({
    name: 'pyroscope_segment_objects_written_total',
    help: 'Segment objects written.',
    registers: [this.registry],
  });
  readonly segmentBytes = new Counter({
    name: 'pyroscope_segment_bytes_written_total',
    help: 'Bytes of segment objects written.',
    registers: [this.registry],
  });
  readonly flushDuration = new Histogram({
    name: 'pyroscope_segment_flush_duration_seconds',
    help: 'Time to write one batch.',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
    registers: [this.registry],
  });
  readonly compactionSourceLag = new Histogram({
    name: 'pyroscope_compaction_source_lag_seconds',
    help: 'Age of each level-0 segment when the index recorded it as held by a block (written to compacted).',
    buckets: [5, 15, 30, 45, 60, 75, 90, 105, 120, 150, 180, 240, 300, 600],
    registers: [this.registry],
  });
  readonly compactionLagStage = new Histogram({
    name: 'pyroscope_compaction_lag_stage_seconds',
    help: "Where the oldest segment of each level-0 compaction waited: minute (its folder closing and settling), schedule (for a pass to start), queue (the pass's earlier work), work (lease, reads, merge, block, index).",
    labelNames: ['stage'],
    buckets: [0.1, 0.5, 1, 2.5, 5, 10, 15, 30, 45, 60, 90, 120, 300],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}
