// Azure Blob Storage object store (also Azurite). Every call is bounded by a client-side timeout because the SDK
// has none (a stalled store would otherwise hang requests forever); failures surface as StoreUnavailableError.
import { createPipelineRequest, type PipelineRequest, type PipelineResponse } from '@azure/core-rest-pipeline';
import { BlobServiceClient, StorageSharedKeyCredential, type ContainerClient } from '@azure/storage-blob';
import {
  ConflictError,
  NotFoundError,
  StoreUnavailableError,
  type Lease,
  type ObjectInfo,
  type ObjectStore,
} from './objectStore.js';

export interface AzureOptions {
  accountName: string;
  accountKey: string;
  connectionString: string;
  containerName: string;
  endpointSuffix: string;
  maxRetries: number;
  /**
   * Per-call timeout in ms (default 10 s): a hung store (network partition, a stopped Azurite) fails the call
   * with StoreUnavailableError, so ingest answers 503 before agents give up on their side (Alloy: 10 s).
   */
  timeoutMs?: number;
  /** Timeout of whole-object reads (default 60 s): blocks can be large, and only queries wait for them. */
  readTimeoutMs?: number;
  /** Blobs per listing page (Azure's most, 5,000, unless a test wants pages). */
  listPageSize?: number;
}

/** The container's own HTTP client (the SDK's, so requests are signed, retried and logged as every SDK call). */
interface RawClient {
  sendRequest(request: PipelineRequest): Promise<PipelineResponse>;
  /** The REST API version the SDK speaks (x-ms-version). */
  version: string;
}

const XML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function xmlText(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (m, e: string) =>
    e[0] === '#'
      ? String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10))
      : (XML_ENTITIES[e] ?? m)
  );
}

/**
 * One page of a List Blobs answer: the blobs' names and sizes into `out`, and the next marker ('' at the end).
 * Only these two fields are read; the SDK turns every property of every blob into objects (through a generic
 * XML parser and its type mapper), which at ~600 level-0 segments per minute folder was a sixth of a reader's CPU.
 * A name Azure had to percent-encode (characters XML cannot carry) comes with Encoded="true".
 */
export function parseListPage(xml: string, out: ObjectInfo[]): string {
  for (const m of xml.matchAll(/<Blob>([\s\S]*?)<\/Blob>/g)) {
    const body = m[1];
    const name = /<Name( Encoded="true")?>([^<]*)<\/Name>/.exec(body);
    if (!name) {
      throw new Error('a listed blob without a name');
    }
    const size = /<Content-Length>(\d+)<\/Content-Length>/.exec(body);
    const text = xmlText(name[2]);
    out.push({ key: name[1] ? decodeURIComponent(text) : text, size: size ? Number(size[1]) : 0 });
  }
  const next = /<NextMarker>([^<]*)<\/NextMarker>/.exec(xml);
  return next ? xmlText(next[1]) : '';
}

/** A blob's URL as the SDK makes it (each path segment percent-encoded), before the container URL's SAS, if any. */
export function blobUrl(containerUrl: string, key: string): string {
  const q = containerUrl.indexOf('?');
  const base = q < 0 ? containerUrl : containerUrl.slice(0, q);
  return `${base}/${key.split('/').map(encodeURIComponent).join('/')}${q < 0 ? '' : containerUrl.slice(q)}`;
}

/** The 409 error codes that answer a write condition or a lease: the blob exists, a lease is held or moved. */
const CONFLICT_CODES = new Set([
  'BlobAlreadyExists',
  'ContainerAlreadyExists',
  'LeaseAlreadyPresent',
  'LeaseIdMismatchWithLeaseOperation',
  'LeaseIsBreakingAndCannotBeAcquired',
  'LeaseIsBrokenAndCannotBeRenewed',
]);

