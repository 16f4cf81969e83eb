/**
 * A test rig for the runtime: a device (the minimal spec's unless given), a process with
 * a uverbs file that has a context, a mapped buffer, and raw ioctl buffers built byte by
 * byte so that tests can send exactly what they mean, malformed or not.
 */
import type { Device } from '../../runtime/kernel/device.js';
import { IoctlBuffer } from '../../runtime/user/ioctl-buffer.js';
import { Process } from '../../runtime/process/process.js';
import type { Mapping } from '../../runtime/process/user-memory.js';
import { RDMA_VERBS_IOCTL } from '../../runtime/abi/wire.js';
import { minimalDevice, type Log } from '../fixtures/minimal-device.js';
import { uverbsFileAt } from '../../runtime/kernel/char-device.js';

export interface RawAttr {
  id: number;
  len?: number;
  flags?: number;
  elem?: number;
  reserved?: number;
  data?: bigint | number;
}

export interface RawHeader {
  object: number;
  method: number;
  attrs: RawAttr[];
  length?: number;
  numAttrs?: number;
  reserved1?: bigint;
  driverId?: number;
  reserved2?: number;
}

export class Rig {
  readonly process = new Process();
  readonly fd: number;
  readonly map: Mapping;
  readonly buf: IoctlBuffer;

  constructor(
    readonly device: Device,
    readonly log?: Log,
    /** Give the file a bare context at once (devices whose handlers need their own call GET_CONTEXT instead). */
    bareContext = true,
  ) {
    this.fd = this.process.open(device);
    if (bareContext) uverbsFileAt(this.process, this.fd)!.context = {};
    this.map = this.process.memory.map(8192);
    this.buf = new IoctlBuffer(8192, this.map.addr, this.map.bytes);
  }

  static minimal(): Rig {
    const { device, log } = minimalDevice();
    return new Rig(device, log);
  }

  get file() {
    return uverbsFileAt(this.process, this.fd)!;
  }

  /** Writes a raw request at the start of the buffer; payload space starts at offset 1024. */
  raw(h: RawHeader): number {
    const v = this.buf.view;
    this.buf.bytes.fill(0, 0, 1024);
    const n = h.numAttrs ?? h.attrs.length;
    v.setUint16(0, h.length ?? 24 + 16 * n, true);
    v.setUint16(2, h.object, true);
    v.setUint16(4, h.method, true);
    v.setUint16(6, n, true);
    v.setBigUint64(8, h.reserved1 ?? 0n, true);
    v.setUint32(16, h.driverId ?? this.device.driverId, true);
    v.setUint32(20, h.reserved2 ?? 0, true);
    h.attrs.forEach((a, i) => {
      const at = 24 + 16 * i;
      v.setUint16(at, a.id, true);
      v.setUint16(at + 2, a.len ?? 0, true);
      v.setUint16(at + 4, a.flags ?? 1, true);
      v.setUint8(at + 6, a.elem ?? 0);
      v.setUint8(at + 7, a.reserved ?? 0);
      v.setBigUint64(at + 8, BigInt.asUintN(64, BigInt(a.data ?? 0)), true);
    });
    return this.map.addr;
  }

  /** The user address of offset `o` of the buffer. */
  addr(o: number): number {
    return this.map.addr + o;
  }

  ioctl(arg = this.map.addr, request = RDMA_VERBS_IOCTL, fd = this.fd): Promise<number> {
    return this.process.ioctl(fd, request, arg);
  }

  /** Sends `h` and returns 0 or -errno. */
  send(h: RawHeader): Promise<number> {
    return this.ioctl(this.raw(h));
  }

  /** Encodes with a generated encoder into the rig's buffer (or `buf`) and sends. */
  async call<I>(encode: (buf: IoctlBuffer, input: I) => number, input: I, fd = this.fd, buf = this.buf): Promise<number> {
    encode(buf, input);
    return this.process.ioctl(fd, RDMA_VERBS_IOCTL, buf.addr);
  }

  /** Another buffer in the process's memory, for calls in flight at the same time. */
  buffer(size = 4096): IoctlBuffer {
    const m = this.process.memory.map(size);
    return new IoctlBuffer(size, m.addr, m.bytes);
  }
}
