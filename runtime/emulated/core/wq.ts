/**
 * WQ and RWQ_IND_TBL: receive queues standing alone, and the tables an RSS QP spreads
 * its traffic over. A table holds its WQs; a QP holds its table.
 */
import { IB_UVERBS_WQ_FLAGS, IB_UVERBS_WQ_FLAGS_MASK, IB_UVERBS_WQ_TYPE } from '../../../generated/core/enums.js';
import { UVERBS_ATTRS_WQ_CREATE, UVERBS_ATTRS_WQ_DESTROY } from '../../../generated/core/ids.js';
import type { Bundle } from '../../kernel/bundle.js';
import type { RemoveReasonId } from '../../kernel/device.js';
import { EINVAL, EOPNOTSUPP, fail } from '../../abi/errno.js';
import { eventFileFor, type AsyncEvent } from './async-event.js';
import { isPow2, roundupPow2 } from './caps.js';
import { contextOf } from './context.js';
import type { Cq } from './cq.js';
import type { Pd } from './pd.js';
import { coreState, drop, hold, neededRecord, recordOf, refuseIfUsed, type Base, type CoreState } from './state.js';

export interface WqParams {
  readonly wqType: number;
  readonly pd: Pd;
  readonly cq: Cq;
  readonly maxWr: number;
  readonly maxSge: number;
  readonly flags?: number;
  readonly userHandle?: bigint;
  readonly eventFile?: AsyncEvent | undefined;
}

/** enum ib_wq_state. */
export const WqState = { RESET: 0, RDY: 1, ERR: 2 } as const;

/** The state changes a receive queue takes (the device's MODIFY_RQ) besides staying: RESET to ready, ready to error, back to RESET. */
const WQ_TRANSITIONS: ReadonlySet<string> = new Set(['0>1', '1>2', '1>0', '2>0']);

export interface Wq extends Base<'WQ'> {
  readonly wqn: number;
  readonly wqType: number;
  readonly pd: Pd;
  readonly cq: Cq;
  readonly maxWr: number;
  readonly maxSge: number;
  /** ib_uverbs_wq_flags in force: CVLAN stripping may change under EX_MODIFY_WQ. */
  flags: number;
  /** WqState: RESET until EX_MODIFY_WQ moves it. */
  state: number;
  readonly userHandle: bigint;
  readonly eventFile: AsyncEvent | undefined;
  eventsReported: number;
}

/** A receive queue's depth and scatter entries are powers of two, as the device's RQ descriptors are. */
export function newWq(s: CoreState, p: WqParams): Wq {
  const c = s.caps;
  const flags = p.flags ?? 0;
  if (p.wqType !== IB_UVERBS_WQ_TYPE.IB_UVERBS_WQT_RQ) fail(EINVAL, `WQ type ${p.wqType} is not RQ`);
  if ((flags & ~c.wqFlags) !== 0) fail(EOPNOTSUPP, `WQ flags 0x${flags.toString(16)} are not all supported (0x${c.wqFlags.toString(16)})`);
  if (p.maxWr < 1 || p.maxWr > c.maxQpWr) fail(EINVAL, `WQ max_wr ${p.maxWr} is not in 1..${c.maxQpWr}`);
  if (p.maxSge > c.maxSge) fail(EINVAL, `WQ max_sge ${p.maxSge} is above ${c.maxSge}`);
  const wq = s.born<Wq>({
    type: 'WQ', usecnt: 0, released: false,
    wqn: s.wqns.alloc(),
    wqType: p.wqType,
    pd: p.pd,
    cq: p.cq,
    maxWr: roundupPow2(p.maxWr),
    maxSge: roundupPow2(Math.max(p.maxSge, 1)),
    flags,
    state: WqState.RESET,
    userHandle: p.userHandle ?? 0n,
    eventFile: p.eventFile,
    eventsReported: 0,
  });
  hold(wq.pd);
  hold(wq.cq);
  return wq;
}

/** What EX_MODIFY_WQ asks for: states as enum ib_wq_state, flags only when `flagsMask` is given. */
export interface WqChange {
  readonly currState: number;
  readonly state: number;
  readonly flags?: number;
  readonly flagsMask?: number;
}

/**
 * modify_wq as mlx5 does it: the current state given must be the WQ's (the device's
 * MODIFY_RQ checks it, EINVAL), the move one the device takes (EINVAL); of the flags,
 * only CVLAN stripping changes after creation (EOPNOTSUPP without it, and for PCI write
 * end padding); the other bits of flags_mask are ignored.
 */
