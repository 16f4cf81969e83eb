/**
 * The DEVX files: the async command fd (answers of DEVX_OBJ_ASYNC_QUERY queue on it) and
 * the event channel (events subscribed with DEVX_SUBSCRIBE_EVENT queue on it). Their
 * read side is readAsyncCmd and readDevxEvent here, which the types' read (Process.read
 * of their fds) copies out; raiseDevxEvent is the device side, for whatever plays the
 * device's events (a test, a later datapath).
 */
import { UVERBS_ATTRS_DEVX_ASYNC_CMD_FD_ALLOC, UVERBS_ATTRS_DEVX_ASYNC_EVENT_FD_ALLOC } from '../../../generated/mlx5/ids.js';
import { MLX5_IB_UAPI_DEVX_CREATE_EVENT_CHANNEL_FLAGS as CH_FLAGS, MLX5_IB_UAPI_DEVX_CREATE_EVENT_CHANNEL_FLAGS_MASK } from '../../../generated/mlx5/enums.js';
import type { Bundle } from '../../kernel/bundle.js';
import { EAGAIN, EINVAL, EIO, ENOSPC, fail } from '../../abi/errno.js';
import { base, type Base, type CoreState } from '../core/state.js';
import { Mlx5Event } from './caps.js';
import type { DevxObj } from './devx-obj.js';
import { mlx5State, type Mlx5State } from './state.js';

/** What one async query answers: its wr_id and the firmware's output. */
export interface AsyncAnswer {
  readonly wrId: bigint;
  readonly out: Uint8Array;
}

export interface DevxAsyncCmdFd extends Base<'DEVX_ASYNC_CMD_FD'> {
  readonly answers: AsyncAnswer[];
  /** Bytes of answers not read yet (the kernel's bytes_in_use). */
  bytesInUse: number;
  destroyed: boolean;
}

/** MAX_ASYNC_BYTES_IN_USE: more pending answers than this and ASYNC_QUERY answers EAGAIN. */
export const MAX_ASYNC_BYTES = 1024 * 1024;
/** Bytes of an event queue entry (struct mlx5_eqe). */
export const EQE_SIZE = 64;

export function newDevxAsyncCmdFd(s: CoreState): DevxAsyncCmdFd {
  return s.born<DevxAsyncCmdFd>({ ...base('DEVX_ASYNC_CMD_FD'), answers: [], bytesInUse: 0, destroyed: false });
}

export function releaseDevxAsyncCmdFd(_s: CoreState, r: DevxAsyncCmdFd): void {
  r.destroyed = true;
}

/** Queues an answer; EAGAIN when the file already holds a megabyte of unread ones. */
export function queueAnswer(fd: DevxAsyncCmdFd, a: AsyncAnswer): void {
  const size = 8 + a.out.length;
  if (fd.bytesInUse + size > MAX_ASYNC_BYTES) fail(EAGAIN, `${fd.bytesInUse} bytes of answers are unread on the async command fd`);
  fd.answers.push(a);
  fd.bytesInUse += size;
}

/** read() of the async command fd: one answer (wr_id, then the output); ENOSPC when `room` is too small for it. */
export function readAsyncCmd(fd: DevxAsyncCmdFd, room: number): Uint8Array {
  const a = fd.answers[0];
  if (!a) fail(fd.destroyed ? EIO : EAGAIN, fd.destroyed ? 'the async command fd was destroyed' : 'no answer is queued');
  const size = 8 + a.out.length;
  if (room < size) fail(ENOSPC, `the answer is ${size} bytes, the buffer ${room}`);
  fd.answers.shift();
  fd.bytesInUse -= size;
  const bytes = new Uint8Array(size);
  new DataView(bytes.buffer).setBigUint64(0, a.wrId, true);
  bytes.set(a.out, 8);
  return bytes;
}

/**
 * One subscription: a set of event types of one object (or of the device), reported on
 * a channel. (Subscriptions that signal an eventfd cannot be made: the emulated process
 * has no eventfds.)
 */
export interface Subscription {
  readonly channel: DevxEventChannel;
  /** The DEVX object whose events are wanted; undefined for unaffiliated events. */
  readonly obj: DevxObj | undefined;
  readonly types: ReadonlySet<number>;
  readonly cookie: bigint;
  /** An omit-data channel queues a subscription's cookie once until it is read. */
  queued: boolean;
}

interface QueuedEvent {
  readonly sub: Subscription;
  readonly eqe: Uint8Array | undefined;
}

export interface DevxEventChannel extends Base<'DEVX_ASYNC_EVENT_FD'> {
  readonly omitData: boolean;
  readonly events: QueuedEvent[];
  readonly subscriptions: Set<Subscription>;
  destroyed: boolean;
}

export function newDevxEventChannel(s: Mlx5State, omitData: boolean): DevxEventChannel {
  const ch = s.born<DevxEventChannel>({ ...base('DEVX_ASYNC_EVENT_FD'), omitData, events: [], subscriptions: new Set(), destroyed: false });
  s.eventChannels.add(ch);
  return ch;
}

