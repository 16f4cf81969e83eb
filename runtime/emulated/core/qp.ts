/**
 * QP: creation with the kernel's checks of which handles each type takes, then the
 * device's own: the types it offers, its limits, and the capabilities it grants.
 *
 * Grants follow mlx5's sizing. A send WQE is a header (by type) plus either the
 * scatter entries or the inline data, rounded up to 64-byte basic blocks; the room in
 * that WQE is what the QP may use, so it reports at least the SGEs and inline bytes
 * asked for. Work queue depths are powers of two, receive SGE counts too.
 */
import { IB_UVERBS_QP_ATTACH_COMP_CNTR_OP_MASK, IB_UVERBS_QP_CREATE_FLAGS, IB_UVERBS_QP_CREATE_FLAGS_MASK, IB_UVERBS_QP_TYPE as QPT, IB_UVERBS_SRQ_TYPE } from '../../../generated/core/enums.js';
import { UVERBS_ATTRS_QP_ATTACH_COMP_CNTR, UVERBS_ATTRS_QP_CREATE, UVERBS_ATTRS_QP_DESTROY } from '../../../generated/core/ids.js';
import {
  decodeIbUverbsQpCap, encodeIbUverbsDestroyQpResp, encodeIbUverbsQpCap, IB_UVERBS_DESTROY_QP_RESP_SIZE, IB_UVERBS_QP_CAP_SIZE, type IbUverbsQpCap,
} from '../../../generated/core/structs.js';
import type { Bundle } from '../../kernel/bundle.js';
import { RemoveReason, type RemoveReasonId } from '../../kernel/device.js';
import { EBUSY, EINVAL, EOPNOTSUPP, EPERM, fail } from '../../abi/errno.js';
import { dropAsyncEvents, eventFileFor, type AsyncEvent } from './async-event.js';
import { roundupPow2 } from './caps.js';
import type { CompCntr } from './comp-cntr.js';
import { contextOf } from './context.js';
import type { Cq } from './cq.js';
import { resetQp } from './datapath.js';
import type { Pd, Xrcd } from './pd.js';
import { initialQpAttr, type QpAttr } from './qp-state.js';
import type { Srq } from './srq.js';
import { coreState, drop, hold, neededRecord, optionalRecord, recordOf, type Base, type CoreState } from './state.js';
import { bufferDesc, type UserBuffer } from './umem.js';
import type { RwqIndTbl } from './wq.js';
import { newWorkQueue, type RecvWr, type SendWqe, type WorkQueue } from './wr.js';

/** Bytes of a send WQE before its data: control segment plus the type's address segments. */
const SEND_HEADER = new Map<number, number>([
  [QPT.IB_UVERBS_QPT_RC, 48], // ctrl, remote address, atomic
  [QPT.IB_UVERBS_QPT_UC, 48],
  [QPT.IB_UVERBS_QPT_UD, 64], // ctrl, datagram (address vector)
  [QPT.IB_UVERBS_QPT_RAW_PACKET, 48], // ctrl, Ethernet segment
  [QPT.IB_UVERBS_QPT_XRC_INI, 64], // ctrl, XRC, remote address, atomic
]);
const WQE_BB = 64;
const SGE_SIZE = 16;
const INLINE_HDR = 4;

const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;

export interface QpParams {
  readonly qpType: number;
  readonly pd?: Pd | undefined;
  readonly xrcd?: Xrcd | undefined;
  readonly sendCq?: Cq | undefined;
  readonly recvCq?: Cq | undefined;
  readonly srq?: Srq | undefined;
  readonly indTbl?: RwqIndTbl | undefined;
  /** What was asked for (ib_uverbs_qp_cap). */
  readonly cap: IbUverbsQpCap;
  readonly createFlags?: number;
  readonly sourceQpn?: number | undefined;
  readonly userHandle?: bigint;
  readonly eventFile?: AsyncEvent | undefined;
  readonly buffers?: QpBuffers;
}

/** User-supplied work queue memory: one buffer for both queues, or one per queue. */
export interface QpBuffers {
  readonly wq?: UserBuffer | undefined;
  readonly rq?: UserBuffer | undefined;
  readonly sq?: UserBuffer | undefined;
}

