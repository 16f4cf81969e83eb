/**
 * write() commands of the file and the device: GET_CONTEXT, QUERY_DEVICE,
 * EX_QUERY_DEVICE, QUERY_PORT.
 */
import { describe, expect, it } from 'vitest';
import * as core from '../../generated/core/index.js';
import { IB_UVERBS_DEVICE_CAP_FLAGS as DCF, IB_UVERBS_ODP_GENERAL_CAP_BITS } from '../../generated/core/enums.js';
import {
  decodeIbUverbsCreateCqResp, decodeIbUverbsExQueryDeviceResp, decodeIbUverbsGetContextResp, decodeIbUverbsQueryDeviceResp, decodeIbUverbsQueryPortResp,
  encodeIbUverbsCreateCq, encodeIbUverbsExQueryDevice, encodeIbUverbsQueryPort, IB_UVERBS_CREATE_CQ_SIZE, IB_UVERBS_EX_QUERY_DEVICE_RESP_SIZE,
  IB_UVERBS_EX_QUERY_DEVICE_SIZE, IB_UVERBS_QUERY_DEVICE_RESP_SIZE, IB_UVERBS_QUERY_PORT_SIZE,
} from '../../generated/core/structs.js';
import { EFAULT, EINVAL, EIO, ENOSPC, EOPNOTSUPP } from '../../runtime/abi/errno.js';
import { coreState, defaultCaps, type AsyncEvent, type Context, type Cq } from '../../runtime/emulated/core/index.js';
import { struct, WriteRig } from './rig.js';
import { objectAt } from '../../runtime/kernel/object-file.js';

const exQuery = (x: { compMask?: number; reserved?: number } = {}) => struct(IB_UVERBS_EX_QUERY_DEVICE_SIZE, encodeIbUverbsExQueryDevice, x);
const queryPort = (portNum: number) => struct(IB_UVERBS_QUERY_PORT_SIZE, encodeIbUverbsQueryPort, { portNum });

describe('GET_CONTEXT', () => {
  it('makes the context and its async event file, the default for objects made later', async () => {
    const r = await WriteRig.open({ caps: { numCompVectors: 3 }, context: false });
    const resp = await r.call('GET_CONTEXT', {}, decodeIbUverbsGetContextResp);
    expect(resp.numCompVectors).toBe(3);
    const ev = objectAt(r.session.process, resp.asyncFd);
    expect(ev?.type.name).toBe('ASYNC_EVENT');
    const ctx = r.session.file.context as Context;
    expect(ctx.defaultAsyncEvent).toBe(ev!.object as AsyncEvent);
    const { cqHandle } = await r.call('CREATE_CQ', { req: struct(IB_UVERBS_CREATE_CQ_SIZE, encodeIbUverbsCreateCq, { cqe: 4, compChannel: -1 }) }, decodeIbUverbsCreateCqResp);
    expect((r.session.device.idr.get(cqHandle)!.object as Cq).eventFile).toBe(ev!.object);
  });

  it('a second one answers EINVAL after writing its response, and leaves no event file behind', async () => {
    const r = await WriteRig.open();
    const first = r.session.file.context;
    await r.fails(EINVAL, 'GET_CONTEXT');
    expect(r.out(decodeIbUverbsGetContextResp).asyncFd).toBeGreaterThan(0);
    expect(r.session.process.isOpen(r.out(decodeIbUverbsGetContextResp).asyncFd)).toBe(false);
    expect(r.session.file.context).toBe(first);
    expect(coreState(r.device).count('ASYNC_EVENT')).toBe(1);
  });

  it('after ioctl GET_CONTEXT it answers EINVAL too', async () => {
    const r = await WriteRig.open({ context: false });
    await r.session.call(core.encodeGetContext, {}, core.decodeGetContextOut);
    await r.fails(EINVAL, 'GET_CONTEXT');
  });

  it('a response that faults makes nothing (EFAULT)', async () => {
    const r = await WriteRig.open({ context: false });
    await r.fails(EFAULT, 'GET_CONTEXT', { response: 0x5000 });
    expect(r.session.file.context).toBeUndefined();
    expect(coreState(r.device).count('ASYNC_EVENT')).toBe(0);
    r.ok(await r.write('GET_CONTEXT'));
  });

  it('once the device is removed it answers EIO', async () => {
    const r = await WriteRig.open({ context: false });
    await r.device.remove();
    await r.fails(EIO, 'GET_CONTEXT');
  });
});

describe('QUERY_DEVICE', () => {
  it('reports the limits the device enforces and its identity', async () => {
    const r = await WriteRig.open();
    const c = defaultCaps();
    const d = await r.call('QUERY_DEVICE', {}, decodeIbUverbsQueryDeviceResp);
    expect(d).toMatchObject({
      fwVer: c.attrs.fwVer, maxMrSize: c.maxMrSize, vendorId: 0x02c9, vendorPartId: 4123, maxQp: c.maxQp, maxQpWr: c.maxQpWr, maxSge: c.maxSge,
      maxCq: c.maxCq, maxCqe: c.maxCqe, maxMr: c.maxMr, maxPd: c.maxPd, maxMw: c.maxMw, maxAh: c.maxAh, maxSrq: c.maxSrq, maxSrqWr: c.maxSrqWr,
      maxSrqSge: c.maxSrqSge, physPortCnt: 2, maxPkeys: 128, maxFmr: 0,
    });
    expect(d.pageSizeCap).toBe(0xffff_ffff_ffff_f000n);
    expect(d.deviceCapFlags & DCF.IB_UVERBS_DEVICE_XRC).not.toBe(0);
    expect(d.deviceCapFlags & DCF.IB_UVERBS_DEVICE_MEM_WINDOW_TYPE_2B).not.toBe(0);
    // The node GUID travels in network byte order.
    expect([...r.respMap.bytes.subarray(8, 16)]).toEqual([0x98, 0x03, 0x9b, 0x03, 0x00, 0xa1, 0xb2, 0xc3]);
  });

  it('without a context answers EINVAL; with a non-zero byte past its request EOPNOTSUPP; after removal EIO', async () => {
    const r = await WriteRig.open({ context: false });
    await r.fails(EINVAL, 'QUERY_DEVICE');
    r.ok(await r.write('GET_CONTEXT'));
    const req = new Uint8Array(16);
    req[12] = 1;
    await r.fails(EOPNOTSUPP, 'QUERY_DEVICE', { req });
    await r.device.remove();
    await r.fails(EIO, 'QUERY_DEVICE');
  });
});

