/**
 * The page objects: UAR (a doorbell page of the device's UAR space, taken under the
 * context's uid), VAR (a page of the VirtIO emulation BAR) and PP (an entry of the
 * packet pacing rate table). UAR and VAR pages get an mmap entry in the context, so
 * that user space maps them and DMABUF_ALLOC can export them; releasing the object
 * removes the entry (a page already exported stays reachable through its dma-buf).
 */
import { MLX5_IB_UAPI_PP_ALLOC_FLAGS, MLX5_IB_UAPI_PP_ALLOC_FLAGS_MASK, MLX5_IB_UAPI_UAR_ALLOC_TYPE, MLX5_IB_UAPI_VAR_ALLOC_FLAGS, MLX5_IB_UAPI_VAR_ALLOC_FLAGS_MASK } from '../../../generated/mlx5/enums.js';
import { UVERBS_ATTRS_PP_OBJ_ALLOC, UVERBS_ATTRS_UAR_OBJ_ALLOC, UVERBS_ATTRS_VAR_OBJ_ALLOC, UVERBS_OBJECT } from '../../../generated/mlx5/ids.js';
import type { Bundle } from '../../kernel/bundle.js';
import { ENOSPC, EOPNOTSUPP, fail } from '../../abi/errno.js';
import type { UverbsFile } from '../../kernel/uverbs-file.js';
import { UObjectState } from '../../kernel/uobject.js';
import type { MmapEntry } from '../core/context.js';
import { base, type Base, type CoreState } from '../core/state.js';
import { devxUid, mlx5ContextOf, type Mlx5Context } from './context.js';
import { Mailbox } from './prm.js';
import { mlx5State, type Mlx5State, type RateEntry } from './state.js';
import { bytesOf } from './udata.js';

export type UarMapping = 'bf' | 'nc';

export interface Uar extends Base<'UAR'> {
  /** The device UAR index (page_id). */
  readonly index: number;
  readonly mapping: UarMapping;
  readonly ctx: Mlx5Context;
  readonly mmap: MmapEntry;
}

export function newUar(s: Mlx5State, ctx: Mlx5Context, mapping: UarMapping): Uar {
  if (mapping === 'bf' && !s.caps.wcSupport) fail(EOPNOTSUPP, 'the device has no write-combining mappings for blue-flame UARs');
  const index = s.uarIndexes.alloc();
  return s.born<Uar>({ ...base('UAR'), index, mapping, ctx, mmap: ctx.addMmap(`UAR ${index}`, s.caps.pageSize) });
}

export function releaseUar(s: CoreState, r: Uar): void {
  r.ctx.removeMmap(r.mmap);
  (s as Mlx5State).uarIndexes.free(r.index);
}

/** The UAR indexes of `file`'s live UAR objects (pages its verbs objects may ring doorbells through). */
export function uarObjectIndexes(file: UverbsFile): number[] {
  const out: number[] = [];
  for (const u of file.objects) {
    if (u.type.id === UVERBS_OBJECT.UAR && u.state === UObjectState.LIVE) out.push((u.object as Uar).index);
  }
  return out;
}

export interface Var extends Base<'VAR'> {
  readonly page: number;
  readonly tlp: boolean;
  readonly ctx: Mlx5Context;
  readonly mmap: MmapEntry;
}

export function newVar(s: Mlx5State, ctx: Mlx5Context, tlp: boolean): Var {
  const caps = s.caps.var;
  if (!caps) fail(EOPNOTSUPP, 'the device has no VirtIO emulation region');
  const pages = tlp ? s.tlpVarPages : s.varPages;
  if (!pages) fail(EOPNOTSUPP, 'the device has no TLP emulation region');
  if (pages.inUse > pages.last - pages.first) fail(ENOSPC, `every page of the ${tlp ? 'TLP' : 'VirtIO'} region is taken`);
  const page = pages.alloc();
  return s.born<Var>({ ...base('VAR'), page, tlp, ctx, mmap: ctx.addMmap(`${tlp ? 'TLP' : 'VirtIO'} page ${page}`, caps.pageSize) });
}

