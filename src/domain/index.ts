/**
 * The pure rules of the product: no I/O, no Node built-ins, no clock and no randomness of their
 * own (`now` and `random` are passed in). Safe to import from workflow code.
 */
export * from './assignment';
export * from './calendar';
export * from './chains';
export * from './client-plan';
export * from './client-return';
export * from './dates';
export * from './durations';
export * from './expiry';
export * from './lost-element';
export * from './lost-outcome';
export * from './lost-rules';
export * from './routing';
export * from './rule-fields';
export * from './notifications';
export * from './purchases';
export * from './purchase-moment';
export * from './reactivation';
export * from './return-period';
export * from './stages';
export * from './templates';
export type * from './types';
