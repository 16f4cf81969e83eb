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
