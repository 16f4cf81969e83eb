/**
 * write() commands of XRC domains: OPEN_XRCD and CLOSE_XRCD. A domain opened through a
 * file is shared by every open of that file's inode, from any uverbs file of the
 * device; without a file (fd -1) it is the opener's alone.
 */
import { UVERBS_OBJECT } from '../../../../generated/core/ids.js';
import { decodeIbUverbsCloseXrcd, decodeIbUverbsOpenXrcd, encodeIbUverbsOpenXrcdResp } from '../../../../generated/core/structs.js';
import type { WriteHandler } from '../../../kernel/device.js';
import { EAGAIN, EBADF, EINVAL, fail } from '../../../abi/errno.js';
import { newXrcd } from '../pd.js';
import type { CoreState } from '../state.js';
import { destroyCommand, typeOf } from './common.js';

/** open(2)'s O_CREAT in OPEN_XRCD's oflags: make the file's domain if it has none. */
export const O_CREAT = 0o100;
/** open(2)'s O_EXCL in OPEN_XRCD's oflags: refuse a file that has a domain already. */
export const O_EXCL = 0o200;
/** OPEN_XRCD's fd for "no file": -1 in a u32. */
const NO_FD = 0xffff_ffff;

/** The write() handlers of XRC domains, over `s`. */
export function xrcdWriteHandlers(s: CoreState): Record<'writeOpenXrcd' | 'writeCloseXrcd', WriteHandler> {
  return {
    /**
     * ib_uverbs_open_xrcd: with a file, EBADF when the fd is not open, EAGAIN when its
     * inode has no domain yet and O_CREAT is not given, EINVAL when it has one and
     * O_EXCL is given; all before the object is allocated.
     */
    writeOpenXrcd(wb) {
      const cmd = wb.request(decodeIbUverbsOpenXrcd);
      let inode: object | undefined;
      if (cmd.fd !== NO_FD) {
        inode = wb.file.process.inodeOf(cmd.fd);
        if (inode === undefined) fail(EBADF, `fd ${cmd.fd} is not open`);
        const exists = s.xrcdTable.has(inode);
        if (!exists && (cmd.oflags & O_CREAT) === 0) fail(EAGAIN, `no XRC domain is open on fd ${cmd.fd}'s file and O_CREAT is not given`);
        if (exists && (cmd.oflags & O_EXCL) !== 0) fail(EINVAL, `an XRC domain is open on fd ${cmd.fd}'s file and O_EXCL is given`);
      }
      const u = wb.create(typeOf(wb, UVERBS_OBJECT.XRCD));
      u.object = newXrcd(s, inode);
      wb.respond((v, o) => encodeIbUverbsOpenXrcdResp(v, o, { xrcdHandle: u.id }));
    },

    writeCloseXrcd: destroyCommand(UVERBS_OBJECT.XRCD, decodeIbUverbsCloseXrcd, (c) => c.xrcdHandle),
  };
}
