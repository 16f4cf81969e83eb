/**
 * write() commands of SRQs: CREATE_SRQ, CREATE_XSRQ, MODIFY_SRQ, QUERY_SRQ, DESTROY_SRQ.
 */
import { describe, expect, it } from 'vitest';
import { IB_UVERBS_SRQ_TYPE as SRQT } from '../../generated/core/enums.js';
import {
  decodeIbUverbsCreateSrqResp, decodeIbUverbsDestroySrqResp, decodeIbUverbsQuerySrqResp, encodeIbUverbsCreateSrq, encodeIbUverbsModifySrq,
  encodeIbUverbsQuerySrq, IB_UVERBS_CREATE_SRQ_SIZE, IB_UVERBS_MODIFY_SRQ_SIZE, IB_UVERBS_QUERY_SRQ_SIZE, type IbUverbsModifySrqInit,
} from '../../generated/core/structs.js';
import { EBUSY, EINVAL, ENOENT, EOPNOTSUPP } from '../../runtime/abi/errno.js';
import { coreState, grantSrq, type Context, type Cq, type Pd, type Srq, type Xrcd } from '../../runtime/emulated/core/index.js';
import { IB_SRQ } from '../../runtime/emulated/core/write/srq.js';
import { cq, handleReq, pd, qp, srq, xrcd, xsrqReq } from './objects.js';
import { struct, WriteRig } from './rig.js';

const modify = (x: IbUverbsModifySrqInit) => ({ req: struct(IB_UVERBS_MODIFY_SRQ_SIZE, encodeIbUverbsModifySrq, x) });
const query = (srqHandle: number) => ({ req: struct(IB_UVERBS_QUERY_SRQ_SIZE, encodeIbUverbsQuerySrq, { srqHandle }) });
const destroy = (h: number) => ({ req: handleReq(16, 8, h) });

describe('CREATE_SRQ, CREATE_XSRQ', () => {
  it('CREATE_SRQ makes a basic SRQ with what the device grants, and no SRQ number in the answer', async () => {
    const r = await WriteRig.open();
    const p = await pd(r);
    const req = struct(IB_UVERBS_CREATE_SRQ_SIZE, encodeIbUverbsCreateSrq, { pdHandle: p, maxWr: 100, maxSge: 3, srqLimit: 10, userHandle: 0x5n });
    const resp = await r.call('CREATE_SRQ', { req }, decodeIbUverbsCreateSrqResp);
    const g = grantSrq(100, 3);
    expect(resp).toMatchObject({ maxWr: g.maxWr, maxSge: g.maxSge, srqn: 0 });
    const s = r.record<Srq>(resp.srqHandle);
    expect(s).toMatchObject({ srqType: SRQT.IB_UVERBS_SRQT_BASIC, limit: 10, userHandle: 0x5n, pd: r.record<Pd>(p) });
    expect(s.eventFile).toBe((r.session.file.context as Context).defaultAsyncEvent);
  });

  it('an XRC SRQ takes its XRCD and CQ and reports its number; a TM SRQ its CQ and tags', async () => {
    const r = await WriteRig.open();
    const p = await pd(r);
    const c = await cq(r);
    const x = await xrcd(r);
    const xs = await srq(r, { pdHandle: p, srqType: SRQT.IB_UVERBS_SRQT_XRC, xrcdHandle: x, cqHandle: c });
    expect(xs.srqn).toBe(r.record<Srq>(xs.srqHandle).srqn);
    expect(r.record<Srq>(xs.srqHandle)).toMatchObject({ xrcd: r.record<Xrcd>(x), cq: r.record<Cq>(c) });
    await r.fails(EBUSY, 'CLOSE_XRCD', { req: handleReq(4, 0, x) });
    const tm = await srq(r, { pdHandle: p, srqType: SRQT.IB_UVERBS_SRQT_TM, cqHandle: c, maxNumTags: 8 });
    expect(r.record<Srq>(tm.srqHandle)).toMatchObject({ maxNumTags: 8, cq: r.record<Cq>(c), xrcd: undefined });
    await r.fails(EINVAL, 'CREATE_XSRQ', { req: xsrqReq({ pdHandle: p, srqType: SRQT.IB_UVERBS_SRQT_TM, cqHandle: c, maxNumTags: 0 }) });
  });

  it('a bad XRCD, CQ or PD answers EINVAL; a type the device lacks EOPNOTSUPP; nothing is left held', async () => {
    const r = await WriteRig.open({ caps: { srqTypes: [SRQT.IB_UVERBS_SRQT_BASIC, SRQT.IB_UVERBS_SRQT_XRC] } });
    const p = await pd(r);
    const c = await cq(r);
    const x = await xrcd(r);
    const xrc = { pdHandle: p, srqType: SRQT.IB_UVERBS_SRQT_XRC, xrcdHandle: x, cqHandle: c };
    for (const bad of [{ xrcdHandle: p }, { cqHandle: 900 }, { pdHandle: x }]) await r.fails(EINVAL, 'CREATE_XSRQ', { req: xsrqReq({ ...xrc, ...bad }) });
    await r.fails(EOPNOTSUPP, 'CREATE_XSRQ', { req: xsrqReq({ pdHandle: p, srqType: SRQT.IB_UVERBS_SRQT_TM, cqHandle: c, maxNumTags: 4 }) });
    await r.fails(EINVAL, 'CREATE_XSRQ', { req: xsrqReq({ pdHandle: p, maxWr: 1 << 16 }) });
    expect([coreState(r.device).count('SRQ'), r.record<Pd>(p).usecnt, r.record<Cq>(c).usecnt, r.record<Xrcd>(x).usecnt]).toEqual([0, 0, 0, 0]);
    const bare = await WriteRig.open({ context: false });
    await bare.fails(EINVAL, 'CREATE_SRQ', { req: struct(IB_UVERBS_CREATE_SRQ_SIZE, encodeIbUverbsCreateSrq, { maxWr: 4 }) });
  });
});

