/**
 * A rig for the write() ABI: raw commands built in the process's memory from the
 * generated struct encoders and the header layout of runtime/wire.ts, sent with
 * Process.write, answers read back with the generated decoders. A rig shares its
 * process and fd with an ioctl Session, so that a test can mix both paths on one file.
 */
import { lastInternalError } from '../../runtime/kernel/dispatch.js';
import { expect } from 'vitest';
import { decodeIbUverbsGetContextResp, encodeIbUverbsGetContext, IB_UVERBS_GET_CONTEXT_SIZE } from '../../generated/core/structs.js';
import type { WriteSpec } from '../../runtime/kernel/contract.js';
import type { Device } from '../../runtime/kernel/device.js';
import type { UverbsFile } from '../../runtime/kernel/uverbs-file.js';
import type { Process } from '../../runtime/process/process.js';
import { EIO, errnoName } from '../../runtime/abi/errno.js';
import type { Mapping } from '../../runtime/process/user-memory.js';
import {
  CMD_HDR_COMMAND, CMD_HDR_IN_WORDS, CMD_HDR_OUT_WORDS, CMD_HDR_SIZE, EX_HDR_PROVIDER_IN_WORDS, EX_HDR_PROVIDER_OUT_WORDS, EX_HDR_RESERVED,
  EX_HDR_RESPONSE, EX_HDR_SIZE, IB_USER_VERBS_CMD_FLAG_EXTENDED,
} from '../../runtime/abi/wire.js';
import { createCoreDevice, type CoreCaps } from '../../runtime/emulated/core/index.js';
import { Session } from '../emulated/helpers.js';

/** One write() command: its request bytes and driver data, the room given for answers, and any header field forced. */
export interface Cmd {
  /** The core request (a plain command's response address at offset 0 is set by the rig unless `response` says otherwise). */
  readonly req?: Uint8Array;
  readonly driverIn?: Uint8Array;
  /** Room for the core response in bytes; the command's resp_size by default (an extended one's whole struct). */
  readonly respRoom?: number;
  readonly driverOutRoom?: number;
  /** The response address: the rig's response mapping by default. */
  readonly response?: number;
  /** Header fields as sent, overriding what the rig works out. */
  readonly command?: number;
  readonly inWords?: number;
  readonly outWords?: number;
  readonly providerInWords?: number;
  readonly providerOutWords?: number;
  readonly reserved?: number;
  /** The write()'s byte count, when it should not match what was built. */
  readonly count?: number;
}

/** `size` bytes made by a generated struct encoder. */
export function struct<T>(size: number, encode: (v: DataView, o: number, x: T) => void, x: T): Uint8Array {
  const b = new Uint8Array(size);
  encode(new DataView(b.buffer), 0, x);
  return b;
}

/** The parts one after the other (a request struct and what follows it: handles, flow specs, ...). */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Little-endian u32 values, as a list of handles is sent. */
export function u32s(...values: number[]): Uint8Array {
  const b = new Uint8Array(values.length * 4);
  const v = new DataView(b.buffer);
  values.forEach((x, i) => v.setUint32(4 * i, x, true));
  return b;
}

const ceil8 = (n: number): number => Math.ceil(n / 8) * 8;

/** `bytes` zero-padded to whole 8-byte words, as an extended request's in_words counts it. */
export function pad8(bytes: Uint8Array): Uint8Array {
  return concat(bytes, new Uint8Array(ceil8(bytes.length) - bytes.length));
}

/** A process with a uverbs file open on a device: an ioctl Session of either emulated device. */
export interface OpenFile {
  readonly device: Device;
  readonly process: Process;
  readonly fd: number;
  readonly file: UverbsFile;
}

/** Raw write() commands on one uverbs file, answers in a response mapping of the same process. */
export class WriteRig<S extends OpenFile = Session> {
  /** Where commands are built. */
  readonly cmdMap: Mapping;
  /** Where answers are written: the core response first, the driver's after it. */
  readonly respMap: Mapping;

  constructor(readonly session: S) {
    this.cmdMap = session.process.memory.map(8192);
    this.respMap = session.process.memory.map(4096);
  }

  /** A core device (or `device`), a file on it and, unless told not to, a context made by write()'s GET_CONTEXT. */
  static async open(opts: { caps?: Partial<CoreCaps>; device?: Device; context?: boolean } = {}): Promise<WriteRig<Session>> {
    const r = new WriteRig<Session>(new Session(opts.device ?? createCoreDevice(opts.caps ?? {})));
    if (opts.context ?? true) r.ok(await r.write('GET_CONTEXT', { req: new Uint8Array(IB_UVERBS_GET_CONTEXT_SIZE) }));
    return r;
  }

  get device(): Device {
    return this.session.device;
  }

  get respAddr(): number {
    return this.respMap.addr;
  }

  /** The command `name` of the device's write() tables. */
  spec(name: string): WriteSpec {
    const w = [...this.device.uapi.write, ...this.device.uapi.writeEx].find((x) => x?.name === name);
    if (!w) throw new Error(`no write() command ${name}`);
    return w;
  }

