/**
 * The generated write() clients over the in-process transport: the minimal spec's
 * CoreWriteClient against the minimal device's write handlers (responses, driver data,
 * typed elements after the request, no-response commands, errnos), and the core
 * CoreWriteClient against the emulated core device, by write(2) and by INVOKE_WRITE,
 * for a handler's refusal (EINVAL before GET_CONTEXT) and for what the runtime answers
 * before any handler (EINVAL for a header with bits outside the command byte).
 */
import { describe, expect, it } from 'vitest';
import { EINVAL } from '../../runtime/abi/errno.js';
import { IoctlBuffer } from '../../runtime/user/ioctl-buffer.js';
import { Process } from '../../runtime/process/process.js';
import { type Transport } from '../../runtime/user/transport.js';
import { inProcess } from '../../runtime/process/in-process.js';
import { RDMA_VERBS_IOCTL } from '../../runtime/abi/wire.js';
import { WriteCaller } from '../../runtime/user/write-caller.js';
import { CoreWriteClient as MinimalWriteClient } from '../fixtures/minimal-golden/core/index.js';
import { minimalDevice } from '../fixtures/minimal-device.js';
import { CoreWriteClient, WRITE_INFO, encodeInvokeWrite, encodeWriteAllocPd, decodeWriteAllocPdOut } from '../../generated/core/index.js';
import { createCoreDevice } from '../../runtime/emulated/core/index.js';
import { callError, recorder } from './recording.js';

describe('write() client over the minimal device', () => {
  it('runs commands and decodes responses, driver data and elements', async () => {
    const { device } = minimalDevice();
    const rec = recorder(device);
    const w = new MinimalWriteClient(rec.transport, rec.fd, { bufferSize: 256, maxIdle: 1 });
    const a = await w.allocPd({}, { driverIn: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8), driverOutLen: 8 });
    expect(a.driverOut).toEqual(Uint8Array.of(8, 7, 6, 5, 4, 3, 2, 1));
    const b = await w.allocPd();
    expect(b.driverOut).toEqual(new Uint8Array(0));
    expect(device.idr.size).toBe(2);

    const q = await w.exQueryPds({ pdCount: 2 }, { pdHandles: [a.response.pdHandle, b.response.pdHandle], pairs: 2 });
    expect(q.response).toEqual({ compMask: 0, responseLength: 40 });
    expect(q.pairs).toEqual([{ a: a.response.pdHandle, b: 0n }, { a: b.response.pdHandle, b: 0n }]);

    await expect(w.deallocPd({ pdHandle: a.response.pdHandle })).resolves.toBeUndefined();
    expect(device.idr.size).toBe(1);
    // A buffer too small for the command gets one of its own size, unmapped after.
    const big = await w.exQueryPds({ pdCount: 1 }, { pdHandles: [b.response.pdHandle], pairs: 20, driverIn: new Uint8Array(256) });
    expect(big.pairs).toHaveLength(20);
    expect(rec.mapped.size).toBe(1);
  });

  it('turns -errno into UverbsCallError naming the route and the command', async () => {
    const { device } = minimalDevice();
    const rec = recorder(device);
    const w = new MinimalWriteClient(rec.transport, rec.fd);
    const e = await callError(w.deallocPd({ pdHandle: 77 }));
    expect([e.type, e.action, e.errnoName]).toEqual(['write', 'DEALLOC_PD', 'ENOENT']);
    expect(e.message).toBe('write.DEALLOC_PD failed: ENOENT (2)');
    // The buffer went back zeroed: the next call does not see the last one's bytes.
    const { response } = await w.allocPd();
    expect(await w.exQueryPds({ pdCount: 1 }, { pdHandles: [response.pdHandle] })).toEqual({ response: { compMask: 0, responseLength: 8 }, pairs: [], driverOut: new Uint8Array(0) });
  });

  it('has no ioctl route where the spec has no INVOKE_WRITE', () => {
    const { device } = minimalDevice();
    const rec = recorder(device);
    expect(() => new MinimalWriteClient(rec.transport, rec.fd, { via: 'ioctl' })).toThrow('this driver has no DEVICE.INVOKE_WRITE action');
  });
});