describe('MODIFY_SRQ, QUERY_SRQ', () => {
  it('set the limit and read it back', async () => {
    const r = await WriteRig.open();
    const s = await srq(r, { pdHandle: await pd(r), maxWr: 30 });
    r.ok(await r.write('MODIFY_SRQ', modify({ srqHandle: s.srqHandle, attrMask: IB_SRQ.LIMIT, srqLimit: 7 })));
    expect(await r.call('QUERY_SRQ', query(s.srqHandle), decodeIbUverbsQuerySrqResp)).toEqual({ maxWr: s.maxWr, maxSge: s.maxSge, srqLimit: 7, reserved: 0 });
  });

  it('resizing or a limit above the depth answers EINVAL; a bad handle EINVAL for both', async () => {
    const r = await WriteRig.open();
    const s = await srq(r, { pdHandle: await pd(r), maxWr: 30 });
    await r.fails(EINVAL, 'MODIFY_SRQ', modify({ srqHandle: s.srqHandle, attrMask: IB_SRQ.MAX_WR, maxWr: 60 }));
    await r.fails(EINVAL, 'MODIFY_SRQ', modify({ srqHandle: s.srqHandle, attrMask: IB_SRQ.LIMIT, srqLimit: s.maxWr + 1 }));
    await r.fails(EINVAL, 'MODIFY_SRQ', modify({ srqHandle: 404, attrMask: IB_SRQ.LIMIT }));
    await r.fails(EINVAL, 'QUERY_SRQ', query(404));
    r.ok(await r.write('MODIFY_SRQ', modify({ srqHandle: s.srqHandle, attrMask: 0 })));
    expect(r.record<Srq>(s.srqHandle).limit).toBe(0);
  });
});

describe('DESTROY_SRQ', () => {
  it('reports the SRQ\'s events; one a QP uses answers EBUSY; bad handles ENOENT or EINVAL', async () => {
    const r = await WriteRig.open();
    const p = await pd(r);
    const c = await cq(r);
    const s = await srq(r, { pdHandle: p });
    const q = await qp(r, { pdHandle: p, sendCqHandle: c, recvCqHandle: c, isSrq: 1, srqHandle: s.srqHandle, maxRecvWr: 0 });
    await r.fails(EBUSY, 'DESTROY_SRQ', destroy(s.srqHandle));
    r.ok(await r.write('DESTROY_QP', destroy(q.qpHandle)));
    r.record<Srq>(s.srqHandle).eventsReported = 2;
    expect((await r.call('DESTROY_SRQ', destroy(s.srqHandle), decodeIbUverbsDestroySrqResp)).eventsReported).toBe(2);
    await r.fails(ENOENT, 'DESTROY_SRQ', destroy(s.srqHandle));
    await r.fails(EINVAL, 'DESTROY_SRQ', destroy(p));
  });
});
