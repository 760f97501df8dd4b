/**
 * src/bitrix24 — the ONE Bitrix24 REST client of the service and its typed CRM helpers.
 * Everything the rest of the service may use is re-exported here.
 */
export {
  createBitrix24Client,
  isReadOnlyCall,
  rowsOf,
  systemClock,
  type Bitrix24Client,
  type Bitrix24ClientOptions,
  type ClientLogger,
  type Clock,
  type Envelope,
  type ListOptions,
  type RetryOptions,
} from './client';
export {
  Bitrix24Error,
  classifyError,
  isBitrix24Error,
  redactSecrets,
  redactWebhookUrl,
  registerSecret,
  type Bitrix24ErrorInit,
  type Bitrix24ErrorKind,
} from './errors';
export {
  BATCH_MAX_COMMANDS,
  chunkCommands,
  encodeCommands,
  encodeQuery,
  type BatchCommand,
  type BatchCommands,
  type BatchOptions,
  type BatchResult,
} from './batch';
export {
  PRESETS,
  createRateLimiter,
  sharedRateLimiter,
  usableBurst,
  type BucketConfig,
  type LimitPreset,
  type RateLimiter,
} from './rate-limit';
export { createSdkTransport, parseWebhookUrl, type RawAnswer, type RestTime, type Transport } from './transport';
export { hasScope, scopeOfMethod, type ServiceScope } from './scopes';
export * from './crm';
