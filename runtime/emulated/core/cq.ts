/**
 * CQ and COMP_CHANNEL. A CQ's size follows mlx5: the requested count plus one, rounded
 * up to a power of two, minus one (one slot always stays empty), and above the device's
 * maximum the request is refused.
 *
 * The completion side of the data path is here too: a CQ holds the work completions
 * the data path (datapath.ts) adds, POLL_CQ takes them (pollCq), REQ_NOTIFY_CQ arms the
 * CQ (reqNotifyCq) so that its next completion queues one event on its completion
 * channel, which read() returns as ib_uverbs_comp_event_desc.
 */
import { IB_UVERBS_EX_CREATE_CQ_FLAGS, IB_UVERBS_EX_CREATE_CQ_FLAGS_MASK } from '../../../generated/core/enums.js';
import { UVERBS_ATTRS_CQ_CREATE, UVERBS_ATTRS_CQ_DESTROY } from '../../../generated/core/ids.js';
import {
  encodeIbUverbsCompEventDesc, encodeIbUverbsDestroyCqResp, IB_UVERBS_COMP_EVENT_DESC_SIZE, IB_UVERBS_DESTROY_CQ_RESP_SIZE, type IbUverbsWc,
} from '../../../generated/core/structs.js';
import type { Bundle } from '../../kernel/bundle.js';
import type { RemoveReasonId } from '../../kernel/device.js';
import { EINVAL, ENOENT, EOPNOTSUPP, fail } from '../../abi/errno.js';
import type { UObject } from '../../kernel/uobject.js';
import type { UserMemory } from '../../process/user-memory.js';
import { dropAsyncEvents, eventFileFor, raiseAsyncEvent, type AsyncEvent } from './async-event.js';
import { roundupPow2 } from './caps.js';
import { contextOf, type Context } from './context.js';
import { readOneEvent } from './event-file.js';
import { coreState, optionalRecord, recordOf, refuseIfUsed, removeAll, type Base, type CoreState } from './state.js';
import { bufferDesc, dmabufRange, pinUserMemory, type UserBuffer } from './umem.js';
import { CqNotify, IbEvent, WcStatus, type CqNotifyId } from './verbs.js';

export interface CompChannel extends Base<'COMP_CHANNEL'> {
  /** Completion events queued for read(): the CQ that fired, oldest first. */
  readonly events: Cq[];
  /** Closed (or its device gone): nothing more is queued, read() answers EIO. */
  closed: boolean;
}

export function newCompChannel(s: CoreState): CompChannel {
  return s.born<CompChannel>({ type: 'COMP_CHANNEL', usecnt: 0, released: false, events: [], closed: false });
}

/** ib_uverbs_free_event_queue: the channel takes no more events and drops those queued. */
export function releaseCompChannel(_s: CoreState, r: CompChannel): void {
  r.closed = true;
  r.events.length = 0;
}

/** read(2) of a completion channel: one ib_uverbs_comp_event_desc (the CQ's user_handle) per call. */
export function readCompEvent(u: UObject, memory: UserMemory, addr: number, count: number): number {
  const ch = recordOf<CompChannel>(u, 'COMP_CHANNEL');
  return readOneEvent(ch, IB_UVERBS_COMP_EVENT_DESC_SIZE, memory, addr, count, (v, o, cq) => encodeIbUverbsCompEventDesc(v, o, { cqHandle: cq.userHandle }), (cq) => {
    cq.compEventsReported++;
  });
}

export interface CqParams {
  readonly cqe: number;
  readonly compVector: number;
  readonly flags?: number;
  readonly userHandle?: bigint;
  readonly channel?: CompChannel | undefined;
  readonly eventFile?: AsyncEvent | undefined;
  /** A CQ buffer user space allocated; without it the device allocates its own. */
  readonly buffer?: UserBuffer | undefined;
}

export interface Cq extends Base<'CQ'> {
  readonly cqn: number;
  /** Entries granted: at least those asked for (RESIZE_CQ changes it). */
  cqe: number;
  readonly compVector: number;
  readonly flags: number;
  readonly userHandle: bigint;
  readonly channel: CompChannel | undefined;
  readonly eventFile: AsyncEvent | undefined;
  readonly buffer: UserBuffer | undefined;
  /** Completion events of this CQ read from its channel (destroy reports it). */
  compEventsReported: number;
  /** Async events about this CQ read from its event file. */
  asyncEventsReported: number;
  /** Completions not yet polled, oldest first; at most `cqe`. */
  readonly entries: CqEntry[];
  /** What REQ_NOTIFY_CQ armed: the next completion that matches queues one event on the channel and disarms. */
  notify: CqNotifyId;
  /** Set when a completion found the CQ full: the CQ is in error and every later completion is lost. */
  overrun: boolean;
}

