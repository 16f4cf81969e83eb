/**
 * The wire of the emulated device: what one send work request does when it leaves a
 * QP. Every port is looped back on itself, so a message reaches the QPs of this device
 * on the same port whose address it names: an RC or UC QP's peer (dest_qp_num, reached
 * by the address vector's DLID on InfiniBand or DGID on RoCE, in RTR or later; an RC
 * peer must be connected back), or for UD the QP named by remote_qpn through the AH
 * (with the right Q_Key), or every QP attached to a multicast group.
 *
 * Memory is reached through keys: an lkey must name an MR of the QP's PD covering the
 * range (with LOCAL_WRITE where the device writes); an rkey an MR of the responder's
 * PD with the remote access the operation needs, which the responder QP's
 * qp_access_flags must allow too. The outcome follows the IB transport: a requester's
 * local error (LOC_PROT_ERR, LOC_LEN_ERR), errors the responder reports back on RC
 * (REM_INV_REQ_ERR for a receive too short, REM_OP_ERR for a receive it cannot write,
 * REM_ACCESS_ERR for a bad rkey), no answer at all (RETRY_EXC_ERR), no receive posted
 * (RNR: with rnr_retry 7 the requester waits, otherwise RNR_RETRY_EXC_ERR at once, the
 * emulation keeping no time). UC and UD have no acknowledgements: what the responder
 * cannot take is lost and the requester sees success.
 *
 * Atomics operate on 8 bytes of the responder's memory in host (little-endian) order.
 * A UD receive starts with the 40 bytes reserved for the GRH (written in IB's format
 * when the AH is global, left untouched otherwise), and its byte_len counts them.
 * deliver() decides and moves the bytes; the queues, completions and state changes
 * that follow are datapath.ts's.
 */
import { IB_UVERBS_ACCESS_FLAGS as ACC, IB_UVERBS_QP_TYPE as QPT, IB_UVERBS_WR_OPCODE as OP } from '../../../generated/core/enums.js';
import { LinkLayer, parseGid, PortState, type PortCaps } from './caps.js';
import { mrBytes, type Mr } from './mr.js';
import type { Pd } from './pd.js';
import type { Qp } from './qp.js';
import type { CoreState } from './state.js';
import { IbEvent, QpState, SendFlags, WcFlags, WcRecvOpcode, WcStatus } from './verbs.js';
import type { RecvWr, SendWqe, Sge } from './wr.js';

/** A receive request taken from a QP's receive queue or SRQ, and how to give its slot back once its completion is polled. */
export interface Taken {
  readonly wr: RecvWr;
  readonly reclaim: () => void;
}

/** Takes the next receive request of `qp` (from its SRQ if it has one), or undefined when none is posted. */
export type TakeRecv = (qp: Qp) => Taken | undefined;

/** A receive the message consumed, and what its completion reports. */
export interface Received {
  readonly taken: Taken;
  readonly status: number;
  /** WcRecvOpcode. */
  readonly opcode: number;
  readonly byteLen: number;
  readonly wcFlags: number;
  readonly immData: number;
  readonly srcQp: number;
  readonly slid: number;
  readonly sl: number;
  readonly dlidPathBits: number;
  /** The sender asked for a solicited event. */
  readonly solicited: boolean;
}

/** What reached one responder QP. */
export interface Arrival {
  readonly qp: Qp;
  readonly received: Received | undefined;
  /** The responder QP goes to ERR. */
  readonly error: boolean;
  /** An affiliated async event for the responder (an error no receive reports). */
  readonly event: number | undefined;
}

/** The outcome of one send request. */
export type Delivery =
  | { readonly kind: 'wait' }
  | { readonly kind: 'done'; readonly status: number; readonly byteLen: number; readonly arrivals: readonly Arrival[] };

/** The multicast group key a QP's mcast set holds: the GID in hex and the MLID. */
export function mcastKey(gid: Uint8Array, mlid: number): string {
  return `${Buffer.from(gid).toString('hex')}/${mlid}`;
}

