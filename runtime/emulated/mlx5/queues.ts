/**
 * mlx5's part of creating CQs, QPs, SRQs and WQs: the core handler makes the object,
 * then the driver reads its UHW request (mlx5_ib_create_cq and friends), checks it as
 * mlx5 does, pins the queue buffer and doorbell record it names (EFAULT when not
 * mapped), picks the doorbell page, and answers in UHW_OUT. A refusal here aborts the
 * object the core made, as a failing driver create does.
 *
 * The records keep what the driver learned under `mlx5`.
 */
import { IB_UVERBS_QP_TYPE as QPT } from '../../../generated/core/enums.js';
import {
  MLX5_IB_CQE_COMP_RES_FORMAT_MASK, MLX5_IB_CREATE_CQ_FLAGS as CQF, MLX5_IB_CREATE_CQ_FLAGS_MASK, MLX5_IB_CREATE_QP_RESP_MASK as QPR,
  MLX5_IB_CREATE_WQ_MASK, MLX5_IB_CREATE_WQ_MASK_MASK, MLX5_QP_FLAG as QPF, MLX5_QP_FLAG_MASK, MLX5_RX_HASH_FIELDS_MASK, MLX5_RX_HASH_FUNCTION_FLAGS,
  MLX5_SRQ_FLAG_MASK, MLX5_WQ_FLAG_MASK,
} from '../../../generated/mlx5/enums.js';
import { UVERBS_ATTRS_CQ_CREATE, UVERBS_ATTRS_QP_CREATE, UVERBS_ATTRS_SRQ_CREATE, UVERBS_ATTRS_WQ_CREATE } from '../../../generated/mlx5/ids.js';
import {
  decodeMlx5IbCreateCq, decodeMlx5IbCreateQp, decodeMlx5IbCreateQpRss, decodeMlx5IbCreateSrq, decodeMlx5IbCreateWq, encodeMlx5IbCreateCqResp,
  encodeMlx5IbCreateQpResp, encodeMlx5IbCreateSrqResp, encodeMlx5IbCreateWqResp, MLX5_IB_CREATE_CQ_RESP_SIZE, MLX5_IB_CREATE_CQ_SIZE,
  MLX5_IB_CREATE_QP_RESP_SIZE, MLX5_IB_CREATE_QP_RSS_SIZE, MLX5_IB_CREATE_QP_SIZE, MLX5_IB_CREATE_SRQ_RESP_SIZE, MLX5_IB_CREATE_SRQ_SIZE,
  MLX5_IB_CREATE_WQ_RESP_SIZE, MLX5_IB_CREATE_WQ_SIZE, type Mlx5IbCreateQpResp,
} from '../../../generated/mlx5/structs.js';
import type { Bundle } from '../../kernel/bundle.js';
import type { RemoveReasonId } from '../../kernel/device.js';
import { EINVAL, EOPNOTSUPP, fail } from '../../abi/errno.js';
import { isPow2, roundupPow2 } from '../core/caps.js';
import { cqHandlers, releaseCq, type Cq } from '../core/cq.js';
import { qpHandlers, releaseQp, type Qp } from '../core/qp.js';
import { releaseSrq, srqHandlers, type Srq } from '../core/srq.js';
import { recordOf, type CoreState } from '../core/state.js';
import { bufferDesc, pinUserMemory, type UserBuffer } from '../core/umem.js';
import { releaseWq, wqHandlers, type Wq } from '../core/wq.js';
import { mlx5ContextOf, type Mlx5Context } from './context.js';
import { uarObjectIndexes } from './pages.js';
import { mlx5State, type Mlx5State } from './state.js';
import { udataIn, udataOut } from './udata.js';

/** A doorbell record: two big-endian u32 counters. */
const DB_RECORD = 8;
const SEND_WQE_BB = 64;
/** MLX5_USER_ASSIGNED_UIDX_MASK: user indexes are 24 bits. */
const UIDX_LIMIT = 1 << 24;

function doorbell(b: Bundle, umemId: number, addr: bigint, what: string): UserBuffer {
  return b.has(umemId) ? bufferDesc(b, umemId, `${what} doorbell`) : pinUserMemory(b.file.process, addr, BigInt(DB_RECORD), `${what} doorbell`);
}

