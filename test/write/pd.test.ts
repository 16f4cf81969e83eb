/**
 * write() commands of PDs and address handles: ALLOC_PD, DEALLOC_PD, CREATE_AH,
 * DESTROY_AH.
 */
import { describe, expect, it } from 'vitest';
import { decodeIbUverbsCreateAhResp, encodeIbUverbsCreateAh, IB_UVERBS_CREATE_AH_SIZE, type IbUverbsAhAttrInit } from '../../generated/core/structs.js';
import { EBUSY, EINVAL, EIO, ENOENT } from '../../runtime/abi/errno.js';
import { parseGid } from '../../runtime/emulated/core/caps.js';
import { coreState, type Ah, type Pd } from '../../runtime/emulated/core/index.js';
import { cq, handleReq, mr, pd } from './objects.js';
import { struct, WriteRig } from './rig.js';

const dealloc = (h: number) => ({ req: handleReq(4, 0, h) });
const ahReq = (pdHandle: number, attr: IbUverbsAhAttrInit, userHandle = 0n) =>
  ({ req: struct(IB_UVERBS_CREATE_AH_SIZE, encodeIbUverbsCreateAh, { pdHandle, userHandle, attr }) });

describe('ALLOC_PD, DEALLOC_PD', () => {
  it('allocate a PD the device counts, and free it', async () => {
    const r = await WriteRig.open();
    const h = await pd(r);
    expect(r.record<Pd>(h).type).toBe('PD');
    expect(coreState(r.device).count('PD')).toBe(1);
    r.ok(await r.write('DEALLOC_PD', dealloc(h)));
    expect(coreState(r.device).count('PD')).toBe(0);
  });

  it('ALLOC_PD without a context answers EINVAL, after removal EIO', async () => {
    const r = await WriteRig.open({ context: false });
    await r.fails(EINVAL, 'ALLOC_PD');
    r.ok(await r.write('GET_CONTEXT'));
    await r.device.remove();
    await r.fails(EIO, 'ALLOC_PD');
  });

  it('DEALLOC_PD: no such handle ENOENT, another type EINVAL, another file\'s ENOENT, in use EBUSY', async () => {
    const r = await WriteRig.open();
    const h = await pd(r);
    await r.fails(ENOENT, 'DEALLOC_PD', dealloc(h + 100));
    await r.fails(EINVAL, 'DEALLOC_PD', dealloc(await cq(r)));
    const other = await r.openFile();
    expect(await r.write('DEALLOC_PD', dealloc(h), other.fd)).toBe(-ENOENT);
    const m = await mr(r, h);
    await r.fails(EBUSY, 'DEALLOC_PD', dealloc(h));
    expect(r.record<Pd>(h).usecnt).toBe(1);
    r.ok(await r.write('DEREG_MR', { req: handleReq(4, 0, m.mrHandle) }));
    r.ok(await r.write('DEALLOC_PD', dealloc(h)));
    await r.fails(ENOENT, 'DEALLOC_PD', dealloc(h));
  });
});

describe('CREATE_AH, DESTROY_AH', () => {
  it('an AH on the InfiniBand port: routed by LID, holding its PD, with its user handle', async () => {
    const r = await WriteRig.open();
    const p = await pd(r);
    const { ahHandle } = await r.call('CREATE_AH', ahReq(p, { portNum: 1, dlid: 0x22, sl: 3, staticRate: 2 }, 0xabcn), decodeIbUverbsCreateAhResp);
    const ah = r.record<Ah>(ahHandle);
    expect(ah.attr).toMatchObject({ port: 1, dlid: 0x22, sl: 3, staticRate: 2, grh: undefined });
    expect(r.device.idr.get(ahHandle)!.userHandle).toBe(0xabcn);
    await r.fails(EBUSY, 'DEALLOC_PD', dealloc(p));
    r.ok(await r.write('DESTROY_AH', dealloc(ahHandle)));
    r.ok(await r.write('DEALLOC_PD', dealloc(p)));
  });

  it('on the RoCE port the GRH is needed and its SGID must exist (EINVAL); is_global says whether it is there', async () => {
    const r = await WriteRig.open();
    const p = await pd(r);
    const dgid = parseGid('fe80::1');
    const grh = { dgid, sgidIndex: 1, hopLimit: 64, flowLabel: 5 };
    await r.fails(EINVAL, 'CREATE_AH', ahReq(p, { portNum: 2, grh }));
    await r.fails(EINVAL, 'CREATE_AH', ahReq(p, { portNum: 2, isGlobal: 1, grh: { ...grh, sgidIndex: 9 } }));
    const { ahHandle } = await r.call('CREATE_AH', ahReq(p, { portNum: 2, isGlobal: 1, grh }), decodeIbUverbsCreateAhResp);
    expect(r.record<Ah>(ahHandle).attr.grh).toMatchObject({ dgid, sgidIndex: 1, hopLimit: 64, flowLabel: 5 });
    expect(coreState(r.device).count('AH')).toBe(1);
  });

  it('a port the device lacks or a bad PD answers EINVAL and leaves nothing', async () => {
    const r = await WriteRig.open();
    const p = await pd(r);
    await r.fails(EINVAL, 'CREATE_AH', ahReq(p, { portNum: 3 }));
    await r.fails(EINVAL, 'CREATE_AH', ahReq(p + 50, { portNum: 1 }));
    await r.fails(EINVAL, 'CREATE_AH', ahReq(await cq(r), { portNum: 1 }));
    expect(coreState(r.device).count('AH')).toBe(0);
    expect(r.record<Pd>(p).usecnt).toBe(0);
    const bare = await WriteRig.open({ context: false });
    await bare.fails(EINVAL, 'CREATE_AH', ahReq(0, { portNum: 1 }));
  });

  it('DESTROY_AH: no such handle ENOENT, another type EINVAL', async () => {
    const r = await WriteRig.open();
    const p = await pd(r);
    await r.fails(ENOENT, 'DESTROY_AH', dealloc(77));
    await r.fails(EINVAL, 'DESTROY_AH', dealloc(p));
  });
});
