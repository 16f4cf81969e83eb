/**
 * Completion notification and the event files: REQ_NOTIFY_CQ arming a CQ, completion
 * channels and async event files read through Process.read as ib_uverbs_event_read
 * answers, CQ overrun, and what destroy reports as read.
 */
import { describe, expect, it } from 'vitest';
import * as core from '../../generated/core/index.js';
import { EAGAIN, EBADF, EFAULT, EINVAL, EIO } from '../../runtime/abi/errno.js';
import {
  IbEvent, newCompChannel, pollCq, postRecv, postSend, reqNotifyCq, SendFlags, WcStatus, type CompChannel, type Cq, type SendWr,
} from '../../runtime/emulated/core/index.js';
import { posted, Rig, sge } from './loopback-rig.js';
import { objectAt } from '../../runtime/kernel/object-file.js';

const { IB_UVERBS_QP_TYPE: QPT, IB_UVERBS_WR_OPCODE: OP } = core;

/** Reads one event into fresh memory: the count read (or -errno) and the bytes. */
async function readEvent(r: Rig, fd: number, count = 64): Promise<{ n: number; bytes: Uint8Array }> {
  const m = r.s.map(64);
  const n = await r.s.process.read(fd, m.addr, count);
  return { n, bytes: m.bytes.slice(0, Math.max(n, 0)) };
}

function u64(bytes: Uint8Array, at = 0): bigint {
  return new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(at, true);
}

/** A connected RC pair whose receiving side's CQ reports to a completion channel. */
async function notifying() {
  const r = await Rig.open();
  const channelFd = r.s.create('COMP_CHANNEL', newCompChannel(r.state));
  const cqA = await r.cq();
  const cqB = await r.cq({ channelFd, userHandle: 0xfeed_f00dn });
  const a = await r.qp(QPT.IB_UVERBS_QPT_RC, { cq: cqA });
  const b = await r.qp(QPT.IB_UVERBS_QPT_RC, { cq: cqB });
  r.connect(a, b);
  const m = await r.mr(256);
  const sendTo = (wrId: bigint, sendFlags = 0): SendWr => ({ wrId, opcode: OP.IB_UVERBS_WR_SEND, sendFlags, sgList: [sge(m, 0, 4)] });
  const recv = (n: number) => posted(postRecv(r.state, b, Array.from({ length: n }, (_, i) => ({ wrId: BigInt(100 + i), sgList: [sge(m, 128, 64)] }))));
  const go = (...wrs: SendWr[]) => posted(postSend(r.state, a, wrs, r.s.process.memory));
  return { r, channelFd, cqA, cqB, a, b, m, sendTo, recv, go, channel: objectAt(r.s.process, channelFd)!.object as CompChannel };
}

