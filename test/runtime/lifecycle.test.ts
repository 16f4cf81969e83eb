/**
 * Object lifecycle, concurrency, removal and isolation: each rule of DESIGN.md's runtime
 * section, with counts of every release so that a leak or a double release fails.
 */
import { describe, expect, it } from 'vitest';
import { RemoveReason } from '../../runtime/kernel/device.js';
import { EBADF, EBUSY, EFAULT, EINVAL, EIO, ENOENT } from '../../runtime/abi/errno.js';
import { UserPtr } from '../../runtime/user/ioctl-buffer.js';
import {
  decodeChannelAllocOut, decodePdAllocOut, decodeWidgetCreateOut, encodeChannelAlloc, encodePdAlloc, encodePdDestroy, encodeWidgetCreate,
} from '../fixtures/minimal-golden/core/index.js';
import { Rig } from './rig.js';
import { uverbsFileAt } from '../../runtime/kernel/char-device.js';
import { objectAt } from '../../runtime/kernel/object-file.js';

async function pdOf(r: Rig, fd = r.fd): Promise<number> {
  expect(await r.call(encodePdAlloc, {}, fd)).toBe(0);
  return decodePdAllocOut(r.buf).handle;
}

async function widgetOf(r: Rig, pd: number): Promise<number> {
  expect(await r.call(encodeWidgetCreate, { pd, size: 4 })).toBe(0);
  return decodeWidgetCreateOut(r.buf).handle;
}

