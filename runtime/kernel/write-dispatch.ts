/**
 * The write() dispatcher (ib_uverbs_write): the command header, the lookup of the
 * command in the generated write() table (uapi_get_method), the size checks of
 * verify_hdr, the core and driver buffers, then the device's handler through the same
 * objects, locks and release rules as ioctl. Also the ioctl route to the same
 * commands, DEVICE's INVOKE_WRITE. Every call ends in the byte count or one -errno.
 */
import { NO_OBJECT, type WriteSpec } from './contract.js';
import type { Bundle } from './bundle.js';
import { noteInternalError } from './dispatch.js';
import type { Device } from './device.js';
import { EFAULT, EINVAL, EIO, ENOSPC, EOPNOTSUPP, UverbsError, fail } from '../abi/errno.js';
import type { UverbsFile } from './uverbs-file.js';
import { Udata } from './udata.js';
import {
  CMD_HDR_COMMAND, CMD_HDR_IN_WORDS, CMD_HDR_OUT_WORDS, CMD_HDR_SIZE, EX_HDR_PROVIDER_IN_WORDS, EX_HDR_PROVIDER_OUT_WORDS,
  EX_HDR_RESERVED, EX_HDR_RESPONSE, EX_HDR_SIZE, IB_USER_VERBS_CMD_COMMAND_MASK, IB_USER_VERBS_CMD_FLAG_EXTENDED, TWO_32,
} from '../abi/wire.js';
import { WriteBundle } from './write-bundle.js';

/**
 * uapi->notsupp_method: what a number in range without a command of the device gets.
 * It is a plain command with no request, so the header is checked as such, and then
 * it answers EOPNOTSUPP.
 */
const NOT_SUPPORTED: WriteSpec = {
  command: -1, extended: false, name: 'unsupported command', handler: '', reqSize: 0, reqStructSize: 0, respSize: 0, respStructSize: 0,
  hasResp: false, hasUdata: false, creates: NO_OBJECT, destroys: NO_OBJECT,
};

/**
 * uapi_get_method: EINVAL for bits outside the command byte and the extended flag,
 * EOPNOTSUPP beyond the last command of the table; a hole in the table, a command
 * Linux never implemented, or one the device does not implement is NOT_SUPPORTED.
 */
export function writeMethod(device: Device, command: number): WriteSpec {
  const c = command >>> 0;
  if ((c & ~(IB_USER_VERBS_CMD_COMMAND_MASK | IB_USER_VERBS_CMD_FLAG_EXTENDED)) >>> 0 !== 0) {
    fail(EINVAL, `command 0x${c.toString(16)} has bits outside the command byte and the extended flag`);
  }
  const extended = (c & IB_USER_VERBS_CMD_FLAG_EXTENDED) !== 0;
  const index = c & IB_USER_VERBS_CMD_COMMAND_MASK;
  const table = extended ? device.uapi.writeEx : device.uapi.write;
  if (index >= table.length) fail(EOPNOTSUPP, `no ${extended ? 'extended ' : ''}write() command ${index}`);
  const w = table[index];
  return w && device.writeHandler(w) ? w : NOT_SUPPORTED;
}

/** The two headers of a command as read from user memory. */
interface Header {
  command: number;
  inWords: number;
  outWords: number;
  response: number;
  providerInWords: number;
  providerOutWords: number;
  reserved: number;
}

