/**
 * A session with the emulated mlx5 device, end to end: a process, an open uverbs fd, a
 * mapped IoctlBuffer, a context made by GET_CONTEXT with an mlx5 request, and calls
 * through the generated mlx5 encoders, ioctl() and the generated decoders. Keeps the
 * names of the actions that succeeded, so tests can check that every action ran.
 * Also: PRM command builders for DEVX tests.
 */
import { expect } from 'vitest';
import * as mlx5 from '../../generated/mlx5/index.js';
import type { Device } from '../../runtime/kernel/device.js';
import { lastInternalError } from '../../runtime/kernel/dispatch.js';
import { EIO, errnoName } from '../../runtime/abi/errno.js';
import type { UverbsFile } from '../../runtime/kernel/uverbs-file.js';
import { IoctlBuffer } from '../../runtime/user/ioctl-buffer.js';
import { Process } from '../../runtime/process/process.js';
import { RDMA_VERBS_IOCTL } from '../../runtime/abi/wire.js';
import { lookup } from '../../runtime/kernel/contract.js';
import { newPd, type Pd } from '../../runtime/emulated/core/index.js';
import { createMlx5Device, Mailbox, mlx5State, Op, type Mlx5Caps, type Mlx5Context, type Mlx5State } from '../../runtime/emulated/mlx5/index.js';
import { uverbsFileAt } from '../../runtime/kernel/char-device.js';

export type Encoder<I> = (buf: IoctlBuffer, input: I) => number;

/** What rdma-core's libmlx5 asks for: 4 blue-flame registers, CQE version 1, 4K UARs, a DEVX uid. */
export const DEVX_REQUEST: mlx5.Mlx5IbAllocUcontextReqV2Init = {
  totalNumBfregs: 4,
  flags: mlx5.MLX5_IB_ALLOC_UCTX_V2_FLAGS.MLX5_IB_ALLOC_UCTX_DEVX,
  maxCqeVersion: 1,
  libCaps: mlx5.MLX5_LIB_CAPS.MLX5_LIB_CAP_4K_UAR,
};

export class Mlx5Session {
  readonly process: Process;
  readonly fd: number;
  readonly buf: IoctlBuffer;
  /** "TYPE.ACTION" of every call that succeeded. */
  readonly ran = new Set<string>();

  constructor(
    readonly device: Device,
    process?: Process,
  ) {
    this.process = process ?? new Process();
    this.fd = this.process.open(device);
    const m = this.process.memory.map(16384);
    this.buf = new IoctlBuffer(16384, m.addr, m.bytes);
    this.buf.memory = this.process.memory;
  }

  /** A device with `caps`, a session on it, and a context opened with `request` (none when null). */
  static async open(caps: Partial<Mlx5Caps> = {}, request: mlx5.Mlx5IbAllocUcontextReqV2Init | null = DEVX_REQUEST): Promise<Mlx5Session> {
    const s = new Mlx5Session(createMlx5Device(caps));
    if (request) await s.call(mlx5.encodeGetContext, { uhwIn: request, uhwOut: true }, mlx5.decodeGetContextOut);
    return s;
  }

  /** Another session (file) on the same device and process, with its own context. */
  async another(request: mlx5.Mlx5IbAllocUcontextReqV2Init = DEVX_REQUEST): Promise<Mlx5Session> {
    const s = new Mlx5Session(this.device, this.process);
    await s.call(mlx5.encodeGetContext, { uhwIn: request, uhwOut: true }, mlx5.decodeGetContextOut);
    return s;
  }

  get file(): UverbsFile {
    const f = uverbsFileAt(this.process, this.fd);
    if (!f) throw new Error('the uverbs fd is closed');
    return f;
  }

  get state(): Mlx5State {
    return mlx5State(this.device);
  }

  get ctx(): Mlx5Context {
    return this.file.context as Mlx5Context;
  }

  /** Encodes `input`, runs the ioctl: 0 or a positive errno. A handler bug (EIO from a non-UverbsError) is thrown. */
  async send<I>(encode: Encoder<I>, input: I): Promise<number> {
    encode(this.buf, input);
    const before = lastInternalError;
    const rc = await this.process.ioctl(this.fd, RDMA_VERBS_IOCTL, this.buf.addr);
    if (rc === -EIO && lastInternalError !== before) throw lastInternalError;
    if (rc === 0) this.ran.add(this.actionName());
    return rc === 0 ? 0 : -rc;
  }

  /** The call must succeed; returns what the kernel wrote back. */
  async call<I, O>(encode: Encoder<I>, input: I, decode: (buf: IoctlBuffer) => O): Promise<O> {
    const errno = await this.send(encode, input);
    if (errno !== 0) throw new Error(`${this.actionName()} failed with ${errnoName(errno)}`);
    return decode(this.buf);
  }

