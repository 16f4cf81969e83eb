/**
 * rdma_lookup_get_uobject: find the object a handle or fd names on a file and lock it
 * for `access`, with the kernel's answers: EIO once the device is removed (destroy
 * excepted), ENOENT for a handle this file does not have, EINVAL for one of another
 * type, EBADF for an fd that is not an object of that type of this file, EBUSY for a
 * lock that conflicts.
 */
import { Access, TypeKind, type AccessId, type TypeSpec } from './contract.js';
import { EBADF, EINVAL, EIO, ENOENT, fail } from '../abi/errno.js';
import type { UverbsFile } from './uverbs-file.js';
import { UObjectState, tryLock, type UObject } from './uobject.js';
import { objectAt } from './object-file.js';

/** The largest handle an IDR hands out (INT_MAX). */
const MAX_HANDLE = 0x7fff_ffff;

/**
 * `type` undefined: an idr handle of any type (UVERBS_IDR_ANY_OBJECT). `id` is the
 * handle or fd; a negative one, or a handle beyond INT_MAX, names nothing.
 */
export function lookupUObject(file: UverbsFile, type: TypeSpec | undefined, id: number, access: AccessId): UObject {
  const device = file.device;
  if (device.removed && access !== Access.DESTROY) fail(EIO, 'the device was removed');
  let u: UObject | undefined;
  if (type?.kind === TypeKind.FD) {
    u = objectAt(file.process, id);
    if (!u || u.file !== file || u.type !== type) fail(EBADF, `fd ${id} is not a ${type.name} of this file`);
  } else {
    u = id >= 0 && id <= MAX_HANDLE ? device.idr.get(id) : undefined;
    if (!u || u.file !== file || u.state === UObjectState.RESERVED || u.state === UObjectState.DESTROYED) fail(ENOENT, `no object ${id} on this file`);
    if (type && u.type !== type) fail(EINVAL, `handle ${id} is a ${u.type.name}, not a ${type.name}`);
  }
  if (u.state === UObjectState.HW_GONE && access !== Access.DESTROY) fail(EIO, 'the object was released with its device');
  tryLock(u, access);
  return u;
}
