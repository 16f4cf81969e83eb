/**
 * write() commands of work queues and indirection tables: EX_CREATE_WQ, EX_MODIFY_WQ,
 * EX_DESTROY_WQ, EX_CREATE_RWQ_IND_TBL, EX_DESTROY_RWQ_IND_TBL.
 */
import { describe, expect, it } from 'vitest';
import { IB_UVERBS_WQ_FLAGS as WQF } from '../../generated/core/enums.js';
import {
  decodeIbUverbsExCreateRwqIndTableResp, decodeIbUverbsExCreateWqResp, decodeIbUverbsExDestroyWqResp, encodeIbUverbsExDestroyWq, encodeIbUverbsExModifyWq,
  IB_UVERBS_EX_DESTROY_WQ_SIZE, IB_UVERBS_EX_MODIFY_WQ_SIZE, type IbUverbsExModifyWqInit,
} from '../../generated/core/structs.js';
import { EBUSY, EINVAL, ENOENT, ENOSPC, EOPNOTSUPP } from '../../runtime/abi/errno.js';
import { coreState, WqState, type Cq, type Pd, type RwqIndTbl, type Wq } from '../../runtime/emulated/core/index.js';
import { IB_WQ } from '../../runtime/emulated/core/write/wq.js';
import { cq, exDestroy, indTbl, indTblReq, pd, wq, wqReq } from './objects.js';
import { concat, struct, WriteRig } from './rig.js';

const modify = (x: IbUverbsExModifyWqInit) => ({ req: struct(IB_UVERBS_EX_MODIFY_WQ_SIZE, encodeIbUverbsExModifyWq, x), respRoom: 0 });
const destroyWq = (wqHandle: number, compMask = 0) => ({ req: struct(IB_UVERBS_EX_DESTROY_WQ_SIZE, encodeIbUverbsExDestroyWq, { wqHandle, compMask }) });

async function setup(caps = {}): Promise<{ r: WriteRig; p: number; c: number }> {
  const r = await WriteRig.open({ caps });
  return { r, p: await pd(r), c: await cq(r) };
}

describe('EX_CREATE_WQ', () => {
  it('a receive WQ: powers of two granted, its number, response_length, PD and CQ held', async () => {
    const { r, p, c } = await setup();
    const resp = await r.call('EX_CREATE_WQ', { req: wqReq({ pdHandle: p, cqHandle: c, maxWr: 100, maxSge: 3, userHandle: 0x42n }) }, decodeIbUverbsExCreateWqResp);
    const w = r.record<Wq>(resp.wqHandle);
    expect(resp).toMatchObject({ responseLength: 24, maxWr: 128, maxSge: 4, wqn: w.wqn });
    expect(w).toMatchObject({ state: WqState.RESET, userHandle: 0x42n, pd: r.record<Pd>(p), cq: r.record<Cq>(c) });
    expect([r.record<Pd>(p).usecnt, r.record<Cq>(c).usecnt]).toEqual([1, 1]);
  });

  it('comp_mask non-zero answers EOPNOTSUPP; a bad PD or CQ or type EINVAL; flags the device lacks EOPNOTSUPP', async () => {
    const { r, p, c } = await setup({ wqFlags: 0 });
    await r.fails(EOPNOTSUPP, 'EX_CREATE_WQ', { req: wqReq({ pdHandle: p, cqHandle: c, compMask: 1 }) });
    await r.fails(EINVAL, 'EX_CREATE_WQ', { req: wqReq({ pdHandle: c, cqHandle: c }) });
    await r.fails(EINVAL, 'EX_CREATE_WQ', { req: wqReq({ pdHandle: p, cqHandle: p }) });
    await r.fails(EINVAL, 'EX_CREATE_WQ', { req: wqReq({ pdHandle: p, cqHandle: c, wqType: 1 }) });
    await r.fails(EOPNOTSUPP, 'EX_CREATE_WQ', { req: wqReq({ pdHandle: p, cqHandle: c, createFlags: WQF.IB_UVERBS_WQ_FLAGS_CVLAN_STRIPPING }) });
    expect([coreState(r.device).count('WQ'), r.record<Pd>(p).usecnt, r.record<Cq>(c).usecnt]).toEqual([0, 0, 0]);
    // A request that stops after max_sge reads create_flags as 0.
    r.ok(await r.write('EX_CREATE_WQ', { req: wqReq({ pdHandle: p, cqHandle: c, createFlags: 1 }).subarray(0, 32) }));
    const bare = await WriteRig.open({ context: false });
    await bare.fails(EINVAL, 'EX_CREATE_WQ', { req: wqReq({ pdHandle: 0, cqHandle: 0 }) });
  });
});

