/**
 * The sandbox's public surface (docs/architecture.md "Sandbox (packages/sandbox,
 * `@b24r/sandbox`) — public surface"), plus documented extensions (marked "extension").
 */
import type { CallLog } from './calllog';
import type { Faults } from './faults';
import type { LimitsConfig } from './limits';
import type { Portal } from './portal';
import type { ProfileName } from './profiles';
import type { PortalSettings } from './store';

export interface SandboxLimitsOptions {
  enabled: boolean;
  preset?: 'standard' | 'enterprise';
  drainPerSecond?: number;
  burst?: number;
  operatingBudgetSeconds?: number;
  /** extension: a fixed simulated execution time per call (seconds); unset = built-in cost model. */
  operatingCostSeconds?: number;
}

export interface SandboxOptions {
  /** default 127.0.0.1 */
  host?: string;
  /** 0 = any free port (default 0) */
  port?: number;
  /** default https with a generated self-signed certificate */
  protocol?: 'https' | 'http';
  /** webhook user, default 1 (the portal administrator) */
  userId?: number;
  /** webhook secret; default: the one in the state file, else random */
  secret?: string;
  /** sent as auth[application_token] in outbound events */
  applicationToken?: string;
  /**
   * The portal profile a fresh portal is seeded from (profiles.ts): its data and its settings.
   * Default 'demo'. With an existing `stateFile` the file's portal is used, and it must be of
   * this profile when one is given.
   */
  profile?: ProfileName;
  /** 'empty': only the base directories (the profile's settings still apply); default: the profile's data */
  seed?: 'demo' | 'empty';
  /** extension: portal settings over the profile's (or the state file's): closeDateSync, timeZone, … */
  settings?: Partial<PortalSettings>;
  /** default: enabled, standard preset (2/s, burst 50), 480 s operating budget */
  limits?: SandboxLimitsOptions;
  /** load at start if present; save() writes it */
  stateFile?: string;
  /** extension: use this certificate instead of generating one */
  tls?: { certPem: string; keyPem: string };
  /** extension: token for /_sandbox/* (default: the webhook secret) */
  adminToken?: string;
  /**
   * extension: scopes of the inbound webhook (default crm, user, department, task, im, bizproc,
   * catalog; `user_brief` / `user_basic` open the users methods too). `scope` answers them; a
   * method outside them answers 403 insufficient_scope. The local application keeps all of them.
   */
  scopes?: string[];
  /** extension: access token of the local application (OAuth context for event.*); default random */
  appAccessToken?: string;
  /** extension: outgoing webhooks to configure at start (the portal-UI way to receive events) */
  outgoingWebhooks?: Array<{ handler: string; events: string[] }>;
  /** extension: portal UTC offset in minutes (default: the profile's; demo 180, Moscow) — same as settings.utcOffsetMinutes */
  timezoneOffsetMinutes?: number;
  /** extension: per-delivery timeout of outbound events (default 5000 ms) */
  eventTimeoutMs?: number;
  /** extension: seed of the fault-injection random source (default 1) */
  faultSeed?: number;
  /** extension: print one line per REST call to stdout */
  verbose?: boolean;
}

export interface SandboxApp {
  /** Pass as `auth` (query or body) to https://host/rest/<method> — application (OAuth) context. */
  accessToken: string;
  /** REST root for application calls: `${baseUrl}/rest/` */
  clientEndpoint: string;
  applicationToken: string;
  memberId: string;
}

export interface SandboxHandle {
  /** https://127.0.0.1:PORT (no trailing slash) */
  baseUrl: string;
  /** https://127.0.0.1:PORT/rest/1/<secret>/ (ends with '/') */
  webhookUrl: string;
  /** PEM of the self-signed certificate to trust (empty string for protocol http) */
  caCertPem: string;
  /** In-process admin: state, actions (lose/win/move a deal, set a field, ...), save/load. */
  portal: Portal;
  /** extension: the profile the portal was seeded from */
  readonly profile: string;
  /** extension: the portal's settings in force (change them with portal.configure()) */
  readonly settings: PortalSettings;
  /** Entries {requestId, method, params, at, httpStatus, status, error?, viaBatch?} */
  callLog: CallLog;
  /** latencyMs, errorRate, outage window, dropEventsPct, lostResponsePct */
  faults: Faults;
  /** extension: the admin API root (`${baseUrl}/_sandbox/`) and its token */
  adminUrl: string;
  adminToken: string;
  /** extension: the local application's OAuth context (event.bind and friends need it) */
  app: SandboxApp;
  /** extension: current limits; change them with setLimits() */
  readonly limits: LimitsConfig;
  setLimits(patch: Partial<SandboxLimitsOptions>): LimitsConfig;
  /** Writes the state to `file` or the stateFile option; returns the path. */
  save(file?: string): Promise<string>;
  /** Replaces the state from `file` or the stateFile option. */
  load(file?: string): Promise<string>;
  close(): Promise<void>;
}
