/**
 * mlx5's additions to core actions: every driver attribute (and typed UHW) is read by
 * its handler, shown by a result that differs with it and without it.
 */
import { describe, expect, it } from 'vitest';
import * as mlx5 from '../../generated/mlx5/index.js';
import { EFAULT, EINVAL, EOPNOTSUPP, EPERM } from '../../runtime/abi/errno.js';
import { UserPtr } from '../../runtime/user/ioctl-buffer.js';
import {
  Op, type Mlx5Cq, type Mlx5Dm, type Mlx5EspAction, type Mlx5Mr, type Mlx5Qp, type Mlx5Srq, type Mlx5Wq,
} from '../../runtime/emulated/mlx5/index.js';
import { byNumber, DEVX_REQUEST, Mlx5Session } from './helpers.js';

const { IB_UVERBS_QP_TYPE: QPT, IB_UVERBS_ACCESS_FLAGS: ACC, MLX5_IB_UAPI_DM_TYPE: DMT } = mlx5;
const VA = mlx5.IB_UVERBS_BUFFER_TYPE.IB_UVERBS_BUFFER_TYPE_VA;
/** An address nothing maps. */
const UNMAPPED = 0x7000_0000;

async function cq(s: Mlx5Session, extra: Partial<mlx5.CqCreateIn> = {}, uhw: mlx5.Mlx5IbCreateCqInit = {}): Promise<mlx5.CqCreateOut> {
  const ring = s.map(4096);
  const db = s.map(4096);
  return s.call(mlx5.encodeCqCreate, { cqe: 15, userHandle: 0n, compVector: 1, uhwIn: { bufAddr: ring.addr, dbAddr: db.addr, cqeSize: 64, ...uhw }, uhwOut: true, ...extra }, mlx5.decodeCqCreateOut);
}

describe('emulated mlx5 device: GET_CONTEXT and QUERY_CONTEXT', () => {
  it('GET_CONTEXT reads the alloc ucontext request and answers the device\'s facts', async () => {
    const s = await Mlx5Session.open({}, null);
    const out = await s.call(mlx5.encodeGetContext, { uhwIn: DEVX_REQUEST, uhwOut: true, numCompVectors: true }, mlx5.decodeGetContextOut);
    expect(out.numCompVectors).toBe(8);
    expect(out.uhwOut).toMatchObject({
      qpTabSize: 1 << 18, bfRegSize: 512, totBfregs: 4, cacheLineSize: 64, maxSqDescSz: 1024, maxRqDescSz: 512, maxSendWqebb: 1 << 15,
      maxRecvWr: 1 << 15, maxSrqRecvWr: 1 << 15, numPorts: 2, flowActionFlags: 7, compMask: 7, responseLength: 72, cqeVersion: 1,
      cmdsSuppUhw: 3, ethMinInline: 0, clockInfoVersions: 1, hcaCoreClockOffset: 0xff0n, logUarSize: 12, numUarsPerPage: 1, numDynBfregs: 64,
      dumpFillMkey: 0x1ff00,
    });
    expect(s.ctx.uid).not.toBe(0);
    expect(s.ctx.staticUars).toHaveLength(2); // 4 registers, 2 per page
    const q = await s.call(mlx5.encodeQueryContext, { numCompVectors: true }, mlx5.decodeQueryContextOut);
    expect(q.respUctx).toEqual(out.uhwOut);
  });

  it('answers as much as UHW_OUT holds, and says so in response_length', async () => {
    const s = await Mlx5Session.open({}, null);
    const m = s.map(64);
    expect(await s.send(mlx5.encodeGetContext, { uhwIn: DEVX_REQUEST, uhwOut: new UserPtr(m.addr, 44) })).toBe(0);
    const resp = new DataView(m.bytes.buffer, m.bytes.byteOffset);
    expect(resp.getUint32(40, true)).toBe(44); // response_length
    expect(resp.getUint32(8, true)).toBe(4); // tot_bfregs
    expect(m.bytes.subarray(44).every((x) => x === 0)).toBe(true);
  });

  it('refuses a missing or short request, unknown flags and reserved fields; takes the 8-byte v1 form', async () => {
    const s = await Mlx5Session.open({}, null);
    await s.fails(EINVAL, mlx5.encodeGetContext, {});
    const m = s.map(64);
    await s.fails(EINVAL, mlx5.encodeGetContext, { uhwIn: new UserPtr(m.addr, 12) });
    await s.fails(EOPNOTSUPP, mlx5.encodeGetContext, { uhwIn: { ...DEVX_REQUEST, flags: 2 } });
    await s.fails(EOPNOTSUPP, mlx5.encodeGetContext, { uhwIn: { ...DEVX_REQUEST, reserved2: 1 } });
    await s.fails(EINVAL, mlx5.encodeGetContext, { uhwIn: { totalNumBfregs: 0 } });
    await s.fails(EINVAL, mlx5.encodeGetContext, { uhwIn: { totalNumBfregs: 4, numLowLatencyBfregs: 4 } });
    // An 8-byte input travels inline in the attribute's data: the v1 request of 6 registers is the u64 6.
    await s.call(mlx5.encodeGetContext, { uhwIn: new UserPtr(6, 8), uhwOut: true }, mlx5.decodeGetContextOut);
    expect(s.ctx.uid).toBe(0); // v1 cannot ask for DEVX
    expect(s.ctx.totalBfregs).toBe(6);
    expect(s.ctx.cqeVersion).toBe(0);
    await s.call(mlx5.encodeDevxQueryEqn, { userVec: 0 }, mlx5.decodeDevxQueryEqnOut); // needs only a context
    await s.fails(EINVAL, mlx5.encodeDevxOther, { cmdIn: byNumber(Op.NOP, 0, 16).bytes, cmdOut: 16 }); // needs a DEVX uid
  });

  it('gives back a closed file\'s DEVX uid and UAR pages to the next context', async () => {
    const s = await Mlx5Session.open();
    const inUse = s.state.uarIndexes.inUse;
    const t = await s.another();
    expect(s.state.uarIndexes.inUse).toBe(inUse + 2);
    await t.process.close(t.fd);
    await s.another();
    expect(s.state.uarIndexes.inUse).toBe(inUse + 2);
  });
});