/** A completion in a CQ: the work completion POLL_CQ returns, and what polling it gives back. */
export interface CqEntry {
  readonly wc: IbUverbsWc;
  /** A received message that asked for a solicited event (its sender's SOLICITED flag). */
  readonly solicited: boolean;
  /** Gives the work queue slot of the completed request back (once polled, as a device's driver frees it). */
  readonly reclaim: (() => void) | undefined;
}

/** The CQE count the device grants for a request of `cqe` (mlx5: roundup_pow_of_two(cqe + 1) - 1). */
export function grantedCqe(cqe: number): number {
  return roundupPow2(cqe + 1) - 1;
}

export function newCq(s: CoreState, ctx: Context, p: CqParams): Cq {
  const flags = p.flags ?? 0;
  if (p.compVector >= ctx.numCompVectors) fail(EINVAL, `comp_vector ${p.compVector} is not below num_comp_vectors ${ctx.numCompVectors}`);
  if (p.cqe < 1 || p.cqe > s.caps.maxCqe) fail(EINVAL, `cqe ${p.cqe} is not in 1..${s.caps.maxCqe}`);
  if ((flags & ~s.caps.cqCreateFlags) !== 0) fail(EOPNOTSUPP, `CQ flags 0x${flags.toString(16)} are not all supported (0x${s.caps.cqCreateFlags.toString(16)})`);
  const cqe = grantedCqe(p.cqe);
  if (p.buffer) {
    if (!s.caps.cqUserBuffers) fail(EINVAL, 'the device does not take user-supplied CQ buffers');
    const need = BigInt((cqe + 1) * s.caps.cqeSize);
    if (p.buffer.length < need) fail(EINVAL, `a CQ of ${cqe + 1} slots needs ${need} bytes of buffer, not ${p.buffer.length}`);
  }
  return s.born<Cq>({
    type: 'CQ', usecnt: 0, released: false,
    cqn: s.cqns.alloc(),
    cqe,
    compVector: p.compVector,
    flags,
    userHandle: p.userHandle ?? 0n,
    channel: p.channel,
    eventFile: p.eventFile,
    buffer: p.buffer,
    compEventsReported: 0,
    asyncEventsReported: 0,
    entries: [],
    notify: CqNotify.NONE,
    overrun: false,
  });
}

export function releaseCq(s: CoreState, r: Cq, reason: RemoveReasonId): void {
  refuseIfUsed(r, reason, 'QPs, SRQs or WQs');
  // ib_uverbs_release_ucq: the CQ's events not yet read leave the channel and the event file.
  if (r.channel) removeAll(r.channel.events, (cq) => cq === r);
  dropAsyncEvents(r.eventFile, r);
  s.cqns.free(r.cqn);
}

/**
 * A completion arrives at `cq`. A full CQ overruns: the completion is lost, the CQ is
 * in error from then on and its event file gets IB_EVENT_CQ_ERR; with IGNORE_OVERRUN
 * the device writes over the oldest completion instead. Then an armed CQ fires: the
 * next completion (NEXT_COMP), or a solicited or failed one (SOLICITED), queues one
 * event on the CQ's channel and disarms the CQ.
 */
export function addCompletion(cq: Cq, e: CqEntry): void {
  if (cq.overrun) return;
  if (cq.entries.length >= cq.cqe) {
    if ((cq.flags & IB_UVERBS_EX_CREATE_CQ_FLAGS.IB_UVERBS_CQ_FLAGS_IGNORE_OVERRUN) === 0) {
      cq.overrun = true;
      raiseAsyncEvent(cq.eventFile, { element: cq.userHandle, eventType: IbEvent.CQ_ERR, about: cq, reported: () => cq.asyncEventsReported++ });
      return;
    }
    cq.entries.shift();
  }
  cq.entries.push(e);
  const fires = cq.notify === CqNotify.NEXT_COMP || (cq.notify === CqNotify.SOLICITED && (e.solicited || e.wc.status !== WcStatus.SUCCESS));
  if (!fires) return;
  cq.notify = CqNotify.NONE;
  if (cq.channel && !cq.channel.closed) cq.channel.events.push(cq);
}