/** Closing the channel ends its subscriptions: their objects stop reporting to it. */
export function releaseDevxEventChannel(s: CoreState, r: DevxEventChannel): void {
  for (const sub of r.subscriptions) sub.obj?.subscriptions.delete(sub);
  r.subscriptions.clear();
  r.destroyed = true;
  (s as Mlx5State).eventChannels.delete(r);
}

/** Ends one subscription (its object is being destroyed). */
export function endSubscription(sub: Subscription): void {
  sub.channel.subscriptions.delete(sub);
}

/** read() of the event channel: the cookie, then the EQE unless the channel omits data; EINVAL when `room` is too small. */
export function readDevxEvent(ch: DevxEventChannel, room: number): Uint8Array {
  const e = ch.events[0];
  if (!e) fail(ch.destroyed ? EIO : EAGAIN, ch.destroyed ? 'the event channel was destroyed' : 'no event is queued');
  const size = ch.omitData ? 8 : 8 + EQE_SIZE;
  if (room < size) fail(EINVAL, `an event is ${size} bytes, the buffer ${room}`);
  ch.events.shift();
  e.sub.queued = false;
  const bytes = new Uint8Array(size);
  new DataView(bytes.buffer).setBigUint64(0, e.sub.cookie, true);
  if (!ch.omitData && e.eqe) bytes.set(e.eqe, 8);
  return bytes;
}

/** Events that name their object as a QP, SRQ, SQ, RQ or DCT number (the eqe's qp_srq data). */
const QUEUE_EVENTS = new Set<number>([
  Mlx5Event.PATH_MIG, Mlx5Event.COMM_EST, Mlx5Event.SQ_DRAINED, Mlx5Event.SRQ_LAST_WQE, Mlx5Event.SRQ_RQ_LIMIT, Mlx5Event.WQ_CATAS_ERROR,
  Mlx5Event.PATH_MIG_FAILED, Mlx5Event.WQ_INVAL_REQ_ERROR, Mlx5Event.WQ_ACCESS_ERROR, Mlx5Event.SRQ_CATAS_ERROR, Mlx5Event.DCT_DRAINED,
  Mlx5Event.DCT_KEY_VIOLATION,
]);

/** An event queue entry of `type` about `obj` (struct mlx5_eqe: type at byte 1, its data from byte 0x20). */
export function makeEqe(type: number, obj: DevxObj | undefined): Uint8Array {
  const eqe = new Uint8Array(EQE_SIZE);
  const v = new DataView(eqe.buffer);
  eqe[1] = type;
  if (obj) {
    if (type === Mlx5Event.COMP || type === Mlx5Event.CQ_ERROR) v.setUint32(0x38, obj.fwId & 0xffffff);
    else if (QUEUE_EVENTS.has(type)) v.setUint32(0x38, obj.fwId & 0xffffff);
    else {
      // affiliated_event_header: obj_type, obj_id.
      v.setUint16(0x22, obj.objType);
      v.setUint32(0x24, obj.fwId);
    }
  }
  eqe[EQE_SIZE - 1] = 1; // owner bit of a fresh entry
  return eqe;
}

/**
 * The device raises event `type`, of `obj` or of the device as a whole: every
 * subscription to it reports on its channel. Returns how many did.
 */
export function raiseDevxEvent(s: Mlx5State, type: number, obj?: DevxObj): number {
  let reported = 0;
  const eqe = makeEqe(type, obj);
  for (const ch of s.eventChannels) {
    for (const sub of ch.subscriptions) {
      if (sub.obj !== obj || !sub.types.has(type)) continue;
      reported++;
      if (!ch.omitData) ch.events.push({ sub, eqe });
      else if (!sub.queued) {
        sub.queued = true;
        ch.events.push({ sub, eqe: undefined });
      }
    }
  }
  return reported;
}

export const devxAsyncHandlers = {
  mlx5DevxAsyncCmdFdAlloc(b: Bundle): void {
    b.uobject(UVERBS_ATTRS_DEVX_ASYNC_CMD_FD_ALLOC.handle).object = newDevxAsyncCmdFd(mlx5State(b.device));
  },

  mlx5DevxAsyncEventFdAlloc(b: Bundle): void {
    const A = UVERBS_ATTRS_DEVX_ASYNC_EVENT_FD_ALLOC;
    const flags = b.flags(A.flags, BigInt(MLX5_IB_UAPI_DEVX_CREATE_EVENT_CHANNEL_FLAGS_MASK));
    const omit = (flags & BigInt(CH_FLAGS.MLX5_IB_UAPI_DEVX_CR_EV_CH_FLAGS_OMIT_DATA)) !== 0n;
    b.uobject(A.handle).object = newDevxEventChannel(mlx5State(b.device), omit);
  },
};
