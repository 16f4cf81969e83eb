/**
 * The data path of the emulated device: POST_SEND, POST_RECV and POST_SRQ_RECV, what
 * the device does with what is posted, the completions that result, and what a QP's
 * state does to its work queues.
 *
 * Posting checks each request as a device does, in order: the QP's state (a send needs
 * RTS or later, a receive INIT or later), the opcode for the QP's type, the number of
 * scatter/gather entries (EINVAL), room in the queue (ENOMEM), the inline size (ENOMEM,
 * as mlx5 answers). The first request refused ends the post: those before it stay
 * posted, and the result names it (ib_uverbs_post_send_resp.bad_wr, 1-based).
 *
 * A send is carried out at once when the QP is in RTS (loopback.ts moves the bytes),
 * waits in SQD, and is flushed in SQE and ERR. Completions go to the QP's CQs: every
 * receive has one; a send has one when it was SIGNALED, when the QP signals all
 * (SQ_SIG_ALL), or when it failed. A failed request moves an RC QP to ERR, a UD or UC
 * requester to SQE; ERR flushes every request left with WR_FLUSH_ERR.
 */
import { IB_UVERBS_QP_CREATE_FLAGS, IB_UVERBS_QP_TYPE as QPT, IB_UVERBS_WC_OPCODE as WCO, IB_UVERBS_WR_OPCODE as OP } from '../../../generated/core/enums.js';
import type { IbUverbsWc } from '../../../generated/core/structs.js';
import { EINVAL, ENOMEM, EOPNOTSUPP, fail, UverbsError } from '../../abi/errno.js';
import type { UserMemory } from '../../process/user-memory.js';
import { raiseAsyncEvent } from './async-event.js';
import { addCompletion, cleanCq, type Cq } from './cq.js';
import { deliver, type Arrival, type Taken } from './loopback.js';
import { initialQpAttr } from './qp-state.js';
import type { Qp } from './qp.js';
import type { Srq } from './srq.js';
import type { CoreState } from './state.js';
import { IbEvent, QpState, SendFlags, WcFlags, WcRecvOpcode, WcStatus } from './verbs.js';
import { occupancy, resetWorkQueue, type RecvWr, type SendWqe, type SendWr, type WorkQueue } from './wr.js';

/** The outcome of a post: how far it went. */
export interface PostResult {
  /** 0 when every request was posted, else the 1-based position of the first one refused (bad_wr). */
  readonly badWr: number;
  /** Why that one was refused (its errno is the command's); undefined when all were posted. */
  readonly error: UverbsError | undefined;
}

/** The opcodes each QP type carries, and the completion opcode of each. */
const SEND_OPS = new Map<number, number>([
  [OP.IB_UVERBS_WR_SEND, WCO.IB_UVERBS_WC_SEND],
  [OP.IB_UVERBS_WR_SEND_WITH_IMM, WCO.IB_UVERBS_WC_SEND],
  [OP.IB_UVERBS_WR_RDMA_WRITE, WCO.IB_UVERBS_WC_RDMA_WRITE],
  [OP.IB_UVERBS_WR_RDMA_WRITE_WITH_IMM, WCO.IB_UVERBS_WC_RDMA_WRITE],
  [OP.IB_UVERBS_WR_RDMA_READ, WCO.IB_UVERBS_WC_RDMA_READ],
  [OP.IB_UVERBS_WR_ATOMIC_CMP_AND_SWP, WCO.IB_UVERBS_WC_COMP_SWAP],
  [OP.IB_UVERBS_WR_ATOMIC_FETCH_AND_ADD, WCO.IB_UVERBS_WC_FETCH_ADD],
]);
const UD_OPS = new Set<number>([OP.IB_UVERBS_WR_SEND, OP.IB_UVERBS_WR_SEND_WITH_IMM]);
const UC_OPS = new Set<number>([...UD_OPS, OP.IB_UVERBS_WR_RDMA_WRITE, OP.IB_UVERBS_WR_RDMA_WRITE_WITH_IMM]);
const RC_OPS = new Set<number>(SEND_OPS.keys());
const OPS_BY_TYPE = new Map<number, ReadonlySet<number>>([[QPT.IB_UVERBS_QPT_RC, RC_OPS], [QPT.IB_UVERBS_QPT_UC, UC_OPS], [QPT.IB_UVERBS_QPT_UD, UD_OPS]]);
const RDMA_OPS = new Set<number>([OP.IB_UVERBS_WR_RDMA_WRITE, OP.IB_UVERBS_WR_RDMA_WRITE_WITH_IMM, OP.IB_UVERBS_WR_RDMA_READ]);
const ATOMIC_OPS = new Set<number>([OP.IB_UVERBS_WR_ATOMIC_CMP_AND_SWP, OP.IB_UVERBS_WR_ATOMIC_FETCH_AND_ADD]);
/** What may go inline: the operations that carry data out. */
const INLINE_OPS = new Set<number>([...UC_OPS]);

