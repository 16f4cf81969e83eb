/**
 * The mlx5 ucontext: what mlx5_ib_alloc_ucontext negotiates through GET_CONTEXT's UHW.
 * The request asks for blue-flame registers (doorbell slots, two per UAR page that the
 * context may use for send doorbells), a CQE version, 4K or dynamic UARs, and a DEVX
 * user id; the answer reports the device's queue limits and the doorbell layout.
 *
 * Static UAR pages are taken from the device at context creation and mapped at mmap
 * page offsets 0..n-1; dynamic ones come on demand (the emulator takes a dynamic page
 * when DEVX_QUERY_UAR first names it, standing for the mmap(MLX5_IB_MMAP_ALLOC_WC) that
 * a real library does first). UAR and VAR objects get mmap offsets from 0x100 pages on.
 */
import {
  MLX5_IB_ALLOC_UCONTEXT_RESP_MASK as RESP, MLX5_IB_ALLOC_UCTX_V2_FLAGS, MLX5_LIB_CAPS, MLX5_USER_CMDS_SUPP_UHW,
} from '../../../generated/mlx5/enums.js';
import {
  decodeMlx5IbAllocUcontextReqV2, encodeMlx5IbAllocUcontextResp, MLX5_IB_ALLOC_UCONTEXT_REQ_SIZE, MLX5_IB_ALLOC_UCONTEXT_REQ_V2_SIZE,
  MLX5_IB_ALLOC_UCONTEXT_RESP_SIZE, type Mlx5IbAllocUcontextResp,
} from '../../../generated/mlx5/structs.js';
import { UVERBS_ATTRS_QUERY_CONTEXT } from '../../../generated/mlx5/ids.js';
import type { Bundle } from '../../kernel/bundle.js';
import { EINVAL, ENOMEM, EOPNOTSUPP, fail } from '../../abi/errno.js';
import type { UverbsFile } from '../../kernel/uverbs-file.js';
import { LinkLayer, roundupPow2 } from '../core/caps.js';
import { Context, openContext, type MmapEntry } from '../core/context.js';
import type { Mlx5Caps } from './caps.js';
import { mlx5State, type ContextResources, type Mlx5State } from './state.js';
import { udataIn, udataOut } from './udata.js';

/** Blue-flame registers per UAR that are not reserved for the fast path (MLX5_NON_FP_BFREGS_PER_UAR). */
export const NON_FP_BFREGS_PER_UAR = 2;
/** log2 of a UAR's size (MLX5_ADAPTER_PAGE_SHIFT). */
const LOG_UAR_SIZE = 12;
/** The first mmap page offset handed to UAR and VAR objects (below it: the context's own pages). */
const FIRST_OBJECT_PGOFF = 0x100n;
/** offsetof(struct mlx5_ib_alloc_ucontext_req_v2, max_cqe_version): the shortest v2 request. */
const MIN_REQ_V2 = 16;

/** What GET_CONTEXT asked for, checked. */
export interface ContextRequest {
  readonly totalBfregs: number;
  readonly numLowLatencyBfregs: number;
  readonly devx: boolean;
  readonly maxCqeVersion: number;
  readonly lib4kUar: boolean;
  readonly libDynUar: boolean;
}

/** mlx5_ib_alloc_ucontext's parsing of the request; EINVAL or EOPNOTSUPP as the kernel answers. */
export function parseContextRequest(b: Bundle): ContextRequest {
  const u = udataIn(b, MLX5_IB_ALLOC_UCONTEXT_REQ_V2_SIZE);
  if (u.len !== MLX5_IB_ALLOC_UCONTEXT_REQ_SIZE && u.len < MIN_REQ_V2) {
    fail(EINVAL, `the alloc ucontext request is ${u.len} bytes: neither the 8-byte v1 form nor at least ${MIN_REQ_V2} bytes of v2`);
  }
  const req = decodeMlx5IbAllocUcontextReqV2(u.view, 0);
  if ((req.flags & ~MLX5_IB_ALLOC_UCTX_V2_FLAGS.MLX5_IB_ALLOC_UCTX_DEVX) !== 0) fail(EOPNOTSUPP, `context flags 0x${req.flags.toString(16)} are not known`);
  if (req.compMask !== 0 || req.reserved0 !== 0 || req.reserved1 !== 0 || req.reserved2 !== 0) fail(EOPNOTSUPP, 'comp_mask and the reserved fields of the request must be 0');
  const total = alignUp(req.totalNumBfregs, NON_FP_BFREGS_PER_UAR);
  if (total > 0 && req.numLowLatencyBfregs > total - 1) fail(EINVAL, `${req.numLowLatencyBfregs} low-latency registers leave none of ${total} for sharing`);
  return {
    totalBfregs: total,
    numLowLatencyBfregs: req.numLowLatencyBfregs,
    devx: (req.flags & MLX5_IB_ALLOC_UCTX_V2_FLAGS.MLX5_IB_ALLOC_UCTX_DEVX) !== 0,
    maxCqeVersion: req.maxCqeVersion,
    lib4kUar: (req.libCaps & BigInt(MLX5_LIB_CAPS.MLX5_LIB_CAP_4K_UAR)) !== 0n,
    libDynUar: (req.libCaps & BigInt(MLX5_LIB_CAPS.MLX5_LIB_CAP_DYN_UAR)) !== 0n,
  };
}