describe('EX_MODIFY_WQ', () => {
  it('moves a WQ RESET -> RDY -> ERR -> RESET; the current state given must be the WQ\'s', async () => {
    const { r, p, c } = await setup();
    const h = (await wq(r, p, c)).wqHandle;
    r.ok(await r.write('EX_MODIFY_WQ', modify({ wqHandle: h, attrMask: IB_WQ.STATE, wqState: WqState.RDY })));
    expect(r.record<Wq>(h).state).toBe(WqState.RDY);
    await r.fails(EINVAL, 'EX_MODIFY_WQ', modify({ wqHandle: h, attrMask: IB_WQ.STATE | IB_WQ.CUR_STATE, currWqState: WqState.RESET, wqState: WqState.ERR }));
    r.ok(await r.write('EX_MODIFY_WQ', modify({ wqHandle: h, attrMask: IB_WQ.STATE | IB_WQ.CUR_STATE, currWqState: WqState.RDY, wqState: WqState.ERR })));
    await r.fails(EINVAL, 'EX_MODIFY_WQ', modify({ wqHandle: h, attrMask: IB_WQ.STATE, wqState: WqState.RDY }));
    r.ok(await r.write('EX_MODIFY_WQ', modify({ wqHandle: h, attrMask: IB_WQ.STATE, wqState: WqState.RESET })));
    expect(r.record<Wq>(h).state).toBe(WqState.RESET);
  });

  it('attr_mask 0 or with unknown bits, a bad WQ, or a state beyond ERR answers EINVAL', async () => {
    const { r, p, c } = await setup();
    const h = (await wq(r, p, c)).wqHandle;
    await r.fails(EINVAL, 'EX_MODIFY_WQ', modify({ wqHandle: h, attrMask: 0 }));
    await r.fails(EINVAL, 'EX_MODIFY_WQ', modify({ wqHandle: h, attrMask: 8 }));
    await r.fails(EINVAL, 'EX_MODIFY_WQ', modify({ wqHandle: p, attrMask: IB_WQ.STATE }));
    await r.fails(EINVAL, 'EX_MODIFY_WQ', modify({ wqHandle: h, attrMask: IB_WQ.STATE, wqState: 3 }));
    await r.fails(EINVAL, 'EX_MODIFY_WQ', modify({ wqHandle: h, attrMask: IB_WQ.CUR_STATE, currWqState: 3 }));
    expect(r.record<Wq>(h).state).toBe(WqState.RESET);
  });

  it('flags: VLAN stripping changes, PCI write end padding does not (EOPNOTSUPP), nor stripping on a device without it', async () => {
    const { r, p, c } = await setup();
    const h = (await wq(r, p, c)).wqHandle;
    const cvlan = WQF.IB_UVERBS_WQ_FLAGS_CVLAN_STRIPPING;
    r.ok(await r.write('EX_MODIFY_WQ', modify({ wqHandle: h, attrMask: IB_WQ.FLAGS, flags: cvlan | WQF.IB_UVERBS_WQ_FLAGS_SCATTER_FCS, flagsMask: cvlan })));
    expect(r.record<Wq>(h).flags).toBe(cvlan);
    await r.fails(EOPNOTSUPP, 'EX_MODIFY_WQ', modify({ wqHandle: h, attrMask: IB_WQ.FLAGS, flagsMask: WQF.IB_UVERBS_WQ_FLAGS_PCI_WRITE_END_PADDING }));
    const bare = await setup({ wqFlags: 0 });
    const h2 = (await wq(bare.r, bare.p, bare.c)).wqHandle;
    await bare.r.fails(EOPNOTSUPP, 'EX_MODIFY_WQ', modify({ wqHandle: h2, attrMask: IB_WQ.FLAGS, flagsMask: cvlan }));
  });
});

