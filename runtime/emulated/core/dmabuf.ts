/**
 * DMABUF: a region the context could mmap (a doorbell page), exported as a dma-buf fd
 * so that another device can reach it. Closing the fd, or the uverbs file, revokes it.
 */
import { UVERBS_ATTRS_DMABUF_ALLOC } from '../../../generated/core/ids.js';
import type { Bundle } from '../../kernel/bundle.js';
import { EINVAL, EOPNOTSUPP, fail } from '../../abi/errno.js';
import { contextOf, type MmapEntry } from './context.js';
import { coreState, type Base, type CoreState } from './state.js';

export interface Dmabuf extends Base<'DMABUF'> {
  readonly entry: MmapEntry;
  readonly size: number;
  /** Importers lose access once set. */
  revoked: boolean;
}

export function newDmabuf(s: CoreState, entry: MmapEntry): Dmabuf {
  const r = s.born<Dmabuf>({ type: 'DMABUF', usecnt: 0, released: false, entry, size: entry.size, revoked: false });
  entry.exports++;
  return r;
}

export function releaseDmabuf(_s: CoreState, r: Dmabuf): void {
  r.revoked = true;
  r.entry.exports--;
}

export const dmabufHandlers = {
  dmabufAlloc(b: Bundle): void {
    const A = UVERBS_ATTRS_DMABUF_ALLOC;
    const s = coreState(b.device);
    if (s.caps.uarPagesPerContext === 0) fail(EOPNOTSUPP, 'the device maps no regions it could export');
    const pgoff = b.u64(A.pgoff);
    const entry = contextOf(b.file).mmap.get(pgoff);
    if (!entry) fail(EINVAL, `page offset ${pgoff} names no mmap region of this context`);
    b.uobject(A.handle).object = newDmabuf(s, entry);
  },
};