function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

export class Mlx5Context extends Context {
  readonly request: ContextRequest;
  /** The DEVX user id; 0 when the context did not ask for DEVX. */
  readonly uid: number;
  /** Blue-flame registers in one system page's worth of UARs. */
  readonly bfregsPerPage: number;
  /** Device UAR indexes of the static pages, mmap page offset i for page i. */
  readonly staticUars: readonly number[];
  /** Dynamic pages taken so far: page number (counted from 0 among dynamic pages) -> UAR index. */
  readonly dynUars = new Map<number, number>();
  readonly numDynBfregs: number;
  readonly cqeVersion: number;
  /** The answer GET_CONTEXT gave, and QUERY_CONTEXT repeats. */
  readonly resp: Mlx5IbAllocUcontextResp;
  readonly resources: ContextResources;
  readonly pageSize: number;
  private nextBfreg = 0;
  private nextPgoff = FIRST_OBJECT_PGOFF;

  constructor(s: Mlx5State, file: UverbsFile, req: ContextRequest) {
    super(s.caps);
    const caps = s.caps;
    this.request = req;
    this.pageSize = caps.pageSize;
    this.bfregsPerPage = (req.lib4kUar ? caps.uarsPerPage : 1) * NON_FP_BFREGS_PER_UAR;
    let staticPages = 0;
    if (!req.libDynUar) {
      // calc_total_bfregs: a context without dynamic UARs needs registers, whole pages of them.
      if (req.totalBfregs === 0) fail(EINVAL, 'a context without dynamic UARs asks for at least one blue-flame register');
      const total = alignUp(req.totalBfregs, this.bfregsPerPage);
      if (total > caps.maxBfregs) fail(ENOMEM, `${total} blue-flame registers are more than the ${caps.maxBfregs} a context may have`);
      staticPages = total / this.bfregsPerPage;
    }
    this.numDynBfregs = alignUp(caps.dynBfregs, this.bfregsPerPage);
    this.cqeVersion = Math.min(req.maxCqeVersion, 1);
    const uid = req.devx ? s.allocUid() : 0;
    const uars: number[] = [];
    try {
      for (let i = 0; i < staticPages; i++) uars.push(s.uarIndexes.alloc());
    } catch (e) {
      for (const i of uars) s.uarIndexes.free(i);
      if (uid !== 0) s.freeUid(uid);
      throw e;
    }
    this.uid = uid;
    this.staticUars = uars;
    this.resources = { uid, uarIndexes: [...uars] };
    s.trackContext(file, this.resources);
    // mlx5 maps its own doorbell pages: they replace the core's generic ones.
    this.mmap.clear();
    uars.forEach((_, i) => this.mmap.set(BigInt(i), { pgoff: BigInt(i), what: `UAR page ${i}`, size: caps.pageSize, exports: 0 }));
    this.resp = contextResponse(caps, this, staticPages);
  }

  get totalBfregs(): number {
    return this.request.libDynUar ? 0 : this.staticUars.length * this.bfregsPerPage;
  }

  /** The blue-flame register a QP without one of its own gets: the shared ones round robin (alloc_bfreg's medium class). */
  sharedBfreg(): number {
    const shared = this.totalBfregs - this.request.numLowLatencyBfregs;
    if (shared <= 1) return 0;
    this.nextBfreg = (this.nextBfreg % (shared - 1)) + 1;
    return this.nextBfreg;
  }

  /** The device UAR index of a static blue-flame register. */
  uarOfBfreg(bfreg: number): number | undefined {
    return this.staticUars[Math.floor(bfreg / this.bfregsPerPage)];
  }

  /** bfregn_to_uar_index for a dynamic register: EINVAL outside the dynamic pages. */
  dynamicUar(s: Mlx5State, userIdx: number): number {
    if (this.request.libDynUar) fail(EINVAL, 'the context allocates its UARs as UAR objects: it has no blue-flame register pages');
    const pages = this.numDynBfregs / this.bfregsPerPage;
    const page = Math.floor(userIdx / this.bfregsPerPage);
    if (page >= pages) fail(EINVAL, `register ${userIdx} is beyond the ${this.numDynBfregs} dynamic registers`);
    let idx = this.dynUars.get(page);
    if (idx === undefined) {
      idx = s.uarIndexes.alloc();
      this.dynUars.set(page, idx);
      this.resources.uarIndexes.push(idx);
    }
    return idx;
  }

  /** Whether `index` is a UAR page this context may ring doorbells through. */
  ownsUar(index: number, objectUars: Iterable<number>): boolean {
    if (this.staticUars.includes(index) || [...this.dynUars.values()].includes(index)) return true;
    for (const i of objectUars) if (i === index) return true;
    return false;
  }

