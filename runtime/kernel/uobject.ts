/**
 * uobjects: the runtime's record of every object user space can name, and the
 * proposal's non-blocking locks. `usecnt` is 0 when free, the number of shared
 * holders when read-locked, -1 when held exclusively (write, destroy, or being
 * created). A conflicting lock answers EBUSY at once; nothing ever waits, so handles
 * can be given in any order without deadlock.
 */
import { Access, type AccessId, type TypeSpec } from './contract.js';
import { EBUSY, fail } from '../abi/errno.js';
import type { UverbsFile } from './uverbs-file.js';

/** Why an object is being released (the kernel's enum rdma_remove_reason). */
export const RemoveReason = {
  /** A destroy action: the hook may refuse (EBUSY) and the object stays. */
  DESTROY: 0,
  /** The owning file is closing: must succeed. */
  CLOSE: 1,
  /** The device is going away: must succeed. */
  DRIVER_REMOVE: 2,
  /** A `new` object whose action failed after the handler made it. */
  ABORT: 3,
} as const;
export type RemoveReasonId = (typeof RemoveReason)[keyof typeof RemoveReason];

export const UObjectState = {
  /** Allocated for a `new` attribute; not visible to lookups until committed. */
  RESERVED: 0,
  LIVE: 1,
  /** The device is gone and released the object's resources; only destroy and close remain. */
  HW_GONE: 2,
  /** Released; its handle may be reused. */
  DESTROYED: 3,
} as const;
export type UObjectStateId = (typeof UObjectState)[keyof typeof UObjectState];

export class UObject {
  /** The handle (idr types) or fd number (fd types); -1 before it has one. */
  id = -1;
  usecnt = 0;
  state: UObjectStateId = UObjectState.RESERVED;
  /** What the device made: the handler's own object. */
  object: unknown = undefined;
  /** The user's cookie for it (user_handle), where the action takes one. */
  userHandle: bigint = 0n;
  /** Its neighbours in its file's UObjectList (the kernel's uobj->list). */
  prev: UObject | undefined = undefined;
  next: UObject | undefined = undefined;
  /** In its file's list: from reserve until it is forgotten. */
  listed = false;

  constructor(
    readonly type: TypeSpec,
    readonly file: UverbsFile,
  ) {}
}

/**
 * The objects of one file, in the order they were made: an intrusive doubly-linked
 * list, as the kernel's ufile->uobjects. Adding and removing are O(1) however many
 * objects there are (a Set of a million objects rehashes itself as entries come and go,
 * which made each create and destroy several times slower than with a thousand).
 *
 * It iterates as a Set does: in order, objects added during an iteration included,
 * objects removed before being reached skipped. A removed object keeps its `next`, so
 * an iteration standing on it goes on from there.
 */
export class UObjectList implements Iterable<UObject> {
  private head: UObject | undefined = undefined;
  private tail: UObject | undefined = undefined;
  private count = 0;

  get size(): number {
    return this.count;
  }

  has(u: UObject): boolean {
    return u.listed && u.file.objects === this;
  }

  add(u: UObject): void {
    if (u.listed) return;
    u.prev = this.tail;
    u.next = undefined;
    if (this.tail) this.tail.next = u;
    else this.head = u;
    this.tail = u;
    u.listed = true;
    this.count++;
  }

  delete(u: UObject): boolean {
    if (!this.has(u)) return false;
    if (u.prev) u.prev.next = u.next;
    else this.head = u.next;
    if (u.next) u.next.prev = u.prev;
    else this.tail = u.prev;
    u.prev = undefined; // `next` stays, for an iteration standing on u
    u.listed = false;
    this.count--;
    return true;
  }

  *[Symbol.iterator](): IterableIterator<UObject> {
    let u = this.head;
    while (u) {
      yield u;
      let n = u.next;
      while (n && !n.listed) n = n.next;
      u = n;
    }
  }
}

/** Locks for `access`; EBUSY if that conflicts with current holders. */
export function tryLock(u: UObject, access: AccessId): void {
  if (access === Access.READ) {
    if (u.usecnt < 0) fail(EBUSY, `${u.type.name} ${u.id} is held exclusively`);
    u.usecnt++;
  } else {
    if (u.usecnt !== 0) fail(EBUSY, `${u.type.name} ${u.id} is in use (${u.usecnt < 0 ? 'held exclusively' : `${u.usecnt} shared holders`})`);
    u.usecnt = -1;
  }
}

export function unlock(u: UObject, access: AccessId): void {
  if (access === Access.READ) u.usecnt--;
  else u.usecnt = 0;
}
