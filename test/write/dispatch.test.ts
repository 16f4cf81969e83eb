/**
 * The write() dispatcher's own rules, driven by raw buffers: the command word
 * (uapi_get_method), every branch of verify_hdr for plain and extended commands, the
 * DESTROY_CQ 16-byte compatibility, faults on the header, request and response, and
 * what uverbs_request says of bytes past the request struct.
 */
import { describe, expect, it } from 'vitest';
import {
  decodeIbUverbsAllocPdResp, decodeIbUverbsCreateCompChannelResp, decodeIbUverbsCreateCqResp, decodeIbUverbsDestroyCqResp, encodeIbUverbsCreateCq,
  encodeIbUverbsDestroyCq, encodeIbUverbsExCreateCq, IB_UVERBS_CREATE_CQ_SIZE, IB_UVERBS_DESTROY_CQ_SIZE, IB_UVERBS_EX_CREATE_CQ_SIZE,
} from '../../generated/core/structs.js';
import { EBADF, EFAULT, EINVAL, ENOSPC, EOPNOTSUPP } from '../../runtime/abi/errno.js';
import { coreState } from '../../runtime/emulated/core/index.js';
import { Mlx5Session } from '../emulated-mlx5/helpers.js';
import { CMD_HDR_SIZE, IB_USER_VERBS_CMD_FLAG_EXTENDED } from '../../runtime/abi/wire.js';
import { struct, WriteRig } from './rig.js';

async function pd(r: WriteRig): Promise<number> {
  return (await r.call('ALLOC_PD', {}, decodeIbUverbsAllocPdResp)).pdHandle;
}

async function cq(r: WriteRig): Promise<number> {
  return (await r.call('CREATE_CQ', { req: struct(IB_UVERBS_CREATE_CQ_SIZE, encodeIbUverbsCreateCq, { cqe: 8, compChannel: -1 }) }, decodeIbUverbsCreateCqResp)).cqHandle;
}

describe('write(): the command word', () => {
  it('bits outside the command byte and the extended flag answer EINVAL', async () => {
    const r = await WriteRig.open();
    await r.fails(EINVAL, 'ALLOC_PD', { command: 0x100 | 3 });
    await r.fails(EINVAL, 'EX_CREATE_CQ', { command: (IB_USER_VERBS_CMD_FLAG_EXTENDED | 0x4000_0000 | 18) >>> 0 });
  });

  it('a number beyond the table, a hole, or a command Linux never implemented answers EOPNOTSUPP', async () => {
    const r = await WriteRig.open();
    await r.fails(EOPNOTSUPP, 'ALLOC_PD', { command: 0xff });
    await r.fails(EOPNOTSUPP, 'EX_CREATE_CQ', { command: (IB_USER_VERBS_CMD_FLAG_EXTENDED | 0xff) >>> 0 });
    // EX command 2 is a hole; PEEK_CQ is numbered but never implemented. Both are checked as plain commands without a request first.
    await r.fails(EOPNOTSUPP, 'EX_CREATE_CQ', { command: (IB_USER_VERBS_CMD_FLAG_EXTENDED | 2) >>> 0, req: new Uint8Array(0), respRoom: 0, inWords: 6 });
    await r.fails(EINVAL, 'EX_CREATE_CQ', { command: (IB_USER_VERBS_CMD_FLAG_EXTENDED | 2) >>> 0, req: new Uint8Array(0), respRoom: 0 });
    await r.fails(EOPNOTSUPP, 'PEEK_CQ', { req: new Uint8Array(0) });
    await r.fails(EINVAL, 'PEEK_CQ', { req: new Uint8Array(0), inWords: 3 });
  });

  it('a command of the table the device has no handler for answers EOPNOTSUPP after the header checks', async () => {
    // The emulated mlx5 device leaves GET_CONTEXT to ioctl (its driver data comes as UHW only).
    const r = new WriteRig(await Mlx5Session.open());
    expect(r.device.writeHandler(r.spec('GET_CONTEXT'))).toBeUndefined();
    await r.fails(EOPNOTSUPP, 'GET_CONTEXT');
    await r.fails(EINVAL, 'GET_CONTEXT', { inWords: 3 });
    // Its sizes do not apply any more: it is checked as a command without request or response.
    await r.fails(EOPNOTSUPP, 'GET_CONTEXT', { respRoom: 0, req: new Uint8Array(0) });
  });

  it('a write on an object fd or a closed fd answers EBADF', async () => {
    const r = await WriteRig.open();
    const { fd } = await r.call('CREATE_COMP_CHANNEL', {}, decodeIbUverbsCreateCompChannelResp);
    expect(await r.write('ALLOC_PD', {}, fd)).toBe(-EBADF);
    expect(await r.session.process.write(999, r.cmdMap.addr, 16)).toBe(-EBADF);
  });
});

