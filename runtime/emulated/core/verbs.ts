/**
 * The kernel's verbs enums (include/rdma/ib_verbs.h) that the write() ABI carries as
 * plain numbers: QP states and attribute mask bits (MODIFY_QP, QUERY_QP), work
 * completion status, opcodes of receives and flags (POLL_CQ), send flags (POST_SEND),
 * CQ notification (REQ_NOTIFY_CQ) and asynchronous event types. ib_user_verbs.h has no
 * enum for them, so the spec cannot generate them.
 */

/** enum ib_qp_state. */
export const QpState = { RESET: 0, INIT: 1, RTR: 2, RTS: 3, SQD: 4, SQE: 5, ERR: 6 } as const;
export type QpStateId = (typeof QpState)[keyof typeof QpState];

/** enum ib_qp_attr_mask: which attributes a MODIFY_QP sets, or a QUERY_QP asks for. */
export const QpAttrMask = {
  STATE: 1 << 0,
  CUR_STATE: 1 << 1,
  EN_SQD_ASYNC_NOTIFY: 1 << 2,
  ACCESS_FLAGS: 1 << 3,
  PKEY_INDEX: 1 << 4,
  PORT: 1 << 5,
  QKEY: 1 << 6,
  AV: 1 << 7,
  PATH_MTU: 1 << 8,
  TIMEOUT: 1 << 9,
  RETRY_CNT: 1 << 10,
  RNR_RETRY: 1 << 11,
  RQ_PSN: 1 << 12,
  MAX_QP_RD_ATOMIC: 1 << 13,
  ALT_PATH: 1 << 14,
  MIN_RNR_TIMER: 1 << 15,
  SQ_PSN: 1 << 16,
  MAX_DEST_RD_ATOMIC: 1 << 17,
  PATH_MIG_STATE: 1 << 18,
  CAP: 1 << 19,
  DEST_QPN: 1 << 20,
  /** Only through EX_MODIFY_QP (its rate_limit field). */
  RATE_LIMIT: 1 << 25,
} as const;

/** IB_QP_ATTR_STANDARD_BITS: the bits MODIFY_QP takes (EX_MODIFY_QP adds RATE_LIMIT); others answer EOPNOTSUPP. */
export const QP_ATTR_STANDARD_BITS = (1 << 21) - 1;

/** IB_QP_SET_QKEY: a Q_Key with this bit is a privileged (controlled) one. */
export const PRIVILEGED_QKEY_BIT = 0x8000_0000;

/** enum ib_wc_status. */
export const WcStatus = {
  SUCCESS: 0,
  LOC_LEN_ERR: 1,
  LOC_QP_OP_ERR: 2,
  LOC_EEC_OP_ERR: 3,
  LOC_PROT_ERR: 4,
  WR_FLUSH_ERR: 5,
  MW_BIND_ERR: 6,
  BAD_RESP_ERR: 7,
  LOC_ACCESS_ERR: 8,
  REM_INV_REQ_ERR: 9,
  REM_ACCESS_ERR: 10,
  REM_OP_ERR: 11,
  RETRY_EXC_ERR: 12,
  RNR_RETRY_EXC_ERR: 13,
  LOC_RDD_VIOL_ERR: 14,
  REM_INV_RD_REQ_ERR: 15,
  REM_ABORT_ERR: 16,
  INV_EECN_ERR: 17,
  INV_EEC_STATE_ERR: 18,
  FATAL_ERR: 19,
  RESP_TIMEOUT_ERR: 20,
  GENERAL_ERR: 21,
} as const;

/** enum ib_wc_opcode values of receives (the send side's are ib_uverbs_wc_opcode). */
export const WcRecvOpcode = { RECV: 1 << 7, RECV_RDMA_WITH_IMM: (1 << 7) + 1 } as const;

/** enum ib_wc_flags. */
export const WcFlags = {
  GRH: 1 << 0,
  WITH_IMM: 1 << 1,
  WITH_INVALIDATE: 1 << 2,
  IP_CSUM_OK: 1 << 3,
  WITH_SMAC: 1 << 4,
  WITH_VLAN: 1 << 5,
  WITH_NETWORK_HDR_TYPE: 1 << 6,
} as const;

/** enum ib_send_flags. */
export const SendFlags = { FENCE: 1 << 0, SIGNALED: 1 << 1, SOLICITED: 1 << 2, INLINE: 1 << 3, IP_CSUM: 1 << 4 } as const;

/** enum ib_cq_notify_flags: what REQ_NOTIFY_CQ arms (solicited_only picks SOLICITED). */
export const CqNotify = { NONE: 0, SOLICITED: 1, NEXT_COMP: 2 } as const;
export type CqNotifyId = (typeof CqNotify)[keyof typeof CqNotify];

/** enum ib_event_type: the event_type of ib_uverbs_async_event_desc. */
export const IbEvent = {
  CQ_ERR: 0,
  QP_FATAL: 1,
  QP_REQ_ERR: 2,
  QP_ACCESS_ERR: 3,
  COMM_EST: 4,
  SQ_DRAINED: 5,
  PATH_MIG: 6,
  PATH_MIG_ERR: 7,
  DEVICE_FATAL: 8,
  PORT_ACTIVE: 9,
  PORT_ERR: 10,
  LID_CHANGE: 11,
  PKEY_CHANGE: 12,
  SM_CHANGE: 13,
  SRQ_ERR: 14,
  SRQ_LIMIT_REACHED: 15,
  QP_LAST_WQE_REACHED: 16,
  CLIENT_REREGISTER: 17,
  GID_CHANGE: 18,
  WQ_FATAL: 19,
} as const;