describe('emulated mlx5 device: CQ_CREATE', () => {
  it('reads mlx5_ib_create_cq and answers the CQ number', async () => {
    const s = await Mlx5Session.open();
    const out = await cq(s);
    const rec = s.record<Mlx5Cq>(out.handle);
    expect(out.uhwOut).toEqual({ cqn: rec.cqn, reserved: 0 });
    expect(rec.mlx5).toMatchObject({ cqeSize: 64, compression: 0, uarIndex: s.ctx.staticUars[0] });
    const big = await cq(s, {}, { cqeSize: 128, cqeCompEn: 1, cqeCompResFormat: mlx5.MLX5_IB_CQE_COMP_RES_FORMAT.MLX5_IB_CQE_RES_FORMAT_CSUM });
    expect(s.record<Mlx5Cq>(big.handle).mlx5).toMatchObject({ cqeSize: 128, compression: 2 });
    const ring = s.map(4096);
    const db = s.map(4096);
    const base = { cqe: 15, userHandle: 0n, compVector: 0 };
    await s.fails(EINVAL, mlx5.encodeCqCreate, { ...base });
    await s.fails(EINVAL, mlx5.encodeCqCreate, { ...base, uhwIn: { bufAddr: ring.addr, dbAddr: db.addr, cqeSize: 100 } });
    await s.fails(EINVAL, mlx5.encodeCqCreate, { ...base, uhwIn: { bufAddr: ring.addr, dbAddr: db.addr, cqeSize: 64, reserved1: 1 } });
    await s.fails(EOPNOTSUPP, mlx5.encodeCqCreate, { ...base, uhwIn: { bufAddr: ring.addr, dbAddr: db.addr, cqeSize: 64, cqeCompEn: 1, cqeCompResFormat: 4 } });
    await s.fails(EFAULT, mlx5.encodeCqCreate, { ...base, uhwIn: { bufAddr: UNMAPPED, dbAddr: db.addr, cqeSize: 64 } });
    await s.fails(EFAULT, mlx5.encodeCqCreate, { ...base, uhwIn: { bufAddr: ring.addr, dbAddr: UNMAPPED, cqeSize: 64 } });
    expect(s.state.cqns.inUse).toBe(2); // the refused ones were aborted
  });

  it('uar_index picks the CQ\'s UAR page, over uar_page_index and the default; DEVX sees it in the CQ context', async () => {
    const s = await Mlx5Session.open();
    const uar = await s.call(mlx5.encodeUarObjAlloc, { type: mlx5.MLX5_IB_UAPI_UAR_ALLOC_TYPE.MLX5_IB_UAPI_UAR_ALLOC_TYPE_NC }, mlx5.decodeUarObjAllocOut);
    const plain = await cq(s);
    const withIndex = await cq(s, { uarIndex: uar.pageId }, { flags: mlx5.MLX5_IB_CREATE_CQ_FLAGS.MLX5_IB_CREATE_CQ_FLAGS_UAR_PAGE_INDEX, uarPageIndex: s.ctx.staticUars[1]! });
    const byFlag = await cq(s, {}, { flags: mlx5.MLX5_IB_CREATE_CQ_FLAGS.MLX5_IB_CREATE_CQ_FLAGS_UAR_PAGE_INDEX, uarPageIndex: s.ctx.staticUars[1]! });
    expect(s.record<Mlx5Cq>(plain.handle).mlx5!.uarIndex).toBe(s.ctx.staticUars[0]);
    expect(s.record<Mlx5Cq>(withIndex.handle).mlx5!.uarIndex).toBe(uar.pageId);
    expect(s.record<Mlx5Cq>(byFlag.handle).mlx5!.uarIndex).toBe(s.ctx.staticUars[1]);
    const cqn = s.record<Mlx5Cq>(withIndex.handle).cqn;
    const ctx = await s.devxQuery(withIndex.handle, byNumber(Op.QUERY_CQ, cqn, 16), 0x50);
    expect(ctx.u24(0x1c)).toBe(uar.pageId);
    expect(ctx.u8(0x1c)).toBe(4); // log2(16 CQEs)
    expect(ctx.u8(0x27)).toBe(9); // completion vector 1's EQ
    await s.fails(EINVAL, mlx5.encodeCqCreate, { cqe: 1, userHandle: 0n, compVector: 0, uarIndex: 0xabcd, uhwIn: { bufAddr: s.map(4096).addr, dbAddr: s.map(64).addr, cqeSize: 64 } });
  });

  it('a context with dynamic UARs must name the page: uar_index does', async () => {
    const s = await Mlx5Session.open({}, { ...DEVX_REQUEST, totalNumBfregs: 0, libCaps: mlx5.MLX5_LIB_CAPS.MLX5_LIB_CAP_DYN_UAR });
    expect(s.ctx.staticUars).toEqual([]);
    const ring = s.map(4096);
    const db = s.map(4096);
    await s.fails(EINVAL, mlx5.encodeCqCreate, { cqe: 1, userHandle: 0n, compVector: 0, uhwIn: { bufAddr: ring.addr, dbAddr: db.addr, cqeSize: 64 } });
    const uar = await s.call(mlx5.encodeUarObjAlloc, { type: 0 }, mlx5.decodeUarObjAllocOut);
    await s.call(mlx5.encodeCqCreate, { cqe: 1, userHandle: 0n, compVector: 0, uarIndex: uar.pageId, uhwIn: { bufAddr: ring.addr, dbAddr: db.addr, cqeSize: 64 } }, mlx5.decodeCqCreateOut);
    await s.fails(EINVAL, mlx5.encodeDevxQueryUar, { userIdx: 0 });
  });

  it('dbr_buf_umem places the doorbell record instead of db_addr', async () => {
    const s = await Mlx5Session.open();
    const dbr = s.map(4096);
    await s.fails(EFAULT, mlx5.encodeCqCreate, { cqe: 1, userHandle: 0n, compVector: 0, uhwIn: { bufAddr: s.map(4096).addr, dbAddr: UNMAPPED, cqeSize: 64 } });
    const out = await cq(s, { dbrBufUmem: { type: VA, addr: dbr.addr + 64, length: 8 } }, { dbAddr: UNMAPPED });
    expect(s.record<Mlx5Cq>(out.handle).mlx5!.db).toEqual({ kind: 'va', addr: BigInt(dbr.addr + 64), length: 8n });
  });
});

