/**
 * The ioctl wire layout of Linux's rdma_user_ioctl_cmds.h, little-endian.
 *
 *   struct ib_uverbs_ioctl_hdr (24 bytes)    struct ib_uverbs_attr (16 bytes)
 *    0 u16 length                              0 u16 attr_id
 *    2 u16 object_id                           2 u16 len
 *    4 u16 method_id                           4 u16 flags
 *    6 u16 num_attrs                           6 u8  elem_id, u8 reserved (attr_data)
 *    8 u64 reserved1                           8 u64 data (inline value, pointer, handle or fd)
 *   16 u32 driver_id
 *   20 u32 reserved2
 *   24 struct ib_uverbs_attr attrs[num_attrs]
 */

export const HDR_SIZE = 24;
export const ATTR_SIZE = 16;

export const HDR_LENGTH = 0;
export const HDR_OBJECT_ID = 2;
export const HDR_METHOD_ID = 4;
export const HDR_NUM_ATTRS = 6;
export const HDR_RESERVED1 = 8;
export const HDR_DRIVER_ID = 16;
export const HDR_RESERVED2 = 20;

export const ATTR_ID = 0;
export const ATTR_LEN = 2;
export const ATTR_FLAGS = 4;
export const ATTR_ELEM_ID = 6;
export const ATTR_RESERVED = 7;
export const ATTR_DATA = 8;

/** Set by user space: the kernel must know the attribute (else EPROTONOSUPPORT). */
export const UVERBS_ATTR_F_MANDATORY = 1;
/** Set by the kernel on an output it wrote. */
export const UVERBS_ATTR_F_VALID_OUTPUT = 2;

/** The kernel refuses a header whose length exceeds a page. */
export const MAX_IOCTL_LENGTH = 4096;

/** Bits 12..15 of an id: 0 core, 1 driver (UVERBS_ID_NS_MASK). */
export const UVERBS_ID_NS_MASK = 0xf000;
export const UVERBS_ID_NS_SHIFT = 12;
export const UVERBS_ATTR_UHW_IN = 0x1000;
export const UVERBS_ATTR_UHW_OUT = 0x1001;

export const RDMA_IOCTL_MAGIC = 0x1b;
/** _IOWR(RDMA_IOCTL_MAGIC, 1, struct ib_uverbs_ioctl_hdr): dir 3, size 24, type 0x1b, nr 1. */
export const RDMA_VERBS_IOCTL = ((3 << 30) | (HDR_SIZE << 16) | (RDMA_IOCTL_MAGIC << 8) | 1) >>> 0;

/** Inline data fits in the attribute's 8-byte data field. */
export const INLINE_MAX = 8;

export const TWO_32 = 0x1_0000_0000;

/** The user-address value of an attribute's data, exact below 2^53 (pointers are). */
export function attrPtr(v: DataView, at: number): number {
  return v.getUint32(at + ATTR_DATA, true) + v.getUint32(at + ATTR_DATA + 4, true) * TWO_32;
}

/*
 * The write() ABI of Linux's ib_user_verbs.h, little-endian.
 *
 *   struct ib_uverbs_cmd_hdr (8 bytes)       struct ib_uverbs_ex_cmd_hdr (16 bytes, extended commands only)
 *    0 u32 command                             0 u64 response
 *    4 u16 in_words                            8 u16 provider_in_words
 *    6 u16 out_words                          10 u16 provider_out_words
 *                                             12 u32 cmd_hdr_reserved
 *
 * A plain command counts in_words (the whole write, header included) and out_words in
 * 4-byte words, and its request starts with the u64 address of its response. An
 * extended command counts the core request and response in 8-byte words and the
 * driver's in provider_*_words; its response address is in the second header.
 */
export const CMD_HDR_SIZE = 8;
export const CMD_HDR_COMMAND = 0;
export const CMD_HDR_IN_WORDS = 4;
export const CMD_HDR_OUT_WORDS = 6;

export const EX_HDR_SIZE = 16;
export const EX_HDR_RESPONSE = 0;
export const EX_HDR_PROVIDER_IN_WORDS = 8;
export const EX_HDR_PROVIDER_OUT_WORDS = 10;
export const EX_HDR_RESERVED = 12;

/** The command number's bits of ib_uverbs_cmd_hdr.command. */
export const IB_USER_VERBS_CMD_COMMAND_MASK = 0xff;
/** An extended command: ib_uverbs_ex_cmd_hdr follows the header. */
export const IB_USER_VERBS_CMD_FLAG_EXTENDED = 0x8000_0000;
