/**
 * write() commands of XRC domains: OPEN_XRCD (a domain of its own, or shared by the
 * opens of one file's inode, across files and processes) and CLOSE_XRCD.
 */
import { describe, expect, it } from 'vitest';
import { IB_UVERBS_SRQ_TYPE as SRQT } from '../../generated/core/enums.js';
import { EAGAIN, EBADF, EBUSY, EINVAL, ENOENT } from '../../runtime/abi/errno.js';
import { Inode } from '../../runtime/process/file.js';
import { coreState, type Xrcd } from '../../runtime/emulated/core/index.js';
import { O_CREAT, O_EXCL } from '../../runtime/emulated/core/write/xrcd.js';
import { Session } from '../emulated/helpers.js';
import { cq, handleReq, pd, srq, xrcd, xrcdReq } from './objects.js';
import { WriteRig } from './rig.js';

const close = (h: number) => ({ req: handleReq(4, 0, h) });

describe('OPEN_XRCD, CLOSE_XRCD', () => {
  it('without a file, each open is a domain of its own', async () => {
    const r = await WriteRig.open();
    const a = await xrcd(r);
    const b = await xrcd(r);
    expect(r.record<Xrcd>(a).xrcdn).not.toBe(r.record<Xrcd>(b).xrcdn);
    r.ok(await r.write('CLOSE_XRCD', close(a)));
    expect(coreState(r.device).xrcdns.has(r.record<Xrcd>(b).xrcdn)).toBe(true);
    expect(coreState(r.device).count('XRCD')).toBe(1);
  });

  it('through a file: O_CREAT makes the domain, later opens of the inode share it, from any file and process', async () => {
    const r = await WriteRig.open();
    const inode = new Inode('/tmp/xrcd');
    const fd = r.session.process.openFile(inode);
    await r.fails(EAGAIN, 'OPEN_XRCD', { req: xrcdReq(fd, 0) });
    const a = await xrcd(r, fd, O_CREAT);
    const other = await r.openFile();
    const b = await xrcd(r, r.session.process.openFile(inode), 0, other.fd);
    const far = new WriteRig(new Session(r.device));
    r.ok(await far.write('GET_CONTEXT'));
    const c = await xrcd(far, far.session.process.openFile(inode), O_CREAT);
    const n = r.record<Xrcd>(a).xrcdn;
    expect([r.record<Xrcd>(b).xrcdn, far.record<Xrcd>(c).xrcdn]).toEqual([n, n]);
    expect(coreState(r.device).xrcdTable.get(inode)?.opens).toBe(3);
    await r.fails(EINVAL, 'OPEN_XRCD', { req: xrcdReq(fd, O_CREAT | O_EXCL) });

    // The domain lives until its last open closes.
    r.ok(await r.write('CLOSE_XRCD', close(a)));
    r.ok(await r.write('CLOSE_XRCD', close(b), other.fd));
    expect(coreState(r.device).xrcdns.has(n)).toBe(true);
    r.ok(await far.write('CLOSE_XRCD', close(c)));
    expect(coreState(r.device).xrcdns.has(n)).toBe(false);
    expect(coreState(r.device).xrcdTable.size).toBe(0);
    await r.fails(EAGAIN, 'OPEN_XRCD', { req: xrcdReq(fd, 0) });
  });

  it('an fd that is not open answers EBADF; any open file has an inode (a uverbs fd: the device node)', async () => {
    const r = await WriteRig.open();
    await r.fails(EBADF, 'OPEN_XRCD', { req: xrcdReq(77, O_CREAT) });
    const a = await xrcd(r, r.session.fd, O_CREAT);
    const other = await r.openFile();
    const b = await xrcd(r, other.fd, 0);
    expect(r.record<Xrcd>(b).xrcdn).toBe(r.record<Xrcd>(a).xrcdn);
    const bare = await WriteRig.open({ context: false });
    await bare.fails(EINVAL, 'OPEN_XRCD', { req: xrcdReq(-1) });
  });

  it('a handle with QPs or SRQs made through it answers EBUSY; another open of the same domain closes', async () => {
    const r = await WriteRig.open();
    const fd = r.session.process.openFile(new Inode('/tmp/busy'));
    const a = await xrcd(r, fd, O_CREAT);
    const b = await xrcd(r, fd, 0);
    const s = await srq(r, { pdHandle: await pd(r), srqType: SRQT.IB_UVERBS_SRQT_XRC, xrcdHandle: a, cqHandle: await cq(r) });
    await r.fails(EBUSY, 'CLOSE_XRCD', close(a));
    r.ok(await r.write('CLOSE_XRCD', close(b)));
    r.ok(await r.write('DESTROY_SRQ', { req: handleReq(16, 8, s.srqHandle) }));
    r.ok(await r.write('CLOSE_XRCD', close(a)));
    await r.fails(ENOENT, 'CLOSE_XRCD', close(a));
    await r.fails(EINVAL, 'CLOSE_XRCD', close(await pd(r)));
  });
});