/** A receive WQE holds at least a 16-byte scatter entry and at most the device's largest descriptor. */
function rqWqeShiftOk(s: Mlx5State, shift: number): boolean {
  return shift >= 4 && 2 ** shift <= s.caps.maxRqDescSize;
}

/** What mlx5 keeps of a CQ. */
export interface Mlx5CqInfo {
  readonly cqeSize: 64 | 128;
  /** The mini-CQE format when compression is on, else 0. */
  readonly compression: number;
  readonly flags: number;
  /** The UAR page whose doorbell arms the CQ. */
  readonly uarIndex: number;
  readonly ring: UserBuffer;
  readonly db: UserBuffer;
}
export interface Mlx5Cq extends Cq {
  mlx5?: Mlx5CqInfo;
}

function cqInfo(b: Bundle, s: Mlx5State, ctx: Mlx5Context, cq: Cq): Mlx5CqInfo {
  const A = UVERBS_ATTRS_CQ_CREATE;
  const u = udataIn(b, MLX5_IB_CREATE_CQ_SIZE);
  if (u.len < 22) fail(EINVAL, `the create CQ request is ${u.len} bytes, less than the 22 before its flags`);
  const req = decodeMlx5IbCreateCq(u.view, 0);
  if ((req.flags & ~MLX5_IB_CREATE_CQ_FLAGS_MASK) !== 0) fail(EINVAL, `CQ flags 0x${req.flags.toString(16)} are not known`);
  if (req.reserved0 !== 0 || req.reserved1 !== 0) fail(EINVAL, 'the reserved fields of the create CQ request must be 0');
  if (req.cqeSize !== 64 && req.cqeSize !== 128) fail(EINVAL, `a CQE is 64 or 128 bytes, not ${req.cqeSize}`);
  if (req.cqeSize === 128 && !s.caps.cqe128) fail(EINVAL, 'the device has no 128-byte CQEs');
  if ((req.flags & CQF.MLX5_IB_CREATE_CQ_FLAGS_CQE_128B_PAD) !== 0) {
    if (!s.caps.cqe128) fail(EOPNOTSUPP, 'the device cannot pad 128-byte CQEs');
    if (req.cqeSize !== 128) fail(EINVAL, 'padding is for 128-byte CQEs');
  }
  let compression = 0;
  if (req.cqeCompEn > 1) fail(EINVAL, `cqe_comp_en is ${req.cqeCompEn}, not 0 or 1`);
  if (req.cqeCompEn === 1) {
    const f = req.cqeCompResFormat;
    if (s.caps.cqeCompFormats === 0) fail(EOPNOTSUPP, 'the device does not compress CQEs');
    if ((f & ~MLX5_IB_CQE_COMP_RES_FORMAT_MASK) !== 0 || !isPow2(f) || (f & s.caps.cqeCompFormats) === 0) {
      fail(EOPNOTSUPP, `mini-CQE format 0x${f.toString(16)} is not one the device offers (0x${s.caps.cqeCompFormats.toString(16)})`);
    }
    compression = f;
  }
  let uarIndex: number;
  if (b.has(A.uar_index)) uarIndex = b.u32(A.uar_index);
  else if ((req.flags & CQF.MLX5_IB_CREATE_CQ_FLAGS_UAR_PAGE_INDEX) !== 0) uarIndex = req.uarPageIndex;
  else if (ctx.request.libDynUar) fail(EINVAL, 'a context with dynamic UARs names the CQ\'s UAR page');
  else uarIndex = ctx.staticUars[0]!;
  if (!ctx.ownsUar(uarIndex, uarObjectIndexes(b.file))) fail(EINVAL, `UAR ${uarIndex} is not a page of this context`);
  const p = b.file.process;
  const ring = cq.buffer ?? pinUserMemory(p, req.bufAddr, BigInt((cq.cqe + 1) * req.cqeSize), 'CQ ring');
  const db = doorbell(b, A.dbr_buf_umem, req.dbAddr, 'CQ');
  return { cqeSize: req.cqeSize, compression, flags: req.flags, uarIndex, ring, db };
}

