/**
 * One test per row of DESIGN.md's errno table, driven by raw buffers: what the kernel
 * answers to bad input, in its order of checks.
 */
import { describe, expect, it } from 'vitest';
import { EBADF, EBUSY, EFAULT, EINVAL, EIO, ENOENT, ENOTTY, EOPNOTSUPP, EPROTONOSUPPORT } from '../../runtime/abi/errno.js';
import { RDMA_VERBS_IOCTL } from '../../runtime/abi/wire.js';
import {
  UVERBS_ATTRS_QUERY, UVERBS_ATTRS_WIDGET_CREATE as W, UVERBS_METHODS_DEVICE, UVERBS_METHODS_WIDGET, UVERBS_OBJECT,
  decodeChannelAllocOut, decodePdAllocOut, encodeChannelAlloc, encodePdAlloc, encodePdDestroy,
} from '../fixtures/minimal-golden/core/index.js';
import { Rig, type RawAttr } from './rig.js';
import { uverbsFileAt } from '../../runtime/kernel/char-device.js';

const WIDGET = { object: UVERBS_OBJECT.WIDGET, method: UVERBS_METHODS_WIDGET.WIDGET_CREATE };
const QUERY = { object: UVERBS_OBJECT.DEVICE, method: UVERBS_METHODS_DEVICE.QUERY };

async function newPd(r: Rig): Promise<number> {
  expect(await r.call(encodePdAlloc, {})).toBe(0);
  return decodePdAllocOut(r.buf).handle;
}

/** A valid WIDGET_CREATE's attributes for `pd`, plus `extra`. */
const widget = (pd: number, ...extra: RawAttr[]): RawAttr[] => [
  { id: W.handle },
  { id: W.pd, data: pd },
  { id: W.size, len: 4, data: 8 },
  { id: W.resp_size, len: 4, data: 0 }, // fixed up by send() callers that need a real pointer
  ...extra,
];

async function sendWidget(r: Rig, pd: number, ...extra: RawAttr[]): Promise<number> {
  const attrs = widget(pd, ...extra);
  attrs[3]!.data = r.addr(2048);
  return r.send({ ...WIDGET, attrs });
}

