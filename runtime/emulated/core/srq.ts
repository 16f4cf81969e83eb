/**
 * SRQ. Sizes follow mlx5: the depth is the request plus one rounded up to a power of
 * two, minus one; a receive descriptor is a 16-byte next segment plus 16 bytes per
 * scatter entry, rounded up to a power of two (32 at least), and all the room in it is
 * granted as scatter entries.
 */
import { IB_UVERBS_SRQ_TYPE as SRQT } from '../../../generated/core/enums.js';
import { UVERBS_ATTRS_SRQ_CREATE, UVERBS_ATTRS_SRQ_DESTROY } from '../../../generated/core/ids.js';
import { encodeIbUverbsDestroySrqResp, IB_UVERBS_DESTROY_SRQ_RESP_SIZE } from '../../../generated/core/structs.js';
import type { Bundle } from '../../kernel/bundle.js';
import type { RemoveReasonId } from '../../kernel/device.js';
import { EINVAL, ENOENT, EOPNOTSUPP, fail } from '../../abi/errno.js';
import { dropAsyncEvents, eventFileFor, type AsyncEvent } from './async-event.js';
import { roundupPow2 } from './caps.js';
import { contextOf } from './context.js';
import type { Cq } from './cq.js';
import type { Pd, Xrcd } from './pd.js';
import { coreState, drop, hold, neededRecord, recordOf, refuseIfUsed, type Base, type CoreState } from './state.js';
import { newWorkQueue, type RecvWr, type WorkQueue } from './wr.js';

const NEXT_SEG = 16;
const DATA_SEG = 16;
const MIN_DESC = 32;

export interface SrqParams {
  readonly srqType: number;
  readonly pd: Pd;
  /** XRC and TM SRQs only: where their completions go. */
  readonly cq?: Cq | undefined;
  readonly xrcd?: Xrcd | undefined;
  readonly maxWr: number;
  readonly maxSge: number;
  readonly limit?: number;
  readonly maxNumTags?: number | undefined;
  readonly userHandle?: bigint;
  readonly eventFile?: AsyncEvent | undefined;
}

export interface Srq extends Base<'SRQ'> {
  readonly srqn: number;
  readonly srqType: number;
  readonly pd: Pd;
  readonly cq: Cq | undefined;
  readonly xrcd: Xrcd | undefined;
  readonly maxWr: number;
  readonly maxSge: number;
  limit: number;
  readonly maxNumTags: number;
  readonly userHandle: bigint;
  readonly eventFile: AsyncEvent | undefined;
  eventsReported: number;
  /** Receives posted (POST_SRQ_RECV) for the QPs sharing the SRQ. */
  readonly rq: WorkQueue<RecvWr>;
}

/** The depth and scatter entries granted for a request. */
export function grantSrq(maxWr: number, maxSge: number): { maxWr: number; maxSge: number } {
  const desc = Math.max(MIN_DESC, roundupPow2(NEXT_SEG + DATA_SEG * maxSge));
  return { maxWr: roundupPow2(maxWr + 1) - 1, maxSge: (desc - NEXT_SEG) / DATA_SEG };
}

