/**
 * ASYNC_EVENT: the file from which user space reads ib_uverbs_async_event_desc records.
 * Objects report to it what happens to them outside any command (a QP's access error,
 * a CQ's overrun, an SRQ reaching its limit), and the device reports DEVICE_FATAL when
 * it goes away with the file still open.
 */
import { UVERBS_ATTRS_ASYNC_EVENT_ALLOC } from '../../../generated/core/ids.js';
import { encodeIbUverbsAsyncEventDesc, IB_UVERBS_ASYNC_EVENT_DESC_SIZE } from '../../../generated/core/structs.js';
import type { Bundle } from '../../kernel/bundle.js';
import { RemoveReason, type RemoveReasonId } from '../../kernel/device.js';
import type { UObject } from '../../kernel/uobject.js';
import type { UserMemory } from '../../process/user-memory.js';
import { contextOf, type Context } from './context.js';
import { readOneEvent } from './event-file.js';
import { coreState, recordOf, removeAll, type Base, type CoreState } from './state.js';
import { IbEvent } from './verbs.js';

/** One queued event: the desc's element and event_type, and what it is about. */
export interface AsyncEventEntry {
  /** The object's user_handle (or the port number, or 0 for the device). */
  readonly element: bigint;
  /** enum ib_event_type (IbEvent). */
  readonly eventType: number;
  /** The object the event is about: destroying it drops its events not yet read. */
  readonly about?: object;
  /** Counts the event in the object's events_reported once read. */
  readonly reported?: () => void;
}

export interface AsyncEvent extends Base<'ASYNC_EVENT'> {
  /** Events queued for read(), oldest first. */
  readonly events: AsyncEventEntry[];
  /** Closed: nothing more is queued, and read() answers EIO once the queue is empty. */
  closed: boolean;
}

export function newAsyncEvent(s: CoreState): AsyncEvent {
  return s.born({ type: 'ASYNC_EVENT', usecnt: 0, released: false, events: [], closed: false });
}

/**
 * ib_uverbs_get_async_event: the event file an object reports to, the one named by
 * `id` or else the context's default (none before ASYNC_EVENT_ALLOC).
 */
export function eventFileFor(b: Bundle, id: number, ctx: Context): AsyncEvent | undefined {
  const u = b.optionalUobject(id);
  return u ? recordOf<AsyncEvent>(u, 'ASYNC_EVENT') : ctx.defaultAsyncEvent;
}

/** ib_uverbs_async_handler: queues `e` on `file`, unless there is none or it is closed. */
export function raiseAsyncEvent(file: AsyncEvent | undefined, e: AsyncEventEntry): void {
  if (file && !file.closed) file.events.push(e);
}

/** ib_uverbs_release_uevent: an object going away takes its unread events with it. */
export function dropAsyncEvents(file: AsyncEvent | undefined, about: object): void {
  if (file) removeAll(file.events, (e) => e.about === about);
}

export function releaseAsyncEvent(_s: CoreState, r: AsyncEvent, reason: RemoveReasonId): void {
  if (reason === RemoveReason.DRIVER_REMOVE && !r.closed) r.events.push({ element: 0n, eventType: IbEvent.DEVICE_FATAL });
  r.closed = true;
}

/** read(2) of an async event file: one ib_uverbs_async_event_desc per call. */
export function readAsyncEvent(u: UObject, memory: UserMemory, addr: number, count: number): number {
  const file = recordOf<AsyncEvent>(u, 'ASYNC_EVENT');
  return readOneEvent(file, IB_UVERBS_ASYNC_EVENT_DESC_SIZE, memory, addr, count, encodeIbUverbsAsyncEventDesc, (e) => e.reported?.());
}

export const asyncEventHandlers = {
  asyncEventAlloc(b: Bundle): void {
    const ctx = contextOf(b.file);
    const ev = newAsyncEvent(coreState(b.device));
    b.uobject(UVERBS_ATTRS_ASYNC_EVENT_ALLOC.fd_handle).object = ev;
    ctx.defaultAsyncEvent ??= ev;
  },
};
