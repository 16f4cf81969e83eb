/**
 * The write() handlers within the device: objects shared with the ioctl path both
 * ways, INVOKE_WRITE running the same commands, close and device removal releasing
 * what write() made, the handlers every device has, and the mlx5 device's share.
 */
import { describe, expect, it } from 'vitest';
import * as core from '../../generated/core/index.js';
import * as mlx5 from '../../generated/mlx5/index.js';
import { IB_UVERBS_QP_TYPE as QPT } from '../../generated/core/enums.js';
import * as S from '../../generated/core/structs.js';
import { uapi } from '../../generated/core/uapi.js';
import { RemoveReason } from '../../runtime/kernel/device.js';
import { EBUSY, EINVAL, EIO, ENOENT, ENOSPC, EOPNOTSUPP } from '../../runtime/abi/errno.js';
import { IB_USER_VERBS_CMD_FLAG_EXTENDED } from '../../runtime/abi/wire.js';
import { coreState, createCoreDevice, type Cq, type Mr, type Pd } from '../../runtime/emulated/core/index.js';
import { IB_SRQ } from '../../runtime/emulated/core/write/srq.js';
import { mlx5State } from '../../runtime/emulated/mlx5/index.js';
import { Mlx5Session } from '../emulated-mlx5/helpers.js';
import { cq, cqReq, handleReq, indTbl, mr, pd, qp, qpOn, srq, wq, xrcd } from './objects.js';
import { struct, WriteRig } from './rig.js';

const CMD = core.IB_UVERBS_WRITE_CMDS;

describe('objects shared by the write() and ioctl paths', () => {
  it('a PD made by ALLOC_PD takes an ioctl REG_MR and dies by ioctl PD_DESTROY once the MR is gone', async () => {
    const r = await WriteRig.open();
    const s = r.session;
    const p = await pd(r);
    const m = s.map(4096);
    const reg = await s.call(core.encodeRegMr, { pdHandle: p, addr: m.addr, iova: m.addr, length: 4096, accessFlags: 1 }, core.decodeRegMrOut);
    expect(r.record<Mr>(reg.handle).pd).toBe(r.record<Pd>(p));
    await s.fails(EBUSY, core.encodePdDestroy, { handle: p });
    // The ioctl MR is one write()'s DEREG_MR knows too; the other way round, write()'s MR dies by ioctl.
    const wm = await mr(r, p);
    r.ok(await r.write('DEREG_MR', { req: handleReq(4, 0, reg.handle) }));
    await s.call(core.encodeMrDestroy, { handle: wm.mrHandle }, core.decodeMrDestroyOut);
    await s.call(core.encodePdDestroy, { handle: p }, core.decodePdDestroyOut);
    expect(coreState(r.device).count('PD')).toBe(0);
  });

  it('a CQ made by ioctl CQ_CREATE is destroyed by write()\'s DESTROY_CQ, with its event counts', async () => {
    const r = await WriteRig.open();
    const { handle } = await r.session.call(core.encodeCqCreate, { cqe: 10, userHandle: 1n, compVector: 0 }, core.decodeCqCreateOut);
    r.record<Cq>(handle).compEventsReported = 9;
    const resp = await r.call('DESTROY_CQ', { req: handleReq(16, 8, handle) }, S.decodeIbUverbsDestroyCqResp);
    expect(resp.compEventsReported).toBe(9);
    expect(coreState(r.device).count('CQ')).toBe(0);
  });

  it('ioctl QP_CREATE on write()\'s PD and CQ; write()\'s QP destroyed by ioctl QP_DESTROY', async () => {
    const r = await WriteRig.open();
    const s = r.session;
    const p = await pd(r);
    const c = await cq(r);
    const q1 = await s.call(core.encodeQpCreate, { pdHandle: p, sendCqHandle: c, recvCqHandle: c, userHandle: 0n, cap: { maxSendWr: 1, maxRecvWr: 1 }, type: QPT.IB_UVERBS_QPT_RC }, core.decodeQpCreateOut);
    const q2 = await qp(r, { pdHandle: p, sendCqHandle: c, recvCqHandle: c });
    expect(r.record<Cq>(c).usecnt).toBe(4);
    await s.call(core.encodeQpDestroy, { handle: q2.qpHandle }, core.decodeQpDestroyOut);
    r.ok(await r.write('DESTROY_QP', { req: handleReq(16, 8, q1.handle) }));
    expect(r.record<Cq>(c).usecnt).toBe(0);
  });
});

