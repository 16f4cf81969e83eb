/**
 * ASYNC_EVENT: the file from which user space reads ib_uverbs_async_event_desc records.
 * The emulated device has no fabric to fail, so the only event it raises is the last
 * one: DEVICE_FATAL when the device goes away with the file still open.
 */
import { UVERBS_ATTRS_ASYNC_EVENT_ALLOC } from '../../../generated/core/ids.js';
import type { IbUverbsAsyncEventDesc } from '../../../generated/core/structs.js';
import type { Bundle } from '../../bundle.js';
import { RemoveReason, type RemoveReasonId } from '../../device.js';
import { contextOf, type Context } from './context.js';
import { coreState, recordOf, type Base, type CoreState } from './state.js';

/** enum ib_event_type values the device raises. */
export const IbEvent = { DEVICE_FATAL: 8 } as const;

export interface AsyncEvent extends Base<'ASYNC_EVENT'> {
  /** Events queued for read(), oldest first. */
  readonly events: Omit<IbUverbsAsyncEventDesc, 'reserved'>[];
  /** Closed: readers see end of file, nothing more is queued. */
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

export function releaseAsyncEvent(_s: CoreState, r: AsyncEvent, reason: RemoveReasonId): void {
  if (reason === RemoveReason.DRIVER_REMOVE && !r.closed) r.events.push({ element: 0n, eventType: IbEvent.DEVICE_FATAL });
  r.closed = true;
}

export const asyncEventHandlers = {
  asyncEventAlloc(b: Bundle): void {
    const ctx = contextOf(b.file);
    const ev = newAsyncEvent(coreState(b.device));
    b.uobject(UVERBS_ATTRS_ASYNC_EVENT_ALLOC.fd_handle).object = ev;
    ctx.defaultAsyncEvent ??= ev;
  },
};
