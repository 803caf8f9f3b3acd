// multipart/form-data bodies as the Go SDK (profile, sample_type_config) and the Java agent (jfr, labels) send them.
import Busboy from 'busboy';
import { FormatError } from '../formats/formatError.js';

export function parseMultipart(body: Buffer, contentType: string, maxFieldBytes: number): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    let bb: Busboy.Busboy;
    try {
      bb = Busboy({
        headers: { 'content-type': contentType },
        limits: { fileSize: maxFieldBytes, fieldSize: maxFieldBytes, files: 16, fields: 16 },
      });
    } catch (e) {
      reject(new FormatError(`invalid multipart body: ${(e as Error).message}`));
      return;
    }
    const parts = new Map<string, Buffer>();
    let failed: Error | null = null;
    bb.on('file', (name, stream) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('limit', () => {
        failed = new FormatError(`multipart field "${name}" is larger than ${maxFieldBytes} bytes`, 413);
      });
      stream.on('end', () => parts.set(name, Buffer.concat(chunks)));
    });
    bb.on('field', (name, value) => parts.set(name, Buffer.from(value)));
    bb.on('error', (e: Error) => reject(new FormatError(`invalid multipart body: ${e.message}`)));
    bb.on('close', () => (failed ? reject(failed) : resolve(parts)));
    bb.end(body);
  });
}
