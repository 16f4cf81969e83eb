/**
 * write() commands of memory regions and windows: REG_MR, REREG_MR, DEREG_MR, ALLOC_MW,
 * DEALLOC_MW.
 */
import { describe, expect, it } from 'vitest';
import * as core from '../../generated/core/index.js';
import { IB_UVERBS_ACCESS_FLAGS as ACC } from '../../generated/core/enums.js';
import {
  decodeIbUverbsAllocMwResp, decodeIbUverbsReregMrResp, encodeIbUverbsAllocMw, encodeIbUverbsRegMr, encodeIbUverbsReregMr, IB_UVERBS_ALLOC_MW_SIZE,
  IB_UVERBS_REG_MR_SIZE, IB_UVERBS_REREG_MR_SIZE, type IbUverbsReregMrInit,
} from '../../generated/core/structs.js';
import { EBUSY, EFAULT, EINVAL, ENOENT, EOPNOTSUPP } from '../../runtime/abi/errno.js';
import { coreState, type Mr, type Mw, type Pd } from '../../runtime/emulated/core/index.js';
import { cq, handleReq, mr, pd } from './objects.js';
import { struct, WriteRig } from './rig.js';

const L = ACC.IB_UVERBS_ACCESS_LOCAL_WRITE;
const RW = ACC.IB_UVERBS_ACCESS_REMOTE_WRITE;
const rereg = (x: IbUverbsReregMrInit) => ({ req: struct(IB_UVERBS_REREG_MR_SIZE, encodeIbUverbsReregMr, x) });
const allocMw = (pdHandle: number, mwType: number) => ({ req: struct(IB_UVERBS_ALLOC_MW_SIZE, encodeIbUverbsAllocMw, { pdHandle, mwType }) });

async function rig(caps = {}): Promise<{ r: WriteRig; p: number; rec: <T>(h: number) => T }> {
  const r = await WriteRig.open({ caps });
  return { r, p: await pd(r), rec: <T>(h: number) => r.record<T>(h) };
}