/** verify_hdr: the lengths against the write's byte count and the command's sizes. */
function verifyHeader(h: Header, count: number, m: WriteSpec): void {
  if (m.extended) {
    const body = count - CMD_HDR_SIZE - EX_HDR_SIZE;
    if ((h.inWords + h.providerInWords) * 8 !== body) fail(EINVAL, `in_words ${h.inWords} + provider_in_words ${h.providerInWords} make ${(h.inWords + h.providerInWords) * 8} bytes, the write has ${body} after the headers`);
    if (h.inWords * 8 < m.reqSize) fail(ENOSPC, `${m.name}: the request is ${h.inWords * 8} bytes, at least ${m.reqSize} are needed`);
    if (h.reserved !== 0) fail(EINVAL, 'cmd_hdr_reserved is not zero');
    if (h.response !== 0) {
      if (h.outWords === 0 && h.providerOutWords === 0) fail(EINVAL, 'a response address with no room for a response');
      if (h.outWords * 8 < m.respSize) fail(ENOSPC, `${m.name}: room for ${h.outWords * 8} bytes of response, at least ${m.respSize} are needed`);
    } else if (h.outWords !== 0 || h.providerOutWords !== 0) {
      fail(EINVAL, 'room for a response but no response address');
    }
    return;
  }
  if (h.inWords * 4 !== count) fail(EINVAL, `in_words ${h.inWords} make ${h.inWords * 4} bytes, the write has ${count}`);
  if (count < m.reqSize + CMD_HDR_SIZE) {
    // rdma-core v18 and v19 sent DESTROY_CQ as 16 bytes instead of 24; Linux still takes it.
    if (m.name === 'DESTROY_CQ' && count === 16) {
      h.inWords = 6;
      return;
    }
    fail(ENOSPC, `${m.name}: the request is ${count - CMD_HDR_SIZE} bytes, at least ${m.reqSize} are needed`);
  }
  if (h.outWords * 4 < m.respSize) fail(ENOSPC, `${m.name}: room for ${h.outWords * 4} bytes of response, at least ${m.respSize} are needed`);
}

/** write(2) on a uverbs file: the byte count, or -errno. */
export async function dispatchWrite(file: UverbsFile, addr: number, count: number): Promise<number> {
  try {
    await runWrite(file, addr, count);
    return count;
  } catch (e) {
    if (e instanceof UverbsError) return -e.errno;
    // A handler bug must not escape either: the kernel would oops; we answer EIO and keep it for tests.
    noteInternalError(e);
    return -EIO;
  }
}

async function runWrite(file: UverbsFile, addr: number, count: number): Promise<void> {
  if (count < CMD_HDR_SIZE) fail(EINVAL, `a write() of ${count} bytes is shorter than the command header`);
  const memory = file.process.memory;
  const hv = memory.access(addr, CMD_HDR_SIZE, 'write() command header');
  const h: Header = {
    command: hv.view.getUint32(hv.offset + CMD_HDR_COMMAND, true),
    inWords: hv.view.getUint16(hv.offset + CMD_HDR_IN_WORDS, true),
    outWords: hv.view.getUint16(hv.offset + CMD_HDR_OUT_WORDS, true),
    response: 0, providerInWords: 0, providerOutWords: 0, reserved: 0,
  };
  const device = file.device;
  const m = writeMethod(device, h.command);
  if (m.extended) {
    if (count < CMD_HDR_SIZE + EX_HDR_SIZE) fail(EINVAL, `an extended command of ${count} bytes is shorter than its two headers`);
    const x = memory.access(addr + CMD_HDR_SIZE, EX_HDR_SIZE, 'extended command header');
    h.response = x.view.getUint32(x.offset + EX_HDR_RESPONSE, true) + x.view.getUint32(x.offset + EX_HDR_RESPONSE + 4, true) * TWO_32;
    h.providerInWords = x.view.getUint16(x.offset + EX_HDR_PROVIDER_IN_WORDS, true);
    h.providerOutWords = x.view.getUint16(x.offset + EX_HDR_PROVIDER_OUT_WORDS, true);
    h.reserved = x.view.getUint32(x.offset + EX_HDR_RESERVED, true);
  }
  verifyHeader(h, count, m);
  const room = (h.outWords + h.providerOutWords) * 8;
  if (m.extended && h.response !== 0 && !memory.find(h.response, room)) {
    fail(EFAULT, `response room of ${room} bytes at 0x${h.response.toString(16)} is not mapped`);
  }

  if (file.closing) fail(EIO, 'the file is closing');
  device.enter();
  file.enter();
  try {
    const buf = addr + CMD_HDR_SIZE;
    let ucore: Udata;
    let driver: Udata;
    if (!m.extended) {
      let inLen = h.inWords * 4 - CMD_HDR_SIZE;
      let outLen = h.outWords * 4;
      let response = 0;
      let driverIn = 0;
      let driverInLen = 0;
      let driverOut = 0;
      let driverOutLen = 0;
      if (m.hasUdata) {
        driverInLen = inLen - m.reqSize;
        inLen = m.reqSize;
        driverIn = buf + inLen;
      }
      if (m.hasResp) {
        const r = memory.access(buf, 8, `${m.name} response address`);
        response = r.view.getUint32(r.offset, true) + r.view.getUint32(r.offset + 4, true) * TWO_32;
        if (m.hasUdata) {
          driverOutLen = outLen - m.respSize;
          outLen = m.respSize;
          driverOut = response + outLen;
        }
      }
      ucore = new Udata(memory, buf, inLen, response, m.hasResp ? outLen : 0);
      driver = new Udata(memory, driverIn, driverInLen, driverOut, driverOutLen);
    } else {
      const body = buf + EX_HDR_SIZE;
      const inLen = h.inWords * 8;
      const outLen = h.outWords * 8;
      ucore = new Udata(memory, body, inLen, h.response, outLen);
      driver = new Udata(memory, body + inLen, h.providerInWords * 8, h.response + outLen, h.providerOutWords * 8);
    }
    await runWriteHandler(new WriteBundle(file, m, ucore, driver));
  } finally {
    file.leave();
    device.leave();
  }
}