  /** A new mmap entry for an object's page (rdma_user_mmap_entry_insert). */
  addMmap(what: string, size: number): MmapEntry {
    const e: MmapEntry = { pgoff: this.nextPgoff, what, size, exports: 0 };
    this.nextPgoff += BigInt(Math.max(1, size / this.pageSize));
    this.mmap.set(e.pgoff, e);
    return e;
  }

  removeMmap(e: MmapEntry): void {
    this.mmap.delete(e.pgoff);
  }

}

function contextResponse(caps: Mlx5Caps, ctx: Mlx5Context, staticPages: number): Mlx5IbAllocUcontextResp {
  let compMask = RESP.MLX5_IB_ALLOC_UCONTEXT_RESP_MASK_CORE_CLOCK_OFFSET | RESP.MLX5_IB_ALLOC_UCONTEXT_RESP_MASK_DUMP_FILL_MKEY;
  if (caps.ece) compMask |= RESP.MLX5_IB_ALLOC_UCONTEXT_RESP_MASK_ECE;
  return {
    qpTabSize: roundupPow2(caps.maxQp),
    bfRegSize: caps.wcSupport ? caps.bfRegSize : 0,
    totBfregs: ctx.request.libDynUar ? 0 : staticPages * ctx.bfregsPerPage,
    cacheLineSize: caps.cacheLineSize,
    maxSqDescSz: caps.maxSqDescSize,
    maxRqDescSz: caps.maxRqDescSize,
    maxSendWqebb: caps.maxQpWr,
    maxRecvWr: caps.maxQpWr,
    maxSrqRecvWr: caps.maxSrqWr + 1,
    numPorts: caps.ports.length,
    flowActionFlags: caps.flowActionFlags,
    compMask,
    responseLength: MLX5_IB_ALLOC_UCONTEXT_RESP_SIZE,
    cqeVersion: ctx.cqeVersion,
    cmdsSuppUhw: MLX5_USER_CMDS_SUPP_UHW.MLX5_USER_CMDS_SUPP_UHW_QUERY_DEVICE | MLX5_USER_CMDS_SUPP_UHW.MLX5_USER_CMDS_SUPP_UHW_CREATE_AH,
    // Reported only when port 1 is Ethernet, as the kernel does.
    ethMinInline: caps.ports[0]?.linkLayer === LinkLayer.ETHERNET ? caps.ethMinInline : 0,
    clockInfoVersions: 1,
    hcaCoreClockOffset: caps.coreClockOffset,
    logUarSize: LOG_UAR_SIZE,
    numUarsPerPage: ctx.request.lib4kUar ? caps.uarsPerPage : 1,
    numDynBfregs: ctx.numDynBfregs,
    dumpFillMkey: caps.dumpFillMkey,
  };
}

/** The file's mlx5 context; EINVAL before GET_CONTEXT. */
export function mlx5ContextOf(file: UverbsFile): Mlx5Context {
  const c = file.context;
  if (c === undefined) fail(EINVAL, 'no context on this file: GET_CONTEXT first');
  if (!(c instanceof Mlx5Context)) throw new Error('the file holds a context the emulated mlx5 device did not make');
  return c;
}

/** The context's DEVX uid; EINVAL for a context opened without MLX5_IB_ALLOC_UCTX_DEVX (devx_get_uid). */
export function devxUid(file: UverbsFile): number {
  const ctx = mlx5ContextOf(file);
  if (ctx.uid === 0) fail(EINVAL, 'the context has no DEVX user id: open it with MLX5_IB_ALLOC_UCTX_DEVX');
  return ctx.uid;
}

/** The answer as the user's buffer takes it: response_length says how much of it there is. */
function writeResp(resp: Mlx5IbAllocUcontextResp, room: number) {
  const n = Math.min(room, MLX5_IB_ALLOC_UCONTEXT_RESP_SIZE);
  return (v: DataView, o: number): void => encodeMlx5IbAllocUcontextResp(v, o, { ...resp, responseLength: n });
}

export const mlx5ContextHandlers = {
  getContext(b: Bundle): void {
    const s = mlx5State(b.device);
    const ctx = openContext(b, () => {
      const req = parseContextRequest(b);
      s.reapContexts(b.device);
      return new Mlx5Context(s, b.file, req);
    });
    udataOut(b, MLX5_IB_ALLOC_UCONTEXT_RESP_SIZE, writeResp(ctx.resp, b.udataOutLen()));
  },

  queryContext(b: Bundle): void {
    const A = UVERBS_ATTRS_QUERY_CONTEXT;
    const ctx = mlx5ContextOf(b.file);
    b.outputU32(A.num_comp_vectors, ctx.numCompVectors);
    b.outputU64(A.core_support, ctx.coreSupport);
    b.output(A.resp_uctx, MLX5_IB_ALLOC_UCONTEXT_RESP_SIZE, writeResp(ctx.resp, MLX5_IB_ALLOC_UCONTEXT_RESP_SIZE));
  },
};
