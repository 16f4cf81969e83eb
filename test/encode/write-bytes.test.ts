/**
 * Byte-exact write() encodings against hand-computed bytes of the C layout, as
 * rdma-core fills them (libibverbs cmd_write.h): struct ib_uverbs_cmd_hdr (command,
 * in_words and out_words in 4-byte words, header included) then the request whose
 * first field is the response address; for an extended command the command has
 * IB_USER_VERBS_CMD_FLAG_EXTENDED, ib_uverbs_ex_cmd_hdr follows, and the words are
 * 8 bytes, core and driver counted apart. The buffer lives at user address
 * 0x7f0000001000; the response room starts at the first 8-byte boundary after the
 * bytes written.
 */
import { describe, expect, it } from 'vitest';
import { IoctlBuffer } from '../../runtime/user/ioctl-buffer.js';
import {
  IB_UVERBS_SGE_SIZE, encodeIbUverbsSge, encodeWriteAllocPd, encodeWriteCreateCq, encodeWriteCreateQp, encodeWriteExCreateCq,
  encodeWriteModifyQp, encodeWritePostSend, encodeWriteRegMr,
} from '../../generated/core/index.js';

const ADDR = 0x7f00_0000_1000;
const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
/** Hand-written bytes, spaces and comments allowed. */
const bytes = (text: string): string => hex(Uint8Array.from(text.replace(/#.*$/gm, '').trim().split(/\s+/), (x) => parseInt(x, 16)));

function encoded(encode: (buf: IoctlBuffer) => number): { used: number; hex: string; buf: IoctlBuffer } {
  const buf = new IoctlBuffer(512, ADDR);
  buf.bytes.fill(0xee); // whatever was there before must not show
  const used = encode(buf);
  return { used, hex: hex(buf.bytes.subarray(0, used)), buf };
}

describe('byte-exact write() encodings', () => {
  it('ALLOC_PD with room for mlx5_ib_alloc_pd_resp, as ibv_cmd_alloc_pd sends it', () => {
    const { used, hex: h, buf } = encoded((b) => encodeWriteAllocPd(b, {}, { driverOutLen: 4 }));
    expect(used).toBe(16);
    expect(h).toBe(bytes(`
      03 00 00 00 04 00 02 00   # ALLOC_PD (3), in_words 4 (16 bytes), out_words 2 (core 4 + driver 4)
      10 10 00 00 00 7f 00 00   # response: 0x7f0000001010
    `));
    expect(hex(buf.bytes.subarray(16, 24))).toBe(bytes('00 00 00 00 00 00 00 00')); // the room, zeroed
  });

  it('CREATE_CQ with 16 bytes of driver data and 8 of driver response room', () => {
    const driverIn = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
    const { used, hex: h } = encoded((b) => encodeWriteCreateCq(b, { userHandle: 0x55d0c0ffee00n, cqe: 16, compVector: 0, compChannel: -1 }, { driverIn, driverOutLen: 8 }));
    expect(used).toBe(56);
    expect(h).toBe(bytes(`
      12 00 00 00 0e 00 04 00   # CREATE_CQ (18), in_words 14 (56 bytes), out_words 4 (core 8 + driver 8)
      38 10 00 00 00 7f 00 00   # response: 0x7f0000001038
      00 ee ff c0 d0 55 00 00   # user_handle
      10 00 00 00 00 00 00 00   # cqe 16, comp_vector 0
      ff ff ff ff 00 00 00 00   # comp_channel -1, reserved
      01 02 03 04 05 06 07 08   # driver data
      09 0a 0b 0c 0d 0e 0f 10
    `));
  });

  it('EX_CREATE_CQ as ibv_cmd_create_cq_ex sends it through write()', () => {
    const { used, hex: h } = encoded((b) => encodeWriteExCreateCq(b, { userHandle: 0x55d0c0ffee00n, cqe: 16, compVector: 0, compChannel: 3, flags: 1 }));
    expect(used).toBe(56);
    expect(h).toBe(bytes(`
      12 00 00 80 04 00 02 00   # EXTENDED | CREATE_CQ (18), in_words 4 (32 bytes), out_words 2 (16 bytes)
      38 10 00 00 00 7f 00 00   # ex_cmd_hdr.response: 0x7f0000001038
      00 00 00 00 00 00 00 00   # provider_in_words 0, provider_out_words 0, cmd_hdr_reserved 0
      00 ee ff c0 d0 55 00 00   # user_handle
      10 00 00 00 00 00 00 00   # cqe 16, comp_vector 0
      03 00 00 00 00 00 00 00   # comp_channel 3, comp_mask 0
      01 00 00 00 00 00 00 00   # flags: IB_UVERBS_CQ_FLAGS_TIMESTAMP_COMPLETION, reserved
    `));
  });

  it('CREATE_QP of an RC QP with 8 bytes of driver data each way', () => {
    const { used, hex: h } = encoded((b) => encodeWriteCreateQp(b, {
      userHandle: 0x55d0c0ffe000n, pdHandle: 1, sendCqHandle: 2, recvCqHandle: 2, srqHandle: 0, maxSendWr: 64, maxRecvWr: 64,
      maxSendSge: 1, maxRecvSge: 1, maxInlineData: 0, sqSigAll: 0, qpType: 2, isSrq: 0,
    }, { driverIn: new Uint8Array(8).fill(0xaa), driverOutLen: 8 }));
    expect(used).toBe(72);
    expect(h).toBe(bytes(`
      18 00 00 00 12 00 0a 00   # CREATE_QP (24), in_words 18 (72 bytes), out_words 10 (core 32 + driver 8)
      48 10 00 00 00 7f 00 00   # response: 0x7f0000001048
      00 e0 ff c0 d0 55 00 00   # user_handle
      01 00 00 00 02 00 00 00   # pd_handle 1, send_cq_handle 2
      02 00 00 00 00 00 00 00   # recv_cq_handle 2, srq_handle 0
      40 00 00 00 40 00 00 00   # max_send_wr 64, max_recv_wr 64
      01 00 00 00 01 00 00 00   # max_send_sge 1, max_recv_sge 1
      00 00 00 00 00 02 00 00   # max_inline_data 0, sq_sig_all 0, qp_type 2 (RC), is_srq 0, reserved
      aa aa aa aa aa aa aa aa   # driver data
    `));
  });

  it('MODIFY_QP from RESET to INIT, as ibv_cmd_modify_qp sends it (no response)', () => {
    const { used, hex: h } = encoded((b) => encodeWriteModifyQp(b, { qpHandle: 5, attrMask: 0x39, qpAccessFlags: 7, pkeyIndex: 0, qpState: 1, portNum: 1 }));
    expect(used).toBe(120);
    expect(h).toBe(bytes(`
      1a 00 00 00 1e 00 00 00   # MODIFY_QP (26), in_words 30 (120 bytes), out_words 0
      ${'00 '.repeat(64)}       # dest, alt_dest (struct ib_uverbs_qp_dest, 32 bytes each)
      05 00 00 00 39 00 00 00   # qp_handle 5, attr_mask STATE | ACCESS_FLAGS | PKEY_INDEX | PORT
      00 00 00 00 00 00 00 00   # qkey, rq_psn
      00 00 00 00 00 00 00 00   # sq_psn, dest_qp_num
      07 00 00 00 00 00 00 00   # qp_access_flags, pkey_index, alt_pkey_index
      01 00 00 00 00 00 00 00   # qp_state INIT, cur_qp_state, path_mtu, path_mig_state, en_sqd_async_notify, max_rd_atomic, max_dest_rd_atomic, min_rnr_timer
      01 00 00 00 00 00 00 00   # port_num 1, timeout, retry_cnt, rnr_retry, alt_port_num, alt_timeout, reserved[2]
    `));
  });

  it('POST_SEND of one RDMA write with one SGE, as ibv_cmd_post_send lays it out', () => {
    const sge = new Uint8Array(IB_UVERBS_SGE_SIZE);
    encodeIbUverbsSge(new DataView(sge.buffer), 0, { addr: 0x7f11_0000_0000, length: 64, lkey: 0x77 });
    const { used, hex: h } = encoded((b) => encodeWritePostSend(b, { qpHandle: 5, wrCount: 1, sgeCount: 1, wqeSize: 56 }, {
      sendWr: [{ wrId: 0x1234, numSge: 1, opcode: 0, sendFlags: 2, wr: { rdma: { remoteAddr: 0x7f12_0000_0000, rkey: 0x99 } } }],
      tail: sge,
    }));
    expect(used).toBe(104);
    expect(h).toBe(bytes(`
      1c 00 00 00 1a 00 01 00   # POST_SEND (28), in_words 26 (104 bytes), out_words 1
      68 10 00 00 00 7f 00 00   # response: 0x7f0000001068
      05 00 00 00 01 00 00 00   # qp_handle 5, wr_count 1
      01 00 00 00 38 00 00 00   # sge_count 1, wqe_size 56
      34 12 00 00 00 00 00 00   # send_wr[0]: wr_id
      01 00 00 00 00 00 00 00   #   num_sge 1, opcode IB_UVERBS_WR_RDMA_WRITE
      02 00 00 00 00 00 00 00   #   send_flags SIGNALED, ex
      00 00 00 00 12 7f 00 00   #   wr.rdma.remote_addr
      99 00 00 00 00 00 00 00   #   wr.rdma.rkey, reserved
      00 00 00 00 00 00 00 00   #   the rest of the wr union (32 bytes)
      00 00 00 00 00 00 00 00
      00 00 00 00 11 7f 00 00   # sge: addr
      40 00 00 00 77 00 00 00   #   length 64, lkey
    `));
  });

  it('REG_MR as ibv_cmd_reg_mr sends it', () => {
    const { used, hex: h } = encoded((b) => encodeWriteRegMr(b, { start: 0x7f12_3456_0000, length: 0x10000, hcaVa: 0x7f12_3456_0000, pdHandle: 1, accessFlags: 7 }));
    expect(used).toBe(48);
    expect(h).toBe(bytes(`
      09 00 00 00 0c 00 03 00   # REG_MR (9), in_words 12 (48 bytes), out_words 3 (12 bytes)
      30 10 00 00 00 7f 00 00   # response: 0x7f0000001030
      00 00 56 34 12 7f 00 00   # start
      00 00 01 00 00 00 00 00   # length 0x10000
      00 00 56 34 12 7f 00 00   # hca_va
      01 00 00 00 07 00 00 00   # pd_handle 1, access_flags LOCAL_WRITE | REMOTE_WRITE | REMOTE_READ
    `));
  });

  it('refuses driver data that is not a whole number of words, before writing anything', () => {
    const buf = new IoctlBuffer(512, ADDR);
    expect(() => encodeWriteAllocPd(buf, {}, { driverIn: new Uint8Array(6) })).toThrow('ALLOC_PD driverIn is 6 bytes, not a whole number of 4-byte words');
    expect(() => encodeWriteExCreateCq(buf, {}, { driverOutLen: 4 })).toThrow('EX_CREATE_CQ driverOutLen is 4 bytes, not a whole number of 8-byte words');
    expect(buf.bytes.every((b) => b === 0)).toBe(true);
  });

  it('asks for a larger buffer when the command and its response room do not fit', () => {
    const buf = new IoctlBuffer(48, ADDR);
    expect(() => encodeWriteRegMr(buf, {})).toThrow('write REG_MR needs 60 bytes but the IoctlBuffer holds 48');
  });
});