describe('REG_MR, DEREG_MR', () => {
  it('register pinned user memory under a PD; lkey and rkey are the device key', async () => {
    const { r, p, rec } = await rig();
    const m = await mr(r, p, { accessFlags: L | RW | ACC.IB_UVERBS_ACCESS_REMOTE_READ });
    const x = rec<Mr>(m.mrHandle);
    expect(m.lkey).toBe(m.rkey);
    expect(x).toMatchObject({ lkey: m.lkey, iova: m.addr, length: 8192n, access: L | RW | ACC.IB_UVERBS_ACCESS_REMOTE_READ });
    expect(x.source).toMatchObject({ kind: 'va', pinned: { kind: 'va', addr: m.addr } });
    expect(rec<Pd>(p).usecnt).toBe(1);
    r.ok(await r.write('DEREG_MR', { req: handleReq(4, 0, m.mrHandle) }));
    expect(coreState(r.device).keys.has(m.lkey)).toBe(false);
    expect(rec<Pd>(p).usecnt).toBe(0);
  });

  it('start and hca_va at different page offsets answer EINVAL', async () => {
    const { r, p } = await rig();
    const addr = BigInt(r.session.process.memory.map(4096).addr);
    await r.fails(EINVAL, 'REG_MR', { req: struct(IB_UVERBS_REG_MR_SIZE, encodeIbUverbsRegMr, { start: addr, length: 64n, hcaVa: addr + 8n, pdHandle: p, accessFlags: L }) });
  });

  it('access: remote write without local write and unknown bits EINVAL; what the device lacks EOPNOTSUPP', async () => {
    const { r, p } = await rig({ odp: false });
    await r.fails(EINVAL, 'REG_MR', { req: struct(IB_UVERBS_REG_MR_SIZE, encodeIbUverbsRegMr, { start: 0n, length: 64n, hcaVa: 0n, pdHandle: p, accessFlags: RW }) });
    await r.fails(EINVAL, 'REG_MR', { req: struct(IB_UVERBS_REG_MR_SIZE, encodeIbUverbsRegMr, { start: 0n, length: 64n, hcaVa: 0n, pdHandle: p, accessFlags: 1 << 15 }) });
    await r.fails(EOPNOTSUPP, 'REG_MR', { req: struct(IB_UVERBS_REG_MR_SIZE, encodeIbUverbsRegMr, { start: 0n, length: 64n, hcaVa: 0n, pdHandle: p, accessFlags: ACC.IB_UVERBS_ACCESS_ON_DEMAND }) });
    await r.fails(EOPNOTSUPP, 'REG_MR', { req: struct(IB_UVERBS_REG_MR_SIZE, encodeIbUverbsRegMr, { start: 0n, length: 64n, hcaVa: 0n, pdHandle: p, accessFlags: ACC.IB_UVERBS_ACCESS_FLUSH_GLOBAL }) });
    expect(coreState(r.device).count('MR')).toBe(0);
  });

  it('a bad PD answers EINVAL, memory that is not mapped EFAULT, an empty range EINVAL; ODP pins nothing', async () => {
    const { r, p, rec } = await rig();
    const reg = (x: Parameters<typeof encodeIbUverbsRegMr>[2]) => ({ req: struct(IB_UVERBS_REG_MR_SIZE, encodeIbUverbsRegMr, { pdHandle: p, accessFlags: L, ...x }) });
    await r.fails(EINVAL, 'REG_MR', reg({ start: 0x10000n, length: 64n, hcaVa: 0x10000n, pdHandle: p + 9 }));
    await r.fails(EINVAL, 'REG_MR', reg({ start: 0x10000n, length: 64n, hcaVa: 0x10000n, pdHandle: await cq(r) }));
    await r.fails(EFAULT, 'REG_MR', reg({ start: 0x10000n, length: 64n, hcaVa: 0x10000n }));
    await r.fails(EINVAL, 'REG_MR', reg({ start: 0x10000n, length: 0n, hcaVa: 0x10000n }));
    const odp = await mr(r, p, { start: 0x10000n, hcaVa: 0x10000n, accessFlags: L | ACC.IB_UVERBS_ACCESS_ON_DEMAND });
    expect(rec<Mr>(odp.mrHandle).source).toMatchObject({ kind: 'va', addr: 0x10000n, pinned: undefined });
    const bare = await WriteRig.open({ context: false });
    await bare.fails(EINVAL, 'REG_MR', reg({ start: 0x10000n, length: 64n, hcaVa: 0x10000n }));
  });

  it('DEREG_MR: no such handle ENOENT, another type EINVAL', async () => {
    const { r, p } = await rig();
    await r.fails(ENOENT, 'DEREG_MR', { req: handleReq(4, 0, 1234) });
    await r.fails(EINVAL, 'DEREG_MR', { req: handleReq(4, 0, p) });
  });
});

