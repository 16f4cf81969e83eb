/**
 * A rig for the data path tests: a session on the emulated core device with a PD, and
 * objects made the way user space makes them (CQs, QPs and MRs through their ioctl
 * actions), whose device records the tests then drive directly through the model the
 * write() commands call (modifyQp, postSend, pollCq, ...).
 */
import { expect } from 'vitest';
import * as core from '../../generated/core/index.js';
import type { UverbsError } from '../../runtime/abi/errno.js';
import {
  Mtu, modifyQp, newPd, QpAttrMask as M, QpState, type CoreCaps, type Cq, type Mr, type Pd, type PostResult, type Qp, type Sge, type Srq,
} from '../../runtime/emulated/core/index.js';
import { Session } from './helpers.js';

const { IB_UVERBS_ACCESS_FLAGS: ACC } = core;

/** Port 1 of the default device is InfiniBand with LID 7; port 2 is RoCE. */
export const IB_PORT = 1;
export const IB_LID = 7;
export const ROCE_PORT = 2;
export const REMOTE_ALL = ACC.IB_UVERBS_ACCESS_REMOTE_WRITE | ACC.IB_UVERBS_ACCESS_REMOTE_READ | ACC.IB_UVERBS_ACCESS_REMOTE_ATOMIC;
export const MR_ALL = ACC.IB_UVERBS_ACCESS_LOCAL_WRITE | REMOTE_ALL;

/** Registered memory: the MR and the bytes behind it. */
export interface Region {
  readonly mr: Mr;
  readonly handle: number;
  readonly addr: bigint;
  readonly bytes: Uint8Array;
}

export interface QpOptions {
  readonly cq?: Cq;
  readonly recvCq?: Cq;
  readonly srq?: Srq;
  readonly maxSendWr?: number;
  readonly maxRecvWr?: number;
  readonly maxSge?: number;
  readonly maxInlineData?: number;
  readonly flags?: number;
  readonly userHandle?: bigint;
  readonly eventFd?: number;
}

export interface ConnectOptions {
  readonly rnrRetry?: number;
  readonly access?: number;
  readonly psn?: number;
  readonly maxRdAtomic?: number;
}

export class Rig {
  private readonly handles = new Map<object, number>();

  private constructor(
    readonly s: Session,
    readonly pd: Pd,
    readonly pdHandle: number,
  ) {}

  static async open(caps: Partial<CoreCaps> = {}): Promise<Rig> {
    const s = await Session.open(caps);
    const pd = newPd(s.state);
    return new Rig(s, pd, s.create('PD', pd));
  }

  get state() {
    return this.s.state;
  }

  handle(record: object): number {
    const h = this.handles.get(record);
    if (h === undefined) throw new Error('the rig did not make that record');
    return h;
  }

  async cq(opts: { cqe?: number; userHandle?: bigint; channelFd?: number; eventFd?: number; flags?: number } = {}): Promise<Cq> {
    const out = await this.s.call(core.encodeCqCreate, {
      cqe: opts.cqe ?? 64, userHandle: opts.userHandle ?? 0n, compVector: 0, flags: opts.flags ?? 0,
      ...(opts.channelFd !== undefined ? { compChannel: opts.channelFd } : {}), ...(opts.eventFd !== undefined ? { eventFd: opts.eventFd } : {}),
    }, core.decodeCqCreateOut);
    const cq = this.s.record<Cq>(out.handle);
    this.handles.set(cq, out.handle);
    return cq;
  }

  async qp(type: number, o: QpOptions = {}): Promise<Qp> {
    const cq = o.cq ?? (await this.cq());
    const recvCq = o.recvCq ?? cq;
    const out = await this.s.call(core.encodeQpCreate, {
      pdHandle: this.pdHandle, sendCqHandle: this.handle(cq), recvCqHandle: this.handle(recvCq), userHandle: o.userHandle ?? 0n, type, flags: o.flags ?? 0,
      ...(o.srq ? { srqHandle: this.handle(o.srq) } : {}), ...(o.eventFd !== undefined ? { eventFd: o.eventFd } : {}),
      cap: { maxSendWr: o.maxSendWr ?? 8, maxRecvWr: o.srq ? 0 : (o.maxRecvWr ?? 8), maxSendSge: o.maxSge ?? 2, maxRecvSge: o.srq ? 0 : (o.maxSge ?? 2), maxInlineData: o.maxInlineData ?? 0 },
    }, core.decodeQpCreateOut);
    const qp = this.s.record<Qp>(out.handle);
    this.handles.set(qp, out.handle);
    return qp;
  }

  async srq(maxWr: number, limit = 0, eventFd?: number): Promise<Srq> {
    const out = await this.s.call(core.encodeSrqCreate, {
      pdHandle: this.pdHandle, userHandle: 0x5e0n, maxWr, maxSge: 2, limit, type: core.IB_UVERBS_SRQ_TYPE.IB_UVERBS_SRQT_BASIC,
      ...(eventFd !== undefined ? { eventFd } : {}),
    }, core.decodeSrqCreateOut);
    const srq = this.s.record<Srq>(out.handle);
    this.handles.set(srq, out.handle);
    return srq;
  }