export interface Qp extends Base<'QP'> {
  readonly qpn: number;
  readonly qpType: number;
  readonly pd: Pd | undefined;
  readonly xrcd: Xrcd | undefined;
  readonly sendCq: Cq | undefined;
  readonly recvCq: Cq | undefined;
  readonly srq: Srq | undefined;
  readonly indTbl: RwqIndTbl | undefined;
  /** What the device granted. */
  readonly cap: IbUverbsQpCap;
  readonly createFlags: number;
  readonly sourceQpn: number | undefined;
  readonly userHandle: bigint;
  readonly eventFile: AsyncEvent | undefined;
  readonly buffers: QpBuffers;
  /** Completion counters counting this QP's completions, by the operations given at attach. */
  readonly compCntrs: { readonly cntr: CompCntr; readonly ops: number }[];
  /** Multicast groups attached through write() (ATTACH_MCAST), by mcastKey; destroy waits for them to go. */
  readonly mcast: Set<string>;
  eventsReported: number;
  /** State and attributes (MODIFY_QP, QUERY_QP). */
  attr: QpAttr;
  /** Send queue: sends posted and not yet given back (see wr.ts). */
  readonly sq: WorkQueue<SendWqe>;
  /** Receive queue (unused with an SRQ). */
  readonly rq: WorkQueue<RecvWr>;
}

/** What the device grants for `req` on a QP of `qpType`; EINVAL beyond its limits. */
export function grantQpCap(s: CoreState, qpType: number, req: IbUverbsQpCap, hasSq: boolean, hasRq: boolean): IbUverbsQpCap {
  const c = s.caps;
  if (req.maxSendWr > c.maxQpWr || req.maxRecvWr > c.maxQpWr) fail(EINVAL, `a work queue holds at most ${c.maxQpWr} work requests`);
  if (req.maxSendSge > c.maxSge || req.maxRecvSge > c.maxSge) fail(EINVAL, `a work request takes at most ${c.maxSge} scatter/gather entries`);
  if (req.maxInlineData > c.maxInlineData) fail(EINVAL, `inline data is limited to ${c.maxInlineData} bytes`);
  const cap: IbUverbsQpCap = { maxSendWr: 0, maxRecvWr: 0, maxSendSge: 0, maxRecvSge: 0, maxInlineData: 0 };
  if (hasSq && req.maxSendWr > 0) {
    const header = SEND_HEADER.get(qpType) ?? WQE_BB;
    const data = Math.max(req.maxSendSge * SGE_SIZE, req.maxInlineData > 0 ? alignUp(INLINE_HDR + req.maxInlineData, SGE_SIZE) : 0);
    const wqe = alignUp(header + Math.max(data, SGE_SIZE), WQE_BB);
    cap.maxSendWr = roundupPow2(req.maxSendWr);
    cap.maxSendSge = Math.min(c.maxSge, (wqe - header) / SGE_SIZE);
    cap.maxInlineData = Math.min(c.maxInlineData, wqe - header - INLINE_HDR);
  }
  if (hasRq && req.maxRecvWr > 0) {
    cap.maxRecvWr = roundupPow2(req.maxRecvWr);
    cap.maxRecvSge = roundupPow2(Math.max(req.maxRecvSge, 1));
  }
  return cap;
}

export function newQp(s: CoreState, p: QpParams): Qp {
  if (!s.caps.qpTypes.includes(p.qpType)) fail(EOPNOTSUPP, `the device does not create QPs of type ${p.qpType}`);
  if (p.sourceQpn !== undefined && p.qpType !== QPT.IB_UVERBS_QPT_UD) fail(EINVAL, 'only UD QPs send with a source QP number');
  const b = p.buffers ?? {};
  if (b.wq && (b.rq || b.sq)) fail(EINVAL, 'one buffer for both queues excludes per-queue buffers');
  if ((b.rq || b.sq) && p.qpType !== QPT.IB_UVERBS_QPT_RAW_PACKET) fail(EINVAL, 'only RAW_PACKET QPs keep their queues in separate buffers');
  const hasSq = p.qpType !== QPT.IB_UVERBS_QPT_XRC_TGT;
  const hasRq = !p.srq && !p.indTbl && p.qpType !== QPT.IB_UVERBS_QPT_XRC_INI && p.qpType !== QPT.IB_UVERBS_QPT_XRC_TGT;
  const cap = grantQpCap(s, p.qpType, p.cap, hasSq, hasRq);
  const qp = s.born<Qp>({
    type: 'QP', usecnt: 0, released: false,
    qpn: s.qpns.alloc(),
    qpType: p.qpType,
    pd: p.pd,
    xrcd: p.xrcd,
    sendCq: p.sendCq,
    recvCq: p.recvCq,
    srq: p.srq,
    indTbl: p.indTbl,
    cap,
    createFlags: p.createFlags ?? 0,
    sourceQpn: p.sourceQpn,
    userHandle: p.userHandle ?? 0n,
    eventFile: p.eventFile,
    buffers: b,
    compCntrs: [],
    mcast: new Set(),
    eventsReported: 0,
    attr: initialQpAttr(),
    sq: newWorkQueue(),
    rq: newWorkQueue(),
  });
  for (const r of [qp.pd, qp.xrcd, qp.sendCq, qp.recvCq, qp.srq, qp.indTbl]) hold(r);
  s.qps.set(qp.qpn, qp);
  return qp;
}