/** What mlx5 keeps of a QP. */
export interface Mlx5QpInfo {
  readonly flags: number;
  /** The blue-flame register and the UAR page of the QP's doorbells (none for XRC_TGT and RSS QPs). */
  readonly bfregIndex: number;
  readonly uarIndex: number | undefined;
  readonly uidx: number;
  readonly ece: number;
  readonly buffer: UserBuffer | undefined;
  readonly db: UserBuffer | undefined;
  /** A raw packet QP is an RQ, an SQ, a TIR and a TIS in the firmware. */
  readonly raw: { readonly rqn: number; readonly sqn: number; readonly tirn: number; readonly tisn: number } | undefined;
  /** An RSS QP is a TIR over the indirection table. */
  readonly rss: { readonly tirn: number; readonly hashFields: bigint; readonly key: Uint8Array } | undefined;
}
export interface Mlx5Qp extends Qp {
  mlx5?: Mlx5QpInfo;
}

const RSS_QP_FLAGS = QPF.MLX5_QP_FLAG_TUNNEL_OFFLOADS | QPF.MLX5_QP_FLAG_TIR_ALLOW_SELF_LB_UC | QPF.MLX5_QP_FLAG_TIR_ALLOW_SELF_LB_MC;
const DC_FLAGS = QPF.MLX5_QP_FLAG_TYPE_DCT | QPF.MLX5_QP_FLAG_TYPE_DCI | QPF.MLX5_QP_FLAG_DCI_STREAM;
/** The ICM address space of TIRs, for software steering (tir_icm_addr). */
const TIR_ICM_BASE = 0x2_0000_0000n;

function rssInfo(b: Bundle, s: Mlx5State): Mlx5QpInfo {
  const u = udataIn(b, MLX5_IB_CREATE_QP_RSS_SIZE);
  if (u.len < MLX5_IB_CREATE_QP_RSS_SIZE) fail(EINVAL, `an RSS QP request is ${MLX5_IB_CREATE_QP_RSS_SIZE} bytes, not ${u.len}`);
  const req = decodeMlx5IbCreateQpRss(u.view, 0);
  if (req.compMask !== 0 || req.reserved.some((x) => x !== 0)) fail(EOPNOTSUPP, 'comp_mask and the reserved bytes of the RSS request must be 0');
  if ((req.flags & ~RSS_QP_FLAGS) !== 0) fail(EOPNOTSUPP, `RSS QP flags 0x${req.flags.toString(16)} are not for RSS QPs`);
  if (req.rxHashFunction !== MLX5_RX_HASH_FUNCTION_FLAGS.MLX5_RX_HASH_FUNC_TOEPLITZ) fail(EOPNOTSUPP, `hash function ${req.rxHashFunction} is not Toeplitz`);
  if (req.rxKeyLen === 0 || req.rxKeyLen > req.rxHashKey.length) fail(EINVAL, `a Toeplitz key of ${req.rxKeyLen} bytes`);
  if ((req.rxHashFieldsMask & ~BigInt(MLX5_RX_HASH_FIELDS_MASK)) !== 0n) fail(EOPNOTSUPP, `hash fields 0x${req.rxHashFieldsMask.toString(16)} are not known`);
  const tirn = s.space('tir').alloc();
  return {
    flags: req.flags, bfregIndex: 0, uarIndex: undefined, uidx: 0, ece: 0, buffer: undefined, db: undefined, raw: undefined,
    rss: { tirn, hashFields: req.rxHashFieldsMask, key: req.rxHashKey.slice(0, req.rxKeyLen) },
  };
}

