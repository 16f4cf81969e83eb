/**
 * struct ib_udata: one half-duplex pair of user buffers, a request to read and room
 * for a response. A write() command has two: the core's (ucore) and the driver's
 * (driver_udata); through INVOKE_WRITE they come from CORE_IN/CORE_OUT and
 * UHW_IN/UHW_OUT. A request of 8 bytes or fewer sent through ioctl is inline in its
 * attribute rather than in user memory; `inline` holds it then.
 */
import type { InputBytes, UserMemory } from '../process/user-memory.js';

const NO_BYTES: InputBytes = { view: new DataView(new ArrayBuffer(0)), offset: 0, len: 0 };

export class Udata {
  constructor(
    readonly memory: UserMemory,
    /** User address of the request (ignored when `inline` is given or inLen is 0). */
    readonly inAddr: number,
    readonly inLen: number,
    /** User address of the response room. */
    readonly outAddr: number,
    readonly outLen: number,
    /** The request's bytes when they are not in user memory (an inline ioctl attribute). */
    private readonly inline?: InputBytes,
    /** Called once something was written to the response room (INVOKE_WRITE marks CORE_OUT VALID_OUTPUT). */
    private readonly written?: () => void,
  ) {}

  /** An empty pair: a command without driver data. */
  static none(memory: UserMemory): Udata {
    return new Udata(memory, 0, 0, 0, 0);
  }

  /** copy_from_user of the request: its bytes in place (EFAULT when unmapped). */
  input(what: string): InputBytes {
    if (this.inline) return this.inline;
    if (this.inLen === 0) return NO_BYTES;
    const m = this.memory.access(this.inAddr, this.inLen, what);
    return { view: m.view, offset: m.offset, len: this.inLen };
  }

  /**
   * The response: as much of `src` as the room takes, the rest of the room zeroed when
   * `clearRest` (uverbs_response's clear_user), EFAULT when unmapped.
   */
  output(src: Uint8Array, clearRest: boolean, what: string): void {
    const n = Math.min(src.byteLength, this.outLen);
    const total = clearRest ? this.outLen : n;
    if (total === 0) return;
    const m = this.memory.access(this.outAddr, total, what);
    m.bytes.set(src.subarray(0, n), m.offset);
    if (total > n) m.bytes.fill(0, m.offset + n, m.offset + total);
    this.written?.();
  }
}