/** Runs `post` for each request until one is refused. */
function postEach<W>(wrs: readonly W[], post: (wr: W) => void): PostResult {
  for (let i = 0; i < wrs.length; i++) {
    try {
      post(wrs[i]!);
    } catch (e) {
      if (e instanceof UverbsError) return { badWr: i + 1, error: e };
      throw e;
    }
  }
  return { badWr: 0, error: undefined };
}

/** The checks of one send request; its inline bytes, copied from `memory` now, as the device copies them into the WQE. */
function checkSend(qp: Qp, wr: SendWr, memory: UserMemory): Uint8Array | undefined {
  const ops = OPS_BY_TYPE.get(qp.qpType);
  if (!ops) fail(EOPNOTSUPP, `the loopback carries RC, UC and UD QPs, not type ${qp.qpType}`);
  if (qp.attr.qpState < QpState.RTS) fail(EINVAL, `QP 0x${qp.qpn.toString(16)} is in state ${qp.attr.qpState}: sends need RTS`);
  if (!ops.has(wr.opcode)) fail(EINVAL, `opcode ${wr.opcode} is not one a QP of type ${qp.qpType} carries on this device`);
  if (qp.qpType === QPT.IB_UVERBS_QPT_UD && !wr.ud) fail(EINVAL, 'a UD send names an AH');
  if (RDMA_OPS.has(wr.opcode) && !wr.rdma) fail(EINVAL, `opcode ${wr.opcode} needs its remote address and rkey`);
  if (ATOMIC_OPS.has(wr.opcode) && !wr.atomic) fail(EINVAL, `opcode ${wr.opcode} needs its remote address, rkey and operands`);
  if (wr.sgList.length > qp.cap.maxSendSge) fail(EINVAL, `${wr.sgList.length} scatter/gather entries are more than the QP's ${qp.cap.maxSendSge}`);
  if (occupancy(qp.sq) >= qp.cap.maxSendWr) fail(ENOMEM, `the send queue holds its ${qp.cap.maxSendWr} work requests`);
  if ((wr.sendFlags & SendFlags.INLINE) === 0) return undefined;
  if (!INLINE_OPS.has(wr.opcode)) fail(EINVAL, `opcode ${wr.opcode} carries no data to put inline`);
  const len = wr.sgList.reduce((n, e) => n + e.length, 0);
  if (len > qp.cap.maxInlineData) fail(ENOMEM, `${len} bytes inline are more than the QP's ${qp.cap.maxInlineData}`);
  const out = new Uint8Array(len);
  let at = 0;
  for (const e of wr.sgList) {
    if (e.addr + BigInt(e.length) > BigInt(Number.MAX_SAFE_INTEGER)) fail(EINVAL, `inline data at 0x${e.addr.toString(16)} is outside the address space`);
    out.set(memory.read(Number(e.addr), e.length, 'inline data'), at);
    at += e.length;
  }
  return out;
}

/**
 * POST_SEND: posts `wrs` on `qp` and carries them out as far as the QP's state allows.
 * `memory` is the poster's address space, which INLINE sends are copied from (their
 * lkeys are not used). Errors of the result: EOPNOTSUPP for a QP type the loopback does
 * not carry (RAW_PACKET, XRC, DRIVER), EINVAL (state before RTS, opcode, missing
 * operands, too many entries), ENOMEM (queue full, too much inline data), EFAULT
 * (inline data unmapped).
 */
export function postSend(s: CoreState, qp: Qp, wrs: readonly SendWr[], memory: UserMemory): PostResult {
  const r = postEach(wrs, (wr) => {
    const inline = checkSend(qp, wr, memory);
    qp.sq.pending.push({ wr, seq: qp.sq.head++, inline });
  });
  progress(s, qp);
  return r;
}

function checkRecv(wr: RecvWr, q: WorkQueue<RecvWr>, maxWr: number, maxSge: number): void {
  if (wr.sgList.length > maxSge) fail(EINVAL, `${wr.sgList.length} scatter/gather entries are more than the queue's ${maxSge}`);
  if (occupancy(q) >= maxWr) fail(ENOMEM, `the receive queue holds its ${maxWr} work requests`);
}

