/** Public API of the deploy layer. */
export { deploy, defaultActor } from './deploy.js';
export { rollback, chooseRollbackTarget } from './rollback.js';
export { resolveTargetRoot, selectTarget } from './resolve-target.js';
export { listReleases, readHistory, type ReleaseRecord } from './release-store.js';
export type { JournalEntry } from './types.js';
export { pinRelease } from './pins.js';
export { planDeploy } from './plan.js';
export type * from './types.js';
export { recoverTarget, unlockTarget, type RecoverResult, type UnlockResult } from './admin.js';
