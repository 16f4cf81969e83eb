/**
 * uverbs-abi/emulated: devices that run the whole ABI with no hardware. The core
 * device implements every core action and write() command over one object model and
 * a loopback data path; the mlx5 device adds mlx5's types and driver data (DEVX, UAR,
 * VAR, flow steering, ...). Each takes its capabilities as options. A device of your
 * own driver starts from coreOps (every core handler over a CoreState) and adds its
 * handlers, as the mlx5 device does.
 */
export {
  createCoreDevice, coreOps, releaseHook, releasedByHook, CoreState, defaultCaps, resolveCaps, LinkLayer, Mtu, PortState,
  type CoreOps, type CoreCaps, type PortCaps, type GidCaps,
} from './core/index.js';
export { createMlx5Device, defaultMlx5Caps, resolveMlx5Caps, type Mlx5Caps } from './mlx5/index.js';