function qpInfo(b: Bundle, s: Mlx5State, ctx: Mlx5Context, qp: Qp): Mlx5QpInfo {
  if (qp.indTbl) return rssInfo(b, s);
  const A = UVERBS_ATTRS_QP_CREATE;
  const u = udataIn(b, MLX5_IB_CREATE_QP_SIZE);
  // Everything before ece_options: older libraries stop there.
  if (u.len < 48) fail(EINVAL, `the create QP request is ${u.len} bytes, less than 48`);
  const req = decodeMlx5IbCreateQp(u.view, 0);
  if ((req.flags & ~MLX5_QP_FLAG_MASK) !== 0) fail(EINVAL, `QP flags 0x${req.flags.toString(16)} are not known`);
  if ((req.flags & DC_FLAGS) !== 0 && qp.qpType !== QPT.IB_UVERBS_QPT_DRIVER) fail(EINVAL, 'DC flags are for DRIVER QPs');
  if ((req.flags & RSS_QP_FLAGS & ~QPF.MLX5_QP_FLAG_TUNNEL_OFFLOADS) !== 0 && qp.qpType !== QPT.IB_UVERBS_QPT_RAW_PACKET) {
    fail(EINVAL, 'self-loopback flags are for raw packet QPs');
  }
  if (req.eceOptions !== 0 && !s.caps.ece) fail(EOPNOTSUPP, 'the device has no ECE options');
  if (ctx.cqeVersion === 1 && req.uidx >= UIDX_LIMIT) fail(EINVAL, `user index 0x${req.uidx.toString(16)} is above 24 bits`);
  for (const [n, what] of [[req.sqWqeCount, 'sq_wqe_count'], [req.rqWqeCount, 'rq_wqe_count']] as const) {
    if (n !== 0 && !isPow2(n)) fail(EINVAL, `${what} ${n} is not a power of two`);
  }
  if (req.rqWqeCount !== 0 && !rqWqeShiftOk(s, req.rqWqeShift)) fail(EINVAL, `receive WQEs of 2^${req.rqWqeShift} bytes`);
  const p = b.file.process;
  const isTgt = qp.qpType === QPT.IB_UVERBS_QPT_XRC_TGT;
  const isRaw = qp.qpType === QPT.IB_UVERBS_QPT_RAW_PACKET;
  let buffer: UserBuffer | undefined;
  let db: UserBuffer | undefined;
  let bfregIndex = 0;
  let uarIndex: number | undefined;
  if (!isTgt) {
    const rqBytes = req.rqWqeCount * 2 ** req.rqWqeShift;
    const bytes = rqBytes + (isRaw ? 0 : req.sqWqeCount * SEND_WQE_BB);
    buffer = qp.buffers.wq ?? (bytes > 0 && !qp.buffers.rq ? pinUserMemory(p, req.bufAddr, BigInt(bytes), 'QP buffer') : undefined);
    if (isRaw && req.sqWqeCount > 0 && !qp.buffers.sq) pinUserMemory(p, req.sqBufAddrOrAccessKey.sqBufAddr, BigInt(req.sqWqeCount * SEND_WQE_BB), 'SQ buffer');
    db = doorbell(b, A.dbr_buf_umem, req.dbAddr, 'QP');
    if ((req.flags & QPF.MLX5_QP_FLAG_UAR_PAGE_INDEX) !== 0) {
      uarIndex = req.bfregIndex;
      if (!ctx.ownsUar(uarIndex, uarObjectIndexes(b.file))) fail(EINVAL, `UAR ${uarIndex} is not a page of this context`);
      bfregIndex = req.bfregIndex;
    } else if ((req.flags & QPF.MLX5_QP_FLAG_BFREG_INDEX) !== 0) {
      uarIndex = ctx.dynamicUar(s, req.bfregIndex);
      bfregIndex = req.bfregIndex;
    } else {
      if (ctx.request.libDynUar) fail(EINVAL, 'a context with dynamic UARs names the QP\'s blue-flame register');
      bfregIndex = ctx.sharedBfreg();
      uarIndex = ctx.uarOfBfreg(bfregIndex);
    }
  }
  const raw = isRaw ? { rqn: s.space('rq').alloc(), sqn: s.space('sq').alloc(), tirn: s.space('tir').alloc(), tisn: s.space('tis').alloc() } : undefined;
  return { flags: req.flags, bfregIndex, uarIndex, uidx: req.uidx, ece: s.caps.ece ? req.eceOptions : 0, buffer, db, raw, rss: undefined };
}

function qpResp(info: Mlx5QpInfo): Mlx5IbCreateQpResp {
  const r: Mlx5IbCreateQpResp = { bfregIndex: info.bfregIndex, eceOptions: info.ece, compMask: 0, tirn: 0, tisn: 0, rqn: 0, sqn: 0, reserved1: 0, tirIcmAddr: 0n };
  if (info.raw) {
    r.compMask = QPR.MLX5_IB_CREATE_QP_RESP_MASK_TIRN | QPR.MLX5_IB_CREATE_QP_RESP_MASK_TISN | QPR.MLX5_IB_CREATE_QP_RESP_MASK_RQN | QPR.MLX5_IB_CREATE_QP_RESP_MASK_SQN;
    Object.assign(r, { tirn: info.raw.tirn, tisn: info.raw.tisn, rqn: info.raw.rqn, sqn: info.raw.sqn });
  }
  if (info.rss) {
    r.compMask = QPR.MLX5_IB_CREATE_QP_RESP_MASK_TIRN | QPR.MLX5_IB_CREATE_QP_RESP_MASK_TIR_ICM_ADDR;
    r.tirn = info.rss.tirn;
    r.tirIcmAddr = TIR_ICM_BASE + BigInt(info.rss.tirn) * 0x100n;
  }
  return r;
}