/**
 * Whether a failed request is a write condition's answer (ConflictError: the caller's own logic decides) rather
 * than a refusal. Every 412 is one (a condition did not hold); a 409 only with one of CONFLICT_CODES (or none
 * given). Azurite answers every write with 409 MemoryExtentStoreAtSizeLimit once its in-memory store is full,
 * and Azure uses 409 for a container being deleted or disabled: taken for "already exists", those made the
 * writer read back objects that were never written and answer 503 with a misleading reason.
 */
function isConflict(e: unknown): boolean {
  const { statusCode, code } = e as { statusCode?: number; code?: string };
  if (statusCode === 412) {
    return true;
  }
  return statusCode === 409 && (!code || CONFLICT_CODES.has(code));
}

/** An answer of the raw client: status, ETag, and the body when the status was one of those asked to stream. */
interface RawAnswer {
  status: number;
  etag: string;
  body: Buffer | null;
  /** Azure's error code (<Code>…</Code>), when the answer was an error document. */
  code: string;
}

export class AzureStore implements ObjectStore {
  readonly kind = 'azure';
  private readonly container: ContainerClient;
  private readonly timeoutMs: number;
  private readonly readTimeoutMs: number;

  constructor(private readonly opts: AzureOptions) {
    const retryOptions = { maxTries: Math.max(1, opts.maxRetries + 1) };
    let svc: BlobServiceClient;
    if (opts.connectionString) {
      svc = BlobServiceClient.fromConnectionString(opts.connectionString, { retryOptions });
    } else {
      if (!opts.accountName || !opts.accountKey) {
        throw new Error('storage.azure: set connection_string, or account_name and account_key');
      }
      if (!opts.endpointSuffix) {
        throw new Error('storage.azure.endpoint_suffix must not be empty');
      }
      const cred = new StorageSharedKeyCredential(opts.accountName, opts.accountKey);
      svc = new BlobServiceClient(`https://${opts.accountName}.${opts.endpointSuffix}`, cred, { retryOptions });
    }
    this.container = svc.getContainerClient(opts.containerName);
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.readTimeoutMs = opts.readTimeoutMs ?? 60_000;
  }

  private signal(): AbortSignal {
    return AbortSignal.timeout(this.timeoutMs);
  }

  private wrap(what: string, e: unknown): Error {
    const status = (e as { statusCode?: number }).statusCode;
    if (status === 404) {
      return new NotFoundError(`${what}: not found`);
    }
    if (isConflict(e)) {
      return new ConflictError(`${what}: ${(e as Error).message.split('\n')[0]}`);
    }
    return new StoreUnavailableError(
      `${what} failed on Azure container ${this.opts.containerName}: ${(e as Error).message.split('\n')[0]}`
    );
  }

  /** The container's pipeline (the SDK's signing, retries and logging), for requests made without its models. */
  private get raw(): RawClient {
    return (this.container as unknown as { storageClientContext: RawClient }).storageClientContext;
  }

  /**
   * Sends one GET through the container's pipeline and reads the body of the `stream` statuses whole; `deadline`
   * is a timeout in ms or a signal shared with other requests (a listing's pages).
   * Reads go this way rather than through BlobClient.download(): that makes a client object per blob, maps
   * every response header into a typed model and wraps the body in a retrying stream, ~1 ms of CPU a read
   * (a cold query reads hundreds of objects, compaction thousands); the request on the wire is the same.
   */
  private async send(
    url: string,
    headers: Record<string, string>,
    stream: number[],
    deadline: number | AbortSignal
  ): Promise<RawAnswer> {
    const client = this.raw;
    const req = createPipelineRequest({
      url,
      method: 'GET',
      abortSignal: typeof deadline === 'number' ? AbortSignal.timeout(deadline) : deadline,
      // Azurite and other http endpoints, as the SDK allows them for its own requests
      allowInsecureConnection: url.startsWith('http:'),
      streamResponseStatusCodes: new Set(stream),
    });
    req.headers.set('x-ms-version', client.version);
    for (const [k, v] of Object.entries(headers)) {
      req.headers.set(k, v);
    }
    const res = await client.sendRequest(req);
    let body: Buffer | null = null;
    if (res.readableStreamBody) {
      const chunks: Buffer[] = [];
      for await (const c of res.readableStreamBody as AsyncIterable<Buffer>) {
        chunks.push(c);
      }
      body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
    }
    const code = /<Code>([^<]*)<\/Code>/.exec(res.bodyAsText ?? '');
    return { status: res.status, etag: res.headers.get('etag') ?? '', body, code: code ? code[1] : '' };
  }

