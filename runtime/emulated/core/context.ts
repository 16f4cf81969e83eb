/**
 * The file-wide actions of the DEVICE type that are about the context and the file:
 * GET_CONTEXT, QUERY_CONTEXT, INFO_HANDLES and INVOKE_WRITE.
 */
import { UVERBS_ATTRS_GET_CONTEXT, UVERBS_ATTRS_INFO_HANDLES, UVERBS_ATTRS_INVOKE_WRITE, UVERBS_ATTRS_QUERY_CONTEXT } from '../../../generated/core/ids.js';
import type { Bundle } from '../../kernel/bundle.js';
import { EBADF, EINVAL, ENOENT, fail } from '../../abi/errno.js';
import type { UverbsFile } from '../../kernel/uverbs-file.js';
import { invokeWrite } from '../../kernel/write-dispatch.js';
import { UObjectState } from '../../kernel/uobject.js';
import type { AsyncEvent } from './async-event.js';
import type { CoreCaps } from './caps.js';
import { coreState, type CoreState } from './state.js';

/** A region of the device a context may mmap (a doorbell page), and so export as a dma-buf. */
export interface MmapEntry {
  readonly pgoff: bigint;
  readonly what: string;
  readonly size: number;
  /** Live dma-bufs exported from it. */
  exports: number;
}

/** The ucontext GET_CONTEXT makes: what it reported, its mmap regions, its default async event file. */
export class Context {
  readonly numCompVectors: number;
  readonly coreSupport: bigint;
  readonly mmap = new Map<bigint, MmapEntry>();
  /** The first async event file the context made; objects created without event_fd report to it. */
  defaultAsyncEvent: AsyncEvent | undefined = undefined;

  constructor(caps: CoreCaps) {
    this.numCompVectors = caps.numCompVectors;
    this.coreSupport = caps.coreSupport;
    for (let i = 0; i < caps.uarPagesPerContext; i++) {
      this.mmap.set(BigInt(i), { pgoff: BigInt(i), what: `doorbell page ${i}`, size: caps.pageSize, exports: 0 });
    }
  }
}

export function newContext(s: CoreState): Context {
  return new Context(s.caps);
}

/** The file's context; EINVAL before GET_CONTEXT, as ib_uverbs_get_ucontext answers. */
export function contextOf(file: UverbsFile): Context {
  const c = file.context;
  if (c === undefined) fail(EINVAL, 'no context on this file: GET_CONTEXT first');
  if (!(c instanceof Context)) throw new Error('the file holds a context the emulated core device did not make');
  return c;
}

/**
 * GET_CONTEXT's common part: the checks of ib_uverbs_get_context, then the context
 * `make` builds (a driver's make reads its UHW request and may refuse), made the
 * file's, then the core outputs. Returns the context for the driver's own outputs.
 */
export function openContext<C extends Context>(b: Bundle, make: () => C): C {
  const A = UVERBS_ATTRS_GET_CONTEXT;
  if (b.file.context !== undefined) fail(EINVAL, 'this file already has a context');
  if (b.has(A.fd_arr)) {
    const arr = b.input(A.fd_arr);
    if (arr.len % 4 !== 0) fail(EINVAL, `fd_arr is ${arr.len} bytes, not a whole number of fds`);
    // The device registers no UCAP files, so the first fd given is closed or the wrong kind of file.
    const fd = arr.view.getInt32(arr.offset, true);
    if (!b.file.process.isOpen(fd)) fail(EBADF, `fd_arr names fd ${fd}, which is not open`);
    fail(EINVAL, `fd ${fd} in fd_arr is not a UCAP file`);
  }
  const ctx = make();
  // As in the kernel, the context is live before the outputs are copied: a fault there does not undo it.
  b.file.context = ctx;
  b.outputU32(A.num_comp_vectors, ctx.numCompVectors);
  b.outputU64(A.core_support, ctx.coreSupport);
  return ctx;
}

export const contextHandlers = {
  getContext(b: Bundle): void {
    openContext(b, () => newContext(coreState(b.device)));
  },

  queryContext(b: Bundle): void {
    const A = UVERBS_ATTRS_QUERY_CONTEXT;
    const ctx = contextOf(b.file);
    b.outputU32(A.num_comp_vectors, ctx.numCompVectors);
    b.outputU64(A.core_support, ctx.coreSupport);
  },

  infoHandles(b: Bundle): void {
    const A = UVERBS_ATTRS_INFO_HANDLES;
    const room = b.has(A.handles_list) ? b.len(A.handles_list) : 0;
    if (room <= 0 || room % 4 !== 0) fail(EINVAL, `handles_list has ${room} bytes, not a positive whole number of u32`);
    const objectId = Number(b.constIn(A.object_id, 0xffffn));
    const type = b.device.type(objectId);
    if (!type) fail(ENOENT, `the device has no object type ${objectId}`);
    const max = room / 4;
    const handles: number[] = [];
    for (const u of b.file.objects) {
      if (handles.length >= max) break;
      if (u.type === type && u.state === UObjectState.LIVE) handles.push(u.id);
    }
    b.output(A.handles_list, handles.length * 4, (v, o) => handles.forEach((h, i) => v.setUint32(o + 4 * i, h, true)));
    b.outputU32(A.total_handles, handles.length);
  },

  async invokeWrite(b: Bundle): Promise<void> {
    const A = UVERBS_ATTRS_INVOKE_WRITE;
    await invokeWrite(b, { coreIn: A.core_in, coreOut: A.core_out, writeCmd: A.write_cmd, uhwIn: A.uhw_in, uhwOut: A.uhw_out });
  },
};
