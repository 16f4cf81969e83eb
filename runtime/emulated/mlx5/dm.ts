/**
 * mlx5 device memory: DM_ALLOC chooses the kind (req_type). MEMIC is the core's device
 * memory, mapped through the device's BAR: its answer is the page index to mmap and the
 * offset in that page, and its atomic operations can be mapped too (DM_MAP_OP_ADDR).
 * The software-owned ICM kinds are regions of the device's ICM that software steering
 * writes itself: their answer is the ICM address, and they need CAP_SYS_RAWIO and
 * CAP_NET_RAW.
 */
import { MLX5_IB_UAPI_DM_TYPE as DMT } from '../../../generated/mlx5/enums.js';
import { UVERBS_ATTRS_DM_ALLOC, UVERBS_ATTRS_DM_MAP_OP_ADDR, UVERBS_ATTRS_DM_QUERY } from '../../../generated/mlx5/ids.js';
import type { Bundle } from '../../kernel/bundle.js';
import type { RemoveReasonId } from '../../kernel/device.js';
import { EINVAL, EOPNOTSUPP, EPERM, fail } from '../../abi/errno.js';
import { roundupPow2 } from '../core/caps.js';
import { dmHandlers, releaseDm, type Dm } from '../core/dm.js';
import { base, recordOf, refuseIfUsed, type CoreState } from '../core/state.js';
import { mlx5State, type Mlx5State } from './state.js';

/** Where a MEMIC block or one of its operations is mapped. */
export interface MemicPlace {
  readonly pageIndex: number;
  readonly startOffset: bigint;
}

export type Mlx5DmInfo =
  | { readonly type: 0; readonly place: MemicPlace; readonly ops: Map<number, MemicPlace> }
  | { readonly type: number; readonly icmAddr: bigint };

export interface Mlx5Dm extends Dm {
  mlx5?: Mlx5DmInfo;
}

function isMemic(info: Mlx5DmInfo): info is Extract<Mlx5DmInfo, { type: 0 }> {
  return info.type === DMT.MLX5_IB_UAPI_DM_TYPE_MEMIC;
}

function memicPlace(s: Mlx5State, offset: number): MemicPlace {
  return { pageIndex: Math.floor(offset / s.caps.pageSize), startOffset: BigInt(offset % s.caps.pageSize) };
}

/** A block of software-owned ICM of `type`: whole blocks, a power of two, aligned to its size. */
export function newSwIcmDm(s: Mlx5State, type: number, length: bigint): Mlx5Dm {
  const caps = s.caps.swIcm;
  const mem = s.swIcm.get(type);
  if (!caps || !mem) fail(EOPNOTSUPP, `the device has no software-owned ICM of type ${type}`);
  if (length === 0n || length > BigInt(mem.size)) fail(EINVAL, `an ICM block is 1..${mem.size} bytes, not ${length}`);
  const size = roundupPow2(Math.ceil(Number(length) / caps.block) * caps.block);
  const start = mem.alloc(size, size);
  const icmAddr = caps.base + (BigInt(type) << 32n) + BigInt(start);
  return s.born<Mlx5Dm>({ ...base('DM'), start, length, size, alignLog: Math.log2(size), mlx5: { type, icmAddr } });
}

export function releaseMlx5Dm(s: CoreState, r: Mlx5Dm, reason: RemoveReasonId): void {
  const info = r.mlx5;
  if (!info || isMemic(info)) {
    releaseDm(s, r, reason);
    return;
  }
  refuseIfUsed(r, reason, 'MRs');
  (s as Mlx5State).swIcm.get(info.type)?.free(r.start);
}

export const mlx5DmHandlers = {
  dmAlloc(b: Bundle): void {
    const A = UVERBS_ATTRS_DM_ALLOC;
    const s = mlx5State(b.device);
    const type = Number(b.constIn(A.req_type, 0xffff_ffffn, 0n));
    let dm: Mlx5Dm;
    if (type === DMT.MLX5_IB_UAPI_DM_TYPE_MEMIC) {
      dmHandlers.dmAlloc(b);
      dm = recordOf<Mlx5Dm>(b.uobject(A.handle), 'DM');
      dm.mlx5 = { type: DMT.MLX5_IB_UAPI_DM_TYPE_MEMIC, place: memicPlace(s, dm.start), ops: new Map() };
    } else if (type <= DMT.MLX5_IB_UAPI_DM_TYPE_ENCAP_SW_ICM) {
      const p = b.file.process;
      if (!s.mayUseRawIo(p) || !s.mayUseRawPacket(p)) fail(EPERM, 'software-owned ICM needs CAP_SYS_RAWIO and CAP_NET_RAW');
      dm = newSwIcmDm(s, type, b.u64(A.length));
      b.uobject(A.handle).object = dm;
    } else fail(EOPNOTSUPP, `device memory type ${type} is not one of mlx5_ib_uapi_dm_type`);
    const info = dm.mlx5!;
    if (isMemic(info)) {
      b.outputU64(A.resp_start_offset, info.place.startOffset);
      b.output(A.resp_page_index, 2, (v, o) => v.setUint16(o, info.place.pageIndex, true));
    } else b.outputU64(A.resp_start_offset, info.icmAddr);
  },

  mlx5DmMapOpAddr(b: Bundle): void {
    const A = UVERBS_ATTRS_DM_MAP_OP_ADDR;
    const s = mlx5State(b.device);
    const dm = recordOf<Mlx5Dm>(b.uobject(A.req_handle), 'DM');
    const info = dm.mlx5;
    if (!info || !isMemic(info)) fail(EOPNOTSUPP, 'only MEMIC device memory has operation addresses');
    const x = b.input(A.req_op);
    const op = x.view.getUint8(x.offset);
    const memic = s.caps.memic;
    if (!memic || op >= 32 || ((memic.operations >>> op) & 1) === 0) fail(EOPNOTSUPP, `the device offers no MEMIC operation ${op}`);
    let place = info.ops.get(op);
    if (!place) {
      // Each operation has its own window of the BAR, laid out as the MEMIC region is.
      const region = s.caps.dm?.size ?? 0;
      const at = memic.opPageBase * s.caps.pageSize + op * region + dm.start;
      place = memicPlace(s, at);
      info.ops.set(op, place);
    }
    const p = place;
    b.outputU64(A.resp_start_offset, p.startOffset);
    b.output(A.resp_page_index, 2, (v, o) => v.setUint16(o, p.pageIndex, true));
  },

  mlx5DmQuery(b: Bundle): void {
    const A = UVERBS_ATTRS_DM_QUERY;
    const dm = recordOf<Mlx5Dm>(b.uobject(A.req_handle), 'DM');
    const info = dm.mlx5;
    if (!info || !isMemic(info)) fail(EOPNOTSUPP, 'only MEMIC device memory is mapped');
    b.outputU64(A.resp_start_offset, info.place.startOffset);
    b.output(A.resp_page_index, 2, (v, o) => v.setUint16(o, info.place.pageIndex, true));
    b.outputU64(A.resp_length, dm.length);
  },
};
