/**
 * Byte-exact encodings against hand-computed bytes of the real layout: struct
 * ib_uverbs_ioctl_hdr, then struct ib_uverbs_attr in rdma-core's fill order
 * (libibverbs cmd_*.c), inline data for <= 8 bytes, pointers to payloads after the
 * attribute array. The buffer lives at user address 0x7f0000001000.
 */
import { describe, expect, it } from 'vitest';
import { IoctlBuffer } from '../../runtime/user/ioctl-buffer.js';
import { encodeCqCreate, encodeQpCreate, encodeQueryPort, encodeRegMr } from '../../generated/core/index.js';

const ADDR = 0x7f00_0000_1000;
const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
/** Hand-written bytes, one line per header half or attribute, spaces and comments allowed. */
const bytes = (text: string): string => hex(Uint8Array.from(text.replace(/#.*$/gm, '').trim().split(/\s+/), (x) => parseInt(x, 16)));

describe('byte-exact encodings', () => {
  it('CQ_CREATE as ibv_cmd_create_cq_ex sends it', () => {
    const buf = new IoctlBuffer(512, ADDR);
    const used = encodeCqCreate(buf, { cqe: 16, userHandle: 0x55d0c0ffee00n, compVector: 0, eventFd: 3 });
    expect(used).toBe(128);
    expect(hex(buf.bytes.subarray(0, 120))).toBe(bytes(`
      78 00 03 00 00 00 06 00   00 00 00 00 00 00 00 00   # length 120, CQ (3), CQ_CREATE (0), 6 attrs, reserved1
      00 00 00 00 00 00 00 00                             # driver_id 0, reserved2
      00 00 00 00 01 00 00 00   00 00 00 00 00 00 00 00   # HANDLE (0): idr new, len 0, MANDATORY
      06 00 04 00 01 00 00 00   78 10 00 00 00 7f 00 00   # RESP_CQE (6): out u32 at 0x7f0000001078
      01 00 04 00 01 00 00 00   10 00 00 00 00 00 00 00   # CQE (1): 16 inline
      02 00 08 00 01 00 00 00   00 ee ff c0 d0 55 00 00   # USER_HANDLE (2): u64 inline
      04 00 04 00 01 00 00 00   00 00 00 00 00 00 00 00   # COMP_VECTOR (4): 0 inline
      07 00 00 00 01 00 00 00   03 00 00 00 00 00 00 00   # EVENT_FD (7): fd 3
    `));
  });

  it('QP_CREATE of an RC QP as ibv_cmd_create_qp_ex2 sends it', () => {
    const buf = new IoctlBuffer(512, ADDR);
    const used = encodeQpCreate(buf, {
      pdHandle: 1, sendCqHandle: 2, recvCqHandle: 2, type: 2 /* IB_UVERBS_QPT_RC */, userHandle: 0x55d0c0ffe000n,
      cap: { maxSendWr: 64, maxRecvWr: 64, maxSendSge: 1, maxRecvSge: 1, maxInlineData: 0 }, eventFd: 3,
    });
    expect(used).toBe(240);
    expect(hex(buf.bytes.subarray(0, 204))).toBe(bytes(`
      b8 00 04 00 00 00 0a 00   00 00 00 00 00 00 00 00   # length 184, QP (4), QP_CREATE (0), 10 attrs
      00 00 00 00 00 00 00 00
      02 00 00 00 01 00 00 00   01 00 00 00 00 00 00 00   # PD_HANDLE (2): 1
      04 00 00 00 01 00 00 00   02 00 00 00 00 00 00 00   # SEND_CQ_HANDLE (4): 2
      05 00 00 00 01 00 00 00   02 00 00 00 00 00 00 00   # RECV_CQ_HANDLE (5): 2
      00 00 00 00 01 00 00 00   00 00 00 00 00 00 00 00   # HANDLE (0): new
      09 00 08 00 01 00 00 00   02 00 00 00 00 00 00 00   # TYPE (9): const_in, 8 bytes inline
      07 00 08 00 01 00 00 00   00 e0 ff c0 d0 55 00 00   # USER_HANDLE (7)
      08 00 14 00 01 00 00 00   b8 10 00 00 00 7f 00 00   # CAP (8): 20 bytes at 0x7f00000010b8
      0c 00 00 00 01 00 00 00   03 00 00 00 00 00 00 00   # EVENT_FD (12): fd 3
      0d 00 14 00 01 00 00 00   d0 10 00 00 00 7f 00 00   # RESP_CAP (13): out, 20 bytes at 0x7f00000010d0
      0e 00 04 00 01 00 00 00   e8 10 00 00 00 7f 00 00   # RESP_QP_NUM (14): out, 4 bytes at 0x7f00000010e8
      40 00 00 00 40 00 00 00   01 00 00 00 01 00 00 00   # struct ib_uverbs_qp_cap at offset 184
      00 00 00 00
    `));
  });

  it('REG_MR of a virtual address as ibv_cmd_reg_mr_ex sends it', () => {
    const buf = new IoctlBuffer(512, ADDR);
    const addr = 0x7f12_3456_0000;
    const used = encodeRegMr(buf, { addr, iova: addr, pdHandle: 1, length: 0x10000, accessFlags: 7 });
    expect(used).toBe(168);
    expect(hex(buf.bytes.subarray(0, 152))).toBe(bytes(`
      98 00 07 00 05 00 08 00   00 00 00 00 00 00 00 00   # length 152, MR (7), REG_MR (5), 8 attrs
      00 00 00 00 00 00 00 00
      04 00 08 00 01 00 00 00   00 00 56 34 12 7f 00 00   # ADDR (4)
      03 00 08 00 01 00 00 00   00 00 56 34 12 7f 00 00   # IOVA (3)
      00 00 00 00 01 00 00 00   00 00 00 00 00 00 00 00   # HANDLE (0): new
      09 00 04 00 01 00 00 00   98 10 00 00 00 7f 00 00   # RESP_LKEY (9): out u32 at 0x7f0000001098
      0a 00 04 00 01 00 00 00   a0 10 00 00 00 7f 00 00   # RESP_RKEY (10): out u32 at 0x7f00000010a0
      01 00 00 00 01 00 00 00   01 00 00 00 00 00 00 00   # PD_HANDLE (1): 1
      05 00 08 00 01 00 00 00   00 00 01 00 00 00 00 00   # LENGTH (5): 0x10000
      06 00 04 00 01 00 00 00   07 00 00 00 00 00 00 00   # ACCESS_FLAGS (6): LOCAL_WRITE | REMOTE_WRITE | REMOTE_READ
    `));
  });

  it('QUERY_PORT as ibv_cmd_query_port sends it', () => {
    const buf = new IoctlBuffer(512, ADDR);
    const used = encodeQueryPort(buf, { portNum: 1 });
    expect(used).toBe(104);
    expect(hex(buf.bytes.subarray(0, 56))).toBe(bytes(`
      38 00 00 00 02 00 02 00   00 00 00 00 00 00 00 00   # length 56, DEVICE (0), QUERY_PORT (2), 2 attrs
      00 00 00 00 00 00 00 00
      00 00 08 00 01 00 00 00   01 00 00 00 00 00 00 00   # PORT_NUM (0): const_in 1
      01 00 30 00 01 00 00 00   38 10 00 00 00 7f 00 00   # RESP (1): out, 48 bytes at 0x7f0000001038
    `));
  });

  it('marks attributes optional as rdma-core\'s attr_optional does', () => {
    const buf = new IoctlBuffer(512, ADDR);
    encodeCqCreate(buf, { cqe: 16, userHandle: 1, compVector: 0, eventFd: 3 }, ['event_fd']);
    expect(buf.view.getUint16(24 + 16 * 5 + 4, true)).toBe(0);
    expect(buf.view.getUint16(24 + 16 * 4 + 4, true)).toBe(1);
  });
});