/** The QP number in the 24-bit DestQP of a multicast packet. */
export const MULTICAST_QPN = 0xffffff;
const GRH_BYTES = 40;
const IB_NEXT_HEADER = 0x1b;
/** BTH, DETH and ICRC around a UD payload, for the GRH's PayLen. */
const UD_OVERHEAD = 12 + 8 + 4;
const U64 = (1n << 64n) - 1n;

const done = (status: number, byteLen = 0, arrivals: readonly Arrival[] = []): Delivery => ({ kind: 'done', status, byteLen, arrivals });

/** Path MTU code (1..5) in bytes. */
function mtuBytes(mtu: number): number {
  return 128 << mtu;
}

function portCaps(s: CoreState, port: number): PortCaps | undefined {
  return s.caps.ports[port - 1];
}

/** The states in which a QP takes what arrives. */
function canReceive(qp: Qp): boolean {
  const st = qp.attr.qpState;
  return st === QpState.RTR || st === QpState.RTS || st === QpState.SQD || st === QpState.SQE;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Whether a packet leaving `port` for the address (`dlid`, `dgid`) lands on `port` of the device, where `dst` listens. */
function reaches(s: CoreState, port: number, dlid: number, dgid: Uint8Array | undefined, dst: Qp): boolean {
  const p = portCaps(s, port);
  if (!p || p.state !== PortState.ACTIVE || dst.attr.portNum !== port) return false;
  if (p.linkLayer === LinkLayer.ETHERNET) return dgid !== undefined && p.gids.some((g) => sameBytes(parseGid(g.gid), dgid));
  const lmcMask = (1 << p.lmc) - 1;
  return (dlid & ~lmcMask) === p.lid;
}

/** The connected peer a message of RC or UC QP `qp` reaches, if any. */
function peerOf(s: CoreState, qp: Qp): Qp | undefined {
  const av = qp.attr.dest;
  const dst = s.qps.get(qp.attr.destQpNum);
  if (!dst || dst.qpType !== qp.qpType || !canReceive(dst)) return undefined;
  if (!reaches(s, qp.attr.portNum, av.dlid, av.isGlobal ? av.dgid : undefined, dst)) return undefined;
  if (qp.qpType === QPT.IB_UVERBS_QPT_RC && dst.attr.destQpNum !== qp.qpn) return undefined;
  return dst;
}

/** Pieces of memory standing for a run of bytes described by scatter/gather entries. */
type Pieces = { bytes: Uint8Array; offset: number; length: number }[];

/**
 * The memory behind the first `len` bytes of `sges`: each lkey an MR of `pd` covering
 * its entry, with `access` (LOCAL_WRITE for what the device writes). LOC_LEN_ERR when
 * the entries hold fewer bytes, LOC_PROT_ERR for a key that does not fit.
 */
function localPieces(s: CoreState, pd: Pd | undefined, sges: readonly Sge[], len: number, access: number): Pieces | number {
  const out: Pieces = [];
  let left = len;
  for (const sge of sges) {
    if (left === 0) break;
    const n = Math.min(sge.length, left);
    if (n === 0) continue;
    const k = s.keys.get(sge.lkey);
    const mr = k?.type === 'MR' ? (k as Mr) : undefined;
    if (!mr || mr.pd !== pd || (mr.access & access) !== access) return WcStatus.LOC_PROT_ERR;
    const at = mrBytes(s, mr, sge.addr, n);
    if (!at) return WcStatus.LOC_PROT_ERR;
    out.push({ ...at, length: n });
    left -= n;
  }
  return left > 0 ? WcStatus.LOC_LEN_ERR : out;
}

function sgeTotal(sges: readonly Sge[]): number {
  return sges.reduce((n, e) => n + e.length, 0);
}

function readPieces(p: Pieces, len: number): Uint8Array {
  const out = new Uint8Array(len);
  let at = 0;
  for (const x of p) {
    out.set(x.bytes.subarray(x.offset, x.offset + x.length), at);
    at += x.length;
  }
  return out;
}

/** Writes `data` at byte `at` of the run the pieces stand for. */
function writePieces(p: Pieces, at: number, data: Uint8Array): void {
  let skip = at;
  let from = 0;
  for (const x of p) {
    if (from >= data.length) return;
    if (skip >= x.length) {
      skip -= x.length;
      continue;
    }
    const n = Math.min(x.length - skip, data.length - from);
    x.bytes.set(data.subarray(from, from + n), x.offset + skip);
    from += n;
    skip = 0;
  }
}

/** The bytes a send or write carries: the inline copy, or the gathered entries. */
function gather(s: CoreState, qp: Qp, wqe: SendWqe): Uint8Array | number {
  if (wqe.inline) return wqe.inline;
  const len = sgeTotal(wqe.wr.sgList);
  const p = localPieces(s, qp.pd, wqe.wr.sgList, len, 0);
  return typeof p === 'number' ? p : readPieces(p, len);
}

/** The responder memory behind an rkey, if the responder QP and the MR allow `access` on the range. */
function remoteBytes(s: CoreState, dst: Qp, rkey: number, addr: bigint, len: number, access: number): { bytes: Uint8Array; offset: number } | undefined {
  if ((dst.attr.qpAccessFlags & access) === 0) return undefined;
  const k = s.keys.get(rkey);
  const mr = k?.type === 'MR' ? (k as Mr) : undefined;
  if (!mr || mr.pd !== dst.pd || (mr.access & access) === 0) return undefined;
  return mrBytes(s, mr, addr, len);
}

/** A responder error with no receive to report it: the responder goes to ERR with an async event. */
function responderError(dst: Qp, event: number): Arrival {
  return { qp: dst, received: undefined, error: true, event };
}

/** Where a received message came from, as its completion reports it (slid and sl on InfiniBand). */
interface Origin {
  readonly srcQp: number;
  readonly ib: boolean;
  readonly slid: number;
  readonly sl: number;
  readonly grh: boolean;
}

function received(taken: Taken, status: number, opcode: number, byteLen: number, wr: SendWqe['wr'], from: Origin): Received {
  const imm = wr.opcode === OP.IB_UVERBS_WR_SEND_WITH_IMM || wr.opcode === OP.IB_UVERBS_WR_RDMA_WRITE_WITH_IMM;
  const wcFlags = (imm ? WcFlags.WITH_IMM : 0) | (from.grh ? WcFlags.GRH : 0) | (from.ib ? 0 : WcFlags.WITH_NETWORK_HDR_TYPE);
  return {
    taken, status, opcode, byteLen, wcFlags, immData: imm ? (wr.immData ?? 0) : 0, srcQp: from.srcQp,
    slid: from.ib ? from.slid : 0, sl: from.ib ? from.sl : 0, dlidPathBits: 0, solicited: (wr.sendFlags & SendFlags.SOLICITED) !== 0,
  };
}

/** Advances the PSNs by the packets of a message of `len` bytes. */
function advancePsn(qp: Qp, dst: Qp | undefined, len: number): void {
  const packets = Math.max(1, Math.ceil(len / mtuBytes(qp.attr.pathMtu || 1)));
  qp.attr.sqPsn = (qp.attr.sqPsn + packets) & 0xffffff;
  if (dst) dst.attr.rqPsn = (dst.attr.rqPsn + packets) & 0xffffff;
}

/**
 * Carries out send request `wqe` of `qp` (in RTS): moves the bytes and says what the
 * requester's completion reports and what reached which responder. `take` consumes a
 * receive of a responder.
 */
export function deliver(s: CoreState, qp: Qp, wqe: SendWqe, take: TakeRecv): Delivery {
  const port = portCaps(s, qp.attr.portNum);
  if (!port) return done(WcStatus.LOC_QP_OP_ERR);
  if (qp.qpType === QPT.IB_UVERBS_QPT_UD) return deliverUd(s, qp, wqe, take, port);
  const rc = qp.qpType === QPT.IB_UVERBS_QPT_RC;
  const wr = wqe.wr;
  const local = wr.opcode === OP.IB_UVERBS_WR_RDMA_READ || wr.opcode === OP.IB_UVERBS_WR_ATOMIC_CMP_AND_SWP || wr.opcode === OP.IB_UVERBS_WR_ATOMIC_FETCH_AND_ADD
    ? undefined
    : gather(s, qp, wqe);
  if (typeof local === 'number') return done(local);
  if (local && local.length > port.maxMsgSz) return done(WcStatus.LOC_LEN_ERR);
  const dst = peerOf(s, qp);
  // Nothing answers: RC retries until it gives up; UC does not know.
  if (!dst) return done(rc ? WcStatus.RETRY_EXC_ERR : WcStatus.SUCCESS);
  const from: Origin = { srcQp: 0, ib: port.linkLayer !== LinkLayer.ETHERNET, slid: port.lid | qp.attr.dest.srcPathBits, sl: qp.attr.dest.sl, grh: qp.attr.dest.isGlobal !== 0 };
  const lost = done(WcStatus.SUCCESS);
  let outcome: Delivery;
  switch (wr.opcode) {
    case OP.IB_UVERBS_WR_SEND:
    case OP.IB_UVERBS_WR_SEND_WITH_IMM:
      outcome = send(s, qp, dst, wqe, local!, take, from, rc);
      break;
    case OP.IB_UVERBS_WR_RDMA_WRITE:
    case OP.IB_UVERBS_WR_RDMA_WRITE_WITH_IMM: {
      const data = local!;
      const target = wr.rdma!;
      const mem = data.length > 0 ? remoteBytes(s, dst, target.rkey, target.remoteAddr, data.length, ACC.IB_UVERBS_ACCESS_REMOTE_WRITE) : undefined;
      if (data.length > 0 && !mem) {
        outcome = rc ? done(WcStatus.REM_ACCESS_ERR, 0, [responderError(dst, IbEvent.QP_ACCESS_ERR)]) : lost;
        break;
      }
      let arrival: Arrival | undefined;
      if (wr.opcode === OP.IB_UVERBS_WR_RDMA_WRITE_WITH_IMM) {
        const taken = take(dst);
        if (!taken) {
          outcome = rc ? rnr(qp) : lost;
          break;
        }
        arrival = { qp: dst, received: received(taken, WcStatus.SUCCESS, WcRecvOpcode.RECV_RDMA_WITH_IMM, data.length, wr, from), error: false, event: undefined };
      }
      if (mem) mem.bytes.set(data, mem.offset);
      outcome = done(WcStatus.SUCCESS, 0, arrival ? [arrival] : []);
      break;
    }
    case OP.IB_UVERBS_WR_RDMA_READ:
      outcome = read(s, qp, dst, wqe);
      break;
    default:
      outcome = atomic(s, qp, dst, wqe);
  }
  if (outcome.kind === 'done' && outcome.status === WcStatus.SUCCESS) advancePsn(qp, dst, local?.length ?? sgeTotal(wr.sgList));
  return outcome;
}

/** No receive at the responder: with rnr_retry 7 the requester retries forever (it waits), otherwise it gives up. */
function rnr(qp: Qp): Delivery {
  return qp.attr.rnrRetry === 7 ? { kind: 'wait' } : done(WcStatus.RNR_RETRY_EXC_ERR);
}

function send(s: CoreState, qp: Qp, dst: Qp, wqe: SendWqe, data: Uint8Array, take: TakeRecv, from: Origin, rc: boolean): Delivery {
  const taken = take(dst);
  if (!taken) return rc ? rnr(qp) : done(WcStatus.SUCCESS);
  const target = localPieces(s, dst.pd, taken.wr.sgList, data.length, ACC.IB_UVERBS_ACCESS_LOCAL_WRITE);
  if (typeof target === 'number') {
    const arrival: Arrival = { qp: dst, received: received(taken, target, WcRecvOpcode.RECV, 0, wqe.wr, from), error: true, event: undefined };
    const requester = !rc ? WcStatus.SUCCESS : target === WcStatus.LOC_LEN_ERR ? WcStatus.REM_INV_REQ_ERR : WcStatus.REM_OP_ERR;
    return done(requester, 0, [arrival]);
  }
  writePieces(target, 0, data);
  return done(WcStatus.SUCCESS, 0, [{ qp: dst, received: received(taken, WcStatus.SUCCESS, WcRecvOpcode.RECV, data.length, wqe.wr, from), error: false, event: undefined }]);
}

function read(s: CoreState, qp: Qp, dst: Qp, wqe: SendWqe): Delivery {
  const wr = wqe.wr;
  const len = sgeTotal(wr.sgList);
  const local = localPieces(s, qp.pd, wr.sgList, len, ACC.IB_UVERBS_ACCESS_LOCAL_WRITE);
  if (typeof local === 'number') return done(local);
  if (dst.attr.maxDestRdAtomic === 0) return done(WcStatus.REM_INV_REQ_ERR, 0, [responderError(dst, IbEvent.QP_REQ_ERR)]);
  if (len === 0) return done(WcStatus.SUCCESS);
  const mem = remoteBytes(s, dst, wr.rdma!.rkey, wr.rdma!.remoteAddr, len, ACC.IB_UVERBS_ACCESS_REMOTE_READ);
  if (!mem) return done(WcStatus.REM_ACCESS_ERR, 0, [responderError(dst, IbEvent.QP_ACCESS_ERR)]);
  writePieces(local, 0, mem.bytes.slice(mem.offset, mem.offset + len));
  return done(WcStatus.SUCCESS, len);
}

function atomic(s: CoreState, qp: Qp, dst: Qp, wqe: SendWqe): Delivery {
  const wr = wqe.wr;
  const t = wr.atomic!;
  const local = localPieces(s, qp.pd, wr.sgList, 8, ACC.IB_UVERBS_ACCESS_LOCAL_WRITE);
  if (typeof local === 'number') return done(local);
  if (dst.attr.maxDestRdAtomic === 0 || t.remoteAddr % 8n !== 0n) return done(WcStatus.REM_INV_REQ_ERR, 0, [responderError(dst, IbEvent.QP_REQ_ERR)]);
  const mem = remoteBytes(s, dst, t.rkey, t.remoteAddr, 8, ACC.IB_UVERBS_ACCESS_REMOTE_ATOMIC);
  if (!mem) return done(WcStatus.REM_ACCESS_ERR, 0, [responderError(dst, IbEvent.QP_ACCESS_ERR)]);
  const view = new DataView(mem.bytes.buffer, mem.bytes.byteOffset + mem.offset, 8);
  const old = view.getBigUint64(0, true);
  if (wr.opcode === OP.IB_UVERBS_WR_ATOMIC_CMP_AND_SWP) {
    if (old === (t.compareAdd & U64)) view.setBigUint64(0, t.swap & U64, true);
  } else view.setBigUint64(0, (old + t.compareAdd) & U64, true);
  const result = new Uint8Array(8);
  new DataView(result.buffer).setBigUint64(0, old, true);
  writePieces(local, 0, result);
  return done(WcStatus.SUCCESS, 8);
}

/** The 40-byte GRH of a UD message as the receive buffer gets it (IB's format: version 6, class, flow, PayLen, next header, hops, SGID, DGID). */
function grhBytes(sgid: Uint8Array, ah: NonNullable<SendWqe['wr']['ud']>['ah'], payload: number, imm: boolean): Uint8Array {
  const g = ah.attr.grh!;
  const out = new Uint8Array(GRH_BYTES);
  const v = new DataView(out.buffer);
  v.setUint32(0, ((6 << 28) | ((g.trafficClass & 0xff) << 20) | (g.flowLabel & 0xfffff)) >>> 0);
  v.setUint16(4, UD_OVERHEAD + (imm ? 4 : 0) + payload + ((4 - (payload % 4)) % 4));
  out[6] = IB_NEXT_HEADER;
  out[7] = g.hopLimit;
  out.set(sgid, 8);
  out.set(g.dgid, 24);
  return out;
}

/** The UD QPs a message to `ah`/`remoteQpn` reaches: the one named, or every member of a multicast group. */
function udTargets(s: CoreState, qp: Qp, port: PortCaps, wqe: SendWqe): Qp[] {
  const ud = wqe.wr.ud!;
  const a = ud.ah.attr;
  const qkey = (ud.remoteQkey & 0x8000_0000) !== 0 ? qp.attr.qkey : ud.remoteQkey;
  const listens = (d: Qp): boolean => d.qpType === QPT.IB_UVERBS_QPT_UD && canReceive(d) && d.attr.portNum === qp.attr.portNum && d.attr.qkey === qkey;
  const dgid = a.grh?.dgid;
  if (dgid && dgid[0] === 0xff) {
    if (ud.remoteQpn !== MULTICAST_QPN) return [];
    const ib = port.linkLayer !== LinkLayer.ETHERNET;
    const key = mcastKey(dgid, a.dlid ?? 0);
    const prefix = key.slice(0, key.indexOf('/') + 1);
    return [...s.qps.values()].filter((d) => listens(d) && (ib ? d.mcast.has(key) : [...d.mcast].some((k) => k.startsWith(prefix))));
  }
  const d = s.qps.get(ud.remoteQpn);
  return d && listens(d) && reaches(s, a.port, a.dlid ?? 0, dgid, d) ? [d] : [];
}

function deliverUd(s: CoreState, qp: Qp, wqe: SendWqe, take: TakeRecv, port: PortCaps): Delivery {
  const wr = wqe.wr;
  const ah = wr.ud!.ah;
  const data = gather(s, qp, wqe);
  if (typeof data === 'number') return done(data);
  if (data.length > mtuBytes(port.activeMtu)) return done(WcStatus.LOC_LEN_ERR);
  advancePsn(qp, undefined, data.length);
  // An AH of another port sends nowhere the device listens.
  if (ah.attr.port !== qp.attr.portNum) return done(WcStatus.SUCCESS);
  const ib = port.linkLayer !== LinkLayer.ETHERNET;
  const from: Origin = { srcQp: qp.sourceQpn ?? qp.qpn, ib, slid: port.lid | (ah.attr.srcPathBits ?? 0), sl: ah.attr.sl ?? 0, grh: ah.attr.grh !== undefined };
  const sgid = ah.attr.grh ? port.gids.find((g) => g.index === ah.attr.grh!.sgidIndex) : undefined;
  const grh = ah.attr.grh && sgid ? grhBytes(parseGid(sgid.gid), ah, data.length, wr.opcode === OP.IB_UVERBS_WR_SEND_WITH_IMM) : undefined;
  const arrivals: Arrival[] = [];
  for (const dst of udTargets(s, qp, port, wqe)) {
    const taken = take(dst);
    if (!taken) continue; // no receive: UD drops the message
    const target = localPieces(s, dst.pd, taken.wr.sgList, GRH_BYTES + data.length, ACC.IB_UVERBS_ACCESS_LOCAL_WRITE);
    if (typeof target === 'number') {
      arrivals.push({ qp: dst, received: received(taken, target, WcRecvOpcode.RECV, 0, wr, from), error: true, event: undefined });
      continue;
    }
    if (grh) writePieces(target, 0, grh);
    writePieces(target, GRH_BYTES, data);
    arrivals.push({ qp: dst, received: received(taken, WcStatus.SUCCESS, WcRecvOpcode.RECV, GRH_BYTES + data.length, wr, from), error: false, event: undefined });
  }
  return done(WcStatus.SUCCESS, 0, arrivals);
}
