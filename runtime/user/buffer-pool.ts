/**
 * The buffers a client encodes its calls into, mapped in transport memory so that the
 * kernel side reads them at their user addresses; shared by the ioctl caller
 * (caller.ts) and the write() caller (write-caller.ts).
 *
 * Handlers may be async, so calls overlap: a buffer belongs to one call from encode to
 * decode and is never shared. A burst of overlapping calls maps a buffer each; once
 * they end, at most `maxIdle` buffers are kept for reuse and the rest are unmapped, so
 * memory follows the calls in flight and never grows beyond them. A call too large for
 * the usual buffer gets one of its own size, unmapped when it ends.
 */
import { IoctlBuffer } from './ioctl-buffer.js';
import type { TransportMemory } from './transport.js';

export interface CallerOptions {
  /** Bytes of each pooled buffer: header, attributes or request, inline payloads, response room. Default 4096. */
  bufferSize?: number;
  /** Buffers kept for reuse when no call needs them. Default 4. */
  maxIdle?: number;
}

/** Thrown by a pooled buffer's ensure(): the encoder wrote nothing and says how much it needs. */
class BufferTooSmall extends Error {
  constructor(readonly needed: number) {
    super(`a buffer of ${needed} bytes is needed`);
  }
}

/** A buffer in transport memory that reports a short fit instead of failing the call. */
export class PooledBuffer extends IoctlBuffer {
  /** What the last encoder into this buffer returned. */
  used = 0;

  override ensure(size: number): void {
    if (size > this.capacity) throw new BufferTooSmall(size);
  }
}

/** An encoder of one call into a buffer, with its two arguments; returns the bytes used. */
export type EncodeInto<A, B> = (buf: IoctlBuffer, a: A, b: B) => number;

export class BufferPool {
  private readonly idle: PooledBuffer[] = [];
  private readonly size: number;
  private readonly maxIdle: number;

  constructor(
    private readonly memory: TransportMemory,
    options: CallerOptions,
    /** The smallest useful buffer: the header every call starts with, e.g. "an ioctl header", 24. */
    header: string,
    minSize: number,
  ) {
    const size = options.bufferSize ?? 4096;
    const maxIdle = options.maxIdle ?? 4;
    if (!Number.isSafeInteger(size) || size < minSize) throw new RangeError(`bufferSize ${size} cannot hold even ${header} (${minSize} bytes)`);
    if (!Number.isSafeInteger(maxIdle) || maxIdle < 0) throw new RangeError(`maxIdle ${maxIdle} is not a count`);
    this.size = size;
    this.maxIdle = maxIdle;
  }

  /**
   * A buffer with the call encoded into it (`used` says how many bytes): a pooled one, or
   * one of the size the encoder asked for. If the encoder throws, the buffer goes back.
   */
  encode<A, B>(encode: EncodeInto<A, B>, a: A, b: B): PooledBuffer {
    const buf = this.take(0);
    try {
      return this.encodeOrGiveBack(buf, encode, a, b);
    } catch (e) {
      if (!(e instanceof BufferTooSmall)) throw e;
      return this.encodeOrGiveBack(this.take(e.needed), encode, a, b);
    }
  }

  /** Gives a buffer back, its first `dirty` bytes zeroed so that the next call never reads this one's bytes. */
  give(buf: PooledBuffer, dirty: number): void {
    buf.bytes.fill(0, 0, Math.min(dirty, buf.capacity));
    if (buf.capacity === this.size && this.idle.length < this.maxIdle) this.idle.push(buf);
    else this.memory.unmap(buf.addr);
  }

  private take(needed: number): PooledBuffer {
    if (needed <= this.size) return this.idle.pop() ?? this.map(this.size);
    return this.map((needed + 7) & ~7);
  }

  private encodeOrGiveBack<A, B>(buf: PooledBuffer, encode: EncodeInto<A, B>, a: A, b: B): PooledBuffer {
    try {
      buf.used = encode(buf, a, b);
      return buf;
    } catch (e) {
      // BufferTooSmall comes before any write; anything else may have left bytes behind.
      this.give(buf, e instanceof BufferTooSmall ? 0 : buf.capacity);
      throw e;
    }
  }

  private map(len: number): PooledBuffer {
    const m = this.memory.map(len);
    const buf = new PooledBuffer(len, m.addr, m.bytes);
    buf.memory = this.memory;
    return buf;
  }
}