  /** The call must fail with `errno`. */
  async fails<I>(errno: number, encode: Encoder<I>, input: I): Promise<void> {
    const got = await this.send(encode, input);
    expect(errnoName(got), `${this.actionName()} answered ${errnoName(got)}`).toBe(errnoName(errno));
  }

  /** An object made outside ioctl, as write() commands make them: its handle (or fd). */
  create(type: mlx5.UverbsObjectName, record: unknown): number {
    return this.file.create(this.device.type(mlx5.UVERBS_OBJECT[type])!, record).id;
  }

  /** A PD made as ALLOC_PD will make it. */
  pd(): { handle: number; rec: Pd } {
    const rec = newPd(this.state);
    return { handle: this.create('PD', rec), rec };
  }

  /** The device's record behind an idr handle. */
  record<T>(handle: number): T {
    const u = this.device.idr.get(handle);
    if (!u || u.file !== this.file) throw new Error(`no object ${handle} on this file`);
    return u.object as T;
  }

  /** A fresh mapping in the process, for user memory the device should see. */
  map(len: number): { addr: number; bytes: Uint8Array } {
    return this.process.memory.map(len);
  }

  /** "TYPE.ACTION" of the request in the buffer (driver ids included). */
  actionName(): string {
    const v = this.buf.view;
    const type = this.device.type(v.getUint16(2, true));
    const action = type ? lookup(type.actions, v.getUint16(4, true)) : undefined;
    return `${type?.name ?? '?'}.${action?.name ?? '?'}`;
  }

  /** A umem over `len` fresh bytes: its handle and umem id. */
  async umem(len = 8192): Promise<{ handle: number; id: number; addr: number }> {
    const m = this.map(len);
    const r = await this.call(mlx5.encodeDevxUmemReg, { addr: m.addr, len, access: mlx5.IB_UVERBS_ACCESS_FLAGS.IB_UVERBS_ACCESS_LOCAL_WRITE }, mlx5.decodeDevxUmemRegOut);
    return { handle: r.handle, id: r.outId, addr: m.addr };
  }

  /** DEVX_OBJ_CREATE of `cmd`: the handle and the firmware's answer. */
  async devx(cmd: Mailbox, outLen = 16): Promise<{ handle: number; out: Mailbox }> {
    const r = await this.call(mlx5.encodeDevxObjCreate, { cmdIn: cmd.bytes, cmdOut: outLen }, mlx5.decodeDevxObjCreateOut);
    return { handle: r.handle, out: new Mailbox(r.cmdOut) };
  }

  async devxQuery(handle: number, cmd: Mailbox, outLen: number): Promise<Mailbox> {
    const r = await this.call(mlx5.encodeDevxObjQuery, { handle, cmdIn: cmd.bytes, cmdOut: outLen }, mlx5.decodeDevxObjQueryOut);
    return new Mailbox(r.cmdOut);
  }

  async devxModify(handle: number, cmd: Mailbox): Promise<Mailbox> {
    const r = await this.call(mlx5.encodeDevxObjModify, { handle, cmdIn: cmd.bytes, cmdOut: 16 }, mlx5.decodeDevxObjModifyOut);
    return new Mailbox(r.cmdOut);
  }
}

/** A PRM command of `len` bytes with `opcode` (and op_mod or obj_type). */
export function prm(opcode: number, len: number, opMod = 0): Mailbox {
  const m = Mailbox.zeroed(len);
  m.set16(0, opcode);
  m.set16(6, opMod);
  return m;
}

/** CREATE_CQ of 2^logSize CQEs on completion EQ `eqn`, ring and doorbell in umems. */
export function createCq(opts: { logSize: number; eqn: number; uarPage: number; ring: number; dbr: number; extra?: (m: Mailbox) => void }): Mailbox {
  const m = prm(Op.CREATE_CQ, 0x110);
  m.set8(0x1c, opts.logSize);
  m.set24(0x1c, opts.uarPage);
  m.set8(0x27, opts.eqn);
  m.set32(0x14, opts.dbr);
  m.set32(0x58, opts.ring);
  opts.extra?.(m);
  return m;
}

/** CREATE_QP with its buffer and doorbell in umems. */
export function createQp(opts: { ring: number; dbr: number; pd?: number }): Mailbox {
  const m = prm(Op.CREATE_QP, 0x110);
  m.set32(0x108, opts.ring);
  m.set32(0x18 + 0xe4, opts.dbr);
  m.set24(0x18 + 0x04, opts.pd ?? 0);
  return m;
}

/** A command naming an object by its 24-bit number at offset 8 (QUERY_CQ, RST2INIT_QP, ...). */
export function byNumber(opcode: number, fwId: number, len: number): Mailbox {
  const m = prm(opcode, len);
  m.set24(8, fwId);
  return m;
}