/** A gate a handler waits at; open() lets it go on. */
function gate(r: Rig): () => void {
  let open!: () => void;
  r.log!.gate = new Promise<void>((resolve) => (open = resolve));
  return () => {
    r.log!.gate = undefined;
    open();
  };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function lockCounts(r: Rig): number[] {
  return [...r.device.idr.values()].map((u) => u.usecnt);
}

describe('commit and abort', () => {
  it('commits a new object and writes its handle back into the attribute', async () => {
    const r = Rig.minimal();
    const pd = await pdOf(r);
    expect(r.device.idr.get(pd)?.type.name).toBe('PD');
    expect(r.buf.view.getUint32(24 + 8, true)).toBe(pd);
  });

  it('aborts a new object when the command fails after the handler made it: released once (ABORT), handle gone', async () => {
    const r = Rig.minimal();
    const pd = await pdOf(r);
    const before = r.device.idr.size;
    // resp_size points at unmapped memory: the handler's output fails with EFAULT after it made the widget.
    expect(await r.call(encodeWidgetCreate, { pd, size: 4, respSize: new UserPtr(0x5000, 4) })).toBe(-EFAULT);
    expect(r.device.idr.size).toBe(before);
    expect(r.log!.released).toEqual([{ type: 'WIDGET', id: expect.any(Number), reason: RemoveReason.ABORT }]);
    const handle = r.buf.view.getUint32(24 + 8, true);
    expect(r.device.idr.get(handle)).toBeUndefined();
    expect(r.device.idr.get(pd)!.usecnt).toBe(0);
    // The PD's reference taken by the handler was given back by the release: destroy works.
    expect(await r.call(encodePdDestroy, { handle: pd })).toBe(0);
  });

  it('aborts without calling release when the handler failed before making anything', async () => {
    const r = Rig.minimal();
    const pd = await pdOf(r);
    expect(await r.call(encodeWidgetCreate, { pd, size: 4, flags: 2 })).toBe(-EINVAL); // bit 2 not allowed by the device
    expect(r.log!.released).toEqual([]);
    expect(r.device.idr.size).toBe(1);
  });
});

describe('destroy', () => {
  it('is refused while the object is in use (EBUSY) and the object stays usable', async () => {
    const r = Rig.minimal();
    const pd = await pdOf(r);
    const w = await widgetOf(r, pd);
    expect(await r.call(encodePdDestroy, { handle: pd })).toBe(-EBUSY);
    expect(r.device.idr.get(pd)?.usecnt).toBe(0);
    await widgetOf(r, pd);
    expect(r.device.idr.get(w)).toBeDefined();
    expect(r.log!.released).toEqual([]);
  });

  it('frees the handle: a second destroy answers ENOENT', async () => {
    const r = Rig.minimal();
    const pd = await pdOf(r);
    expect(await r.call(encodePdDestroy, { handle: pd })).toBe(0);
    expect(await r.call(encodePdDestroy, { handle: pd })).toBe(-ENOENT);
    expect(r.log!.released).toEqual([{ type: 'PD', id: pd, reason: RemoveReason.DESTROY }]);
  });
});

describe('close', () => {
  it('releases every object once, holders first (the release order), and frees fds', async () => {
    const r = Rig.minimal();
    const pd = await pdOf(r);
    await widgetOf(r, pd);
    await widgetOf(r, pd);
    expect(await r.call(encodeChannelAlloc, {})).toBe(0);
    const ch = decodeChannelAllocOut(r.buf).fd;
    expect(objectAt(r.process, ch)).toBeDefined();
    expect(await r.process.close(r.fd)).toBe(0);
    expect(r.log!.released.map((x) => `${x.type}/${x.reason}`)).toEqual(['WIDGET/1', 'WIDGET/1', 'PD/1', 'CHANNEL/1']);
    expect(r.device.idr.size).toBe(0);
    expect(objectAt(r.process, ch)).toBeUndefined();
    expect(r.device.files.size).toBe(0);
  });

  it('fences new commands and waits for those in flight before releasing', async () => {
    const r = Rig.minimal();
    const pd = await pdOf(r);
    const open = gate(r);
    const inflight = r.call(encodeWidgetCreate, { pd, size: 4 }, r.fd, r.buffer());
    await tick();
    const closing = r.process.close(r.fd);
    expect(await r.call(encodePdAlloc, {})).toBe(-EBADF); // the fd is gone at once
    await tick();
    expect(r.log!.released).toEqual([]); // nothing released while the command runs
    open();
    expect(await inflight).toBe(0);
    expect(await closing).toBe(0);
    expect(r.log!.released.map((x) => x.type)).toEqual(['WIDGET', 'PD']);
  });

  it('closing an object fd releases that object once', async () => {
    const r = Rig.minimal();
    expect(await r.call(encodeChannelAlloc, {})).toBe(0);
    const ch = decodeChannelAllocOut(r.buf).fd;
    expect(await r.process.close(ch)).toBe(0);
    expect(await r.process.close(ch)).toBe(-EBADF);
    expect(await r.process.close(r.fd)).toBe(0);
    expect(r.log!.released.map((x) => x.type)).toEqual(['CHANNEL']);
  });
});

describe('concurrency with async handlers', () => {
  it('exclusive access meeting shared access answers EBUSY at once; shared meets shared', async () => {
    const r = Rig.minimal();
    const pd1 = await pdOf(r);
    const pd2 = await pdOf(r);
    const open = gate(r);
    const a = r.call(encodeWidgetCreate, { pd: pd1, size: 4, peers: [pd2] }, r.fd, r.buffer());
    const b = r.call(encodeWidgetCreate, { pd: pd2, size: 4, peers: [pd1] }, r.fd, r.buffer()); // the handles in the other order
    await tick();
    expect(r.device.idr.get(pd1)!.usecnt).toBe(2);
    expect(await r.call(encodePdDestroy, { handle: pd1 }, r.fd, r.buffer())).toBe(-EBUSY);
    expect(await r.call(encodePdDestroy, { handle: pd2 }, r.fd, r.buffer())).toBe(-EBUSY);
    open();
    expect(await Promise.all([a, b])).toEqual([0, 0]);
    expect(lockCounts(r).every((c) => c === 0)).toBe(true);
  });

  it('many interleaved commands on one object: destroys answer EBUSY at once, shared users all finish', async () => {
    const r = Rig.minimal();
    const pd = await pdOf(r);
    const open = gate(r);
    const first = r.call(encodeWidgetCreate, { pd, size: 4 }, r.fd, r.buffer());
    await tick();
    const attempts = Array.from({ length: 20 }, (_, i) =>
      i % 2 === 0 ? r.call(encodePdDestroy, { handle: pd }, r.fd, r.buffer()) : r.call(encodeWidgetCreate, { pd, size: 4 }, r.fd, r.buffer()));
    const destroys = await Promise.all(attempts.filter((_, i) => i % 2 === 0));
    expect(destroys).toEqual(Array(10).fill(-EBUSY)); // answered while the creations still wait at the gate
    open();
    expect(await Promise.all([first, ...attempts.filter((_, i) => i % 2 === 1)])).toEqual(Array(11).fill(0));
    expect(lockCounts(r).every((c) => c === 0)).toBe(true);
    expect(r.device.idr.size).toBe(12);
  });
});

describe('device removal', () => {
  it('fences new commands (EIO), lets those in flight finish, then releases every object once', async () => {
    const r = Rig.minimal();
    const pd = await pdOf(r);
    const open = gate(r);
    const inflight = r.call(encodeWidgetCreate, { pd, size: 4 }, r.fd, r.buffer());
    await tick();
    const removing = r.device.remove();
    expect(await r.call(encodePdAlloc, {})).toBe(-EIO);
    await tick();
    expect(r.log!.released).toEqual([]);
    open();
    expect(await inflight).toBe(0);
    await removing;
    expect(r.log!.released.map((x) => `${x.type}/${x.reason}`)).toEqual(['WIDGET/2', 'PD/2']);
    // Handles remain until destroyed or closed; destroy still works and releases nothing twice.
    expect(await r.call(encodePdDestroy, { handle: pd })).toBe(0);
    expect(await r.process.close(r.fd)).toBe(0);
    expect(r.log!.released).toHaveLength(2);
    expect(r.device.idr.size).toBe(0);
    expect(r.process.open(r.device)).toBe(-EIO);
  });
});

describe('isolation between files', () => {
  it("nothing of another file can be read, changed or destroyed", async () => {
    const r = Rig.minimal();
    const other = r.process.open(r.device);
    uverbsFileAt(r.process, other)!.context = {};
    const theirs = await pdOf(r, other);
    expect(await r.call(encodeWidgetCreate, { pd: theirs, size: 4 })).toBe(-ENOENT);
    expect(await r.call(encodePdDestroy, { handle: theirs })).toBe(-ENOENT);
    expect(r.device.idr.get(theirs)!.usecnt).toBe(0);
    expect(r.log!.released).toEqual([]);
    expect(await r.call(encodeChannelAlloc, {}, other)).toBe(0);
    const theirFd = decodeChannelAllocOut(r.buf).fd;
    const pd = await pdOf(r);
    expect(await r.call(encodeWidgetCreate, { pd, size: 4, channel: theirFd })).toBe(-EBADF);
    expect(await r.call(encodeWidgetCreate, { pd, size: 4, channel: 12345 })).toBe(-EBADF);
  });
});
