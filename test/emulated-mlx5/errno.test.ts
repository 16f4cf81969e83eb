/**
 * The runtime's errno rows again, on the emulated mlx5 device and its own types and
 * actions (ids in the driver namespace): the dispatcher answers a driver's calls as it
 * answers the core's.
 */
import { describe, expect, it } from 'vitest';
import * as mlx5 from '../../generated/mlx5/index.js';
import { EBUSY, EINVAL, EIO, ENOENT, EOPNOTSUPP, EPROTONOSUPPORT } from '../../runtime/abi/errno.js';
import { tryLock, unlock } from '../../runtime/kernel/uobject.js';
import { Access } from '../../runtime/kernel/contract.js';
import { RDMA_VERBS_IOCTL } from '../../runtime/abi/wire.js';
import { Mlx5Session } from './helpers.js';

const { MLX5_IB_UAPI_UAR_ALLOC_TYPE_NC: NC } = mlx5.MLX5_IB_UAPI_UAR_ALLOC_TYPE;

async function uar(s: Mlx5Session): Promise<number> {
  return (await s.call(mlx5.encodeUarObjAlloc, { type: NC }, mlx5.decodeUarObjAllocOut)).handle;
}

/** Sets the header's object and method ids of the request in the session's buffer. */
function retarget(s: Mlx5Session, object: number, method: number): void {
  s.buf.view.setUint16(2, object, true);
  s.buf.view.setUint16(4, method, true);
}

async function sendAsIs(s: Mlx5Session): Promise<number> {
  return -(await s.process.ioctl(s.fd, RDMA_VERBS_IOCTL, s.buf.addr));
}

describe('errno rows on the mlx5 device', () => {
  it('an mlx5 method the type does not have, and an mlx5 type the device does not have: EPROTONOSUPPORT', async () => {
    const s = await Mlx5Session.open();
    mlx5.encodeUarObjAlloc(s.buf, { type: NC });
    retarget(s, mlx5.UVERBS_OBJECT.UAR, 0x1000 + 0x7f);
    expect(await sendAsIs(s)).toBe(EPROTONOSUPPORT);
    mlx5.encodeUarObjAlloc(s.buf, { type: NC });
    retarget(s, 0x1000 + 0x7f, mlx5.UVERBS_METHODS_UAR.UAR_OBJ_ALLOC);
    expect(await sendAsIs(s)).toBe(EPROTONOSUPPORT);
  });

  it('an unknown driver attribute marked mandatory: EPROTONOSUPPORT', async () => {
    const s = await Mlx5Session.open();
    mlx5.encodeUarObjAlloc(s.buf, { type: NC });
    expect(s.buf.view.getUint16(24 + 16, true)).toBe(mlx5.UVERBS_ATTRS_UAR_OBJ_ALLOC.type);
    s.buf.view.setUint16(24 + 16, 0x1fff, true); // an id UAR_OBJ_ALLOC does not declare, still MANDATORY
    expect(await sendAsIs(s)).toBe(EPROTONOSUPPORT);
  });

  it('a mandatory mlx5 attribute left out: EINVAL; a type the handler does not know: EOPNOTSUPP', async () => {
    const s = await Mlx5Session.open();
    mlx5.encodeUarObjAlloc(s.buf, { type: NC });
    const n = s.buf.view.getUint16(6, true);
    s.buf.view.setUint16(6, n - 1, true); // drop the last attribute (PAGE_ID, a mandatory output)
    s.buf.view.setUint16(0, 24 + 16 * (n - 1), true);
    expect(await sendAsIs(s)).toBe(EINVAL);
    await s.fails(EOPNOTSUPP, mlx5.encodeUarObjAlloc, { type: 7 });
  });

  it('a handle of another file: ENOENT; of another type: EINVAL; never used: ENOENT', async () => {
    const s = await Mlx5Session.open();
    const t = await s.another();
    const mine = await uar(s);
    await t.fails(ENOENT, mlx5.encodeUarObjDestroy, { handle: mine });
    await s.fails(ENOENT, mlx5.encodeUarObjDestroy, { handle: 0x7ffffff0 });
    const pd = s.pd();
    await s.fails(EINVAL, mlx5.encodeUarObjDestroy, { handle: pd.handle });
    // Still there, still the owner's.
    await s.call(mlx5.encodeUarObjDestroy, { handle: mine }, mlx5.decodeUarObjDestroyOut);
  });

  it('an mlx5 object created before GET_CONTEXT: EINVAL', async () => {
    const s = await Mlx5Session.open({}, null);
    await s.fails(EINVAL, mlx5.encodeUarObjAlloc, { type: NC });
  });

  it('destroy of an object someone holds: EBUSY at once, and it stays', async () => {
    const s = await Mlx5Session.open();
    const h = await uar(s);
    const u = s.device.idr.get(h)!;
    tryLock(u, Access.READ); // another command holds it shared
    await s.fails(EBUSY, mlx5.encodeUarObjDestroy, { handle: h });
    unlock(u, Access.READ);
    await s.call(mlx5.encodeUarObjDestroy, { handle: h }, mlx5.decodeUarObjDestroyOut);
  });

  it('after device removal: new mlx5 objects EIO, destroy of what remains still works', async () => {
    const s = await Mlx5Session.open();
    const h = await uar(s);
    await s.device.remove();
    await s.fails(EIO, mlx5.encodeUarObjAlloc, { type: NC });
    await s.call(mlx5.encodeUarObjDestroy, { handle: h }, mlx5.decodeUarObjDestroyOut);
    expect(s.device.idr.get(h)).toBeUndefined();
  });
});
