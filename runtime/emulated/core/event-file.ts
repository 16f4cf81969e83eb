/**
 * How the event files (completion channels, async event files) answer read(), as
 * ib_uverbs_event_read does: one event per call, the oldest first; an empty queue
 * answers EIO once the file is closed (its device gone) and EAGAIN before (the
 * emulation never blocks, as with O_NONBLOCK); a buffer smaller than one event answers
 * EINVAL and leaves the event queued. The event leaves the queue, and counts as
 * reported, before it is copied out: a copy that faults (EFAULT) loses it.
 */
import { EAGAIN, EINVAL, EIO, fail } from '../../abi/errno.js';
import type { UserMemory } from '../../process/user-memory.js';

/** What an event file's record keeps. */
export interface EventQueue<E> {
  readonly events: E[];
  closed: boolean;
}

/**
 * read(2) of an event file: writes the oldest event (`size` bytes, by `encode`) at
 * `addr` and returns `size`; `reported` runs for the event as it leaves the queue.
 */
export function readOneEvent<E>(
  q: EventQueue<E>,
  size: number,
  memory: UserMemory,
  addr: number,
  count: number,
  encode: (v: DataView, o: number, e: E) => void,
  reported: (e: E) => void,
): number {
  const e = q.events[0];
  if (e === undefined) fail(q.closed ? EIO : EAGAIN, q.closed ? 'the event file is closed and empty' : 'no event is queued');
  if (count < size) fail(EINVAL, `an event is ${size} bytes, read() asked for ${count}`);
  q.events.shift();
  reported(e);
  const bytes = new Uint8Array(size);
  encode(new DataView(bytes.buffer), 0, e);
  memory.write(addr, bytes, 'read() of an event file');
  return size;
}