export function releaseQp(s: CoreState, r: Qp, reason: RemoveReasonId): void {
  if (reason === RemoveReason.DESTROY) {
    if (r.usecnt > 0) fail(EBUSY, `QP 0x${r.qpn.toString(16)} is still used by ${r.usecnt} flows`);
    if (r.mcast.size > 0) fail(EBUSY, `QP 0x${r.qpn.toString(16)} is still attached to ${r.mcast.size} multicast groups`);
  }
  // Close and removal detach multicast themselves: the attachments are not objects anything else releases.
  r.mcast.clear();
  resetQp(s, r);
  dropAsyncEvents(r.eventFile, r);
  s.qps.delete(r.qpn);
  for (const x of [r.pd, r.xrcd, r.sendCq, r.recvCq, r.srq, r.indTbl]) drop(x);
  for (const a of r.compCntrs) drop(a.cntr);
  s.qpns.free(r.qpn);
}

/** check_creation_flags: apart from SQ_SIG_ALL, flags are for UD and RAW_PACKET (DRIVER QPs are the driver's). */
function checkCreationFlags(qpType: number, flags: number): void {
  const f = flags & ~IB_UVERBS_QP_CREATE_FLAGS.IB_UVERBS_QP_CREATE_SQ_SIG_ALL;
  if (f === 0 || qpType === QPT.IB_UVERBS_QPT_DRIVER) return;
  if (qpType !== QPT.IB_UVERBS_QPT_RAW_PACKET && qpType !== QPT.IB_UVERBS_QPT_UD) fail(EINVAL, `create flags 0x${f.toString(16)} are only for UD and RAW_PACKET QPs`);
  const rawOnly = IB_UVERBS_QP_CREATE_FLAGS.IB_UVERBS_QP_CREATE_SCATTER_FCS | IB_UVERBS_QP_CREATE_FLAGS.IB_UVERBS_QP_CREATE_CVLAN_STRIPPING;
  if ((f & rawOnly) !== 0 && qpType !== QPT.IB_UVERBS_QPT_RAW_PACKET) fail(EINVAL, 'SCATTER_FCS and CVLAN_STRIPPING are only for RAW_PACKET QPs');
}

