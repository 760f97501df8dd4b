/**
 * The Bitrix24 sandbox: a portal emulator that follows the official REST documentation
 * (bitrix24/b24restdocs). Only src/cli and tests import it; the service never does.
 */
export { startSandbox } from './server';
export type { SandboxHandle, SandboxOptions, SandboxLimitsOptions, SandboxApp } from './types';
export { Portal, type PortalSummary } from './portal';
export { CallLog, type CallLogEntry } from './calllog';
export type { CategoryRec, PortalSettings, PortalState, ProductRowRec, Rec, StatusRec, UserFieldRec } from './store';
export { PROFILE_NAMES, PROFILES, utcOffsetOf, type PortalProfile, type ProfileName } from './profiles';
export { Faults, type FaultSettings } from './faults';
export { PRESETS, type LimitsConfig } from './limits';
export { DEMO } from './seed';
export { REAL_WORLD } from './seed-real-world';
export type { Delivery } from './events';
export { APPLICATION_ONLY_EVENTS, BINDABLE_EVENTS, OUTGOING_WEBHOOK_EVENTS } from './events';
