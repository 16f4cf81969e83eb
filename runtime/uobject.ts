/**
 * uobjects: the runtime's record of every object user space can name, and the
 * proposal's non-blocking locks. `usecnt` is 0 when free, the number of shared
 * holders when read-locked, -1 when held exclusively (write, destroy, or being
 * created). A conflicting lock answers EBUSY at once; nothing ever waits, so handles
 * can be given in any order without deadlock.
 */
import { Access, type AccessId, type TypeSpec } from './contract.js';
import { EBUSY, fail } from './errno.js';
import type { UverbsFile } from './file.js';

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

  constructor(
    readonly type: TypeSpec,
    readonly file: UverbsFile,
  ) {}
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