export const qpHandlers = {
  qpCreate(b: Bundle): void {
    const A = UVERBS_ATTRS_QP_CREATE;
    const s = coreState(b.device);
    const ctx = contextOf(b.file);
    const capIn = b.input(A.cap);
    const cap = decodeIbUverbsQpCap(capIn.view, capIn.offset);
    const userHandle = b.u64(A.user_handle);
    const qpType = Number(b.constIn(A.type, 0xffff_ffffn));

    let pd: Pd | undefined;
    let xrcd: Xrcd | undefined;
    let sendCq: Cq | undefined;
    let recvCq: Cq | undefined;
    let indTbl: RwqIndTbl | undefined;
    switch (qpType) {
      case QPT.IB_UVERBS_QPT_XRC_TGT:
        if (b.has(A.recv_cq_handle) || b.has(A.send_cq_handle) || b.has(A.pd_handle) || b.has(A.ind_table_handle)) {
          fail(EINVAL, 'an XRC_TGT QP takes no PD, CQs or indirection table');
        }
        xrcd = neededRecord<Xrcd>(b, A.xrcd_handle, 'XRCD', 'an XRC_TGT QP needs xrcd_handle');
        break;
      case QPT.IB_UVERBS_QPT_RAW_PACKET:
      case QPT.IB_UVERBS_QPT_RC:
      case QPT.IB_UVERBS_QPT_UC:
      case QPT.IB_UVERBS_QPT_UD:
      case QPT.IB_UVERBS_QPT_XRC_INI:
      case QPT.IB_UVERBS_QPT_DRIVER:
        if (qpType === QPT.IB_UVERBS_QPT_RAW_PACKET && !s.mayUseRawPacket(b.file.process)) fail(EPERM, 'RAW_PACKET QPs need CAP_NET_RAW');
        if (b.has(A.xrcd_handle) || (b.has(A.srq_handle) && qpType === QPT.IB_UVERBS_QPT_XRC_INI)) {
          fail(EINVAL, 'only XRC_TGT QPs take an XRCD, and XRC_INI QPs take no SRQ');
        }
        pd = neededRecord<Pd>(b, A.pd_handle, 'PD', `a QP of type ${qpType} needs pd_handle`);
        indTbl = optionalRecord<RwqIndTbl>(b, A.ind_table_handle, 'RWQ_IND_TBL');
        if (indTbl) {
          if (cap.maxRecvWr || cap.maxRecvSge || b.has(A.recv_cq_handle) || b.has(A.srq_handle)) {
            fail(EINVAL, 'a QP with an indirection table has no receive queue, receive CQ or SRQ');
          }
          if (cap.maxSendWr) sendCq = neededRecord<Cq>(b, A.send_cq_handle, 'CQ', 'a QP with a send queue needs send_cq_handle');
        } else {
          sendCq = neededRecord<Cq>(b, A.send_cq_handle, 'CQ', 'the QP needs send_cq_handle');
          if (qpType !== QPT.IB_UVERBS_QPT_XRC_INI) recvCq = neededRecord<Cq>(b, A.recv_cq_handle, 'CQ', 'the QP needs recv_cq_handle');
        }
        break;
      default:
        fail(EINVAL, `QP type ${qpType} is not one of ib_uverbs_qp_type`);
    }

    const flags = Number(b.flags(A.flags, BigInt(IB_UVERBS_QP_CREATE_FLAGS_MASK)));
    checkCreationFlags(qpType, flags);
    const sourceQpn = b.has(A.source_qpn) ? b.u32(A.source_qpn) : undefined;
    const srq = optionalRecord<Srq>(b, A.srq_handle, 'SRQ');
    if (srq && (srq.srqType === IB_UVERBS_SRQ_TYPE.IB_UVERBS_SRQT_XRC) !== (qpType === QPT.IB_UVERBS_QPT_XRC_TGT)) {
      fail(EINVAL, 'an XRC SRQ goes with an XRC_TGT QP, and an XRC_TGT QP takes only an XRC SRQ');
    }
    const eventFile = eventFileFor(b, A.event_fd, ctx);
    const buf = (id: number, what: string): UserBuffer | undefined => (b.has(id) ? bufferDesc(b, id, what) : undefined);
    const buffers: QpBuffers = { wq: buf(A.buf_umem, 'QP buffer'), rq: buf(A.rq_buf_umem, 'RQ buffer'), sq: buf(A.sq_buf_umem, 'SQ buffer') };

    const qp = newQp(s, { qpType, pd, xrcd, sendCq, recvCq, srq, indTbl, cap, createFlags: flags, sourceQpn, userHandle, eventFile, buffers });
    const u = b.uobject(A.handle);
    u.object = qp;
    u.userHandle = userHandle;
    b.output(A.resp_cap, IB_UVERBS_QP_CAP_SIZE, (v, o) => encodeIbUverbsQpCap(v, o, qp.cap));
    b.outputU32(A.resp_qp_num, qp.qpn);
  },

  qpDestroy(b: Bundle): void {
    const A = UVERBS_ATTRS_QP_DESTROY;
    const qp = recordOf<Qp>(b.uobject(A.handle), 'QP');
    b.output(A.resp, IB_UVERBS_DESTROY_QP_RESP_SIZE, (v, o) => encodeIbUverbsDestroyQpResp(v, o, { eventsReported: qp.eventsReported }));
  },

  qpAttachCompCntr(b: Bundle): void {
    const A = UVERBS_ATTRS_QP_ATTACH_COMP_CNTR;
    const caps = coreState(b.device).caps.compCntr;
    if (!caps) fail(EOPNOTSUPP, 'the device has no completion counters');
    const qp = recordOf<Qp>(b.uobject(A.handle), 'QP');
    const cntr = recordOf<CompCntr>(b.uobject(A.cntr_handle), 'COMP_CNTR');
    const ops = Number(b.flags(A.op_mask, BigInt(IB_UVERBS_QP_ATTACH_COMP_CNTR_OP_MASK)));
    if (ops === 0) fail(EINVAL, 'op_mask names no operation');
    if ((ops & ~caps.supportedOps) !== 0) fail(EOPNOTSUPP, `the device counts operations 0x${caps.supportedOps.toString(16)}, not 0x${ops.toString(16)}`);
    const taken = qp.compCntrs.find((a) => (a.ops & ops) !== 0);
    if (taken) fail(EBUSY, `operations 0x${(taken.ops & ops).toString(16)} of QP 0x${qp.qpn.toString(16)} already have a counter`);
    qp.compCntrs.push({ cntr, ops });
    hold(cntr);
  },
};