describe('emulated mlx5 device: QP_CREATE, SRQ_CREATE, WQ_CREATE', () => {
  async function qpBase(s: Mlx5Session, type: number = QPT.IB_UVERBS_QPT_RC): Promise<mlx5.QpCreateIn> {
    const { handle: pdh } = s.pd();
    const c = await cq(s);
    return { pdHandle: pdh, sendCqHandle: c.handle, recvCqHandle: c.handle, userHandle: 0n, cap: { maxSendWr: 8, maxRecvWr: 8, maxSendSge: 1, maxRecvSge: 1 }, type, uhwOut: true };
  }

  it('reads mlx5_ib_create_qp: the shared blue-flame register and its page, or the dynamic one asked for', async () => {
    const s = await Mlx5Session.open();
    const base = await qpBase(s);
    const buf = s.map(8192);
    const db = s.map(4096);
    const uhwIn = { bufAddr: buf.addr, dbAddr: db.addr, sqWqeCount: 8, rqWqeCount: 8, rqWqeShift: 6, uidx: 5 };
    const a = await s.call(mlx5.encodeQpCreate, { ...base, uhwIn }, mlx5.decodeQpCreateOut);
    expect(a.uhwOut).toMatchObject({ bfregIndex: 1, compMask: 0, eceOptions: 0 });
    expect(s.record<Mlx5Qp>(a.handle).mlx5).toMatchObject({ bfregIndex: 1, uarIndex: s.ctx.staticUars[0], uidx: 5 });
    const dyn = await s.call(mlx5.encodeQpCreate, { ...base, uhwIn: { ...uhwIn, flags: mlx5.MLX5_QP_FLAG.MLX5_QP_FLAG_BFREG_INDEX, bfregIndex: 5, eceOptions: 3 } }, mlx5.decodeQpCreateOut);
    expect(dyn.uhwOut).toMatchObject({ bfregIndex: 5, eceOptions: 3 });
    expect(s.record<Mlx5Qp>(dyn.handle).mlx5!.uarIndex).toBe(s.ctx.dynUars.get(2));
    await s.fails(EINVAL, mlx5.encodeQpCreate, { ...base });
    await s.fails(EINVAL, mlx5.encodeQpCreate, { ...base, uhwIn: { ...uhwIn, sqWqeCount: 6 } });
    await s.fails(EINVAL, mlx5.encodeQpCreate, { ...base, uhwIn: { ...uhwIn, flags: 1 << 12 } });
    await s.fails(EFAULT, mlx5.encodeQpCreate, { ...base, uhwIn: { ...uhwIn, bufAddr: UNMAPPED } });
  });

  it('a raw packet QP answers its RQ, SQ, TIR and TIS numbers; dbr_buf_umem places its doorbell', async () => {
    const s = await Mlx5Session.open();
    const base = await qpBase(s, QPT.IB_UVERBS_QPT_RAW_PACKET);
    const buf = s.map(8192);
    const dbr = s.map(4096);
    const uhwIn = { bufAddr: buf.addr, dbAddr: UNMAPPED, rqWqeCount: 8, rqWqeShift: 6 };
    await s.fails(EFAULT, mlx5.encodeQpCreate, { ...base, uhwIn });
    const q = await s.call(mlx5.encodeQpCreate, { ...base, uhwIn, dbrBufUmem: { type: VA, addr: dbr.addr, length: 8 } }, mlx5.decodeQpCreateOut);
    const raw = s.record<Mlx5Qp>(q.handle).mlx5!.raw!;
    expect(q.uhwOut).toMatchObject({ compMask: 0xf, rqn: raw.rqn, sqn: raw.sqn, tirn: raw.tirn, tisn: raw.tisn });
    expect(s.record<Mlx5Qp>(q.handle).mlx5!.db).toEqual({ kind: 'va', addr: BigInt(dbr.addr), length: 8n });
    // DEVX reaches the QP's RQ by its number.
    const rq = await s.devxQuery(q.handle, byNumber(Op.QUERY_RQ, raw.rqn, 16), 0x40);
    expect(rq.u8(0)).toBe(0);
    await s.call(mlx5.encodeQpDestroy, { handle: q.handle }, mlx5.decodeQpDestroyOut);
    expect(s.state.space('tir').inUse).toBe(0);
  });

  it('SRQ_CREATE reads mlx5_ib_create_srq and answers the SRQ number', async () => {
    const s = await Mlx5Session.open();
    const { handle: pdh } = s.pd();
    const buf = s.map(8192);
    const db = s.map(64);
    const base = { pdHandle: pdh, userHandle: 0n, maxWr: 15, maxSge: 1, limit: 0, type: mlx5.IB_UVERBS_SRQ_TYPE.IB_UVERBS_SRQT_BASIC, uhwOut: true };
    const out = await s.call(mlx5.encodeSrqCreate, { ...base, uhwIn: { bufAddr: buf.addr, dbAddr: db.addr, uidx: 9 } }, mlx5.decodeSrqCreateOut);
    const rec = s.record<Mlx5Srq>(out.handle);
    expect(out.uhwOut).toEqual({ srqn: rec.srqn, reserved: 0 });
    expect(rec.mlx5).toMatchObject({ uidx: 9, buffer: { kind: 'va', addr: BigInt(buf.addr), length: 16n * 32n } });
    await s.fails(EFAULT, mlx5.encodeSrqCreate, { ...base, uhwIn: { bufAddr: UNMAPPED, dbAddr: db.addr } });
    await s.fails(EINVAL, mlx5.encodeSrqCreate, { ...base, uhwIn: { bufAddr: buf.addr, dbAddr: db.addr, flags: 2 } });
  });

  it('WQ_CREATE reads mlx5_ib_create_wq (striding RQ included) and answers its length', async () => {
    const s = await Mlx5Session.open();
    const { handle: pdh } = s.pd();
    const c = await cq(s);
    const buf = s.map(8192);
    const db = s.map(64);
    const base = { pdHandle: pdh, cqHandle: c.handle, userHandle: 0n, type: 0, maxWr: 8, maxSge: 1, flags: 0, uhwOut: true };
    const uhwIn = { bufAddr: buf.addr, dbAddr: db.addr, rqWqeCount: 8, rqWqeShift: 6 };
    const w = await s.call(mlx5.encodeWqCreate, { ...base, uhwIn }, mlx5.decodeWqCreateOut);
    expect(w.uhwOut).toEqual({ responseLength: 8, reserved: 0 });
    expect(s.record<Mlx5Wq>(w.handle).mlx5!.striding).toBeUndefined();
    const striding = { ...uhwIn, compMask: mlx5.MLX5_IB_CREATE_WQ_MASK.MLX5_IB_CREATE_WQ_STRIDING_RQ, singleStrideLogNumOfBytes: 6, singleWqeLogNumOfStrides: 9, twoByteShiftEn: 1 };
    const sw = await s.call(mlx5.encodeWqCreate, { ...base, uhwIn: striding }, mlx5.decodeWqCreateOut);
    expect(s.record<Mlx5Wq>(sw.handle).mlx5!.striding).toEqual({ strideLog: 6, stridesLog: 9, twoByteShift: true });
    await s.fails(EINVAL, mlx5.encodeWqCreate, { ...base, uhwIn: { ...striding, singleStrideLogNumOfBytes: 20 } });
    await s.fails(EOPNOTSUPP, mlx5.encodeWqCreate, { ...base, uhwIn: { ...uhwIn, compMask: 2 } });
    await s.fails(EFAULT, mlx5.encodeWqCreate, { ...base, uhwIn: { ...uhwIn, dbAddr: UNMAPPED } });
  });
});

