/**
 * The mixed flow, through both generated clients on one uverbs fd: a context and
 * a PD by write(), CQs and QPs by ioctl, the QPs taken RESET -> INIT -> RTR -> RTS by
 * write() MODIFY_QP and read back by QUERY_QP, then everything destroyed, each object by
 * the path that did not create it where both exist. One object model, one IDR.
 */
import { describe, expect, it } from 'vitest';
import * as core from '../../generated/core/index.js';
import { createCoreDevice, coreState, Mtu, QpAttrMask as M, QpState } from '../../runtime/emulated/core/index.js';
import { Process } from '../../runtime/process/process.js';
import { UverbsCallError } from '../../runtime/user/transport.js';
import { inProcess } from '../../runtime/process/in-process.js';

const IB_PORT = 1;
const IB_LID = 7; // port 1 of the default device is InfiniBand with LID 7

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof UverbsCallError) return `${e.type}.${e.action} ${e.errnoName}`;
    throw e;
  }
  throw new Error('the call succeeded');
}

describe('write() and ioctl on one file', () => {
  it('PD by write, CQ and QP by ioctl, QPs to RTS by write, all destroyed across the paths', async () => {
    const device = createCoreDevice();
    const proc = new Process();
    const fd = proc.open(device);
    const transport = inProcess(proc);
    const ioctl = new core.CoreClient(transport, fd);
    const write = new core.CoreWriteClient(transport, fd);

    await write.getContext();
    const pd = (await write.allocPd()).response.pdHandle;
    const cq = (await ioctl.cqCreate({ cqe: 32, userHandle: 0xc0n, compVector: 0 })).handle;
    const qp = async (): Promise<{ handle: number; qpn: number }> => {
      const out = await ioctl.qpCreate({
        pdHandle: pd, sendCqHandle: cq, recvCqHandle: cq, userHandle: 0n, type: core.IB_UVERBS_QP_TYPE.IB_UVERBS_QPT_RC, flags: 0,
        cap: { maxSendWr: 8, maxRecvWr: 8, maxSendSge: 1, maxRecvSge: 1, maxInlineData: 0 },
      });
      return { handle: out.handle, qpn: out.respQpNum };
    };
    const a = await qp();
    const b = await qp();

    for (const [x, peer] of [[a, b], [b, a]] as const) {
      await write.modifyQp({
        qpHandle: x.handle, attrMask: M.STATE | M.PKEY_INDEX | M.PORT | M.ACCESS_FLAGS,
        qpState: QpState.INIT, pkeyIndex: 0, portNum: IB_PORT, qpAccessFlags: core.IB_UVERBS_ACCESS_FLAGS.IB_UVERBS_ACCESS_REMOTE_WRITE,
      });
      await write.modifyQp({
        qpHandle: x.handle, attrMask: M.STATE | M.AV | M.PATH_MTU | M.DEST_QPN | M.RQ_PSN | M.MAX_DEST_RD_ATOMIC | M.MIN_RNR_TIMER,
        qpState: QpState.RTR, dest: { dlid: IB_LID, sl: 0, portNum: IB_PORT }, pathMtu: Mtu.MTU_1024, destQpNum: peer.qpn, rqPsn: 1,
        maxDestRdAtomic: 1, minRnrTimer: 12,
      });
      await write.modifyQp({
        qpHandle: x.handle, attrMask: M.STATE | M.SQ_PSN | M.TIMEOUT | M.RETRY_CNT | M.RNR_RETRY | M.MAX_QP_RD_ATOMIC,
        qpState: QpState.RTS, sqPsn: 1, timeout: 14, retryCnt: 7, rnrRetry: 7, maxRdAtomic: 1,
      });
      const q = (await write.queryQp({ qpHandle: x.handle, attrMask: M.STATE | M.DEST_QPN })).response;
      expect([q.qpState, q.destQpNum]).toEqual([QpState.RTS, peer.qpn]);
    }
    // A skipped state is refused, and the QP stays where it was.
    expect(await refusal(write.modifyQp({ qpHandle: a.handle, attrMask: M.STATE, qpState: QpState.RTR }))).toBe('write.MODIFY_QP EINVAL');

    // The PD and CQ made on different paths are held by the QPs: neither path may destroy them yet.
    expect(await refusal(ioctl.pdDestroy({ handle: pd }))).toBe('PD.PD_DESTROY EBUSY');
    expect(await refusal(write.destroyCq({ cqHandle: cq }))).toBe('write.DESTROY_CQ EBUSY');

    await ioctl.qpDestroy({ handle: a.handle });
    await write.destroyQp({ qpHandle: b.handle });
    await write.destroyCq({ cqHandle: cq });
    await ioctl.pdDestroy({ handle: pd });
    expect([...coreState(device).liveObjects().keys()]).toEqual(['ASYNC_EVENT']);
    await proc.close(fd);
    expect(coreState(device).liveObjects().size).toBe(0);
    expect(device.idr.size).toBe(0);
  });
});