/** What mlx5 keeps of an SRQ or a WQ: its user index and the memory of its queue and doorbell. */
export interface Mlx5RqInfo {
  readonly flags: number;
  readonly uidx: number;
  readonly buffer: UserBuffer;
  readonly db: UserBuffer;
  /** Striding RQ: log2 of the stride size and of the strides per WQE. */
  readonly striding: { readonly strideLog: number; readonly stridesLog: number; readonly twoByteShift: boolean } | undefined;
}
export interface Mlx5Srq extends Srq {
  mlx5?: Mlx5RqInfo;
}
export interface Mlx5Wq extends Wq {
  mlx5?: Mlx5RqInfo;
}

function srqInfo(b: Bundle, ctx: Mlx5Context, srq: Srq): Mlx5RqInfo {
  const u = udataIn(b, MLX5_IB_CREATE_SRQ_SIZE);
  if (!u.tailCleared) fail(EINVAL, 'the create SRQ request has non-zero bytes beyond the struct');
  const req = decodeMlx5IbCreateSrq(u.view, 0);
  if (req.reserved0 !== 0 || req.reserved1 !== 0) fail(EINVAL, 'the reserved fields of the create SRQ request must be 0');
  if ((req.flags & ~MLX5_SRQ_FLAG_MASK) !== 0) fail(EINVAL, `SRQ flags 0x${req.flags.toString(16)} are not known`);
  if (ctx.cqeVersion === 1 && req.uidx >= UIDX_LIMIT) fail(EINVAL, `user index 0x${req.uidx.toString(16)} is above 24 bits`);
  const desc = roundupPow2(16 + 16 * srq.maxSge);
  const p = b.file.process;
  const buffer = pinUserMemory(p, req.bufAddr, BigInt((srq.maxWr + 1) * desc), 'SRQ buffer');
  const db = pinUserMemory(p, req.dbAddr, BigInt(DB_RECORD), 'SRQ doorbell');
  return { flags: req.flags, uidx: req.uidx, buffer, db, striding: undefined };
}

function wqInfo(b: Bundle, s: Mlx5State, ctx: Mlx5Context): Mlx5RqInfo {
  const u = udataIn(b, MLX5_IB_CREATE_WQ_SIZE);
  // Everything through comp_mask is needed; the striding fields may be left off.
  if (u.len < 36) fail(EINVAL, `the create WQ request is ${u.len} bytes, less than 36`);
  if (!u.tailCleared) fail(EOPNOTSUPP, 'the create WQ request has non-zero bytes beyond the struct');
  const req = decodeMlx5IbCreateWq(u.view, 0);
  if ((req.compMask & ~MLX5_IB_CREATE_WQ_MASK_MASK) !== 0) fail(EOPNOTSUPP, `comp_mask 0x${req.compMask.toString(16)} has unknown bits`);
  if ((req.flags & ~MLX5_WQ_FLAG_MASK) !== 0) fail(EOPNOTSUPP, `WQ flags 0x${req.flags.toString(16)} are not known`);
  if (ctx.cqeVersion === 1 && req.userIndex >= UIDX_LIMIT) fail(EINVAL, `user index 0x${req.userIndex.toString(16)} is above 24 bits`);
  let striding: Mlx5RqInfo['striding'];
  if ((req.compMask & MLX5_IB_CREATE_WQ_MASK.MLX5_IB_CREATE_WQ_STRIDING_RQ) !== 0) {
    const c = s.caps.stridingRq;
    if (!c) fail(EOPNOTSUPP, 'the device has no striding RQs');
    if (req.singleStrideLogNumOfBytes < c.minStrideLog || req.singleStrideLogNumOfBytes > c.maxStrideLog) fail(EINVAL, `strides of 2^${req.singleStrideLogNumOfBytes} bytes`);
    if (req.singleWqeLogNumOfStrides < c.minStridesLog || req.singleWqeLogNumOfStrides > c.maxStridesLog) fail(EINVAL, `2^${req.singleWqeLogNumOfStrides} strides per WQE`);
    if (req.twoByteShiftEn > 1) fail(EINVAL, 'two_byte_shift_en is 0 or 1');
    striding = { strideLog: req.singleStrideLogNumOfBytes, stridesLog: req.singleWqeLogNumOfStrides, twoByteShift: req.twoByteShiftEn === 1 };
  }
  if (req.rqWqeCount === 0 || !isPow2(req.rqWqeCount)) fail(EINVAL, `rq_wqe_count ${req.rqWqeCount} is not a power of two`);
  if (!rqWqeShiftOk(s, req.rqWqeShift)) fail(EINVAL, `receive WQEs of 2^${req.rqWqeShift} bytes`);
  const p = b.file.process;
  const buffer = pinUserMemory(p, req.bufAddr, BigInt(req.rqWqeCount * 2 ** req.rqWqeShift), 'WQ buffer');
  const db = pinUserMemory(p, req.dbAddr, BigInt(DB_RECORD), 'WQ doorbell');
  return { flags: req.flags, uidx: req.userIndex, buffer, db, striding };
}

