/**
 * write() commands of completion channels and CQs: CREATE_COMP_CHANNEL, CREATE_CQ,
 * EX_CREATE_CQ, RESIZE_CQ, DESTROY_CQ, EX_MODIFY_CQ.
 */
import { describe, expect, it } from 'vitest';
import * as core from '../../generated/core/index.js';
import { IB_UVERBS_EX_CREATE_CQ_FLAGS as CQF } from '../../generated/core/enums.js';
import {
  decodeIbUverbsCreateCompChannelResp, decodeIbUverbsCreateCqResp, decodeIbUverbsDestroyCqResp, decodeIbUverbsExCreateCqResp, decodeIbUverbsResizeCqResp,
  encodeIbUverbsDestroyCq, encodeIbUverbsExCreateCq, encodeIbUverbsExModifyCq, encodeIbUverbsResizeCq, IB_UVERBS_DESTROY_CQ_SIZE,
  IB_UVERBS_EX_CREATE_CQ_SIZE, IB_UVERBS_EX_MODIFY_CQ_SIZE, IB_UVERBS_RESIZE_CQ_SIZE, type IbUverbsExCreateCqInit, type IbUverbsExModifyCqInit,
} from '../../generated/core/structs.js';
import { EBADF, EBUSY, EFAULT, EINVAL, ENOENT, EOPNOTSUPP } from '../../runtime/abi/errno.js';
import { coreState, cqModeration, type CompChannel, type Context, type Cq } from '../../runtime/emulated/core/index.js';
import { cq, cqReq, handleReq, pd, qp } from './objects.js';
import { struct, WriteRig } from './rig.js';
import { objectAt } from '../../runtime/kernel/object-file.js';

const exCq = (x: IbUverbsExCreateCqInit = {}) => ({ req: struct(IB_UVERBS_EX_CREATE_CQ_SIZE, encodeIbUverbsExCreateCq, { cqe: 8, compChannel: -1, ...x }) });
const resize = (cqHandle: number, cqe: number) => ({ req: struct(IB_UVERBS_RESIZE_CQ_SIZE, encodeIbUverbsResizeCq, { cqHandle, cqe }) });
const destroy = (cqHandle: number) => ({ req: struct(IB_UVERBS_DESTROY_CQ_SIZE, encodeIbUverbsDestroyCq, { cqHandle }) });
const modify = (x: IbUverbsExModifyCqInit) => ({ req: struct(IB_UVERBS_EX_MODIFY_CQ_SIZE, encodeIbUverbsExModifyCq, x), respRoom: 0 });


describe('CREATE_COMP_CHANNEL', () => {
  it('gives a completion channel fd; a faulting response closes it again', async () => {
    const r = await WriteRig.open();
    const { fd } = await r.call('CREATE_COMP_CHANNEL', {}, decodeIbUverbsCreateCompChannelResp);
    expect(objectAt(r.session.process, fd)?.type.name).toBe('COMP_CHANNEL');
    await r.fails(EFAULT, 'CREATE_COMP_CHANNEL', { response: 0x6000 });
    expect(r.session.process.isOpen(fd + 1)).toBe(false);
    expect(coreState(r.device).count('COMP_CHANNEL')).toBe(1);
    const bare = await WriteRig.open({ context: false });
    await bare.fails(EINVAL, 'CREATE_COMP_CHANNEL');
  });
});