describe('INVOKE_WRITE', () => {
  it('runs ALLOC_PD: CORE_IN is the request, CORE_OUT gets the response and is marked VALID_OUTPUT', async () => {
    const r = await WriteRig.open();
    const out = await r.session.call(core.encodeInvokeWrite, { writeCmd: CMD.IB_USER_VERBS_CMD_ALLOC_PD, coreIn: new Uint8Array(8), coreOut: 4 }, core.decodeInvokeWriteOut);
    const h = S.decodeIbUverbsAllocPdResp(new DataView(out.coreOut!.buffer, out.coreOut!.byteOffset), 0).pdHandle;
    expect(r.record<Pd>(h).type).toBe('PD');
    // The request's response pointer is not used: the answer went to CORE_OUT only.
    expect(out.uhwOut).toBeUndefined();
    r.ok(await r.write('DEALLOC_PD', { req: handleReq(4, 0, h) }));
  });

  it('runs CREATE_CQ with driver data (UHW), which the core device does not read or answer', async () => {
    const r = await WriteRig.open();
    const coreIn = cqReq({ cqe: 50, response: 0xdeadn });
    const out = await r.session.call(core.encodeInvokeWrite, { writeCmd: CMD.IB_USER_VERBS_CMD_CREATE_CQ, coreIn, coreOut: 8, uhwIn: new Uint8Array(16), uhwOut: 16 }, core.decodeInvokeWriteOut);
    const resp = S.decodeIbUverbsCreateCqResp(new DataView(out.coreOut!.buffer, out.coreOut!.byteOffset), 0);
    expect(resp.cqe).toBe(63);
    // UHW_OUT is marked written after any command with driver data; nothing of the device's is in it.
    expect(out.uhwOut!.every((b) => b === 0)).toBe(true);
  });

  it('runs an extended command: response_length is the room CORE_OUT gave', async () => {
    const r = await WriteRig.open();
    const coreIn = struct(S.IB_UVERBS_EX_CREATE_CQ_SIZE, S.encodeIbUverbsExCreateCq, { cqe: 4, compChannel: -1 });
    const writeCmd = (IB_USER_VERBS_CMD_FLAG_EXTENDED | r.spec('EX_CREATE_CQ').command) >>> 0;
    const out = await r.session.call(core.encodeInvokeWrite, { writeCmd, coreIn, coreOut: 16 }, core.decodeInvokeWriteOut);
    expect(S.decodeIbUverbsExCreateCqResp(new DataView(out.coreOut!.buffer, out.coreOut!.byteOffset), 0)).toMatchObject({ base: { cqe: 7 }, responseLength: 16 });
  });

  it('CORE_IN or CORE_OUT shorter than the command needs answers ENOSPC; a failed command marks nothing written', async () => {
    const r = await WriteRig.open();
    await r.session.fails(ENOSPC, core.encodeInvokeWrite, { writeCmd: CMD.IB_USER_VERBS_CMD_CREATE_CQ, coreIn: cqReq().subarray(0, 16), coreOut: 8 });
    await r.session.fails(ENOSPC, core.encodeInvokeWrite, { writeCmd: CMD.IB_USER_VERBS_CMD_CREATE_CQ, coreIn: cqReq(), coreOut: 4 });
    await r.session.fails(EINVAL, core.encodeInvokeWrite, { writeCmd: CMD.IB_USER_VERBS_CMD_CREATE_CQ, coreIn: cqReq({ compVector: 99 }), coreOut: 8 });
    expect(core.decodeInvokeWriteOut(r.session.buf).coreOut).toBeUndefined();
    await r.session.fails(ENOENT, core.encodeInvokeWrite, { writeCmd: CMD.IB_USER_VERBS_CMD_DEALLOC_PD, coreIn: handleReq(4, 0, 77) });
    expect(coreState(r.device).count('CQ')).toBe(0);
  });

  it('runs DESTROY_CQ and DEALLOC_PD on objects made by write()', async () => {
    const r = await WriteRig.open();
    const c = await cq(r);
    const p = await pd(r);
    const out = await r.session.call(core.encodeInvokeWrite, { writeCmd: CMD.IB_USER_VERBS_CMD_DESTROY_CQ, coreIn: handleReq(16, 8, c), coreOut: 8 }, core.decodeInvokeWriteOut);
    expect(out.coreOut).toEqual(new Uint8Array(8));
    await r.session.call(core.encodeInvokeWrite, { writeCmd: CMD.IB_USER_VERBS_CMD_DEALLOC_PD, coreIn: handleReq(4, 0, p) }, core.decodeInvokeWriteOut);
    expect(coreState(r.device).liveObjects()).toEqual(new Map([['ASYNC_EVENT', 1]]));
  });
});

