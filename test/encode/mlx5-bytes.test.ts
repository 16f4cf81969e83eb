/**
 * Byte-exact mlx5 encodings, as libmlx5 (rdma-core providers/mlx5) lays them out: the
 * header carries driver_id 1, mlx5's own objects, actions and attributes sit in the
 * driver namespace (0x1000 and up), and on a core action mlx5's attributes follow the
 * core ones and the UHW pair. The buffer lives at user address 0x7f0000001000.
 */
import { describe, expect, it } from 'vitest';
import { IoctlBuffer } from '../../runtime/user/ioctl-buffer.js';
import { encodeCqCreate, encodeDevxOther, encodeUarObjAlloc } from '../../generated/mlx5/index.js';

const ADDR = 0x7f00_0000_1000;
const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
const bytes = (text: string): string => hex(Uint8Array.from(text.replace(/#.*$/gm, '').trim().split(/\s+/), (x) => parseInt(x, 16)));

describe('byte-exact mlx5 encodings', () => {
  it('DEVX_OTHER as mlx5dv_devx_general_cmd sends it', () => {
    const buf = new IoctlBuffer(512, ADDR);
    const cmdIn = new Uint8Array(16);
    cmdIn.set([0x01, 0x00]); // PRM opcode QUERY_HCA_CAP (0x100), big-endian
    const used = encodeDevxOther(buf, { cmdIn, cmdOut: 32 });
    expect(used).toBe(104);
    expect(hex(buf.bytes.subarray(0, 72))).toBe(bytes(`
      38 00 00 10 00 10 02 00   00 00 00 00 00 00 00 00   # length 56, DEVX (0x1000), DEVX_OTHER (0x1000), 2 attrs
      01 00 00 00 00 00 00 00                             # driver_id 1 (RDMA_DRIVER_MLX5)
      00 10 10 00 01 00 00 00   38 10 00 00 00 7f 00 00   # CMD_IN (0x1000): 16 bytes at 0x7f0000001038
      01 10 20 00 01 00 00 00   48 10 00 00 00 7f 00 00   # CMD_OUT (0x1001): 32 bytes at 0x7f0000001048
      01 00 00 00 00 00 00 00   00 00 00 00 00 00 00 00   # the command itself
    `));
  });

  it('UAR_OBJ_ALLOC as mlx5_attach_dedicated_uar sends it', () => {
    const buf = new IoctlBuffer(512, ADDR);
    const used = encodeUarObjAlloc(buf, { type: 1 /* MLX5_IB_UAPI_UAR_ALLOC_TYPE_NC */ });
    expect(used).toBe(128);
    expect(hex(buf.bytes.subarray(0, 104))).toBe(bytes(`
      68 00 08 10 00 10 05 00   00 00 00 00 00 00 00 00   # length 104, UAR (0x1008), UAR_OBJ_ALLOC (0x1000), 5 attrs
      01 00 00 00 00 00 00 00
      00 10 00 00 01 00 00 00   00 00 00 00 00 00 00 00   # HANDLE (0x1000): new
      01 10 08 00 01 00 00 00   01 00 00 00 00 00 00 00   # TYPE (0x1001): const_in 1
      02 10 08 00 01 00 00 00   68 10 00 00 00 7f 00 00   # MMAP_OFFSET (0x1002): out u64
      03 10 04 00 01 00 00 00   70 10 00 00 00 7f 00 00   # MMAP_LENGTH (0x1003): out u32
      04 10 04 00 01 00 00 00   78 10 00 00 00 7f 00 00   # PAGE_ID (0x1004): out u32
    `));
  });

  it('CQ_CREATE with mlx5 driver data: core attributes, then UHW, then mlx5 UAR_INDEX', () => {
    const buf = new IoctlBuffer(512, ADDR);
    const used = encodeCqCreate(buf, {
      cqe: 16, userHandle: 0x55d0c0ffee00n, compVector: 0,
      uhwIn: { bufAddr: 0x7f12_0000_0000, dbAddr: 0x7f12_0001_0000, cqeSize: 64 },
      uhwOut: true,
      uarIndex: 3,
    });
    expect(hex(buf.bytes.subarray(0, 24 + 16 * 8))).toBe(bytes(`
      98 00 03 00 00 00 08 00   00 00 00 00 00 00 00 00   # length 152, CQ (3), CQ_CREATE (0), 8 attrs
      01 00 00 00 00 00 00 00                             # driver_id 1
      00 00 00 00 01 00 00 00   00 00 00 00 00 00 00 00   # HANDLE (0)
      06 00 04 00 01 00 00 00   98 10 00 00 00 7f 00 00   # RESP_CQE (6): out u32 at 0x7f0000001098
      01 00 04 00 01 00 00 00   10 00 00 00 00 00 00 00   # CQE (1)
      02 00 08 00 01 00 00 00   00 ee ff c0 d0 55 00 00   # USER_HANDLE (2)
      04 00 04 00 01 00 00 00   00 00 00 00 00 00 00 00   # COMP_VECTOR (4)
      00 10 20 00 01 00 00 00   a0 10 00 00 00 7f 00 00   # UHW_IN (0x1000): struct mlx5_ib_create_cq, 32 bytes
      01 10 08 00 01 00 00 00   c0 10 00 00 00 7f 00 00   # UHW_OUT (0x1001): struct mlx5_ib_create_cq_resp, 8 bytes
      02 10 04 00 01 00 00 00   03 00 00 00 00 00 00 00   # UAR_INDEX (0x1002): 3 inline
    `));
    expect(used).toBe(0xc8);
    // The driver's request, in place after the attributes: buf_addr, db_addr, cqe_size 64.
    expect(hex(buf.bytes.subarray(0xa0, 0xb4))).toBe(bytes('00 00 00 00 12 7f 00 00   00 00 01 00 12 7f 00 00   40 00 00 00'));
  });
});