  /**
   * Builds `name` at the start of the command mapping and writes it: the byte count,
   * or -errno. A handler bug (EIO from something other than a UverbsError) is thrown.
   */
  async write(name: string, c: Cmd = {}, fd = this.session.fd): Promise<number> {
    const w = this.spec(name);
    const count = this.build(w, c);
    this.respMap.bytes.fill(0xee);
    const before = lastInternalError;
    const rc = await this.session.process.write(fd, this.cmdMap.addr, c.count ?? count);
    if (rc === -EIO && lastInternalError !== before) throw lastInternalError;
    return rc;
  }

  /** Lays out the headers, request and driver data of `w`; returns the byte count. */
  build(w: WriteSpec, c: Cmd): number {
    const v = this.cmdMap.view;
    const req = c.req ?? new Uint8Array(w.reqStructSize);
    const drv = c.driverIn ?? new Uint8Array(0);
    this.cmdMap.bytes.fill(0, 0, 4096);
    v.setUint32(CMD_HDR_COMMAND, c.command ?? (w.command | (w.extended ? IB_USER_VERBS_CMD_FLAG_EXTENDED : 0)) >>> 0, true);
    const driverOut = c.driverOutRoom ?? 0;
    if (!w.extended) {
      const count = CMD_HDR_SIZE + req.length + drv.length;
      v.setUint16(CMD_HDR_IN_WORDS, c.inWords ?? count / 4, true);
      v.setUint16(CMD_HDR_OUT_WORDS, c.outWords ?? ((c.respRoom ?? w.respSize) + driverOut) / 4, true);
      this.cmdMap.bytes.set(req, CMD_HDR_SIZE);
      this.cmdMap.bytes.set(drv, CMD_HDR_SIZE + req.length);
      if (w.hasResp && req.length >= 8) v.setBigUint64(CMD_HDR_SIZE, BigInt(c.response ?? this.respAddr), true);
      return count;
    }
    const room = c.respRoom ?? ceil8(w.respStructSize);
    const body = CMD_HDR_SIZE + EX_HDR_SIZE;
    v.setUint16(CMD_HDR_IN_WORDS, c.inWords ?? req.length / 8, true);
    v.setUint16(CMD_HDR_OUT_WORDS, c.outWords ?? room / 8, true);
    v.setBigUint64(CMD_HDR_SIZE + EX_HDR_RESPONSE, BigInt(c.response ?? (room + driverOut > 0 ? this.respAddr : 0)), true);
    v.setUint16(CMD_HDR_SIZE + EX_HDR_PROVIDER_IN_WORDS, c.providerInWords ?? drv.length / 8, true);
    v.setUint16(CMD_HDR_SIZE + EX_HDR_PROVIDER_OUT_WORDS, c.providerOutWords ?? driverOut / 8, true);
    v.setUint32(CMD_HDR_SIZE + EX_HDR_RESERVED, c.reserved ?? 0, true);
    this.cmdMap.bytes.set(req, body);
    this.cmdMap.bytes.set(drv, body + req.length);
    return body + req.length + drv.length;
  }

  /** The device's record behind an idr handle, whichever file has it. */
  record<T>(handle: number): T {
    const u = this.device.idr.get(handle);
    if (!u) throw new Error(`no object ${handle} on the device`);
    return u.object as T;
  }

  /** The answer written to the response mapping, through a generated decoder. */
  out<T>(decode: (v: DataView, o: number) => T): T {
    return decode(this.respMap.view, 0);
  }

  /** The command must have succeeded (the byte count). */
  ok(rc: number): void {
    expect(rc < 0 ? errnoName(-rc) : 'ok').toBe('ok');
  }

  /** `name` must succeed (on the rig's file or `fd`); returns its answer through `decode`. */
  async call<T>(name: string, c: Cmd, decode: (v: DataView, o: number) => T, fd = this.session.fd): Promise<T> {
    this.ok(await this.write(name, c, fd));
    return this.out(decode);
  }

  /** `name` must fail with `errno` (on the rig's file or `fd`). */
  async fails(errno: number, name: string, c: Cmd = {}, fd = this.session.fd): Promise<void> {
    const rc = await this.write(name, c, fd);
    expect(rc < 0 ? errnoName(-rc) : `succeeded (${rc})`, name).toBe(errnoName(errno));
  }

  /** write()'s GET_CONTEXT on another file of the same process and device: its fd and the async event fd. */
  async openFile(): Promise<{ fd: number; asyncFd: number }> {
    const fd = this.session.process.open(this.device);
    this.ok(await this.write('GET_CONTEXT', { req: struct(IB_UVERBS_GET_CONTEXT_SIZE, encodeIbUverbsGetContext, {}) }, fd));
    return { fd, asyncFd: this.out(decodeIbUverbsGetContextResp).asyncFd };
  }
}