describe('CREATE_CQ, EX_CREATE_CQ', () => {
  it('grant at least the entries asked for, keep the user handle, report to the default event file', async () => {
    const r = await WriteRig.open();
    const resp = await r.call('CREATE_CQ', { req: cqReq({ cqe: 100, userHandle: 0xfeedn, compVector: 7 }) }, decodeIbUverbsCreateCqResp);
    expect(resp.cqe).toBe(127);
    const c = r.record<Cq>(resp.cqHandle);
    expect(c).toMatchObject({ cqe: 127, compVector: 7, userHandle: 0xfeedn, channel: undefined });
    expect(c.eventFile).toBe((r.session.file.context as Context).defaultAsyncEvent);
    expect(r.device.idr.get(resp.cqHandle)!.userHandle).toBe(0xfeedn);
  });

  it('attach a completion channel named by its fd; an fd that is no channel of this file answers EBADF', async () => {
    const r = await WriteRig.open();
    const { fd } = await r.call('CREATE_COMP_CHANNEL', {}, decodeIbUverbsCreateCompChannelResp);
    const h = await cq(r, { compChannel: fd });
    expect(r.record<Cq>(h).channel).toBe(objectAt(r.session.process, fd)!.object as CompChannel);
    await r.fails(EBADF, 'CREATE_CQ', { req: cqReq({ compChannel: r.session.fd }) });
    await r.fails(EBADF, 'CREATE_CQ', { req: cqReq({ compChannel: 900 }) });
    const other = await r.openFile();
    r.ok(await r.write('CREATE_COMP_CHANNEL', {}, other.fd));
    const theirs = r.out(decodeIbUverbsCreateCompChannelResp).fd;
    await r.fails(EBADF, 'CREATE_CQ', { req: cqReq({ compChannel: theirs }) });
    await r.fails(EBADF, 'CREATE_CQ', { req: cqReq({ compChannel: other.asyncFd }) });
    expect(coreState(r.device).count('CQ')).toBe(1);
  });

  it('a completion vector beyond the device\'s answers EINVAL, even before the context is looked at', async () => {
    const r = await WriteRig.open({ caps: { numCompVectors: 2 } });
    await r.fails(EINVAL, 'CREATE_CQ', { req: cqReq({ compVector: 2 }) });
    const bare = await WriteRig.open({ context: false });
    await bare.fails(EINVAL, 'CREATE_CQ', { req: cqReq({ compVector: 0 }) });
  });

  it('a size of 0 or above the device\'s largest answers EINVAL and leaves nothing', async () => {
    const r = await WriteRig.open();
    await r.fails(EINVAL, 'CREATE_CQ', { req: cqReq({ cqe: 0 }) });
    await r.fails(EINVAL, 'CREATE_CQ', { req: cqReq({ cqe: 1 << 22 }) });
    expect(coreState(r.device).count('CQ')).toBe(0);
  });

  it('EX_CREATE_CQ: comp_mask or reserved non-zero EINVAL; flags the device lacks EOPNOTSUPP; response_length as much as was written', async () => {
    const r = await WriteRig.open({ caps: { cqCreateFlags: CQF.IB_UVERBS_CQ_FLAGS_TIMESTAMP_COMPLETION } });
    await r.fails(EINVAL, 'EX_CREATE_CQ', exCq({ compMask: 1 }));
    await r.fails(EINVAL, 'EX_CREATE_CQ', exCq({ reserved: 1 }));
    await r.fails(EOPNOTSUPP, 'EX_CREATE_CQ', exCq({ flags: CQF.IB_UVERBS_CQ_FLAGS_IGNORE_OVERRUN }));
    const resp = await r.call('EX_CREATE_CQ', { ...exCq({ flags: CQF.IB_UVERBS_CQ_FLAGS_TIMESTAMP_COMPLETION, cqe: 30 }), respRoom: 24 }, decodeIbUverbsExCreateCqResp);
    expect(resp).toMatchObject({ base: { cqe: 31 }, compMask: 0, responseLength: 16 });
    expect(r.record<Cq>(resp.base.cqHandle).flags).toBe(CQF.IB_UVERBS_CQ_FLAGS_TIMESTAMP_COMPLETION);
  });

  it('CREATE_CQ writes its 8-byte response and leaves the driver\'s room alone', async () => {
    const r = await WriteRig.open();
    r.ok(await r.write('CREATE_CQ', { req: cqReq(), driverOutRoom: 8 }));
    expect(r.out(decodeIbUverbsCreateCqResp).cqe).toBe(31);
    expect([...r.respMap.bytes.subarray(8, 16)]).toEqual(new Array(8).fill(0xee));
  });
});