describe('write(): verify_hdr of a plain command', () => {
  it('fewer bytes than the header answer EINVAL; an unmapped header EFAULT', async () => {
    const r = await WriteRig.open();
    await r.fails(EINVAL, 'ALLOC_PD', { count: 4 });
    expect(await r.session.process.write(r.session.fd, 0x1000, 16)).toBe(-EFAULT);
  });

  it('in_words must count the whole write in 4-byte words (EINVAL)', async () => {
    const r = await WriteRig.open();
    await r.fails(EINVAL, 'ALLOC_PD', { inWords: 5 });
    await r.fails(EINVAL, 'ALLOC_PD', { count: 20 });
  });

  it('a request shorter than the command needs answers ENOSPC', async () => {
    const r = await WriteRig.open();
    await r.fails(ENOSPC, 'ALLOC_PD', { req: new Uint8Array(4) });
    await r.fails(ENOSPC, 'CREATE_CQ', { req: new Uint8Array(24) });
  });

  it('room for less than the response answers ENOSPC', async () => {
    const r = await WriteRig.open();
    await r.fails(ENOSPC, 'CREATE_CQ', { req: struct(IB_UVERBS_CREATE_CQ_SIZE, encodeIbUverbsCreateCq, { cqe: 8, compChannel: -1 }), respRoom: 4 });
    expect(coreState(r.device).count('CQ')).toBe(0);
  });

  it('a request that runs past mapped memory answers EFAULT', async () => {
    const r = await WriteRig.open();
    // The header sits in the last 8 bytes of the command mapping; the request would follow it.
    const at = r.cmdMap.addr + r.cmdMap.bytes.length - CMD_HDR_SIZE;
    r.cmdMap.view.setUint32(r.cmdMap.bytes.length - 8, 3, true);
    r.cmdMap.view.setUint16(r.cmdMap.bytes.length - 4, 4, true);
    r.cmdMap.view.setUint16(r.cmdMap.bytes.length - 2, 1, true);
    expect(await r.session.process.write(r.session.fd, at, 16)).toBe(-EFAULT);
    expect(coreState(r.device).count('PD')).toBe(0);
  });

  it('a response address that is not mapped answers EFAULT, and what the command made is undone', async () => {
    const r = await WriteRig.open();
    await r.fails(EFAULT, 'ALLOC_PD', { response: 0x2000 });
    expect(coreState(r.device).count('PD')).toBe(0);
    expect(r.session.file.objects.size).toBe(1); // the async event file only
  });

  it('bytes past the request struct must be zero (EOPNOTSUPP), zeros are taken', async () => {
    const r = await WriteRig.open();
    const h = await pd(r);
    const req = new Uint8Array(8);
    new DataView(req.buffer).setUint32(0, h, true);
    req[5] = 1;
    await r.fails(EOPNOTSUPP, 'DEALLOC_PD', { req });
    req[5] = 0;
    r.ok(await r.write('DEALLOC_PD', { req }));
    expect(coreState(r.device).count('PD')).toBe(0);
  });

  it('DESTROY_CQ from a 16-byte write (rdma-core v18, v19) is taken and reads the full request', async () => {
    const r = await WriteRig.open();
    const handle = await cq(r);
    const req = struct(IB_UVERBS_DESTROY_CQ_SIZE, encodeIbUverbsDestroyCq, { response: BigInt(r.respAddr), cqHandle: handle });
    const rc = await r.write('DESTROY_CQ', { req, inWords: 4, count: 16 });
    expect(rc).toBe(16);
    expect(r.out(decodeIbUverbsDestroyCqResp)).toEqual({ compEventsReported: 0, asyncEventsReported: 0 });
    expect(coreState(r.device).count('CQ')).toBe(0);
    // 12 bytes is short even for the old layout.
    await r.fails(ENOSPC, 'DESTROY_CQ', { req: req.subarray(0, 4) });
  });
});

