/**
 * write() commands about the file and the device: GET_CONTEXT (the context and its
 * async event file), QUERY_DEVICE, EX_QUERY_DEVICE and QUERY_PORT. The device's answers
 * come from its caps: the limits it enforces elsewhere, its identity from caps.attrs.
 */
import {
  IB_UVERBS_DEVICE_CAP_FLAGS as DCF, IB_UVERBS_ODP_GENERAL_CAP_BITS, IB_UVERBS_ODP_TRANSPORT_CAP_BITS as ODP, IB_UVERBS_QP_TYPE as QPT,
  IB_UVERBS_SRQ_TYPE,
} from '../../../../generated/core/enums.js';
import { UVERBS_OBJECT } from '../../../../generated/core/ids.js';
import {
  decodeIbUverbsExQueryDevice, decodeIbUverbsGetContext, decodeIbUverbsQueryDevice, decodeIbUverbsQueryPort, encodeIbUverbsExQueryDeviceResp,
  encodeIbUverbsGetContextResp, encodeIbUverbsQueryDeviceResp, encodeIbUverbsQueryPortResp, IB_UVERBS_EX_QUERY_DEVICE_RESP_SIZE,
  type IbUverbsQueryDeviceRespInit,
} from '../../../../generated/core/structs.js';
import type { WriteHandler } from '../../../kernel/device.js';
import { EINVAL, fail } from '../../../abi/errno.js';
import { newAsyncEvent } from '../async-event.js';
import { newContext } from '../context.js';
import { portOf, portResp } from '../port.js';
import type { CoreState } from '../state.js';
import { responseLength, typeOf, writeContext } from './common.js';

const U32_MAX = 0xffff_ffff;
const U64_MASK = (1n << 64n) - 1n;

/** A GUID as the device reports it: in network byte order inside the little-endian u64. */
function networkOrder(guid: bigint): bigint {
  let out = 0n;
  for (let i = 0n; i < 8n; i++) out |= ((guid >> (8n * i)) & 0xffn) << (8n * (7n - i));
  return out;
}

/** The device's ib_uverbs_device_cap_flags: those it always has, and those its other caps imply. */
export function deviceCapFlags(s: CoreState): bigint {
  const c = s.caps;
  let f = c.attrs.deviceCapFlags;
  if (c.qpTypes.includes(QPT.IB_UVERBS_QPT_XRC_INI) || c.qpTypes.includes(QPT.IB_UVERBS_QPT_XRC_TGT)) f |= BigInt(DCF.IB_UVERBS_DEVICE_XRC);
  if (c.maxMw > 0) f |= BigInt(DCF.IB_UVERBS_DEVICE_MEM_WINDOW | DCF.IB_UVERBS_DEVICE_MEM_WINDOW_TYPE_2B);
  if (c.flushGlobal) f |= BigInt(DCF.IB_UVERBS_DEVICE_FLUSH_GLOBAL);
  if (c.flushPersistent) f |= BigInt(DCF.IB_UVERBS_DEVICE_FLUSH_PERSISTENT);
  return f;
}

/** copy_query_dev_fields: the attributes QUERY_DEVICE reports, and EX_QUERY_DEVICE as its base. */
function deviceAttrs(s: CoreState): IbUverbsQueryDeviceRespInit {
  const c = s.caps;
  const a = c.attrs;
  return {
    fwVer: a.fwVer,
    nodeGuid: networkOrder(a.nodeGuid),
    sysImageGuid: networkOrder(a.sysImageGuid),
    maxMrSize: c.maxMrSize,
    pageSizeCap: ~BigInt(c.pageSize - 1) & U64_MASK,
    vendorId: a.vendorId,
    vendorPartId: a.vendorPartId,
    hwVer: a.hwVer,
    maxQp: c.maxQp,
    maxQpWr: c.maxQpWr,
    deviceCapFlags: Number(deviceCapFlags(s) & 0xffff_ffffn),
    maxSge: c.maxSge,
    maxSgeRd: a.maxSgeRd,
    maxCq: c.maxCq,
    maxCqe: c.maxCqe,
    maxMr: c.maxMr,
    maxPd: c.maxPd,
    maxQpRdAtom: a.maxQpRdAtom,
    maxResRdAtom: Math.min(a.maxQpRdAtom * c.maxQp, U32_MAX),
    maxQpInitRdAtom: a.maxQpInitRdAtom,
    atomicCap: a.atomicCap,
    maxMw: c.maxMw,
    maxMcastGrp: a.maxMcastGrp,
    maxMcastQpAttach: a.maxMcastQpAttach,
    maxTotalMcastQpAttach: Math.min(a.maxMcastQpAttach * a.maxMcastGrp, U32_MAX),
    maxAh: c.maxAh,
    maxSrq: c.maxSrq,
    maxSrqWr: c.maxSrqWr,
    maxSrqSge: c.maxSrqSge,
    maxPkeys: c.ports[0]!.pkeyTblLen,
    localCaAckDelay: a.localCaAckDelay,
    physPortCnt: Math.min(c.ports.length, 0xff),
  };
}