  /** The error of a read answered with an unexpected status, as the SDK's errors carry it (see wrap()). */
  private static failed(a: RawAnswer): Error {
    return Object.assign(new Error(`HTTP ${a.status}${a.code ? ` ${a.code}` : ''}`), {
      statusCode: a.status,
      code: a.code || undefined,
    });
  }

  async init(): Promise<void> {
    try {
      await this.container.createIfNotExists({ abortSignal: this.signal() });
    } catch (e) {
      throw this.wrap('creating the container', e);
    }
  }

  async put(
    key: string,
    data: Uint8Array,
    opts: { ifAbsent?: boolean; ifVersion?: string | null } = {}
  ): Promise<string | undefined> {
    const conditions =
      opts.ifAbsent || opts.ifVersion === null
        ? { ifNoneMatch: '*' }
        : opts.ifVersion
          ? { ifMatch: opts.ifVersion }
          : undefined;
    try {
      const res = await this.container.getBlockBlobClient(key).upload(data, data.byteLength, {
        conditions,
        abortSignal: this.signal(),
        blobHTTPHeaders: { blobContentType: 'application/octet-stream' },
      });
      return res.etag;
    } catch (e) {
      throw this.wrap(`writing ${key}`, e);
    }
  }

  /** The whole blob in one GET (downloadToBuffer asked for its properties first: two round trips). */
  async get(key: string): Promise<Buffer> {
    let a: RawAnswer;
    try {
      a = await this.send(blobUrl(this.container.url, key), {}, [200], this.readTimeoutMs);
    } catch (e) {
      throw this.wrap(`reading ${key}`, e);
    }
    if (a.status !== 200 || !a.body) {
      throw this.wrap(`reading ${key}`, AzureStore.failed(a));
    }
    return a.body;
  }

  async getVersioned(key: string): Promise<{ data: Buffer; version: string } | null> {
    let a: RawAnswer;
    try {
      a = await this.send(blobUrl(this.container.url, key), {}, [200], this.timeoutMs);
    } catch (e) {
      throw this.wrap(`reading ${key}`, e);
    }
    if (a.status === 404) {
      return null;
    }
    if (a.status !== 200 || !a.body) {
      throw this.wrap(`reading ${key}`, AzureStore.failed(a));
    }
    return { data: a.body, version: a.etag };
  }

  async getIfChanged(key: string, version: string): Promise<{ data: Buffer; version: string } | 'unchanged' | null> {
    let a: RawAnswer;
    try {
      a = await this.send(blobUrl(this.container.url, key), { 'if-none-match': version }, [200], this.timeoutMs);
    } catch (e) {
      throw this.wrap(`reading ${key}`, e);
    }
    if (a.status === 304) {
      return 'unchanged';
    }
    if (a.status === 404) {
      return null;
    }
    if (a.status !== 200 || !a.body) {
      throw this.wrap(`reading ${key}`, AzureStore.failed(a));
    }
    return { data: a.body, version: a.etag };
  }

