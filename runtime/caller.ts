/**
 * What every generated client method does, written once: take a buffer, encode the
 * action into it, ioctl through the transport, turn -errno into UverbsCallError,
 * decode the outputs, give the buffer back.
 *
 * Handlers may be async, so calls overlap: a buffer belongs to one call from encode to
 * decode and is never shared. A burst of overlapping calls maps a buffer each; once
 * they end, at most `maxIdle` buffers are kept for reuse and the rest are unmapped, so
 * memory follows the calls in flight and never grows beyond them. A call too large for
 * the usual buffer gets one of its own size, unmapped when it ends.
 */
import { IoctlBuffer } from './ioctl-buffer.js';
import { UverbsCallError, type Transport, type TransportMemory } from './transport.js';
import { RDMA_VERBS_IOCTL } from './wire.js';

export interface CallerOptions {
  /** Bytes of each pooled buffer: header, attributes and inline payloads. Default 4096. */
  bufferSize?: number;
  /** Buffers kept for reuse when no call needs them. Default 4. */
  maxIdle?: number;
}

/** Thrown by a pooled buffer's ensure(): the encoder wrote nothing and says how much it needs. */
class BufferTooSmall extends Error {
  constructor(readonly needed: number) {
    super(`an ioctl buffer of ${needed} bytes is needed`);
  }
}

/** A buffer in transport memory that reports a short fit instead of failing the call. */
class PooledBuffer extends IoctlBuffer {
  override ensure(size: number): void {
    if (size > this.bytes.byteLength) throw new BufferTooSmall(size);
  }
}

class BufferPool {
  private readonly idle: PooledBuffer[] = [];

  constructor(
    private readonly memory: TransportMemory,
    private readonly size: number,
    private readonly maxIdle: number,
  ) {}

  take(needed = 0): PooledBuffer {
    if (needed <= this.size) return this.idle.pop() ?? this.map(this.size);
    return this.map((needed + 7) & ~7);
  }

  give(buf: PooledBuffer): void {
    if (buf.bytes.byteLength === this.size && this.idle.length < this.maxIdle) this.idle.push(buf);
    else this.memory.unmap(buf.addr);
  }

  private map(len: number): PooledBuffer {
    const m = this.memory.map(len);
    const buf = new PooledBuffer(len, m.addr, m.bytes);
    buf.memory = this.memory;
    return buf;
  }
}

export type Encoder<I, N extends string> = (buf: IoctlBuffer, input: I, optional?: readonly N[]) => number;
export type Decoder<O> = (buf: IoctlBuffer) => O;

/** Runs actions on one uverbs fd through one transport. */
export class ActionCaller {
  private readonly pool: BufferPool;

  constructor(
    readonly transport: Transport,
    readonly fd: number,
    options: CallerOptions = {},
  ) {
    const size = options.bufferSize ?? 4096;
    const maxIdle = options.maxIdle ?? 4;
    if (!Number.isSafeInteger(size) || size < 24) throw new RangeError(`bufferSize ${size} cannot hold even an ioctl header (24 bytes)`);
    if (!Number.isSafeInteger(maxIdle) || maxIdle < 0) throw new RangeError(`maxIdle ${maxIdle} is not a count`);
    this.pool = new BufferPool(transport.memory, size, maxIdle);
  }

  /** Encodes, calls and decodes one action; `type` and `action` name it in errors. */
  async call<I, O, N extends string>(
    type: string,
    action: string,
    encode: Encoder<I, N>,
    input: I,
    optional: readonly N[] | undefined,
    decode: Decoder<O>,
  ): Promise<O> {
    let buf = this.pool.take();
    let used: number;
    try {
      used = this.encodeOrGiveBack(buf, encode, input, optional);
    } catch (e) {
      if (!(e instanceof BufferTooSmall)) throw e;
      buf = this.pool.take(e.needed);
      used = this.encodeOrGiveBack(buf, encode, input, optional);
    }
    try {
      const r = await this.transport.ioctl(this.fd, RDMA_VERBS_IOCTL, buf.addr);
      if (r < 0) throw new UverbsCallError(type, action, -r);
      return decode(buf);
    } finally {
      // The next call must not read this one's outputs where its own were not written.
      buf.bytes.fill(0, 0, used);
      this.pool.give(buf);
    }
  }

  private encodeOrGiveBack<I, N extends string>(buf: PooledBuffer, encode: Encoder<I, N>, input: I, optional: readonly N[] | undefined): number {
    try {
      return encode(buf, input, optional);
    } catch (e) {
      // BufferTooSmall comes before any write; anything else may have left bytes behind.
      if (!(e instanceof BufferTooSmall)) buf.bytes.fill(0);
      this.pool.give(buf);
      throw e;
    }
  }
}