/** The write() handlers of the file and device commands, over `s`. */
export function contextWriteHandlers(s: CoreState): Record<'writeGetContext' | 'writeQueryDevice' | 'writeExQueryDevice' | 'writeQueryPort', WriteHandler> {
  return {
    /**
     * ib_uverbs_get_context: the context is made first (EIO once the device is gone) and
     * the async event file with it, the response written, and only then is the file
     * checked for a context of its own (EINVAL, undoing both); a response that faults
     * undoes them too. The event file becomes the context's default one.
     */
    writeGetContext(wb) {
      wb.request(decodeIbUverbsGetContext);
      const ctx = newContext(s);
      wb.pendingContext = ctx;
      const u = wb.create(typeOf(wb, UVERBS_OBJECT.ASYNC_EVENT));
      const ev = newAsyncEvent(s);
      u.object = ev;
      wb.respond((v, o) => encodeIbUverbsGetContextResp(v, o, { asyncFd: u.id, numCompVectors: s.caps.numCompVectors }));
      if (wb.file.context !== undefined) fail(EINVAL, 'this file already has a context');
      wb.file.context = ctx;
      ctx.defaultAsyncEvent = ev;
    },

    writeQueryDevice(wb) {
      writeContext(wb);
      wb.request(decodeIbUverbsQueryDevice);
      wb.respond((v, o) => encodeIbUverbsQueryDeviceResp(v, o, deviceAttrs(s)));
    },

    writeExQueryDevice(wb) {
      writeContext(wb);
      const cmd = wb.request(decodeIbUverbsExQueryDevice);
      if (cmd.compMask !== 0) fail(EINVAL, `comp_mask 0x${cmd.compMask.toString(16)} is not 0`);
      if (cmd.reserved !== 0) fail(EINVAL, 'reserved is not 0');
      const c = s.caps;
      const odp = c.odp ? c.attrs.odpTransportCaps : 0;
      wb.respond((v, o) =>
        encodeIbUverbsExQueryDeviceResp(v, o, {
          base: deviceAttrs(s),
          responseLength: responseLength(wb, IB_UVERBS_EX_QUERY_DEVICE_RESP_SIZE),
          odpCaps: {
            generalCaps: c.odp ? BigInt(IB_UVERBS_ODP_GENERAL_CAP_BITS.IB_UVERBS_ODP_SUPPORT) : 0n,
            perTransportCaps: { rcOdpCaps: odp, ucOdpCaps: 0, udOdpCaps: odp & (ODP.IB_UVERBS_ODP_SUPPORT_SEND | ODP.IB_UVERBS_ODP_SUPPORT_SRQ_RECV) },
          },
          xrcOdpCaps: odp,
          timestampMask: c.attrs.timestampMask,
          hcaCoreClock: c.attrs.hcaCoreClock,
          deviceCapFlagsEx: deviceCapFlags(s),
          rssCaps: {
            supportedQpts: c.attrs.rssQpTypes,
            maxRwqIndirectionTables: c.attrs.maxRwqIndirectionTables,
            maxRwqIndirectionTableSize: 2 ** c.maxLogIndTblSize,
          },
          maxWqTypeRq: c.maxWq,
          rawPacketCaps: c.attrs.rawPacketCaps,
          tmCaps: c.srqTypes.includes(IB_UVERBS_SRQ_TYPE.IB_UVERBS_SRQT_TM)
            ? { maxRndvHdrSize: c.attrs.tmMaxRndvHdrSize, maxNumTags: c.maxNumTags, flags: c.attrs.tmFlags, maxOps: c.attrs.tmMaxOps, maxSge: c.attrs.tmMaxSge }
            : {},
          cqModerationCaps: c.cqModeration ? { maxCqModerationCount: c.cqModeration.maxCount, maxCqModerationPeriod: c.cqModeration.maxPeriod } : {},
          maxDmSize: BigInt(c.dm?.size ?? 0),
        }),
      );
    },

    writeQueryPort(wb) {
      writeContext(wb);
      const cmd = wb.request(decodeIbUverbsQueryPort);
      const p = portOf(s, cmd.portNum);
      wb.respond((v, o) => encodeIbUverbsQueryPortResp(v, o, portResp(p)));
    },
  };
}