describe('close and removal', () => {
  it('close releases every object write() made, once each, in the release order', async () => {
    const r = await WriteRig.open();
    const s = coreState(r.device);
    const p = await pd(r);
    const c = await cq(r);
    await r.call('CREATE_COMP_CHANNEL', {}, S.decodeIbUverbsCreateCompChannelResp);
    await mr(r, p);
    await r.call('ALLOC_MW', { req: struct(S.IB_UVERBS_ALLOC_MW_SIZE, S.encodeIbUverbsAllocMw, { pdHandle: p, mwType: 2 }) }, S.decodeIbUverbsAllocMwResp);
    await r.call('CREATE_AH', { req: struct(S.IB_UVERBS_CREATE_AH_SIZE, S.encodeIbUverbsCreateAh, { pdHandle: p, attr: { portNum: 1 } }) }, S.decodeIbUverbsCreateAhResp);
    const x = await xrcd(r);
    await srq(r, { pdHandle: p, srqType: core.IB_UVERBS_SRQ_TYPE.IB_UVERBS_SRQT_XRC, xrcdHandle: x, cqHandle: c });
    const w = await wq(r, p, c);
    await indTbl(r, [w.wqHandle]);
    const ud = await qpOn(r);
    const flowReq = struct(S.IB_UVERBS_CREATE_FLOW_SIZE, S.encodeIbUverbsCreateFlow, { qpHandle: ud.qp, flowAttr: { port: 1 } });
    await r.call('EX_CREATE_FLOW', { req: flowReq }, S.decodeIbUverbsCreateFlowResp);
    const released: string[] = [];
    s.onRelease = (u, reason) => {
      expect(reason).toBe(RemoveReason.CLOSE);
      released.push(u.type.name);
    };
    const made = r.session.file.objects.size;
    await r.session.process.close(r.session.fd);
    expect(released).toHaveLength(made);
    const order = uapi.releaseOrder.map((id) => r.device.type(id)!.name);
    const ranks = released.map((t) => order.indexOf(t));
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    expect(s.liveObjects().size).toBe(0);
    expect(r.device.idr.size).toBe(0);
  });

  it('after removal: new objects EIO, lookups that keep their errno EIO, read lookups EINVAL; destroy still works', async () => {
    const r = await WriteRig.open();
    const p = await pd(r);
    const m = await mr(r, p);
    const c = await cq(r);
    const s = await srq(r, { pdHandle: p });
    await r.device.remove();
    expect(coreState(r.device).liveObjects().size).toBe(0);
    await r.fails(EIO, 'ALLOC_PD');
    await r.fails(EIO, 'QUERY_DEVICE');
    await r.fails(EIO, 'CREATE_CQ', { req: cqReq() });
    await r.fails(EIO, 'REREG_MR', { req: struct(S.IB_UVERBS_REREG_MR_SIZE, S.encodeIbUverbsReregMr, { mrHandle: m.mrHandle, flags: 2, pdHandle: p }) });
    await r.fails(EINVAL, 'MODIFY_SRQ', { req: struct(S.IB_UVERBS_MODIFY_SRQ_SIZE, S.encodeIbUverbsModifySrq, { srqHandle: s.srqHandle, attrMask: IB_SRQ.LIMIT }) });
    await r.fails(EINVAL, 'RESIZE_CQ', { req: struct(S.IB_UVERBS_RESIZE_CQ_SIZE, S.encodeIbUverbsResizeCq, { cqHandle: c, cqe: 4 }) });
    // The handles stay until destroyed; destroying them answers as before.
    expect((await r.call('DESTROY_CQ', { req: handleReq(16, 8, c) }, S.decodeIbUverbsDestroyCqResp)).compEventsReported).toBe(0);
    r.ok(await r.write('DESTROY_SRQ', { req: handleReq(16, 8, s.srqHandle) }));
    r.ok(await r.write('DEREG_MR', { req: handleReq(4, 0, m.mrHandle) }));
    r.ok(await r.write('DEALLOC_PD', { req: handleReq(4, 0, p) }));
    expect(r.session.file.objects.size).toBe(1);
  });
});

describe('the write() handlers a device has', () => {
  it('createCoreDevice has a handler for every implemented command of uapi.write and uapi.writeEx', () => {
    const device = createCoreDevice();
    const implemented = [...uapi.write, ...uapi.writeEx].filter((w) => w !== undefined && w.handler !== '');
    expect(implemented).toHaveLength(47);
    expect(implemented.filter((w) => !device.writeHandler(w!)).map((w) => w!.name)).toEqual([]);
    // Commands Linux never implemented have no handler and none is made up for them.
    expect([...uapi.write, ...uapi.writeEx].filter((w) => w && w.handler === '' && device.writeHandler(w))).toEqual([]);
  });

  it('the mlx5 device runs the core commands its driver data does not shape, on its own state', async () => {
    const m = await Mlx5Session.open();
    const r = new WriteRig(m);
    const lacking = ['GET_CONTEXT', 'CREATE_CQ', 'EX_CREATE_CQ', 'RESIZE_CQ', 'CREATE_QP', 'EX_CREATE_QP', 'OPEN_QP', 'CREATE_SRQ', 'CREATE_XSRQ', 'EX_CREATE_WQ'];
    expect(lacking.filter((n) => m.device.writeHandler(r.spec(n)))).toEqual([]);
    await r.fails(EOPNOTSUPP, 'CREATE_CQ', { req: cqReq() });
    const p = await pd(r);
    const reg = await mr(r, p);
    expect(mlx5State(m.device).keys.get(reg.lkey)).toBe(m.device.idr.get(reg.mrHandle)!.object);
    const d = await r.call('QUERY_DEVICE', {}, S.decodeIbUverbsQueryDeviceResp);
    expect(d.maxCqe).toBe(mlx5State(m.device).caps.maxCqe);
    await xrcd(r);
    await m.call(mlx5.encodeMrDestroy, { handle: reg.mrHandle }, mlx5.decodeMrDestroyOut);
    await m.process.close(m.fd);
    expect(mlx5State(m.device).liveObjects().size).toBe(0);
  });
});