  async getRange(key: string, offset: number, length: number): Promise<Buffer> {
    // a range past the end gives the bytes there are (416 when it starts past the end); a large range (a
    // block's datasets, read by a query) gets the read timeout of whole reads
    const timeout = length > 1 << 20 ? this.readTimeoutMs : this.timeoutMs;
    let a: RawAnswer;
    try {
      a = await this.send(
        blobUrl(this.container.url, key),
        { 'x-ms-range': `bytes=${offset}-${offset + length - 1}` },
        [200, 206],
        timeout
      );
    } catch (e) {
      throw this.wrap(`reading ${key}`, e);
    }
    if (a.status === 416) {
      return Buffer.alloc(0);
    }
    if ((a.status !== 206 && a.status !== 200) || !a.body) {
      throw this.wrap(`reading ${key}`, AzureStore.failed(a));
    }
    return a.body;
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const out: ObjectInfo[] = [];
    // one deadline for all pages of the listing
    const signal = this.signal();
    try {
      let marker = '';
      do {
        // the container's URL may carry a SAS token: the listing's parameters are added to it, each with
        // encodeURIComponent (URLSearchParams writes a space as '+', which the signature reads as a '+')
        // a parameter with an empty value is left out, as the SDK does (its signature skips such parameters)
        const params: Array<[string, string]> = [
          ['restype', 'container'],
          ['comp', 'list'],
          ['prefix', prefix],
          ['maxresults', String(this.opts.listPageSize ?? 5000)],
          ['marker', marker],
        ].filter((p): p is [string, string] => p[1] !== '');
        const base = this.container.url;
        const url = `${base}${base.includes('?') ? '&' : '?'}${params
          .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
          .join('&')}`;
        // the body is handed over unread (no XML parse by the pipeline)
        const a = await this.send(url, {}, [200], signal);
        if (a.status !== 200 || !a.body) {
          // Azure's error document names the reason (<Code>AuthorizationFailure</Code>, say)
          throw AzureStore.failed(a);
        }
        marker = parseListPage(a.body.toString('utf8'), out);
      } while (marker);
    } catch (e) {
      throw this.wrap(`listing ${prefix}`, e);
    }
    return out;
  }

  async listPrefixes(prefix: string): Promise<string[]> {
    const out: string[] = [];
    try {
      for await (const item of this.container.listBlobsByHierarchy('/', { prefix, abortSignal: this.signal() })) {
        if (item.kind === 'prefix') {
          out.push(item.name.slice(prefix.length).replace(/\/$/, ''));
        }
      }
    } catch (e) {
      throw this.wrap(`listing ${prefix}`, e);
    }
    return out.sort();
  }

  /**
   * A blob lease as a cross-process lock: the lock blob is created once, then leased for the ttl rounded into
   * Azure's 15-60 s (renew before it lapses). A second acquirer gets 409 while the lease is held; a crashed
   * holder's lease expires on its own.
   */
  async lease(key: string, ttlMs: number): Promise<Lease | null> {
    const ttlSec = Math.min(60, Math.max(15, Math.round(ttlMs / 1000)));
    const blob = this.container.getBlockBlobClient(key);
    try {
      await blob.upload('', 0, { conditions: { ifNoneMatch: '*' }, abortSignal: this.signal() });
    } catch (e) {
      if (!isConflict(e)) {
        throw this.wrap(`creating lock ${key}`, e);
      }
    }
    const lease = blob.getBlobLeaseClient();
    try {
      await lease.acquireLease(ttlSec, { abortSignal: this.signal() });
    } catch (e) {
      if (isConflict(e)) {
        return null;
      }
      throw this.wrap(`leasing ${key}`, e);
    }
    return {
      renew: async () => {
        await lease.renewLease({ abortSignal: this.signal() });
      },
      release: async () => {
        await lease.releaseLease({ abortSignal: this.signal() }).catch(() => {});
      },
    };
  }

  async delete(key: string): Promise<void> {
    try {
      await this.container.deleteBlob(key, { abortSignal: this.signal() });
    } catch (e) {
      const err = this.wrap(`deleting ${key}`, e);
      if (!(err instanceof NotFoundError)) {
        throw err;
      }
    }
  }
}