describe('errno rows (raw buffers)', () => {
  it('a valid raw request succeeds (the baseline every row breaks)', async () => {
    const r = Rig.minimal();
    expect(await sendWidget(r, await newPd(r))).toBe(0);
  });

  it('ioctl number other than RDMA_VERBS_IOCTL: ENOTTY', async () => {
    const r = Rig.minimal();
    expect(await r.ioctl(r.raw({ ...QUERY, attrs: [] }), RDMA_VERBS_IOCTL + 1)).toBe(-ENOTTY);
  });

  it('header unreadable: EFAULT', async () => {
    const r = Rig.minimal();
    expect(await r.ioctl(0x1000)).toBe(-EFAULT);
    expect(await r.ioctl(r.map.addr + r.map.bytes.length - 8)).toBe(-EFAULT);
  });

  it('attribute array unreadable: EFAULT', async () => {
    const r = Rig.minimal();
    // The header sits in the last 24 bytes of the mapping; its 2 attributes would follow it.
    const at = r.map.bytes.length - 24;
    r.raw({ ...QUERY, attrs: [] });
    r.buf.bytes.copyWithin(at, 0, 24);
    r.buf.view.setUint16(at, 24 + 32, true);
    r.buf.view.setUint16(at + 6, 2, true);
    expect(await r.ioctl(r.addr(at))).toBe(-EFAULT);
  });

  it('length > 4096 or != 24 + 16 * num_attrs: EINVAL', async () => {
    const r = Rig.minimal();
    expect(await r.send({ ...QUERY, attrs: [], numAttrs: 300, length: 24 + 16 * 300 })).toBe(-EINVAL);
    expect(await r.send({ ...QUERY, attrs: [{ id: 0, len: 8, data: 1 }], length: 24 })).toBe(-EINVAL);
    expect(await r.send({ ...QUERY, attrs: [], length: 25 })).toBe(-EINVAL);
  });

  it('reserved1 or reserved2 non-zero: EPROTONOSUPPORT, before the driver id is looked at', async () => {
    const r = Rig.minimal();
    expect(await r.send({ ...QUERY, attrs: [], reserved1: 1n })).toBe(-EPROTONOSUPPORT);
    expect(await r.send({ ...QUERY, attrs: [], reserved2: 1, driverId: 9 })).toBe(-EPROTONOSUPPORT);
  });

  it("driver_id not the device's: EINVAL, before the action is looked up", async () => {
    const r = Rig.minimal();
    expect(await r.send({ ...QUERY, attrs: [], driverId: 1 })).toBe(-EINVAL);
    expect(await r.send({ object: 99, method: 0, attrs: [], driverId: 1 })).toBe(-EINVAL);
  });

  it('unknown type or action: EPROTONOSUPPORT', async () => {
    const r = Rig.minimal();
    expect(await r.send({ object: 99, method: 0, attrs: [] })).toBe(-EPROTONOSUPPORT);
    expect(await r.send({ object: 0x1005, method: 0, attrs: [] })).toBe(-EPROTONOSUPPORT);
    expect(await r.send({ object: UVERBS_OBJECT.PD, method: 7, attrs: [] })).toBe(-EPROTONOSUPPORT);
  });

  it('unknown attribute with MANDATORY: EPROTONOSUPPORT; without it: ignored', async () => {
    const r = Rig.minimal();
    const pd = await newPd(r);
    expect(await sendWidget(r, pd, { id: 0x77, len: 4, flags: 1 })).toBe(-EPROTONOSUPPORT);
    expect(await sendWidget(r, pd, { id: 0x77, len: 4, flags: 0 })).toBe(0);
    expect(await sendWidget(r, pd, { id: 0x1077, len: 4, flags: 0 })).toBe(0);
  });

  it('the same attribute twice: EINVAL', async () => {
    const r = Rig.minimal();
    expect(await sendWidget(r, await newPd(r), { id: W.size, len: 4, data: 9 })).toBe(-EINVAL);
  });

  it('a mandatory attribute missing: EINVAL', async () => {
    const r = Rig.minimal();
    const pd = await newPd(r);
    expect(await r.send({ ...WIDGET, attrs: [{ id: W.handle }, { id: W.pd, data: pd }, { id: W.resp_size, len: 4, data: r.addr(2048) }] })).toBe(-EINVAL);
  });

  it('pointer len below the minimum, or above len without zero_trailing: EINVAL', async () => {
    const r = Rig.minimal();
    const pd = await newPd(r);
    expect(await sendWidget(r, pd, { id: W.cookie, len: 4, data: 1 })).toBe(-EINVAL);
    expect(await sendWidget(r, pd, { id: W.cookie, len: 16, data: r.addr(3000) })).toBe(-EINVAL);
    expect(await sendWidget(r, pd, { id: W.shape, len: 4, data: 1 })).toBe(-EINVAL); // below last's end (8)
    expect(await r.send({ ...QUERY, attrs: [{ id: UVERBS_ATTRS_QUERY.port, len: 8, data: 1 }, { id: UVERBS_ATTRS_QUERY.resp, len: 2, data: r.addr(2048) }] })).toBe(-EINVAL);
  });

  it('longer than len with zero_trailing: accepted when the tail is zero, EOPNOTSUPP when not', async () => {
    const r = Rig.minimal();
    const pd = await newPd(r);
    r.buf.bytes.fill(0, 3000, 3032);
    expect(await sendWidget(r, pd, { id: W.shape, len: 32, data: r.addr(3000) })).toBe(0);
    r.buf.bytes[3000 + 30] = 1;
    expect(await sendWidget(r, pd, { id: W.shape, len: 32, data: r.addr(3000) })).toBe(-EOPNOTSUPP);
  });

  it('reserved bits in an attribute non-zero, or an object attribute with len != 0: EINVAL', async () => {
    const r = Rig.minimal();
    const pd = await newPd(r);
    expect(await sendWidget(r, pd, { id: W.cookie, len: 8, data: 1, reserved: 1 })).toBe(-EINVAL);
    expect(await sendWidget(r, pd, { id: W.cookie, len: 8, data: 1, elem: 1 })).toBe(-EINVAL);
    expect(await sendWidget(r, pd, { id: W.channel, len: 4, data: 3 })).toBe(-EINVAL);
    expect(await r.send({ ...WIDGET, attrs: [{ id: W.handle }, { id: W.pd, data: pd, len: 8 }, { id: W.size, len: 4, data: 8 }, { id: W.resp_size, len: 4, data: r.addr(2048) }] })).toBe(-EINVAL);
  });

  it('enum elem_id out of range: EOPNOTSUPP', async () => {
    const r = Rig.minimal();
    expect(await sendWidget(r, await newPd(r), { id: W.key, len: 0, elem: 2 })).toBe(-EOPNOTSUPP);
  });

  it('idrs_array length not a multiple of 4, or a count out of range: EINVAL', async () => {
    const r = Rig.minimal();
    const pd = await newPd(r);
    expect(await sendWidget(r, pd, { id: W.peers, len: 6, data: pd })).toBe(-EINVAL);
    expect(await sendWidget(r, pd, { id: W.peers, len: 0 })).toBe(-EINVAL); // minCount 1
    expect(await sendWidget(r, pd, { id: W.peers, len: 36, data: r.addr(3000) })).toBe(-EINVAL); // maxCount 8
    expect(await sendWidget(r, pd, { id: W.peers, len: 4, data: pd })).toBe(0);
  });

  it('handle absent, or owned by another file: ENOENT', async () => {
    const r = Rig.minimal();
    expect(await sendWidget(r, 1234)).toBe(-ENOENT);
    expect(await sendWidget(r, -1)).toBe(-ENOENT);
    const fd2 = r.process.open(r.device);
    uverbsFileAt(r.process, fd2)!.context = {};
    expect(await r.call(encodePdAlloc, {}, fd2)).toBe(0);
    const foreign = decodePdAllocOut(r.buf).handle;
    expect(await sendWidget(r, foreign)).toBe(-ENOENT);
  });

  it('handle of another type: EINVAL', async () => {
    const r = Rig.minimal();
    const pd = await newPd(r);
    expect(await sendWidget(r, pd)).toBe(0);
    const widgetHandle = r.buf.view.getUint32(24 + 8, true);
    expect(await sendWidget(r, widgetHandle)).toBe(-EINVAL);
  });

  it('object busy (lock conflict): EBUSY', async () => {
    const r = Rig.minimal();
    const pd = await newPd(r);
    let open!: () => void;
    r.log!.gate = new Promise<void>((resolve) => (open = resolve));
    const held = sendWidget(r, pd); // holds the PD shared at the gate
    await Promise.resolve();
    expect(await r.call(encodePdDestroy, { handle: pd }, r.fd, r.buffer())).toBe(-EBUSY);
    open();
    expect(await held).toBe(0);
  });

  it('device removed: EIO for anything but destroy', async () => {
    const r = Rig.minimal();
    const pd = await newPd(r);
    await r.device.remove();
    expect(await sendWidget(r, pd)).toBe(-EIO);
    expect(await r.call(encodePdAlloc, {})).toBe(-EIO);
    expect(await r.call(encodePdDestroy, { handle: pd })).toBe(0);
  });

  it('bad fd: EBADF (no such fd, an fd of another kind or of another file)', async () => {
    const r = Rig.minimal();
    const pd = await newPd(r);
    expect(await sendWidget(r, pd, { id: W.channel, data: 77 })).toBe(-EBADF);
    expect(await sendWidget(r, pd, { id: W.channel, data: r.fd })).toBe(-EBADF); // the uverbs file itself
    const fd2 = r.process.open(r.device);
    uverbsFileAt(r.process, fd2)!.context = {};
    expect(await r.call(encodeChannelAlloc, {}, fd2)).toBe(0);
    const foreign = decodeChannelAllocOut(r.buf).fd;
    expect(await sendWidget(r, pd, { id: W.channel, data: foreign })).toBe(-EBADF);
    expect(await r.call(encodeChannelAlloc, {})).toBe(0);
    const own = decodeChannelAllocOut(r.buf).fd;
    expect(await sendWidget(r, pd, { id: W.channel, data: own })).toBe(0);
    expect(await r.ioctl(r.map.addr, RDMA_VERBS_IOCTL, 99)).toBe(-EBADF);
    expect(await r.ioctl(r.map.addr, RDMA_VERBS_IOCTL, own)).toBe(-ENOTTY);
  });

  it('creating an object without a context: EINVAL', async () => {
    const r = Rig.minimal();
    r.file.context = undefined;
    expect(await r.call(encodePdAlloc, {})).toBe(-EINVAL);
  });
});
