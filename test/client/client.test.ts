/**
 * The generated client (the minimal spec's CoreClient) against the minimal device,
 * through the in-process transport: outputs decoded, errnos turned into
 * UverbsCallError, overlapping calls each on a buffer of their own, memory bounded.
 */
import { describe, expect, it } from 'vitest';
import { UserPtr } from '../../runtime/user/ioctl-buffer.js';
import { EBADF, EBUSY, ENOENT } from '../../runtime/abi/errno.js';
import { CoreClient } from '../fixtures/minimal-golden/core/index.js';
import { minimalDevice } from '../fixtures/minimal-device.js';
import { callError, recorder } from './recording.js';

function setUp(options?: { bufferSize?: number; maxIdle?: number }) {
  const { device, log } = minimalDevice();
  const rec = recorder(device);
  return { device, log, rec, client: new CoreClient(rec.transport, rec.fd, options) };
}

describe('generated client over the in-process transport', () => {
  it('creates objects and decodes their outputs', async () => {
    const { client, device } = setUp();
    const pd = await client.pdAlloc();
    const w = await client.widgetCreate({ pd: pd.handle, size: 21 });
    expect(w.respSize).toBe(42);
    expect(w.handle).not.toBe(pd.handle);
    expect(device.idr.size).toBe(2);

    const q = await client.query({ port: 3 });
    expect(q.resp).toEqual({ a: 30, b: 0x1234n });

    const ch = await client.channelAlloc();
    expect(ch.fd).toBeGreaterThanOrEqual(3);
  });

  it('decodes an output the caller pointed at memory of its own', async () => {
    const { client, rec } = setUp();
    const own = rec.transport.memory.map(16);
    const q = await client.query({ port: 2, resp: new UserPtr(own.addr, 16) });
    expect(q.resp).toEqual({ a: 20, b: 0x1234n });
    expect(new DataView(own.bytes.buffer).getUint32(0, true)).toBe(20);
  });

  it('passes `optional` to the encoder: those attributes go without MANDATORY', async () => {
    const { client, rec } = setUp();
    const pd = await client.pdAlloc();
    await client.widgetCreate({ pd: pd.handle, size: 1, cookie: 7 }, ['cookie']);
    const req = rec.requests.at(-1)!;
    const v = new DataView(req.buffer);
    const flags = new Map<number, number>();
    for (let i = 0; i < v.getUint16(6, true); i++) flags.set(v.getUint16(24 + 16 * i, true), v.getUint16(24 + 16 * i + 4, true));
    expect(flags.get(4)).toBe(0); // cookie
    expect(flags.get(3)).toBe(1); // size
  });

  it('turns EBUSY into a UverbsCallError naming type, action and errno, and the PD stays', async () => {
    const { client, device } = setUp();
    const pd = await client.pdAlloc();
    await client.widgetCreate({ pd: pd.handle, size: 1 });
    const e = await callError(client.pdDestroy({ handle: pd.handle }));
    expect(e).toMatchObject({ name: 'UverbsCallError', type: 'PD', action: 'PD_DESTROY', errno: EBUSY, errnoName: 'EBUSY' });
    expect(e.message).toBe('PD.PD_DESTROY failed: EBUSY (16)');
    expect(device.idr.size).toBe(2);
  });

  it('turns ENOENT for a handle that names nothing into a UverbsCallError', async () => {
    const { client } = setUp();
    const e = await callError(client.widgetCreate({ pd: 999, size: 1 }));
    expect(e).toMatchObject({ type: 'WIDGET', action: 'WIDGET_CREATE', errno: ENOENT, errnoName: 'ENOENT' });
    expect(e.message).toBe('WIDGET.WIDGET_CREATE failed: ENOENT (2)');
  });

  it('reports EBADF on an fd the process does not have', async () => {
    const { rec } = setUp();
    const stray = new CoreClient(rec.transport, 99);
    const e = await callError(stray.pdAlloc());
    expect(e).toMatchObject({ type: 'PD', action: 'PD_ALLOC', errno: EBADF, errnoName: 'EBADF' });
  });

  it('gives overlapping calls buffers of their own while an async handler waits', async () => {
    const { client, log, rec } = setUp({ maxIdle: 2 });
    const pd = await client.pdAlloc();
    let open!: () => void;
    log.gate = new Promise<void>((resolve) => { open = resolve; });

    const sizes = [1, 2, 3, 4, 5, 6, 7];
    const held = sizes.map((size) => client.widgetCreate({ pd: pd.handle, size }));
    await new Promise((resolve) => setImmediate(resolve));
    expect(rec.inFlight.size).toBe(sizes.length);

    // A call on another action is not queued behind the held ones.
    const other = await client.query({ port: 1 });
    expect(other.resp.a).toBe(10);

    open();
    const done = await Promise.all(held);
    expect(done.map((w) => w.respSize)).toEqual(sizes.map((s) => s * 2));
    expect(new Set(done.map((w) => w.handle)).size).toBe(sizes.length);
    expect(rec.shared).toEqual([]);
    expect(rec.maxInFlight).toBe(sizes.length + 1);
  });

  it('keeps at most maxIdle buffers once a burst is over, and reuses them', async () => {
    const { client, log, rec } = setUp({ maxIdle: 2 });
    const pd = await client.pdAlloc();
    let open!: () => void;
    log.gate = new Promise<void>((resolve) => { open = resolve; });
    const held = Array.from({ length: 10 }, (_, i) => client.widgetCreate({ pd: pd.handle, size: i }));
    await new Promise((resolve) => setImmediate(resolve));
    expect(rec.mapped.size).toBe(10);
    open();
    await Promise.all(held);
    expect(rec.mapped.size).toBe(2);

    log.gate = undefined;
    const maps = rec.maps;
    for (let i = 0; i < 20; i++) await client.widgetCreate({ pd: pd.handle, size: i });
    expect(rec.maps).toBe(maps);
    expect(rec.mapped.size).toBe(2);
  });

  it('leaves no bytes of a call in the buffers it keeps', async () => {
    const { client, rec } = setUp();
    const pd = await client.pdAlloc();
    await client.widgetCreate({ pd: pd.handle, size: 9, blob: new Uint8Array(64).fill(0xab) });
    await client.query({ port: 4 });
    expect(rec.mapped.size).toBeGreaterThan(0);
    for (const bytes of rec.mapped.values()) expect(bytes.every((x) => x === 0)).toBe(true);
  });

  it('runs a call larger than the buffer in one of its own size, unmapped afterwards', async () => {
    const { client, rec } = setUp({ bufferSize: 256 });
    const pd = await client.pdAlloc();
    const kept = new Set(rec.mapped.keys());
    const blob = new Uint8Array(10_000).fill(1);
    const w = await client.widgetCreate({ pd: pd.handle, size: 5, blob });
    expect(w.respSize).toBe(10);
    expect(new Set(rec.mapped.keys())).toEqual(kept);
    expect(rec.maps).toBe(kept.size + 1);
  });

  it('refuses buffer options that cannot work', () => {
    const { rec } = setUp();
    expect(() => new CoreClient(rec.transport, rec.fd, { bufferSize: 8 })).toThrow(/cannot hold even an ioctl header/);
    expect(() => new CoreClient(rec.transport, rec.fd, { maxIdle: -1 })).toThrow(/not a count/);
  });
});
