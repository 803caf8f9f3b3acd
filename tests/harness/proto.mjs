// Just enough protocol-buffers wire format for the messages Grafana's Pyroscope data source exchanges with the
// server (binary Connect, `application/proto`). Hand-written so that the harness shares no code with backend-ts:
// a field-number slip on either side then shows up as a wrong answer instead of cancelling out.

const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;
const WIRE_I32 = 5;

export class ProtoWriter {
  constructor() {
    this.bytes = [];
  }

  varint(v) {
    let n = BigInt.asUintN(64, BigInt(v));
    while (n >= 0x80n) {
      this.bytes.push(Number(n & 0x7fn) | 0x80);
      n >>= 7n;
    }
    this.bytes.push(Number(n));
    return this;
  }

  tag(field, wire) {
    return this.varint((field << 3) | wire);
  }

  /** proto3 scalar: a zero value is not written, as the Go encoder does for non-optional fields */
  int64(field, v) {
    return v ? this.tag(field, WIRE_VARINT).varint(v) : this;
  }

  /** `optional int64`: written whenever present, zero included */
  optionalInt64(field, v) {
    return v === undefined || v === null ? this : this.tag(field, WIRE_VARINT).varint(v);
  }

  double(field, v) {
    if (!v) {
      return this;
    }
    const b = Buffer.alloc(8);
    b.writeDoubleLE(v);
    this.tag(field, WIRE_I64);
    this.bytes.push(...b);
    return this;
  }

  string(field, s) {
    return s ? this.bytesField(field, Buffer.from(s, 'utf8')) : this;
  }

  repeatedString(field, list) {
    for (const s of list ?? []) {
      this.bytesField(field, Buffer.from(String(s), 'utf8'));
    }
    return this;
  }

  bytesField(field, buf) {
    this.tag(field, WIRE_LEN).varint(buf.length);
    this.bytes.push(...buf);
    return this;
  }

  finish() {
    return Buffer.from(this.bytes);
  }
}

/** Reads one message: `fields` maps a field number to every value seen for it, in order. */
export function readMessage(buf) {
  const fields = new Map();
  let pos = 0;
  const varint = () => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= buf.length) {
        throw new Error('proto: truncated varint');
      }
      const b = buf[pos++];
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) {
        return result;
      }
      shift += 7n;
      if (shift > 63n) {
        throw new Error('proto: varint too long');
      }
    }
  };
  while (pos < buf.length) {
    const key = Number(varint());
    const field = key >>> 3;
    const wire = key & 7;
    let value;
    if (wire === WIRE_VARINT) {
      value = { wire, varint: varint() };
    } else if (wire === WIRE_I64) {
      value = { wire, bytes: buf.subarray(pos, pos + 8) };
      pos += 8;
    } else if (wire === WIRE_LEN) {
      const len = Number(varint());
      value = { wire, bytes: buf.subarray(pos, pos + len) };
      pos += len;
    } else if (wire === WIRE_I32) {
      value = { wire, bytes: buf.subarray(pos, pos + 4) };
      pos += 4;
    } else {
      throw new Error(`proto: unsupported wire type ${wire}`);
    }
    if (pos > buf.length) {
      throw new Error('proto: truncated field');
    }
    if (!fields.has(field)) {
      fields.set(field, []);
    }
    fields.get(field).push(value);
  }
  return fields;
}

export const get = {
  int64(fields, n) {
    const v = fields.get(n)?.at(-1);
    return v ? Number(BigInt.asIntN(64, v.varint)) : 0;
  },
  double(fields, n) {
    const v = fields.get(n)?.at(-1);
    return v ? v.bytes.readDoubleLE(0) : 0;
  },
  string(fields, n) {
    const v = fields.get(n)?.at(-1);
    return v ? v.bytes.toString('utf8') : '';
  },
  strings(fields, n) {
    return (fields.get(n) ?? []).map((v) => v.bytes.toString('utf8'));
  },
  messages(fields, n) {
    return (fields.get(n) ?? []).map((v) => readMessage(v.bytes));
  },
  message(fields, n) {
    const v = fields.get(n)?.at(-1);
    return v ? readMessage(v.bytes) : undefined;
  },
  /** `repeated int64`, packed (how proto3 writes it) or not */
  int64s(fields, n) {
    const out = [];
    for (const v of fields.get(n) ?? []) {
      if (v.wire === WIRE_VARINT) {
        out.push(Number(BigInt.asIntN(64, v.varint)));
        continue;
      }
      let pos = 0;
      const b = v.bytes;
      while (pos < b.length) {
        let result = 0n;
        let shift = 0n;
        for (;;) {
          if (pos >= b.length) {
            throw new Error('proto: truncated packed varint');
          }
          const x = b[pos++];
          result |= BigInt(x & 0x7f) << shift;
          if (x < 0x80) {
            break;
          }
          shift += 7n;
        }
        out.push(Number(BigInt.asIntN(64, result)));
      }
    }
    return out;
  },
};
