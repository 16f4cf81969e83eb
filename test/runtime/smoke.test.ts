import { describe, expect, it } from 'vitest';
import { IoctlBuffer } from '../../runtime/user/ioctl-buffer.js';
import { Process } from '../../runtime/process/process.js';
import { RDMA_VERBS_IOCTL } from '../../runtime/abi/wire.js';
import { decodePdAllocOut, decodeWidgetCreateOut, encodePdAlloc, encodePdDestroy, encodeWidgetCreate } from '../fixtures/minimal-golden/core/index.js';
import { minimalDevice } from '../fixtures/minimal-device.js';
import { uverbsFileAt } from '../../runtime/kernel/char-device.js';

describe('runtime smoke', () => {
  it('creates, uses and destroys objects end to end', async () => {
    const { device, log } = minimalDevice();
    const p = new Process();
    const fd = p.open(device);
    uverbsFileAt(p, fd)!.context = {};
    const m = p.memory.map(4096);
    const buf = new IoctlBuffer(4096, m.addr, m.bytes);

    encodePdAlloc(buf, {});
    expect(await p.ioctl(fd, RDMA_VERBS_IOCTL, m.addr)).toBe(0);
    const pd = decodePdAllocOut(buf).handle;

    encodeWidgetCreate(buf, { pd, size: 21 });
    expect(await p.ioctl(fd, RDMA_VERBS_IOCTL, m.addr)).toBe(0);
    const w = decodeWidgetCreateOut(buf);
    expect(w.respSize).toBe(42);

    encodePdDestroy(buf, { handle: pd });
    expect(await p.ioctl(fd, RDMA_VERBS_IOCTL, m.addr)).toBe(-16); // EBUSY: the widget holds it
    expect(device.idr.size).toBe(2);

    expect(await p.close(fd)).toBe(0);
    expect(log.released.map((r) => r.type)).toEqual(['WIDGET', 'PD']);
    expect(device.idr.size).toBe(0);
  });
});