export function modifyWq(s: CoreState, wq: Wq, c: WqChange): void {
  const mask = c.flagsMask ?? 0;
  const cvlan = IB_UVERBS_WQ_FLAGS.IB_UVERBS_WQ_FLAGS_CVLAN_STRIPPING;
  if ((mask & cvlan) !== 0 && (s.caps.wqFlags & cvlan) === 0) fail(EOPNOTSUPP, 'the device cannot strip VLAN tags');
  if ((mask & IB_UVERBS_WQ_FLAGS.IB_UVERBS_WQ_FLAGS_PCI_WRITE_END_PADDING) !== 0) fail(EOPNOTSUPP, 'PCI write end padding is set at creation only');
  if (c.currState !== wq.state) fail(EINVAL, `WQ 0x${wq.wqn.toString(16)} is in state ${wq.state}, not ${c.currState}`);
  if (c.state !== c.currState && !WQ_TRANSITIONS.has(`${c.currState}>${c.state}`)) fail(EINVAL, `a WQ does not move from state ${c.currState} to ${c.state}`);
  wq.state = c.state;
  if ((mask & cvlan) !== 0) wq.flags = (wq.flags & ~cvlan) | ((c.flags ?? 0) & cvlan);
}

export function releaseWq(s: CoreState, r: Wq, reason: RemoveReasonId): void {
  refuseIfUsed(r, reason, 'indirection tables');
  drop(r.pd);
  drop(r.cq);
  s.wqns.free(r.wqn);
}

export interface RwqIndTbl extends Base<'RWQ_IND_TBL'> {
  readonly indTblNum: number;
  readonly wqs: readonly Wq[];
  readonly logSize: number;
}

/** CREATE_RWQ_IND_TBL: a power-of-two number of WQs, at most 2^maxLogIndTblSize. */
export function newRwqIndTbl(s: CoreState, wqs: readonly Wq[]): RwqIndTbl {
  if (!isPow2(wqs.length) || wqs.length > 2 ** s.caps.maxLogIndTblSize) {
    fail(EINVAL, `an indirection table holds a power of two of WQs up to ${2 ** s.caps.maxLogIndTblSize}, not ${wqs.length}`);
  }
  const t = s.born<RwqIndTbl>({ type: 'RWQ_IND_TBL', usecnt: 0, released: false, indTblNum: s.indTblNums.alloc(), wqs: [...wqs], logSize: Math.log2(wqs.length) });
  for (const wq of t.wqs) hold(wq);
  return t;
}

export function releaseRwqIndTbl(s: CoreState, r: RwqIndTbl, reason: RemoveReasonId): void {
  refuseIfUsed(r, reason, 'QPs');
  for (const wq of r.wqs) drop(wq);
  s.indTblNums.free(r.indTblNum);
}

export const wqHandlers = {
  wqCreate(b: Bundle): void {
    const A = UVERBS_ATTRS_WQ_CREATE;
    const s = coreState(b.device);
    const ctx = contextOf(b.file);
    const flags = Number(b.flags(A.flags, BigInt(IB_UVERBS_WQ_FLAGS_MASK)));
    const maxSge = b.u32(A.max_sge);
    const maxWr = b.u32(A.max_wr);
    const userHandle = b.u64(A.user_handle);
    const wqType = Number(b.constIn(A.type, 0xffff_ffffn));
    if (wqType !== IB_UVERBS_WQ_TYPE.IB_UVERBS_WQT_RQ) fail(EINVAL, `WQ type ${wqType} is not RQ`);
    const pd = recordOf<Pd>(b.uobject(A.pd_handle), 'PD');
    // Declared optional, used unconditionally by the kernel's handler: answer as uverbs_attr_get_obj would.
    const cq = neededRecord<Cq>(b, A.cq_handle, 'CQ', 'a WQ needs cq_handle');
    const eventFile = eventFileFor(b, A.event_fd, ctx);
    const wq = newWq(s, { wqType, pd, cq, maxWr, maxSge, flags, userHandle, eventFile });
    const u = b.uobject(A.handle);
    u.object = wq;
    u.userHandle = userHandle;
    b.outputU32(A.resp_max_wr, wq.maxWr);
    b.outputU32(A.resp_max_sge, wq.maxSge);
    b.outputU32(A.resp_wq_num, wq.wqn);
  },

  wqDestroy(b: Bundle): void {
    const A = UVERBS_ATTRS_WQ_DESTROY;
    b.outputU32(A.resp, recordOf<Wq>(b.uobject(A.handle), 'WQ').eventsReported);
  },
};
