/**
 * What every method of a generated write client does, written once: take a buffer,
 * encode the command into it (header, request, driver data, response room after it),
 * send it, turn -errno into UverbsCallError, decode the response, give the buffer back.
 *
 * Two routes to the same command: write(2) of the encoded bytes, as rdma-core does by
 * default; or DEVICE's INVOKE_WRITE ioctl, as rdma-core's ioctl_write() does when the
 * kernel offers it: the core request in CORE_IN, the response room in CORE_OUT, the
 * command number (with IB_USER_VERBS_CMD_FLAG_EXTENDED for an extended command) in
 * WRITE_CMD, the driver's request and response room in UHW_IN and UHW_OUT, each only
 * when it is not empty. Both routes encode the same write() bytes first and point the
 * kernel at the same response room, so one decoder serves both.
 */
import { BufferPool, type CallerOptions, type PooledBuffer } from './buffer-pool.js';
import { UserPtr, type IoctlBuffer } from './ioctl-buffer.js';
import { UverbsCallError, type Transport } from './transport.js';
import { HDR_SIZE, INLINE_MAX, RDMA_VERBS_IOCTL } from '../abi/wire.js';
import { writeLayout, type WriteCommandInfo, type WriteLayout } from './write-buffer.js';

/** The route a write client sends its commands by. */
export type WriteRoute = 'write' | 'ioctl';

export interface WriteCallerOptions extends CallerOptions {
  /** write(2) (the default), or the INVOKE_WRITE ioctl. */
  via?: WriteRoute;
}

/** A generated write() encoder: the request struct and what else the command carries; returns the byte count to write. */
export type WriteEncoder<R, X> = (buf: IoctlBuffer, request: R, extra: X | undefined) => number;
/** A generated response decoder. */
export type WriteDecoder<O> = (buf: IoctlBuffer) => O;

/** The decoder of a command without a response. */
export const noResponse: WriteDecoder<void> = () => undefined;

/** The input of DEVICE.INVOKE_WRITE, as the generated encodeInvokeWrite takes it. */
export interface InvokeWriteInput {
  coreIn?: Uint8Array | UserPtr;
  coreOut?: number | UserPtr;
  writeCmd: number;
  uhwIn?: Uint8Array | UserPtr;
  uhwOut?: number | UserPtr;
}

/** The generated encoder of DEVICE.INVOKE_WRITE. */
export type InvokeWriteEncoder = (buf: IoctlBuffer, input: InvokeWriteInput) => number;

/** The route names errors by: "write" for write(2), "INVOKE_WRITE" for the ioctl. */
const ROUTE_NAME: Readonly<Record<WriteRoute, string>> = { write: 'write', ioctl: 'INVOKE_WRITE' };

/** Runs write() commands on one uverbs fd through one transport. */
export class WriteCaller {
  private readonly pool: BufferPool;
  /** The route's name in errors. */
  private readonly routeName: string;
  readonly via: WriteRoute;

  constructor(
    readonly transport: Transport,
    readonly fd: number,
    /** The driver's INVOKE_WRITE encoder; undefined when its spec has no such action (then only write(2) is possible). */
    private readonly invokeWrite: InvokeWriteEncoder | undefined,
    options: WriteCallerOptions = {},
  ) {
    this.via = options.via ?? 'write';
    if (this.via !== 'write' && this.via !== 'ioctl') throw new RangeError(`via "${String(this.via)}" is not a route: give "write" or "ioctl"`);
    if (this.via === 'ioctl' && !invokeWrite) throw new RangeError('this driver has no DEVICE.INVOKE_WRITE action: only the write route is possible');
    this.routeName = ROUTE_NAME[this.via];
    // Both routes need room for 24 bytes of header: an ioctl header, or an extended command's two.
    this.pool = new BufferPool(transport.memory, options, 'an ioctl or extended write() header', HDR_SIZE);
  }

  /** Encodes, sends and decodes one command; the command's name and the route name it in errors. */
  async call<R, X, O>(info: WriteCommandInfo, encode: WriteEncoder<R, X>, request: R, extra: X | undefined, decode: WriteDecoder<O>): Promise<O> {
    const buf = this.pool.encode(encode, request, extra);
    const layout = writeLayout(buf, info);
    let r: number;
    try {
      r = this.via === 'write' ? await this.transport.write(this.fd, buf.addr, buf.used) : await this.invoke(buf, layout);
      if (r < 0) throw new UverbsCallError(this.routeName, info.name, -r);
      return decode(buf);
    } finally {
      // The bytes written and the response room after them.
      this.pool.give(buf, dirtyEnd(buf, layout));
    }
  }

  /** INVOKE_WRITE of the command encoded in `buf`, from a second buffer; 0 or -errno. */
  private async invoke(buf: PooledBuffer, l: WriteLayout): Promise<number> {
    const input: InvokeWriteInput = { writeCmd: l.command };
    if (l.coreInLen > 0) input.coreIn = inBytes(buf, l.coreIn, l.coreInLen);
    if (l.coreOutLen > 0) input.coreOut = new UserPtr(l.response, l.coreOutLen);
    if (l.driverInLen > 0) input.uhwIn = inBytes(buf, l.driverIn, l.driverInLen);
    if (l.driverOutLen > 0) input.uhwOut = new UserPtr(l.response + l.coreOutLen, l.driverOutLen);
    const ioctl = this.pool.encode(this.invokeWrite!, input, undefined);
    try {
      return await this.transport.ioctl(this.fd, RDMA_VERBS_IOCTL, ioctl.addr);
    } finally {
      this.pool.give(ioctl, ioctl.used);
    }
  }
}

/**
 * A request part for INVOKE_WRITE: up to 8 bytes travel inline in the attribute (so
 * their bytes are given), longer ones by pointer to where they lie in the write buffer.
 */
function inBytes(buf: IoctlBuffer, offset: number, len: number): Uint8Array | UserPtr {
  return len <= INLINE_MAX ? buf.bytes.subarray(offset, offset + len) : new UserPtr(buf.addr + offset, len);
}

/** The end of what a call used in `buf`: the bytes written, and the response room when it lies in the buffer. */
function dirtyEnd(buf: PooledBuffer, l: WriteLayout): number {
  const at = l.response - buf.addr;
  const room = l.coreOutLen + l.driverOutLen;
  return l.response !== 0 && at >= 0 && at + room <= buf.capacity ? Math.max(buf.used, at + room) : buf.used;
}