/** The handler of a checked command, then commit or abort of what it created and unlock of what it looked up. */
async function runWriteHandler(wb: WriteBundle): Promise<void> {
  const handler = wb.device.writeHandler(wb.command);
  if (!handler) fail(EOPNOTSUPP, `the device does not implement write() command ${wb.command.name}`);
  let ok = false;
  try {
    await handler(wb);
    ok = true;
  } finally {
    wb.finish(ok);
  }
}

/** The attribute ids of DEVICE's INVOKE_WRITE (UVERBS_ATTR_CORE_IN and its kin). */
export interface InvokeWriteIds {
  readonly coreIn: number;
  readonly coreOut: number;
  readonly writeCmd: number;
  readonly uhwIn: number;
  readonly uhwOut: number;
}

/**
 * INVOKE_WRITE: the write() command `write_cmd` names, with its core request in
 * CORE_IN, its response room in CORE_OUT and its driver data in UHW_IN/UHW_OUT. The
 * command's own checks and handler run as through write(); what it creates is
 * committed only if it succeeds.
 */
export async function invokeWrite(b: Bundle, ids: InvokeWriteIds): Promise<void> {
  const cmd = Number(b.constIn(ids.writeCmd, 0xffff_ffffn));
  const m = writeMethod(b.device, cmd);
  const ucore = attrUdata(b, ids.coreIn, ids.coreOut, true);
  if (ucore.inLen < m.reqSize || ucore.outLen < m.respSize) {
    fail(ENOSPC, `${m.name}: core_in has ${ucore.inLen} bytes (at least ${m.reqSize}), core_out ${ucore.outLen} (at least ${m.respSize})`);
  }
  await runWriteHandler(new WriteBundle(b.file, m, ucore, attrUdata(b, ids.uhwIn, ids.uhwOut, false)));
}

/** uverbs_fill_udata: a request and response room from two pointer attributes, either of which may be absent. */
function attrUdata(b: Bundle, inId: number, outId: number, markOut: boolean): Udata {
  const hasIn = b.has(inId);
  const inLen = hasIn ? b.len(inId) : 0;
  const inline = hasIn && inLen <= 8 ? b.input(inId) : undefined;
  const inAddr = hasIn && inLen > 8 ? b.pointer(inId) : 0;
  const hasOut = b.has(outId);
  return new Udata(
    b.memory, inAddr, inLen, hasOut ? b.pointer(outId) : 0, hasOut ? b.len(outId) : 0, inline,
    markOut && hasOut ? () => b.markOutput(outId) : undefined,
  );
}