  /** `len` bytes of fresh memory registered with `access`. */
  async mr(len: number, access: number = MR_ALL, pdHandle = this.pdHandle): Promise<Region> {
    const m = this.s.map(len);
    const out = await this.s.call(core.encodeRegMr, { pdHandle, addr: m.addr, iova: m.addr, length: len, accessFlags: access }, core.decodeRegMrOut);
    return { mr: this.s.record<Mr>(out.handle), handle: out.handle, addr: BigInt(m.addr), bytes: m.bytes };
  }

  /** RESET -> INIT of a UD QP on `port`, then RTR and RTS. */
  udReady(qp: Qp, qkey: number, port = IB_PORT): void {
    modifyQp(this.state, qp, M.STATE | M.PKEY_INDEX | M.PORT | M.QKEY, { qpState: QpState.INIT, pkeyIndex: 0, portNum: port, qkey });
    modifyQp(this.state, qp, M.STATE, { qpState: QpState.RTR });
    modifyQp(this.state, qp, M.STATE | M.SQ_PSN, { qpState: QpState.RTS, sqPsn: 0 });
  }

  /** Takes `qp` (RC or UC) to INIT on port 1. */
  init(qp: Qp, access: number = REMOTE_ALL): void {
    modifyQp(this.state, qp, M.STATE | M.PKEY_INDEX | M.PORT | M.ACCESS_FLAGS, { qpState: QpState.INIT, pkeyIndex: 0, portNum: IB_PORT, qpAccessFlags: access });
  }

  /** Takes `qp` from INIT to RTR facing `peer` (InfiniBand, LID 7, path MTU 1024). */
  rtr(qp: Qp, peer: Qp, o: ConnectOptions = {}): void {
    const rc = qp.qpType === core.IB_UVERBS_QP_TYPE.IB_UVERBS_QPT_RC;
    modifyQp(this.state, qp, M.STATE | M.AV | M.PATH_MTU | M.DEST_QPN | M.RQ_PSN | (rc ? M.MAX_DEST_RD_ATOMIC | M.MIN_RNR_TIMER : 0), {
      qpState: QpState.RTR, dest: { dlid: IB_LID, sl: 3, portNum: IB_PORT }, pathMtu: Mtu.MTU_1024, destQpNum: peer.qpn, rqPsn: o.psn ?? 100,
      maxDestRdAtomic: 4, minRnrTimer: 12,
    });
  }

  rts(qp: Qp, o: ConnectOptions = {}): void {
    const rc = qp.qpType === core.IB_UVERBS_QP_TYPE.IB_UVERBS_QPT_RC;
    modifyQp(this.state, qp, M.STATE | M.SQ_PSN | (rc ? M.TIMEOUT | M.RETRY_CNT | M.RNR_RETRY | M.MAX_QP_RD_ATOMIC : 0), {
      qpState: QpState.RTS, sqPsn: o.psn ?? 100, timeout: 14, retryCnt: 7, rnrRetry: o.rnrRetry ?? 7, maxRdAtomic: o.maxRdAtomic ?? 4,
    });
  }

  /** Connects two RC or UC QPs (each to the other) and takes both to RTS. */
  connect(a: Qp, b: Qp, o: ConnectOptions = {}): void {
    for (const [x, y] of [[a, b], [b, a]] as const) {
      this.init(x, o.access);
      this.rtr(x, y, o);
      this.rts(x, o);
    }
  }
}

/** An SGE covering `len` bytes at `offset` of a region. */
export function sge(r: Region, offset: number, len: number): Sge {
  return { addr: r.addr + BigInt(offset), length: len, lkey: r.mr.lkey };
}

/** The post succeeded. */
export function posted(r: PostResult): void {
  expect(r).toEqual({ badWr: 0, error: undefined });
}

/** The post stopped at request `badWr` (1-based) with `errno`. */
export function refused(r: PostResult, badWr: number, errno: number): UverbsError {
  expect(r.badWr).toBe(badWr);
  expect(r.error?.errno).toBe(errno);
  return r.error!;
}

/** A work completion with every field at the value an ib_uverbs_wc starts from. */
export function wcOf(x: Partial<core.IbUverbsWc>): core.IbUverbsWc {
  return {
    wrId: 0n, status: 0, opcode: 0, vendorErr: 0, byteLen: 0, ex: { immData: 0, invalidateRkey: 0 }, qpNum: 0, srcQp: 0, wcFlags: 0,
    pkeyIndex: 0, slid: 0, sl: 0, dlidPathBits: 0, portNum: 0, reserved: 0, ...x,
  };
}