/** POLL_CQ: up to `ne` completions, oldest first, taken out of the CQ (their work queue slots come back). */
export function pollCq(cq: Cq, ne: number): IbUverbsWc[] {
  const taken = cq.entries.splice(0, Math.min(ne, cq.entries.length));
  for (const e of taken) e.reclaim?.();
  return taken.map((e) => e.wc);
}

/**
 * REQ_NOTIFY_CQ: arms the CQ for its next completion, or with `solicitedOnly` for the
 * next solicited or failed one. A CQ armed for the next completion stays so (mlx5's
 * rule: a solicited-only request does not narrow it). Completions already in the CQ do
 * not fire.
 */
export function reqNotifyCq(cq: Cq, solicitedOnly: boolean): void {
  if (cq.notify !== CqNotify.NEXT_COMP) cq.notify = solicitedOnly ? CqNotify.SOLICITED : CqNotify.NEXT_COMP;
}

/** Drops the completions of QP `qpn` still in `cq` (a QP reset or destroyed: the driver cleans its CQs). */
export function cleanCq(cq: Cq | undefined, qpn: number): void {
  if (cq) removeAll(cq.entries, (e) => e.wc.qpNum === qpn);
}

/** The CQ buffer attributes, in the kernel's order of checks. */
function cqBuffer(b: Bundle): UserBuffer | undefined {
  const A = UVERBS_ATTRS_CQ_CREATE;
  const p = b.file.process;
  const u64 = (id: number, name: string): bigint => {
    if (!b.has(id)) fail(ENOENT, `CQ_CREATE: ${name} is needed with the buffer given`);
    return b.u64(id);
  };
  const given = [A.buffer_va, A.buffer_fd, A.buffer_offset, A.buffer_length].some((id) => b.has(id));
  if (b.has(A.buf_umem)) {
    if (given) fail(EINVAL, 'CQ_CREATE: buf_umem excludes buffer_va, buffer_fd, buffer_offset and buffer_length');
    return bufferDesc(b, A.buf_umem, 'CQ buffer');
  }
  if (b.has(A.buffer_va)) {
    const va = b.u64(A.buffer_va);
    const length = u64(A.buffer_length, 'buffer_length');
    if (b.has(A.buffer_fd) || b.has(A.buffer_offset)) fail(EINVAL, 'CQ_CREATE: buffer_va excludes buffer_fd and buffer_offset');
    return pinUserMemory(p, va, length, 'CQ buffer');
  }
  if (b.has(A.buffer_fd)) {
    const fd = b.rawFd(A.buffer_fd);
    const offset = u64(A.buffer_offset, 'buffer_offset');
    const length = u64(A.buffer_length, 'buffer_length');
    return dmabufRange(p, fd, offset, length, 'CQ buffer');
  }
  if (given) fail(EINVAL, 'CQ_CREATE: buffer_offset or buffer_length without a buffer');
  return undefined;
}

export const cqHandlers = {
  cqCreate(b: Bundle): void {
    const A = UVERBS_ATTRS_CQ_CREATE;
    const s = coreState(b.device);
    const ctx = contextOf(b.file);
    const compVector = b.u32(A.comp_vector);
    const cqe = b.u32(A.cqe);
    const userHandle = b.u64(A.user_handle);
    const flags = Number(b.flags(A.flags, BigInt(IB_UVERBS_EX_CREATE_CQ_FLAGS_MASK)));
    const channel = optionalRecord<CompChannel>(b, A.comp_channel, 'COMP_CHANNEL');
    const eventFile = eventFileFor(b, A.event_fd, ctx);
    const buffer = cqBuffer(b);
    const cq = newCq(s, ctx, { cqe, compVector, flags, userHandle, channel, eventFile, buffer });
    const u = b.uobject(A.handle);
    u.object = cq;
    u.userHandle = userHandle;
    b.outputU32(A.resp_cqe, cq.cqe);
  },

  cqDestroy(b: Bundle): void {
    const A = UVERBS_ATTRS_CQ_DESTROY;
    const cq = recordOf<Cq>(b.uobject(A.handle), 'CQ');
    b.output(A.resp, IB_UVERBS_DESTROY_CQ_RESP_SIZE, (v, o) =>
      encodeIbUverbsDestroyCqResp(v, o, { compEventsReported: cq.compEventsReported, asyncEventsReported: cq.asyncEventsReported }),
    );
  },
};
