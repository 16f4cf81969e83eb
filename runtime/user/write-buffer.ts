/**
 * The user side of a write() command, in the same reusable IoctlBuffer the ioctl
 * encoders use: the command header (and the extended header), the core request, the
 * driver data, then, 8-byte aligned after the bytes to write, the room the kernel
 * writes the response into. Generated encoders call the primitives below; generated
 * decoders and the write caller find the parts again with writeLayout(), from the
 * header alone, as the kernel does.
 *
 *   plain:     cmd_hdr | request (response address first) | driver data     | ... | core response | driver response
 *   extended:  cmd_hdr | ex_cmd_hdr (response address)     | request | driver data | ... | core response | driver response
 */
import type { IoctlBuffer } from './ioctl-buffer.js';
import {
  CMD_HDR_COMMAND, CMD_HDR_IN_WORDS, CMD_HDR_OUT_WORDS, CMD_HDR_SIZE, EX_HDR_PROVIDER_IN_WORDS, EX_HDR_PROVIDER_OUT_WORDS,
  EX_HDR_RESERVED, EX_HDR_RESPONSE, EX_HDR_SIZE, IB_USER_VERBS_CMD_FLAG_EXTENDED, TWO_32,
} from '../abi/wire.js';

/** What is known of a command beyond its header: generated per command (WRITE_INFO in generated/<driver>/write.ts). */
export interface WriteCommandInfo {
  /** The spec's name, e.g. "ALLOC_PD" or "EX_CREATE_CQ". */
  readonly name: string;
  /** sizeof the request struct; for a plain command with driver data, where the driver's request starts. */
  readonly requestSize: number;
  /** sizeof the response struct, 0 without a response; for a plain command with driver data, where the driver's response starts. */
  readonly responseSize: number;
  /** The request and response may be followed by driver data (udata). */
  readonly driverData: boolean;
}

/** Where the parts of an encoded command lie: offsets into the buffer, the response by user address. */
export interface WriteLayout {
  /** ib_uverbs_cmd_hdr.command as sent: the number, with IB_USER_VERBS_CMD_FLAG_EXTENDED for an extended command. */
  readonly command: number;
  readonly extended: boolean;
  /** Offset and length of the core request (a plain command's starts with its response address). */
  readonly coreIn: number;
  readonly coreInLen: number;
  /** Offset and length of the driver's request. */
  readonly driverIn: number;
  readonly driverInLen: number;
  /** User address of the response room (0 without one), the core response's room and the driver's after it. */
  readonly response: number;
  readonly coreOutLen: number;
  readonly driverOutLen: number;
}

/** The byte count of `len` bytes in `word`-byte words; RangeError when it is not a whole number of them. */
export function writeWords(len: number, word: 4 | 8, what: string): number {
  if (len % word !== 0) throw new RangeError(`${what} is ${len} bytes, not a whole number of ${word}-byte words`);
  return len / word;
}

/** ib_uverbs_cmd_hdr at offset 0. */
export function putCmdHdr(v: DataView, command: number, inWords: number, outWords: number): void {
  if (inWords > 0xffff || outWords > 0xffff) throw new RangeError(`in_words ${inWords} or out_words ${outWords} does not fit the header's 16 bits`);
  v.setUint32(CMD_HDR_COMMAND, command >>> 0, true);
  v.setUint16(CMD_HDR_IN_WORDS, inWords, true);
  v.setUint16(CMD_HDR_OUT_WORDS, outWords, true);
}

/** ib_uverbs_ex_cmd_hdr right after the command header. */
export function putExCmdHdr(v: DataView, response: number, providerInWords: number, providerOutWords: number): void {
  if (providerInWords > 0xffff || providerOutWords > 0xffff) {
    throw new RangeError(`provider_in_words ${providerInWords} or provider_out_words ${providerOutWords} does not fit the header's 16 bits`);
  }
  const o = CMD_HDR_SIZE;
  v.setUint32(o + EX_HDR_RESPONSE, response >>> 0, true);
  v.setUint32(o + EX_HDR_RESPONSE + 4, Math.floor(response / TWO_32) >>> 0, true);
  v.setUint16(o + EX_HDR_PROVIDER_IN_WORDS, providerInWords, true);
  v.setUint16(o + EX_HDR_PROVIDER_OUT_WORDS, providerOutWords, true);
  v.setUint32(o + EX_HDR_RESERVED, 0, true);
}