describe('write(): verify_hdr of an extended command', () => {
  const exCq = (x: Partial<Parameters<typeof encodeIbUverbsExCreateCq>[2]> = {}) =>
    struct(IB_UVERBS_EX_CREATE_CQ_SIZE, encodeIbUverbsExCreateCq, { cqe: 8, compChannel: -1, ...x });

  it('shorter than both headers answers EINVAL', async () => {
    const r = await WriteRig.open();
    await r.fails(EINVAL, 'EX_CREATE_CQ', { req: exCq(), count: 20 });
  });

  it('in_words and provider_in_words must add up to the bytes after the headers (EINVAL)', async () => {
    const r = await WriteRig.open();
    await r.fails(EINVAL, 'EX_CREATE_CQ', { req: exCq(), inWords: 3 });
    await r.fails(EINVAL, 'EX_CREATE_CQ', { req: exCq(), providerInWords: 1 });
  });

  it('a core request shorter than the command needs answers ENOSPC', async () => {
    const r = await WriteRig.open();
    await r.fails(ENOSPC, 'EX_CREATE_CQ', { req: exCq().subarray(0, 24) });
  });

  it('cmd_hdr_reserved non-zero answers EINVAL', async () => {
    const r = await WriteRig.open();
    await r.fails(EINVAL, 'EX_CREATE_CQ', { req: exCq(), reserved: 1 });
  });

  it('a response address with no room answers EINVAL; room below resp_size ENOSPC', async () => {
    const r = await WriteRig.open();
    await r.fails(EINVAL, 'EX_CREATE_CQ', { req: exCq(), respRoom: 0, response: r.respAddr });
    await r.fails(ENOSPC, 'EX_CREATE_CQ', { req: exCq(), respRoom: 8 });
  });

  it('room without a response address answers EINVAL; neither is a command without an answer', async () => {
    const r = await WriteRig.open();
    await r.fails(EINVAL, 'EX_CREATE_CQ', { req: exCq(), response: 0 });
    await r.fails(EINVAL, 'EX_CREATE_CQ', { req: exCq(), respRoom: 0, response: 0, providerOutWords: 1 });
    r.ok(await r.write('EX_CREATE_CQ', { req: exCq(), respRoom: 0, response: 0 }));
    expect(coreState(r.device).count('CQ')).toBe(1);
  });

  it('response room that is not mapped answers EFAULT before the command runs', async () => {
    const r = await WriteRig.open();
    await r.fails(EFAULT, 'EX_CREATE_CQ', { req: exCq(), response: 0x3000 });
    expect(coreState(r.device).count('CQ')).toBe(0);
  });

  it('room past the response struct is zeroed; driver room past the core room is left alone', async () => {
    const r = await WriteRig.open();
    r.ok(await r.write('EX_CREATE_CQ', { req: exCq(), respRoom: 24, driverOutRoom: 8 }));
    expect([...r.respMap.bytes.subarray(16, 24)]).toEqual(new Array(8).fill(0));
    expect([...r.respMap.bytes.subarray(24, 32)]).toEqual(new Array(8).fill(0xee));
  });
});