describe('EX_QUERY_DEVICE', () => {
  it('answers the whole extended struct when there is room, response_length saying so', async () => {
    const r = await WriteRig.open();
    const c = defaultCaps();
    const d = await r.call('EX_QUERY_DEVICE', { req: exQuery() }, decodeIbUverbsExQueryDeviceResp);
    expect(d.responseLength).toBe(IB_UVERBS_EX_QUERY_DEVICE_RESP_SIZE);
    expect(d.base.maxCqe).toBe(c.maxCqe);
    expect(d.odpCaps.generalCaps).toBe(BigInt(IB_UVERBS_ODP_GENERAL_CAP_BITS.IB_UVERBS_ODP_SUPPORT));
    expect(d.odpCaps.perTransportCaps.rcOdpCaps).toBe(c.attrs.odpTransportCaps);
    expect(d.deviceCapFlagsEx & BigInt(DCF.IB_UVERBS_DEVICE_RAW_SCATTER_FCS)).not.toBe(0n);
    expect(d.rssCaps.maxRwqIndirectionTableSize).toBe(1 << 13);
    expect(d.maxWqTypeRq).toBe(c.maxWq);
    expect(d.tmCaps.maxNumTags).toBe(c.maxNumTags);
    expect(d.cqModerationCaps).toMatchObject({ maxCqModerationCount: 0xffff, maxCqModerationPeriod: 0xfff });
    expect(d.maxDmSize).toBe(BigInt(c.dm!.size));
    expect(d.hcaCoreClock).toBe(c.attrs.hcaCoreClock);
  });

  it('trims the answer to the room given (at least the base and response_length), and says how much it wrote', async () => {
    const r = await WriteRig.open();
    r.ok(await r.write('EX_QUERY_DEVICE', { req: exQuery(), respRoom: 184 }));
    expect(r.respMap.view.getUint32(180, true)).toBe(184);
    expect(r.respMap.bytes[184]).toBe(0xee);
    r.ok(await r.write('EX_QUERY_DEVICE', { req: exQuery(), respRoom: 200 }));
    expect(r.respMap.view.getUint32(180, true)).toBe(200);
    expect(r.respMap.view.getBigUint64(184, true)).toBe(1n);
    expect(r.respMap.bytes[200]).toBe(0xee);
    await r.fails(ENOSPC, 'EX_QUERY_DEVICE', { req: exQuery(), respRoom: 176 });
  });

  it('comp_mask or reserved non-zero answers EINVAL; no context EINVAL', async () => {
    const r = await WriteRig.open();
    await r.fails(EINVAL, 'EX_QUERY_DEVICE', { req: exQuery({ compMask: 1 }) });
    await r.fails(EINVAL, 'EX_QUERY_DEVICE', { req: exQuery({ reserved: 1 }) });
    const bare = await WriteRig.open({ context: false });
    await bare.fails(EINVAL, 'EX_QUERY_DEVICE', { req: exQuery() });
  });

  it('reports what the caps take away', async () => {
    const r = await WriteRig.open({ caps: { odp: false, dm: null, cqModeration: null, flushGlobal: true } });
    const d = await r.call('EX_QUERY_DEVICE', { req: exQuery() }, decodeIbUverbsExQueryDeviceResp);
    expect(d.odpCaps.generalCaps).toBe(0n);
    expect(d.xrcOdpCaps).toBe(0);
    expect(d.maxDmSize).toBe(0n);
    expect(d.cqModerationCaps.maxCqModerationCount).toBe(0);
    expect(d.deviceCapFlagsEx & BigInt(DCF.IB_UVERBS_DEVICE_FLUSH_GLOBAL)).not.toBe(0n);
    expect(IB_UVERBS_QUERY_DEVICE_RESP_SIZE).toBe(176);
  });
});

describe('QUERY_PORT', () => {
  it('answers what ioctl QUERY_PORT answers in its legacy part', async () => {
    const r = await WriteRig.open();
    for (const port of [1, 2]) {
      const viaWrite = await r.call('QUERY_PORT', { req: queryPort(port) }, decodeIbUverbsQueryPortResp);
      const { resp } = await r.session.call(core.encodeQueryPort, { portNum: port }, core.decodeQueryPortOut);
      expect(viaWrite).toEqual(resp.legacyResp);
    }
    expect(r.out(decodeIbUverbsQueryPortResp).linkLayer).toBe(2);
  });

  it('a port the device does not have answers EINVAL; no context EINVAL', async () => {
    const r = await WriteRig.open();
    await r.fails(EINVAL, 'QUERY_PORT', { req: queryPort(0) });
    await r.fails(EINVAL, 'QUERY_PORT', { req: queryPort(3) });
    const bare = await WriteRig.open({ context: false });
    await bare.fails(EINVAL, 'QUERY_PORT', { req: queryPort(1) });
  });
});
