/**
 * DEVX_UMEM: user memory (or a dma-buf range) pinned and registered with the firmware,
 * named by its umem id in the buffer and doorbell fields of DEVX commands. The firmware
 * refuses to destroy a umem while an object it backs exists (EBUSY).
 */
import { UVERBS_ATTRS_DEVX_UMEM_REG } from '../../../generated/mlx5/ids.js';
import type { Bundle } from '../../kernel/bundle.js';
import type { RemoveReasonId } from '../../kernel/device.js';
import { EINVAL, fail } from '../../abi/errno.js';
import { checkMrAccess } from '../core/mr.js';
import { base, refuseIfUsed, type Base, type CoreState } from '../core/state.js';
import { dmabufRange, pinUserMemory, type UserBuffer } from '../core/umem.js';
import { UMEM_ACCESS } from './caps.js';
import { devxUid } from './context.js';
import { mlx5State, type Mlx5State } from './state.js';

export interface DevxUmem extends Base<'DEVX_UMEM'> {
  /** The firmware's umem id. */
  readonly umemId: number;
  readonly uid: number;
  readonly buffer: UserBuffer;
  readonly access: number;
  /** The page size the umem is described with, and where the range starts in its first page. */
  readonly pageSize: number;
  readonly pageOffset: number;
}

const U64 = (1n << 64n) - 1n;

/** The page size a umem is described with: the smallest size of `bitmap` that is at least a system page. */
export function umemPageSize(bitmap: bigint, systemPage: number): number {
  const usable = bitmap & (U64 ^ BigInt(systemPage - 1));
  if (usable === 0n) fail(EINVAL, `page size bitmap 0x${bitmap.toString(16)} offers no size of at least ${systemPage} bytes`);
  let p = 1n;
  while ((usable & p) === 0n) p <<= 1n;
  if (p > BigInt(Number.MAX_SAFE_INTEGER)) fail(EINVAL, `no page size of 0x${bitmap.toString(16)} can describe user memory`);
  return Number(p);
}

export function newDevxUmem(s: Mlx5State, uid: number, buffer: UserBuffer, access: number, pageSize: number): DevxUmem {
  const start = buffer.kind === 'va' ? buffer.addr : buffer.offset;
  const umem = s.born<DevxUmem>({
    ...base('DEVX_UMEM'),
    umemId: s.umemIds.alloc(),
    uid,
    buffer,
    access,
    pageSize,
    pageOffset: Number(start % BigInt(pageSize)),
  });
  s.umems.set(umem.umemId, umem);
  return umem;
}

export function releaseDevxUmem(s: CoreState, r: DevxUmem, reason: RemoveReasonId): void {
  refuseIfUsed(r, reason, 'DEVX objects');
  const m = s as Mlx5State;
  m.umems.delete(r.umemId);
  m.umemIds.free(r.umemId);
}

export const devxUmemHandlers = {
  mlx5DevxUmemReg(b: Bundle): void {
    const A = UVERBS_ATTRS_DEVX_UMEM_REG;
    const s = mlx5State(b.device);
    const uid = devxUid(b.file);
    const addr = b.u64(A.addr);
    const len = b.u64(A.len);
    const access = Number(b.flags(A.access, BigInt(UMEM_ACCESS)));
    checkMrAccess(s, access);
    const pageSize = umemPageSize(b.constIn(A.pgsz_bitmap, U64, U64 ^ BigInt(s.caps.pageSize - 1)), s.caps.pageSize);
    const p = b.file.process;
    const buffer = b.has(A.dmabuf_fd) ? dmabufRange(p, b.rawFd(A.dmabuf_fd), addr, len, 'umem') : pinUserMemory(p, addr, len, 'umem');
    const umem = newDevxUmem(s, uid, buffer, access, pageSize);
    b.uobject(A.handle).object = umem;
    b.outputU32(A.out_id, umem.umemId);
  },
};