/**
 * POST_RECV: posts `wrs` on the receive queue of `qp` (in INIT or later; a QP in ERR
 * flushes them at once). Errors: EINVAL (RESET, too many entries), ENOMEM (queue full,
 * or a QP with no receive queue of its own: one with an SRQ, XRC).
 */
export function postRecv(s: CoreState, qp: Qp, wrs: readonly RecvWr[]): PostResult {
  const r = postEach(wrs, (wr) => {
    if (qp.attr.qpState === QpState.RESET) fail(EINVAL, `QP 0x${qp.qpn.toString(16)} is in RESET: receives need INIT`);
    checkRecv(wr, qp.rq, qp.cap.maxRecvWr, qp.cap.maxRecvSge);
    qp.rq.head++;
    qp.rq.pending.push(wr);
  });
  if (qp.attr.qpState === QpState.ERR) flushRecv(qp);
  resumeWaiting(s);
  return r;
}

/** POST_SRQ_RECV: posts `wrs` on `srq`. Errors: EINVAL (too many entries), ENOMEM (the SRQ is full). */
export function postSrqRecv(s: CoreState, srq: Srq, wrs: readonly RecvWr[]): PostResult {
  const r = postEach(wrs, (wr) => {
    checkRecv(wr, srq.rq, srq.maxWr, srq.maxSge);
    srq.rq.head++;
    srq.rq.pending.push(wr);
  });
  resumeWaiting(s);
  return r;
}

/** A work completion with the fields a request's completion does not report at zero. */
function wc(x: Partial<Omit<IbUverbsWc, 'ex'>> & Pick<IbUverbsWc, 'wrId' | 'status' | 'opcode' | 'qpNum'> & { immData?: number }): IbUverbsWc {
  const { immData = 0, ...rest } = x;
  return {
    vendorErr: 0, byteLen: 0, srcQp: 0, wcFlags: 0, pkeyIndex: 0, slid: 0, sl: 0, dlidPathBits: 0, portNum: 0, reserved: 0,
    ...rest,
    // The union ex: immediate data (or an invalidated rkey), the same 4 bytes either way.
    ex: { immData, invalidateRkey: immData },
  };
}

/** The send's completion, when it has one; its slot (and those of unsignaled sends before it) comes back once it is polled. */
function completeSend(qp: Qp, wqe: SendWqe, status: number, byteLen: number): void {
  const signaled = (wqe.wr.sendFlags & SendFlags.SIGNALED) !== 0 || (qp.createFlags & IB_UVERBS_QP_CREATE_FLAGS.IB_UVERBS_QP_CREATE_SQ_SIG_ALL) !== 0;
  if (status === WcStatus.SUCCESS && !signaled) return;
  if (!qp.sendCq) return;
  const op = wqe.wr.opcode;
  const imm = op === OP.IB_UVERBS_WR_SEND_WITH_IMM || op === OP.IB_UVERBS_WR_RDMA_WRITE_WITH_IMM;
  const sq = qp.sq;
  addCompletion(qp.sendCq, {
    wc: wc({ wrId: wqe.wr.wrId, status, opcode: SEND_OPS.get(op) ?? WCO.IB_UVERBS_WC_SEND, qpNum: qp.qpn, byteLen, wcFlags: imm ? WcFlags.WITH_IMM : 0 }),
    solicited: false,
    reclaim: () => {
      sq.tail = Math.max(sq.tail, wqe.seq + 1);
    },
  });
}

function completeRecv(cq: Cq | undefined, w: IbUverbsWc, solicited: boolean, reclaim: () => void): void {
  if (cq) addCompletion(cq, { wc: w, solicited, reclaim });
}

/** Takes the next receive of `qp`: from its SRQ (which reports reaching its limit) or its own queue. */
function takeRecv(qp: Qp): Taken | undefined {
  const srq = qp.srq;
  const q = srq ? srq.rq : qp.rq;
  const wr = q.pending.shift();
  if (!wr) return undefined;
  if (srq && srq.limit > 0 && q.pending.length < srq.limit) {
    srq.limit = 0; // the limit event disarms it, as a device does
    raiseAsyncEvent(srq.eventFile, { element: srq.userHandle, eventType: IbEvent.SRQ_LIMIT_REACHED, about: srq, reported: () => srq.eventsReported++ });
  }
  return { wr, reclaim: () => q.tail++ };
}