describe('emulated mlx5 device: DM_ALLOC, REG_DMABUF_MR, FLOW_ACTION_ESP_CREATE', () => {
  it('DM_ALLOC answers a MEMIC page and offset, or an ICM address for req_type SW ICM', async () => {
    const s = await Mlx5Session.open();
    await s.call(mlx5.encodeDmAlloc, { length: 4096, alignment: 12 }, mlx5.decodeDmAllocOut);
    const memic = await s.call(mlx5.encodeDmAlloc, { length: 100, alignment: 6, respPageIndex: true }, mlx5.decodeDmAllocOut);
    expect(memic).toMatchObject({ respStartOffset: 0n, respPageIndex: 1 });
    const icm = await s.call(mlx5.encodeDmAlloc, { length: 5000, alignment: 0, reqType: DMT.MLX5_IB_UAPI_DM_TYPE_STEERING_SW_ICM }, mlx5.decodeDmAllocOut);
    expect(icm.respStartOffset).toBe(0x4_0000_0000n + (1n << 32n));
    expect(s.record<Mlx5Dm>(icm.handle)).toMatchObject({ size: 8192, mlx5: { type: 1, icmAddr: icm.respStartOffset } });
    await s.fails(EOPNOTSUPP, mlx5.encodeDmQuery, { reqHandle: icm.handle });
    await s.fails(EOPNOTSUPP, mlx5.encodeDmAlloc, { length: 64, alignment: 0, reqType: 9 });
    s.state.mayUseRawIo = () => false;
    await s.fails(EPERM, mlx5.encodeDmAlloc, { length: 64, alignment: 0, reqType: DMT.MLX5_IB_UAPI_DM_TYPE_ENCAP_SW_ICM });
    await s.call(mlx5.encodeDmFree, { handle: icm.handle }, mlx5.decodeDmFreeOut);
    expect(s.state.swIcm.get(1)!.used).toBe(0);
  });

  it('REG_DMABUF_MR with DATA_DIRECT goes through the data-direct device, without relaxed ordering', async () => {
    const s = await Mlx5Session.open();
    const { handle: pdh } = s.pd();
    const { handle: fd } = await s.call(mlx5.encodeDmabufAlloc, { pgoff: 0 }, mlx5.decodeDmabufAllocOut);
    const access = ACC.IB_UVERBS_ACCESS_LOCAL_WRITE | ACC.IB_UVERBS_ACCESS_RELAXED_ORDERING;
    const reg = { pdHandle: pdh, offset: 0, length: 4096, iova: 0, fd, accessFlags: access };
    const plain = await s.call(mlx5.encodeRegDmabufMr, reg, mlx5.decodeRegDmabufMrOut);
    const direct = await s.call(mlx5.encodeRegDmabufMr, { ...reg, mlx5AccessFlags: 1 }, mlx5.decodeRegDmabufMrOut);
    expect(s.record<Mlx5Mr>(plain.handle)).toMatchObject({ access, mlx5: { dataDirect: false } });
    expect(s.record<Mlx5Mr>(direct.handle)).toMatchObject({ access: ACC.IB_UVERBS_ACCESS_LOCAL_WRITE, mlx5: { dataDirect: true } });
    await s.fails(EINVAL, mlx5.encodeRegDmabufMr, { ...reg, mlx5AccessFlags: 2 });
    const none = await Mlx5Session.open({ dataDirectPath: null });
    const { handle: fd2 } = await none.call(mlx5.encodeDmabufAlloc, { pgoff: 0 }, mlx5.decodeDmabufAllocOut);
    await none.fails(EINVAL, mlx5.encodeRegDmabufMr, { ...reg, pdHandle: none.pd().handle, fd: fd2, mlx5AccessFlags: 1 });
  });

  it('FLOW_ACTION_ESP_CREATE keeps mlx5\'s REQUIRE_METADATA flag', async () => {
    const s = await Mlx5Session.open();
    const esp = {
      attrs: { spi: 1, seq: 0, flags: mlx5.IB_UVERBS_FLOW_ACTION_ESP_FLAGS.IB_UVERBS_FLOW_ACTION_ESP_FLAGS_ENCRYPT },
      keymat: { elem: 'aes_gcm' as const, value: { ivAlgo: 0, salt: 1, icvLen: 16, keyLen: 16, aesKey: [1, 2, 3, 4] } },
    };
    const a = await s.call(mlx5.encodeFlowActionEspCreate, esp, mlx5.decodeFlowActionEspCreateOut);
    const b = await s.call(mlx5.encodeFlowActionEspCreate, { ...esp, flags: 1 }, mlx5.decodeFlowActionEspCreateOut);
    expect(s.record<Mlx5EspAction>(a.handle).mlx5Flags).toBe(0);
    expect(s.record<Mlx5EspAction>(b.handle)).toMatchObject({ kind: 'esp', mlx5Flags: 1 });
    await s.fails(EINVAL, mlx5.encodeFlowActionEspCreate, { ...esp, flags: 2 });
    const plain = await Mlx5Session.open({ flowActionFlags: 1 });
    await plain.fails(EOPNOTSUPP, mlx5.encodeFlowActionEspCreate, { ...esp, flags: 1 });
  });
});