describe('RESIZE_CQ', () => {
  it('grants the new size as at creation', async () => {
    const r = await WriteRig.open();
    const h = await cq(r);
    expect((await r.call('RESIZE_CQ', resize(h, 1000), decodeIbUverbsResizeCqResp)).cqe).toBe(1023);
    expect((await r.call('RESIZE_CQ', resize(h, 1), decodeIbUverbsResizeCqResp)).cqe).toBe(1);
    expect(r.record<Cq>(h).cqe).toBe(1);
  });

  it('a bad handle answers EINVAL (not ENOENT); a size of 0 or too big EINVAL', async () => {
    const r = await WriteRig.open();
    const h = await cq(r);
    await r.fails(EINVAL, 'RESIZE_CQ', resize(h + 10, 64));
    await r.fails(EINVAL, 'RESIZE_CQ', resize(await pd(r), 64));
    await r.fails(EINVAL, 'RESIZE_CQ', resize(h, 0));
    await r.fails(EINVAL, 'RESIZE_CQ', resize(h, 1 << 22));
    expect(r.record<Cq>(h).cqe).toBe(31);
  });

  it('a CQ in user memory grows only as far as its buffer holds', async () => {
    const r = await WriteRig.open();
    const buf = r.session.process.memory.map(4096);
    const { handle } = await r.session.call(core.encodeCqCreate, { cqe: 16, userHandle: 0n, compVector: 0, bufferVa: buf.addr, bufferLength: 4096 }, core.decodeCqCreateOut);
    expect((await r.call('RESIZE_CQ', resize(handle, 63), decodeIbUverbsResizeCqResp)).cqe).toBe(63);
    await r.fails(EINVAL, 'RESIZE_CQ', resize(handle, 64));
  });
});

describe('DESTROY_CQ', () => {
  it('reports the events the CQ delivered', async () => {
    const r = await WriteRig.open();
    const h = await cq(r);
    Object.assign(r.record<Cq>(h), { compEventsReported: 3, asyncEventsReported: 2 });
    expect(await r.call('DESTROY_CQ', destroy(h), decodeIbUverbsDestroyCqResp)).toEqual({ compEventsReported: 3, asyncEventsReported: 2 });
    expect(coreState(r.device).count('CQ')).toBe(0);
  });

  it('no such handle ENOENT, another type EINVAL, a CQ a QP uses EBUSY (and it stays)', async () => {
    const r = await WriteRig.open();
    const p = await pd(r);
    const h = await cq(r);
    await r.fails(ENOENT, 'DESTROY_CQ', destroy(h + 33));
    await r.fails(EINVAL, 'DESTROY_CQ', destroy(p));
    const q = await qp(r, { pdHandle: p, sendCqHandle: h, recvCqHandle: h });
    await r.fails(EBUSY, 'DESTROY_CQ', destroy(h));
    expect(r.record<Cq>(h).usecnt).toBe(2);
    r.ok(await r.write('DESTROY_QP', { req: handleReq(16, 8, q.qpHandle) }));
    r.ok(await r.write('DESTROY_CQ', destroy(h)));
  });
});

describe('EX_MODIFY_CQ', () => {
  it('sets the CQ\'s moderation', async () => {
    const r = await WriteRig.open();
    const h = await cq(r);
    expect(cqModeration(r.record<Cq>(h))).toBeUndefined();
    r.ok(await r.write('EX_MODIFY_CQ', modify({ cqHandle: h, attrMask: 1, attr: { cqCount: 16, cqPeriod: 100 } })));
    expect(cqModeration(r.record<Cq>(h))).toEqual({ count: 16, period: 100 });
  });

  it('attr_mask 0 or reserved non-zero EINVAL, more than moderation EOPNOTSUPP, a bad CQ EINVAL, a period too long EINVAL', async () => {
    const r = await WriteRig.open();
    const h = await cq(r);
    await r.fails(EINVAL, 'EX_MODIFY_CQ', modify({ cqHandle: h, attrMask: 0 }));
    await r.fails(EINVAL, 'EX_MODIFY_CQ', modify({ cqHandle: h, attrMask: 1, reserved: 1 }));
    await r.fails(EOPNOTSUPP, 'EX_MODIFY_CQ', modify({ cqHandle: h, attrMask: 3 }));
    await r.fails(EINVAL, 'EX_MODIFY_CQ', modify({ cqHandle: h + 1, attrMask: 1 }));
    await r.fails(EINVAL, 'EX_MODIFY_CQ', modify({ cqHandle: h, attrMask: 1, attr: { cqCount: 1, cqPeriod: 0x1000 } }));
    expect(cqModeration(r.record<Cq>(h))).toBeUndefined();
  });

  it('a device without moderation answers EOPNOTSUPP', async () => {
    const r = await WriteRig.open({ caps: { cqModeration: null } });
    await r.fails(EOPNOTSUPP, 'EX_MODIFY_CQ', modify({ cqHandle: await cq(r), attrMask: 1 }));
  });
});