function arrive(s: CoreState, a: Arrival): void {
  const r = a.received;
  if (r) {
    const w = wc({
      wrId: r.taken.wr.wrId, status: r.status, opcode: r.opcode, qpNum: a.qp.qpn, byteLen: r.byteLen, immData: r.immData,
      srcQp: r.srcQp, wcFlags: r.wcFlags, slid: r.slid, sl: r.sl, dlidPathBits: r.dlidPathBits,
    });
    completeRecv(a.qp.recvCq, w, r.solicited, r.taken.reclaim);
  }
  if (a.event !== undefined) qpEvent(a.qp, a.event);
  if (a.error) toError(s, a.qp);
}

function qpEvent(qp: Qp, eventType: number): void {
  raiseAsyncEvent(qp.eventFile, { element: qp.userHandle, eventType, about: qp, reported: () => qp.eventsReported++ });
}

/** Carries out the sends of `qp` its state lets go: all of them in RTS, until one waits for a receive. */
function progress(s: CoreState, qp: Qp): void {
  const st = qp.attr.qpState;
  if (st === QpState.SQE || st === QpState.ERR) return flushSend(qp);
  while (qp.attr.qpState === QpState.RTS && qp.sq.pending.length > 0) {
    const wqe = qp.sq.pending[0]!;
    const d = deliver(s, qp, wqe, takeRecv);
    if (d.kind === 'wait') {
      s.rnrWaiting.add(qp);
      return;
    }
    s.rnrWaiting.delete(qp);
    qp.sq.pending.shift();
    for (const a of d.arrivals) arrive(s, a);
    completeSend(qp, wqe, d.status, d.byteLen);
    if (d.status !== WcStatus.SUCCESS) {
      if (qp.qpType === QPT.IB_UVERBS_QPT_RC) toError(s, qp);
      else if (qp.attr.qpState === QpState.RTS) {
        qp.attr.qpState = QpState.SQE;
        flushSend(qp);
      }
    }
  }
}

/** Senders waiting for a receive try again (one was just posted). */
function resumeWaiting(s: CoreState): void {
  for (const qp of [...s.rnrWaiting]) progress(s, qp);
}

function flushSend(qp: Qp): void {
  for (const wqe of qp.sq.pending.splice(0)) completeSend(qp, wqe, WcStatus.WR_FLUSH_ERR, 0);
}

function flushRecv(qp: Qp): void {
  const rq = qp.rq;
  for (const wr of rq.pending.splice(0)) {
    completeRecv(qp.recvCq, wc({ wrId: wr.wrId, status: WcStatus.WR_FLUSH_ERR, opcode: WcRecvOpcode.RECV, qpNum: qp.qpn }), false, () => rq.tail++);
  }
}

/** The QP enters ERR: every request left is flushed; a QP on an SRQ reports its last WQE reached. */
function toError(s: CoreState, qp: Qp): void {
  const was = qp.attr.qpState;
  qp.attr.qpState = QpState.ERR;
  s.rnrWaiting.delete(qp);
  flushSend(qp);
  flushRecv(qp);
  if (qp.srq && was !== QpState.ERR) qpEvent(qp, IbEvent.QP_LAST_WQE_REACHED);
}

/**
 * What entering state `next` from `cur` does to the QP's work (MODIFY_QP calls it
 * after keeping the attributes): RESET empties both queues without completions, drops
 * the QP's completions from its CQs and forgets the attributes; ERR flushes; RTS
 * resumes the sends that waited (SQD); SQD reports SQ_DRAINED when asked (`sqdNotify`),
 * at once, as no send is ever in flight.
 */
export function enterState(s: CoreState, qp: Qp, cur: number, next: number, sqdNotify: boolean): void {
  switch (next) {
    case QpState.RESET:
      resetQp(s, qp);
      qp.attr = initialQpAttr();
      return;
    case QpState.ERR:
      toError(s, qp);
      return;
    case QpState.SQD:
      qp.attr.qpState = QpState.SQD;
      if (sqdNotify && cur === QpState.RTS) qpEvent(qp, IbEvent.SQ_DRAINED);
      return;
    default:
      qp.attr.qpState = next as typeof qp.attr.qpState;
      progress(s, qp);
  }
}

/** Empties the QP's queues and drops its completions from its CQs (reset, destroy). */
export function resetQp(s: CoreState, qp: Qp): void {
  s.rnrWaiting.delete(qp);
  resetWorkQueue(qp.sq);
  resetWorkQueue(qp.rq);
  cleanCq(qp.sendCq, qp.qpn);
  cleanCq(qp.recvCq, qp.qpn);
}