const u64At = (v: DataView, o: number): number => v.getUint32(o, true) + v.getUint32(o + 4, true) * TWO_32;

/**
 * The parts of the command encoded in `buf`, read from its header as the kernel splits
 * them (ib_uverbs_write): an extended command by its word counts; a plain one by
 * in_words and out_words, its core request and response being the structs' sizes when it
 * has driver data and everything otherwise.
 */
export function writeLayout(buf: IoctlBuffer, info: WriteCommandInfo): WriteLayout {
  const v = buf.view;
  if (buf.capacity < CMD_HDR_SIZE) throw new RangeError(`${info.name}: the buffer cannot hold a command header`);
  const command = v.getUint32(CMD_HDR_COMMAND, true);
  const inWords = v.getUint16(CMD_HDR_IN_WORDS, true);
  const outWords = v.getUint16(CMD_HDR_OUT_WORDS, true);
  if ((command & IB_USER_VERBS_CMD_FLAG_EXTENDED) !== 0) {
    const x = CMD_HDR_SIZE;
    const coreIn = CMD_HDR_SIZE + EX_HDR_SIZE;
    return {
      command, extended: true, coreIn, coreInLen: inWords * 8,
      driverIn: coreIn + inWords * 8, driverInLen: v.getUint16(x + EX_HDR_PROVIDER_IN_WORDS, true) * 8,
      response: u64At(v, x + EX_HDR_RESPONSE), coreOutLen: outWords * 8, driverOutLen: v.getUint16(x + EX_HDR_PROVIDER_OUT_WORDS, true) * 8,
    };
  }
  const inLen = inWords * 4 - CMD_HDR_SIZE;
  const outLen = outWords * 4;
  const coreInLen = info.driverData ? Math.min(info.requestSize, inLen) : inLen;
  const coreOutLen = info.driverData && info.responseSize > 0 ? Math.min(info.responseSize, outLen) : outLen;
  return {
    command, extended: false, coreIn: CMD_HDR_SIZE, coreInLen, driverIn: CMD_HDR_SIZE + coreInLen, driverInLen: inLen - coreInLen,
    response: info.responseSize > 0 && inLen >= 8 ? u64At(v, CMD_HDR_SIZE) : 0, coreOutLen, driverOutLen: outLen - coreOutLen,
  };
}

/** Where the response of the command in `buf` is, resolved in the buffer or the memory it can reach. */
export interface WriteResponse {
  readonly view: DataView;
  /** Offset of the core response in `view`. */
  readonly offset: number;
  readonly coreLen: number;
  /** The driver's response follows the core response's room. */
  readonly driverLen: number;
}

/**
 * The response room of the command in `buf`, for its decoder; RangeError when the room
 * is shorter than the response struct or lies in memory `buf` cannot resolve.
 */
export function writeResponse(buf: IoctlBuffer, info: WriteCommandInfo): WriteResponse {
  const l = writeLayout(buf, info);
  if (l.coreOutLen < info.responseSize) {
    throw new RangeError(`${info.name}: the response room has ${l.coreOutLen} bytes, the response struct needs ${info.responseSize}`);
  }
  const total = l.coreOutLen + l.driverOutLen;
  const r = buf.resolve(l.response, total);
  if (!r) throw new RangeError(`${info.name}: the response room (${total} bytes at user address 0x${l.response.toString(16)}) is outside the buffer and no user memory resolves it`);
  return { view: r.view, offset: r.offset, coreLen: l.coreOutLen, driverLen: l.driverOutLen };
}