export function releaseVar(s: CoreState, r: Var): void {
  const m = s as Mlx5State;
  r.ctx.removeMmap(r.mmap);
  (r.tlp ? m.tlpVarPages : m.varPages)?.free(r.page);
}

export interface Pp extends Base<'PP'> {
  readonly entry: RateEntry;
  readonly dedicated: boolean;
}

/** Bytes of the PRM set_pp_rate_limit_context. */
export const PP_CONTEXT_SIZE = 48;

export function newPp(s: Mlx5State, uid: number, ctx: Uint8Array, dedicated: boolean): Pp {
  if (!s.caps.pp) fail(EOPNOTSUPP, 'the device has no packet pacing');
  const full = new Uint8Array(PP_CONTEXT_SIZE);
  full.set(ctx.subarray(0, PP_CONTEXT_SIZE));
  // set_pp_rate_limit_context.rate_limit: the first u32, in kb/s.
  const rate = new Mailbox(full).u32(0);
  return s.born<Pp>({ ...base('PP'), entry: s.addRate(full, rate, dedicated ? uid : undefined), dedicated });
}

export function releasePp(s: CoreState, r: Pp): void {
  (s as Mlx5State).putRate(r.entry);
}

export const pageHandlers = {
  mlx5UarObjAlloc(b: Bundle): void {
    const A = UVERBS_ATTRS_UAR_OBJ_ALLOC;
    const s = mlx5State(b.device);
    const ctx = mlx5ContextOf(b.file);
    const type = Number(b.constIn(A.type, 0xffff_ffffn));
    if (type !== MLX5_IB_UAPI_UAR_ALLOC_TYPE.MLX5_IB_UAPI_UAR_ALLOC_TYPE_BF && type !== MLX5_IB_UAPI_UAR_ALLOC_TYPE.MLX5_IB_UAPI_UAR_ALLOC_TYPE_NC) {
      fail(EOPNOTSUPP, `UAR type ${type} is neither BF nor NC`);
    }
    const uar = newUar(s, ctx, type === MLX5_IB_UAPI_UAR_ALLOC_TYPE.MLX5_IB_UAPI_UAR_ALLOC_TYPE_BF ? 'bf' : 'nc');
    b.uobject(A.handle).object = uar;
    b.outputU64(A.mmap_offset, uar.mmap.pgoff * BigInt(s.caps.pageSize));
    b.outputU32(A.mmap_length, uar.mmap.size);
    b.outputU32(A.page_id, uar.index);
  },

  mlx5VarObjAlloc(b: Bundle): void {
    const A = UVERBS_ATTRS_VAR_OBJ_ALLOC;
    const s = mlx5State(b.device);
    const ctx = mlx5ContextOf(b.file);
    const flags = b.flags(A.flags, BigInt(MLX5_IB_UAPI_VAR_ALLOC_FLAGS_MASK));
    const v = newVar(s, ctx, (flags & BigInt(MLX5_IB_UAPI_VAR_ALLOC_FLAGS.MLX5_IB_UAPI_VAR_ALLOC_FLAG_TLP)) !== 0n);
    b.uobject(A.handle).object = v;
    b.outputU64(A.mmap_offset, v.mmap.pgoff * BigInt(s.caps.pageSize));
    b.outputU32(A.mmap_length, v.mmap.size);
    b.outputU32(A.page_id, v.page);
  },

  mlx5PpObjAlloc(b: Bundle): void {
    const A = UVERBS_ATTRS_PP_OBJ_ALLOC;
    const s = mlx5State(b.device);
    const uid = devxUid(b.file);
    const ctx = bytesOf(b, A.ctx);
    const flags = b.flags(A.flags, BigInt(MLX5_IB_UAPI_PP_ALLOC_FLAGS_MASK));
    const pp = newPp(s, uid, ctx, (flags & BigInt(MLX5_IB_UAPI_PP_ALLOC_FLAGS.MLX5_IB_UAPI_PP_ALLOC_FLAGS_DEDICATED_INDEX)) !== 0n);
    b.uobject(A.handle).object = pp;
    b.output(A.index, 2, (v, o) => v.setUint16(o, pp.entry.index, true));
  },
};