describe('write() client over the emulated core device', () => {
  function open(): { proc: Process; fd: number; transport: Transport } {
    const proc = new Process();
    const fd = proc.open(createCoreDevice());
    return { proc, fd, transport: inProcess(proc) };
  }

  it.each(['write', 'ioctl'] as const)('turns a handler refusal into a typed error, via %s', async (via) => {
    const { fd, transport } = open();
    const w = new CoreWriteClient(transport, fd, { via });
    // No GET_CONTEXT yet: the handlers answer EINVAL, as ib_uverbs_get_ucontext does.
    const e = await callError(w.allocPd());
    expect([e.type, e.action, e.errno]).toEqual([via === 'write' ? 'write' : 'INVOKE_WRITE', 'ALLOC_PD', EINVAL]);
    const x = await callError(w.exCreateCq({ cqe: 1, compChannel: -1 }, { driverIn: new Uint8Array(16), driverOutLen: 8 }));
    expect([x.action, x.errnoName]).toEqual(['EX_CREATE_CQ', 'EINVAL']);
  });

  it.each(['write', 'ioctl'] as const)('answers EINVAL for a command word with bits outside the command byte, via %s', async (via) => {
    const { fd, transport } = open();
    // An encoder that sets a stray bit in ib_uverbs_cmd_hdr.command, as a broken user space would.
    const stray = (buf: IoctlBuffer, request: object, extra: object | undefined): number => {
      const n = encodeWriteAllocPd(buf, request, extra);
      buf.view.setUint32(0, buf.view.getUint32(0, true) | 0x100, true);
      return n;
    };
    const caller = new WriteCaller(transport, fd, encodeInvokeWrite, { via });
    const e = await callError(caller.call(WRITE_INFO.ALLOC_PD, stray, {}, undefined, decodeWriteAllocPdOut));
    expect([e.action, e.errno]).toEqual(['ALLOC_PD', EINVAL]);
  });

  it('sends INVOKE_WRITE as rdma-core ioctl_write() does: core and driver parts as attributes', async () => {
    const { fd, proc } = open();
    const seen: Uint8Array[] = [];
    const inner = inProcess(proc);
    const transport: Transport = {
      ...inner,
      async ioctl(f, request, arg) {
        expect(request).toBe(RDMA_VERBS_IOCTL);
        const v = inner.memory.view(arg, 104)!;
        seen.push(new Uint8Array(v.view.buffer, v.view.byteOffset + v.offset, 104).slice());
        return inner.ioctl(f, request, arg);
      },
    };
    const w = new CoreWriteClient(transport, fd, { via: 'ioctl' });
    await callError(w.createCq({ userHandle: 1, cqe: 4, compChannel: -1 }, { driverIn: new Uint8Array(8).fill(0xab), driverOutLen: 16 }));
    const v = new DataView(seen[0]!.buffer);
    expect([v.getUint16(0, true), v.getUint16(2, true), v.getUint16(4, true), v.getUint16(6, true)]).toEqual([24 + 16 * 5, 0, 0, 5]);
    const attrs = Array.from({ length: 5 }, (_, i) => ({ id: v.getUint16(24 + 16 * i, true), len: v.getUint16(26 + 16 * i, true) }));
    // CORE_IN: struct ib_uverbs_create_cq (32), CORE_OUT: its response (8), WRITE_CMD: 18 inline, UHW_IN: 8 bytes inline, UHW_OUT: 16.
    expect(attrs).toEqual([{ id: 0, len: 32 }, { id: 1, len: 8 }, { id: 2, len: 8 }, { id: 0x1000, len: 8 }, { id: 0x1001, len: 16 }]);
    expect(v.getUint32(24 + 16 * 2 + 8, true)).toBe(18);
    expect(seen[0]!.subarray(24 + 16 * 3 + 8, 24 + 16 * 3 + 16)).toEqual(new Uint8Array(8).fill(0xab));
  });

  it('refuses an unknown route', () => {
    const { fd, transport } = open();
    expect(() => new CoreWriteClient(transport, fd, { via: 'pigeon' as 'write' })).toThrow('via "pigeon" is not a route');
  });
});