export function releaseMlx5Qp(s: CoreState, r: Mlx5Qp, reason: RemoveReasonId): void {
  releaseQp(s, r, reason); // refuses (EBUSY) before anything changed
  const m = s as Mlx5State;
  const raw = r.mlx5?.raw;
  if (raw) {
    m.space('rq').free(raw.rqn);
    m.space('sq').free(raw.sqn);
    m.space('tir').free(raw.tirn);
    m.space('tis').free(raw.tisn);
  }
  if (r.mlx5?.rss) m.space('tir').free(r.mlx5.rss.tirn);
}

// What mlx5 keeps of a CQ, SRQ or WQ holds nothing the core's release does not already give back.
export { releaseCq as releaseMlx5Cq, releaseSrq as releaseMlx5Srq, releaseWq as releaseMlx5Wq };

export const queueHandlers = {
  cqCreate(b: Bundle): void {
    cqHandlers.cqCreate(b);
    const cq = recordOf<Mlx5Cq>(b.uobject(UVERBS_ATTRS_CQ_CREATE.handle), 'CQ');
    cq.mlx5 = cqInfo(b, mlx5State(b.device), mlx5ContextOf(b.file), cq);
    udataOut(b, MLX5_IB_CREATE_CQ_RESP_SIZE, (v, o) => encodeMlx5IbCreateCqResp(v, o, { cqn: cq.cqn }));
  },

  qpCreate(b: Bundle): void {
    qpHandlers.qpCreate(b);
    const qp = recordOf<Mlx5Qp>(b.uobject(UVERBS_ATTRS_QP_CREATE.handle), 'QP');
    const info = qpInfo(b, mlx5State(b.device), mlx5ContextOf(b.file), qp);
    qp.mlx5 = info;
    udataOut(b, MLX5_IB_CREATE_QP_RESP_SIZE, (v, o) => encodeMlx5IbCreateQpResp(v, o, qpResp(info)));
  },

  srqCreate(b: Bundle): void {
    srqHandlers.srqCreate(b);
    const srq = recordOf<Mlx5Srq>(b.uobject(UVERBS_ATTRS_SRQ_CREATE.handle), 'SRQ');
    srq.mlx5 = srqInfo(b, mlx5ContextOf(b.file), srq);
    udataOut(b, MLX5_IB_CREATE_SRQ_RESP_SIZE, (v, o) => encodeMlx5IbCreateSrqResp(v, o, { srqn: srq.srqn }));
  },

  wqCreate(b: Bundle): void {
    wqHandlers.wqCreate(b);
    const wq = recordOf<Mlx5Wq>(b.uobject(UVERBS_ATTRS_WQ_CREATE.handle), 'WQ');
    wq.mlx5 = wqInfo(b, mlx5State(b.device), mlx5ContextOf(b.file));
    const room = b.udataOutLen();
    udataOut(b, MLX5_IB_CREATE_WQ_RESP_SIZE, (v, o) => encodeMlx5IbCreateWqResp(v, o, { responseLength: Math.min(room, MLX5_IB_CREATE_WQ_RESP_SIZE) }));
  },
};