describe('EX_DESTROY_WQ', () => {
  it('reports the WQ\'s events; comp_mask EOPNOTSUPP; one a table holds EBUSY; bad handles ENOENT or EINVAL', async () => {
    const { r, p, c } = await setup();
    const h = (await wq(r, p, c)).wqHandle;
    await r.fails(EOPNOTSUPP, 'EX_DESTROY_WQ', destroyWq(h, 1));
    const t = await indTbl(r, [h]);
    await r.fails(EBUSY, 'EX_DESTROY_WQ', destroyWq(h));
    r.ok(await r.write('EX_DESTROY_RWQ_IND_TBL', exDestroy(t.indTblHandle)));
    r.record<Wq>(h).eventsReported = 6;
    expect(await r.call('EX_DESTROY_WQ', destroyWq(h), decodeIbUverbsExDestroyWqResp)).toMatchObject({ responseLength: 16, eventsReported: 6 });
    expect([r.record<Pd>(p).usecnt, r.record<Cq>(c).usecnt]).toEqual([0, 0]);
    await r.fails(ENOENT, 'EX_DESTROY_WQ', destroyWq(h));
    await r.fails(EINVAL, 'EX_DESTROY_WQ', destroyWq(p));
  });
});

describe('EX_CREATE_RWQ_IND_TBL, EX_DESTROY_RWQ_IND_TBL', () => {
  it('a table of 2^n WQs, each held, with its number', async () => {
    const { r, p, c } = await setup();
    const a = (await wq(r, p, c)).wqHandle;
    const b = (await wq(r, p, c)).wqHandle;
    const resp = await r.call('EX_CREATE_RWQ_IND_TBL', { req: indTblReq(1, [a, b]) }, decodeIbUverbsExCreateRwqIndTableResp);
    const t = r.record<RwqIndTbl>(resp.indTblHandle);
    expect(resp).toMatchObject({ responseLength: 16, indTblNum: t.indTblNum });
    expect(t.wqs).toEqual([r.record<Wq>(a), r.record<Wq>(b)]);
    expect(r.record<Wq>(a).usecnt).toBe(1);
    await r.fails(EOPNOTSUPP, 'EX_DESTROY_RWQ_IND_TBL', exDestroy(resp.indTblHandle, 1));
    r.ok(await r.write('EX_DESTROY_RWQ_IND_TBL', exDestroy(resp.indTblHandle)));
    expect(r.record<Wq>(a).usecnt).toBe(0);
    await r.fails(ENOENT, 'EX_DESTROY_RWQ_IND_TBL', exDestroy(resp.indTblHandle));
    await r.fails(EINVAL, 'EX_DESTROY_RWQ_IND_TBL', exDestroy(a));
  });

  it('comp_mask EOPNOTSUPP; a size above 2^13 EINVAL; handles missing ENOSPC; non-zero bytes after them EOPNOTSUPP', async () => {
    const { r, p, c } = await setup();
    const a = (await wq(r, p, c)).wqHandle;
    await r.fails(EOPNOTSUPP, 'EX_CREATE_RWQ_IND_TBL', { req: indTblReq(0, [a], 1) });
    await r.fails(EINVAL, 'EX_CREATE_RWQ_IND_TBL', { req: indTblReq(14, [a]) });
    await r.fails(ENOSPC, 'EX_CREATE_RWQ_IND_TBL', { req: indTblReq(2, [a, a]) });
    await r.fails(EOPNOTSUPP, 'EX_CREATE_RWQ_IND_TBL', { req: concat(indTblReq(0, [a]).subarray(0, 12), new Uint8Array([0, 0, 0, 1])) });
    expect(coreState(r.device).count('RWQ_IND_TBL')).toBe(0);
  });

  it('a bad WQ answers EINVAL; a table larger than the device takes EINVAL; neither leaves a WQ held', async () => {
    const { r, p, c } = await setup({ maxLogIndTblSize: 1 });
    const a = (await wq(r, p, c)).wqHandle;
    await r.fails(EINVAL, 'EX_CREATE_RWQ_IND_TBL', { req: indTblReq(1, [a, p]) });
    await r.fails(EINVAL, 'EX_CREATE_RWQ_IND_TBL', { req: indTblReq(2, [a, a, a, a]) });
    expect(r.record<Wq>(a).usecnt).toBe(0);
  });
});
