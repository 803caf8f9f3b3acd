import type { ByteReader } from './byte-reader.js';

export const CHUNK_HEADER_SIZE = 68;
const MAGIC = 0x464c5200; // "FLR\0"

export interface ChunkHeader {
  /** Absolute offsets into the recording. */
  start: number;
  end: number;
  constantPoolOffset: number;
  metadataOffset: number;
  startNanos: number;
  durationNanos: number;
  startTicks: number;
  ticksPerSecond: number;
  features: number;
  major: number;
  minor: number;
}

/** Reads the fixed 68-byte header at `r.pos` and checks that the chunk lies inside the recording. */
export function readChunkHeader(r: ByteReader): ChunkHeader {
  const start = r.pos;
  r.end = r.buf.length;
  if (r.buf.length - start < CHUNK_HEADER_SIZE) {
    r.fail('truncated chunk header', start);
  }
  const magic = r.u32be();
  if (magic !== MAGIC) {
    r.fail('not a JFR chunk (bad magic)', start);
  }
  const major = r.u16be();
  const minor = r.u16be();
  // 1.x is JDK 11's layout; 2.x adds nothing that changes how we read. 0.9 (JDK 8 JRockit-era) differs.
  if (major !== 1 && major !== 2) {
    r.fail(`unsupported JFR version ${major}.${minor}`, start);
  }
  const size = r.i64be();
  const constantPoolOffset = r.i64be();
  const metadataOffset = r.i64be();
  const startNanos = r.i64be();
  const durationNanos = r.i64be();
  const startTicks = r.i64be();
  const ticksPerSecond = r.i64be();
  const features = r.u32be();
  if (!(size >= CHUNK_HEADER_SIZE) || size > r.buf.length - start) {
    r.fail(`chunk size ${size} does not fit the ${r.buf.length - start} bytes left (truncated recording?)`, start);
  }
  if (!(metadataOffset >= CHUNK_HEADER_SIZE && metadataOffset < size)) {
    r.fail(`metadata offset ${metadataOffset} outside chunk`, start);
  }
  if (!(constantPoolOffset >= CHUNK_HEADER_SIZE && constantPoolOffset < size)) {
    r.fail(`constant pool offset ${constantPoolOffset} outside chunk`, start);
  }
  return {
    start,
    end: start + size,
    constantPoolOffset: start + constantPoolOffset,
    metadataOffset: start + metadataOffset,
    startNanos,
    durationNanos,
    startTicks,
    ticksPerSecond,
    features,
    major,
    minor,
  };
}
