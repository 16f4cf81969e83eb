/**
 * User memory handed to the device: a range of the process's address space (pinned, as
 * ib_umem_get does, so it must be mapped) or a range of a dma-buf named by its fd.
 */
import { IB_UVERBS_BUFFER_TYPE } from '../../../generated/core/enums.js';
import { decodeIbUverbsBufferDesc } from '../../../generated/core/structs.js';
import { UVERBS_OBJECT } from '../../../generated/core/ids.js';
import type { Bundle } from '../../kernel/bundle.js';
import { EBADF, EFAULT, EINVAL, fail } from '../../abi/errno.js';
import type { Process } from '../../process/process.js';
import type { Dmabuf } from './dmabuf.js';
import { recordOf } from './state.js';
import { objectAt } from '../../kernel/object-file.js';

export type UserBuffer =
  | { readonly kind: 'va'; readonly addr: bigint; readonly length: bigint }
  | { readonly kind: 'dmabuf'; readonly dmabuf: Dmabuf; readonly offset: bigint; readonly length: bigint };

const U64_END = 1n << 64n;

/** ib_umem_get: the range must not wrap and every byte must be mapped (EFAULT otherwise). */
export function pinUserMemory(p: Process, addr: bigint, length: bigint, what: string): UserBuffer {
  if (length === 0n || addr + length > U64_END) fail(EINVAL, `${what}: ${length} bytes at 0x${addr.toString(16)} is not a valid range`);
  if (addr + length > BigInt(Number.MAX_SAFE_INTEGER) || !p.memory.find(Number(addr), Number(length))) {
    fail(EFAULT, `${what}: ${length} bytes at 0x${addr.toString(16)} are not mapped`);
  }
  return { kind: 'va', addr, length };
}

/** dma_buf_get: EBADF for an fd that is not open, EINVAL for one that is not a dma-buf. */
export function dmabufOfFd(p: Process, fd: number, what: string): Dmabuf {
  const u = objectAt(p, fd);
  if (!u) {
    if (p.isOpen(fd)) fail(EINVAL, `${what}: fd ${fd} is not a dma-buf`);
    fail(EBADF, `${what}: fd ${fd} is not open`);
  }
  if (u.type.id !== UVERBS_OBJECT.DMABUF) fail(EINVAL, `${what}: fd ${fd} is a ${u.type.name}, not a dma-buf`);
  return recordOf<Dmabuf>(u, 'DMABUF');
}

/** A range of a dma-buf; it must lie inside the buffer (EINVAL), which must not be revoked. */
export function dmabufRange(p: Process, fd: number, offset: bigint, length: bigint, what: string): UserBuffer {
  const dmabuf = dmabufOfFd(p, fd, what);
  if (dmabuf.revoked) fail(EINVAL, `${what}: the dma-buf of fd ${fd} was revoked`);
  if (length === 0n || offset + length > BigInt(dmabuf.size)) {
    fail(EINVAL, `${what}: ${length} bytes at offset ${offset} do not fit the ${dmabuf.size}-byte dma-buf`);
  }
  return { kind: 'dmabuf', dmabuf, offset, length };
}

/** A struct ib_uverbs_buffer_desc attribute: a VA range or a dma-buf range. */
export function bufferDesc(b: Bundle, id: number, what: string): UserBuffer {
  const x = b.input(id);
  const d = decodeIbUverbsBufferDesc(x.view, x.offset);
  if (d.flags !== 0) fail(EINVAL, `${what}: flags 0x${d.flags.toString(16)} are not understood`);
  switch (d.type) {
    case IB_UVERBS_BUFFER_TYPE.IB_UVERBS_BUFFER_TYPE_VA:
      return pinUserMemory(b.file.process, d.addr, d.length, what);
    case IB_UVERBS_BUFFER_TYPE.IB_UVERBS_BUFFER_TYPE_DMABUF:
      return dmabufRange(b.file.process, d.fd, d.addr, d.length, what);
    default:
      return fail(EINVAL, `${what}: buffer type ${d.type} is neither VA nor DMABUF`);
  }
}

/** copy_from_user of `len` bytes at a 64-bit user pointer; EFAULT when unmapped. */
export function readUser(p: Process, addr: bigint, len: number, what: string): Uint8Array {
  if (addr + BigInt(len) > BigInt(Number.MAX_SAFE_INTEGER)) fail(EFAULT, `${what}: 0x${addr.toString(16)} is not mapped`);
  return p.memory.read(Number(addr), len, what);
}
