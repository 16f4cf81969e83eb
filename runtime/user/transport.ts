/**
 * What a client needs from whatever stands behind a uverbs fd: memory at user
 * addresses the kernel side can read and write, and ioctl(2). The embedded default
 * (inProcess, runtime/process/in-process.ts) runs the emulated kernel in this process; the generated clients see only this
 * interface, so another transport can be put behind them without regenerating.
 *
 * A transport for a real /dev/infiniband/uverbsN fits the same shape: a small native
 * addon (N-API) opens the device, `memory.map` allocates native memory (mmap) and hands
 * it out as an external ArrayBuffer together with its real address, `memory.view`
 * answers for any such mapping, and `ioctl` runs ioctl(2) on the libuv thread pool
 * and resolves with 0 or -errno. The buffers a client encodes then lie at the
 * addresses the kernel dereferences, so nothing else changes; `write` is write(2) on
 * the same fd, for the commands of the write() ABI.
 */
import { errnoName } from '../abi/errno.js';
import type { UserMemoryReader } from './ioctl-buffer.js';

/**
 * The caller's side of the address space: where ioctl buffers are placed. `view`
 * resolves any mapped address, so decoders can follow outputs the caller pointed at
 * memory of its own (a UserPtr).
 */
export interface TransportMemory extends UserMemoryReader {
  /** Maps `len` zeroed bytes at an 8-byte aligned user address below 2^53. */
  map(len: number): { readonly addr: number; readonly bytes: Uint8Array };
  /** Gives a mapping made by `map` back. */
  unmap(addr: number): void;
}

export interface Transport {
  readonly memory: TransportMemory;
  /** ioctl(fd, request, arg): 0, or -errno as the kernel answers. */
  ioctl(fd: number, request: number, arg: number): Promise<number>;
  /** write(fd, buf, count) of a write() ABI command: the byte count, or -errno as the kernel answers. */
  write(fd: number, addr: number, count: number): Promise<number>;
}

/** An action the kernel answered with an errno, named by type and action as the spec names them. */
export class UverbsCallError extends Error {
  /** The errno's symbolic name, e.g. "EINVAL". */
  readonly errnoName: string;

  constructor(
    /** The object type, e.g. "CQ". */
    readonly type: string,
    /** The action, e.g. "CQ_CREATE". */
    readonly action: string,
    /** The positive errno, e.g. 22. */
    readonly errno: number,
  ) {
    const name = errnoName(errno);
    super(`${type}.${action} failed: ${name} (${errno})`);
    this.name = 'UverbsCallError';
    this.errnoName = name;
  }
}
