/**
 * What every generated client method does, written once: take a buffer, encode the
 * action into it, ioctl through the transport, turn -errno into UverbsCallError,
 * decode the outputs, give the buffer back. Buffers come from a BufferPool
 * (buffer-pool.ts), which the write() caller shares.
 */
import { BufferPool, type CallerOptions } from './buffer-pool.js';
import type { IoctlBuffer } from './ioctl-buffer.js';
import { UverbsCallError, type Transport } from './transport.js';
import { HDR_SIZE, RDMA_VERBS_IOCTL } from '../abi/wire.js';

export type { CallerOptions } from './buffer-pool.js';

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
    this.pool = new BufferPool(transport.memory, options, 'an ioctl header', HDR_SIZE);
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
    const buf = this.pool.encode(encode, input, optional);
    try {
      const r = await this.transport.ioctl(this.fd, RDMA_VERBS_IOCTL, buf.addr);
      if (r < 0) throw new UverbsCallError(type, action, -r);
      return decode(buf);
    } finally {
      // The next call must not read this one's outputs where its own were not written.
      this.pool.give(buf, buf.used);
    }
  }
}