export function newSrq(s: CoreState, p: SrqParams): Srq {
  const c = s.caps;
  if (!c.srqTypes.includes(p.srqType)) fail(EOPNOTSUPP, `the device does not create SRQs of type ${p.srqType}`);
  if (p.maxWr < 1 || p.maxWr > c.maxSrqWr) fail(EINVAL, `SRQ max_wr ${p.maxWr} is not in 1..${c.maxSrqWr}`);
  if (p.maxSge > c.maxSrqSge) fail(EINVAL, `SRQ max_sge ${p.maxSge} is above ${c.maxSrqSge}`);
  const isTm = p.srqType === SRQT.IB_UVERBS_SRQT_TM;
  const tags = p.maxNumTags ?? 0;
  if (isTm && (tags < 1 || tags > c.maxNumTags)) fail(EINVAL, `max_num_tags ${tags} is not in 1..${c.maxNumTags}`);
  const g = grantSrq(p.maxWr, p.maxSge);
  const limit = p.limit ?? 0;
  if (limit > g.maxWr) fail(EINVAL, `SRQ limit ${limit} is above its ${g.maxWr} work requests`);
  const hasCq = p.srqType === SRQT.IB_UVERBS_SRQT_XRC || isTm;
  const srq = s.born<Srq>({
    type: 'SRQ', usecnt: 0, released: false,
    srqn: s.srqns.alloc(),
    srqType: p.srqType,
    pd: p.pd,
    cq: hasCq ? p.cq : undefined,
    xrcd: p.srqType === SRQT.IB_UVERBS_SRQT_XRC ? p.xrcd : undefined,
    maxWr: g.maxWr,
    maxSge: g.maxSge,
    limit,
    maxNumTags: isTm ? tags : 0,
    userHandle: p.userHandle ?? 0n,
    eventFile: p.eventFile,
    eventsReported: 0,
    rq: newWorkQueue(),
  });
  for (const r of [srq.pd, srq.cq, srq.xrcd]) hold(r);
  return srq;
}

export function releaseSrq(s: CoreState, r: Srq, reason: RemoveReasonId): void {
  refuseIfUsed(r, reason, 'QPs');
  for (const x of [r.pd, r.cq, r.xrcd]) drop(x);
  dropAsyncEvents(r.eventFile, r);
  s.srqns.free(r.srqn);
}

export const srqHandlers = {
  srqCreate(b: Bundle): void {
    const A = UVERBS_ATTRS_SRQ_CREATE;
    const s = coreState(b.device);
    const ctx = contextOf(b.file);
    const maxSge = b.u32(A.max_sge);
    const maxWr = b.u32(A.max_wr);
    const limit = b.u32(A.limit);
    const userHandle = b.u64(A.user_handle);
    const srqType = Number(b.constIn(A.type, 0xffff_ffffn));
    let cq: Cq | undefined;
    let xrcd: Xrcd | undefined;
    let maxNumTags: number | undefined;
    if (srqType === SRQT.IB_UVERBS_SRQT_XRC || srqType === SRQT.IB_UVERBS_SRQT_TM) {
      cq = neededRecord<Cq>(b, A.cq_handle, 'CQ', 'XRC and TM SRQs need cq_handle');
    }
    switch (srqType) {
      case SRQT.IB_UVERBS_SRQT_XRC:
        xrcd = neededRecord<Xrcd>(b, A.xrcd_handle, 'XRCD', 'an XRC SRQ needs xrcd_handle');
        break;
      case SRQT.IB_UVERBS_SRQT_TM:
        if (!b.has(A.max_num_tags)) fail(ENOENT, 'a TM SRQ needs max_num_tags');
        maxNumTags = b.u32(A.max_num_tags);
        break;
      case SRQT.IB_UVERBS_SRQT_BASIC:
        break;
      default:
        fail(EINVAL, `SRQ type ${srqType} is not one of ib_uverbs_srq_type`);
    }
    const pd = recordOf<Pd>(b.uobject(A.pd_handle), 'PD');
    const eventFile = eventFileFor(b, A.event_fd, ctx);
    const srq = newSrq(s, { srqType, pd, cq, xrcd, maxWr, maxSge, limit, maxNumTags, userHandle, eventFile });
    const u = b.uobject(A.handle);
    u.object = srq;
    u.userHandle = userHandle;
    b.outputU32(A.resp_max_wr, srq.maxWr);
    b.outputU32(A.resp_max_sge, srq.maxSge);
    if (srqType === SRQT.IB_UVERBS_SRQT_XRC) b.outputU32(A.resp_srq_num, srq.srqn);
  },

  srqDestroy(b: Bundle): void {
    const A = UVERBS_ATTRS_SRQ_DESTROY;
    const srq = recordOf<Srq>(b.uobject(A.handle), 'SRQ');
    b.output(A.resp, IB_UVERBS_DESTROY_SRQ_RESP_SIZE, (v, o) => encodeIbUverbsDestroySrqResp(v, o, { eventsReported: srq.eventsReported }));
  },
};