describe('emulated core device: completion events and event files', () => {
  it('queues one event for the next completion of an armed CQ, read as its user_handle', async () => {
    const { r, channelFd, cqB, sendTo, recv, go } = await notifying();
    recv(3);
    go(sendTo(1n));
    expect(await r.s.process.read(channelFd, r.s.map(8).addr, 8)).toBe(-EAGAIN); // not armed: no event
    reqNotifyCq(cqB, false);
    go(sendTo(2n), sendTo(3n));
    const e = await readEvent(r, channelFd);
    expect(e.n).toBe(8);
    expect(u64(e.bytes)).toBe(0xfeed_f00dn);
    expect(await r.s.process.read(channelFd, r.s.map(8).addr, 8)).toBe(-EAGAIN); // one event: the CQ disarmed itself
    expect(pollCq(cqB, 8).map((w) => w.wrId)).toEqual([100n, 101n, 102n]);
    expect(cqB.compEventsReported).toBe(1);
  });

  it('fires a solicited-only CQ for a solicited or failed completion only', async () => {
    const { r, channelFd, cqB, b, m, sendTo, recv, go, channel } = await notifying();
    recv(2);
    reqNotifyCq(cqB, true);
    go(sendTo(1n));
    expect(channel.events).toEqual([]);
    go(sendTo(2n, SendFlags.SOLICITED));
    expect(channel.events).toEqual([cqB]);
    expect((await readEvent(r, channelFd)).n).toBe(8);
    // Armed for the next completion, a solicited-only request does not narrow it.
    reqNotifyCq(cqB, false);
    reqNotifyCq(cqB, true);
    recv(1);
    go(sendTo(3n));
    expect(channel.events).toEqual([cqB]);
    // A failure fires a solicited-only CQ: a receive too short.
    expect((await readEvent(r, channelFd)).n).toBe(8);
    reqNotifyCq(cqB, true);
    posted(postRecv(r.state, b, [{ wrId: 200n, sgList: [sge(m, 128, 2)] }]));
    go(sendTo(4n));
    expect(pollCq(cqB, 8).map((w) => [w.wrId, w.status])).toEqual([[100n, WcStatus.SUCCESS], [101n, WcStatus.SUCCESS], [100n, WcStatus.SUCCESS], [200n, WcStatus.LOC_LEN_ERR]]);
    expect(channel.events).toEqual([cqB]);
  });

  it('reads async events and reports read() errors as the kernel does', async () => {
    const r = await Rig.open();
    const ev = (await r.s.call(core.encodeAsyncEventAlloc, {}, core.decodeAsyncEventAllocOut)).fdHandle;
    const channelFd = r.s.create('COMP_CHANNEL', newCompChannel(r.state));
    const cq = await r.cq({ cqe: 1, userHandle: 0xc0n, channelFd });
    expect(cq.cqe).toBe(1);
    const a = await r.qp(QPT.IB_UVERBS_QPT_RC, { cq });
    const b = await r.qp(QPT.IB_UVERBS_QPT_RC, { cq });
    r.connect(a, b);
    const m = await r.mr(64);
    expect(await r.s.process.read(ev, r.s.map(16).addr, 16)).toBe(-EAGAIN);
    reqNotifyCq(cq, false);
    // Two signalled writes, one CQE of room: the second completion overruns the CQ.
    const write = (wrId: bigint): SendWr => ({ wrId, opcode: OP.IB_UVERBS_WR_RDMA_WRITE, sendFlags: SendFlags.SIGNALED, sgList: [sge(m, 0, 8)], rdma: { remoteAddr: m.addr + 8n, rkey: m.mr.rkey } });
    posted(postSend(r.state, a, [write(1n), write(2n)], r.s.process.memory));
    expect(cq.overrun).toBe(true);
    expect(await r.s.process.read(ev, r.s.map(16).addr, 15)).toBe(-EINVAL); // shorter than one event: it stays queued
    const e = await readEvent(r, ev, 64);
    expect(e.n).toBe(16);
    expect([u64(e.bytes), new DataView(e.bytes.buffer).getUint32(8, true), new DataView(e.bytes.buffer).getUint32(12, true)]).toEqual([0xc0n, IbEvent.CQ_ERR, 0]);
    posted(postSend(r.state, a, [write(3n)], r.s.process.memory)); // lost: the CQ is in error
    expect(pollCq(cq, 8).map((w) => [w.wrId, w.status])).toEqual([[1n, WcStatus.SUCCESS]]);

    expect(await r.s.process.read(channelFd, 0x10, 8)).toBe(-EFAULT); // unmapped: the event is gone, as in the kernel
    expect(await r.s.process.read(channelFd, r.s.map(8).addr, 8)).toBe(-EAGAIN);
    expect(await r.s.process.read(r.s.fd, r.s.map(8).addr, 8)).toBe(-EINVAL); // the uverbs file has no read
    expect(await r.s.process.read(99, r.s.map(8).addr, 8)).toBe(-EBADF);

    // DESTROY_CQ reports the events read: one completion event (lost to the fault, but read) and one async event.
    await r.s.call(core.encodeQpDestroy, { handle: r.handle(a) }, core.decodeQpDestroyOut);
    await r.s.call(core.encodeQpDestroy, { handle: r.handle(b) }, core.decodeQpDestroyOut);
    const d = await r.s.call(core.encodeCqDestroy, { handle: r.handle(cq) }, core.decodeCqDestroyOut);
    expect(d.resp).toEqual({ compEventsReported: 1, asyncEventsReported: 1 });
  });

  it('takes a destroyed CQ\'s unread events off its channel, and ends the files when the device goes', async () => {
    const { r, channelFd, cqB, b, sendTo, recv, go, channel } = await notifying();
    const ev = (await r.s.call(core.encodeAsyncEventAlloc, {}, core.decodeAsyncEventAllocOut)).fdHandle;
    recv(1);
    reqNotifyCq(cqB, false);
    go(sendTo(1n));
    expect(channel.events).toEqual([cqB]);
    await r.s.call(core.encodeQpDestroy, { handle: r.handle(b) }, core.decodeQpDestroyOut);
    const d = await r.s.call(core.encodeCqDestroy, { handle: r.handle(cqB as Cq) }, core.decodeCqDestroyOut);
    expect(d.resp).toEqual({ compEventsReported: 0, asyncEventsReported: 0 });
    expect(channel.events).toEqual([]);

    await r.s.device.remove();
    const fatal = await readEvent(r, ev, 16);
    expect([fatal.n, new DataView(fatal.bytes.buffer).getUint32(8, true)]).toEqual([16, IbEvent.DEVICE_FATAL]);
    expect(await r.s.process.read(ev, r.s.map(16).addr, 16)).toBe(-EIO);
    expect(await r.s.process.read(channelFd, r.s.map(8).addr, 8)).toBe(-EIO);
  });
});
