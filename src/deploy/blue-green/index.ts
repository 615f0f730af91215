/** Blue-green strategy: public API for DEPLOY (see switch.ts for the sequence). */
export {
  blueGreenConfigSchema,
  type BlueGreenConfig,
  type BlueGreenConfigInput,
  type Slot,
} from '../../config/sections/blue-green.js';
export { planBlueGreen, type BlueGreenPlan, type BlueGreenRelease } from './plan.js';
export { switchSlots, stopBlueGreen, type SwitchSlotsOptions, type SwitchSlotsResult } from './switch.js';
export { switchBack, type SwitchBackResult } from './switch-back.js';
export type { DrainResult } from './drain.js';
export { readBlueGreenState, blueGreenPaths, type BlueGreenState, type SlotState } from './state.js';
export { ensureProxy, findProxy, proxyStatus, stopProxy, type ProxyHandle } from './proxy-control.js';
export { renderNginxUpstream } from './nginx.js';