describe('REREG_MR', () => {
  it('flags 0 answer EINVAL, unknown flags EOPNOTSUPP, a new translation at another page offset EINVAL', async () => {
    const { r, p } = await rig();
    const m = await mr(r, p);
    await r.fails(EINVAL, 'REREG_MR', rereg({ mrHandle: m.mrHandle, flags: 0 }));
    await r.fails(EOPNOTSUPP, 'REREG_MR', rereg({ mrHandle: m.mrHandle, flags: 8 }));
    await r.fails(EINVAL, 'REREG_MR', rereg({ mrHandle: m.mrHandle, flags: 1, start: m.addr, hcaVa: m.addr + 1n, length: 64n }));
  });

  it('the MR lookup keeps its errno (ENOENT, EINVAL for another type); the new PD\'s is EINVAL', async () => {
    const { r, p } = await rig();
    const m = await mr(r, p);
    await r.fails(ENOENT, 'REREG_MR', rereg({ mrHandle: 999, flags: 2, pdHandle: p }));
    await r.fails(EINVAL, 'REREG_MR', rereg({ mrHandle: p, flags: 2, pdHandle: p }));
    await r.fails(EINVAL, 'REREG_MR', rereg({ mrHandle: m.mrHandle, flags: 2, pdHandle: 999 }));
  });

  it('a new PD moves the MR\'s hold and keeps its key', async () => {
    const { r, p, rec } = await rig();
    const p2 = await pd(r);
    const m = await mr(r, p);
    const keys = await r.call('REREG_MR', rereg({ mrHandle: m.mrHandle, flags: 2, pdHandle: p2 }), decodeIbUverbsReregMrResp);
    expect(keys).toEqual({ lkey: m.lkey, rkey: m.rkey });
    expect(rec<Mr>(m.mrHandle).pd).toBe(rec<Pd>(p2));
    expect([rec<Pd>(p).usecnt, rec<Pd>(p2).usecnt]).toEqual([0, 1]);
    r.ok(await r.write('DEALLOC_PD', { req: handleReq(4, 0, p) }));
    await r.fails(EBUSY, 'DEALLOC_PD', { req: handleReq(4, 0, p2) });
  });

  it('a new translation takes new memory and a new key; new access is checked first', async () => {
    const { r, p, rec } = await rig();
    const m = await mr(r, p);
    const addr = BigInt(r.session.process.memory.map(4096).addr);
    await r.fails(EINVAL, 'REREG_MR', rereg({ mrHandle: m.mrHandle, flags: 5, start: addr, hcaVa: addr, length: 4096n, accessFlags: RW }));
    await r.fails(EFAULT, 'REREG_MR', rereg({ mrHandle: m.mrHandle, flags: 1, start: 0x20000n, hcaVa: 0x20000n, length: 4096n }));
    expect(rec<Mr>(m.mrHandle).lkey).toBe(m.lkey);
    const keys = await r.call('REREG_MR', rereg({ mrHandle: m.mrHandle, flags: 5, start: addr, hcaVa: addr, length: 4096n, accessFlags: L | RW }), decodeIbUverbsReregMrResp);
    expect(keys.lkey).not.toBe(m.lkey);
    expect(rec<Mr>(m.mrHandle)).toMatchObject({ lkey: keys.lkey, rkey: keys.rkey, iova: addr, length: 4096n, access: L | RW });
    const s = coreState(r.device);
    expect([s.keys.has(m.lkey), s.keys.get(keys.lkey)]).toEqual([false, rec<Mr>(m.mrHandle)]);
  });

  it('a device memory MR answers EINVAL', async () => {
    const { r, p } = await rig();
    const { handle: dm } = await r.session.call(core.encodeDmAlloc, { length: 256, alignment: 6 }, core.decodeDmAllocOut);
    const access = ACC.IB_UVERBS_ACCESS_ZERO_BASED | L;
    const dmMr = await r.session.call(core.encodeDmMrReg, { offset: 0, length: 256, pdHandle: p, accessFlags: access, dmHandle: dm }, core.decodeDmMrRegOut);
    await r.fails(EINVAL, 'REREG_MR', rereg({ mrHandle: dmMr.handle, flags: 4, accessFlags: L }));
  });
});

describe('ALLOC_MW, DEALLOC_MW', () => {
  it('a type 2 window under a PD, with an rkey of its own', async () => {
    const { r, p, rec } = await rig();
    const m = await mr(r, p);
    const w = await r.call('ALLOC_MW', allocMw(p, 2), decodeIbUverbsAllocMwResp);
    expect(rec<Mw>(w.mwHandle)).toMatchObject({ mwType: 2, rkey: w.rkey });
    expect(w.rkey).not.toBe(m.rkey);
    await r.fails(EBUSY, 'DEALLOC_PD', { req: handleReq(4, 0, p) });
    r.ok(await r.write('DEALLOC_MW', { req: handleReq(4, 0, w.mwHandle) }));
    await r.fails(ENOENT, 'DEALLOC_MW', { req: handleReq(4, 0, w.mwHandle) });
  });

  it('a type other than 1 or 2, or a bad PD, answers EINVAL and leaves nothing', async () => {
    const { r, p } = await rig();
    await r.fails(EINVAL, 'ALLOC_MW', allocMw(p, 3));
    await r.fails(EINVAL, 'ALLOC_MW', allocMw(p + 40, 1));
    await r.fails(EINVAL, 'DEALLOC_MW', { req: handleReq(4, 0, p) });
    expect(coreState(r.device).count('MW')).toBe(0);
  });
});
