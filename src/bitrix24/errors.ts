/**
 * The error taxonomy of every Bitrix24 REST call, and secret redaction.
 *
 * One class, three kinds, decided from what the portal (or the network) said:
 *  - `retryable`: the same call may succeed later — network failures, timeouts, 5xx,
 *    QUERY_LIMIT_EXCEEDED, OPERATION_TIME_LIMIT, INTERNAL_SERVER_ERROR. `retryAfterMs` is a
 *    hint when the portal's limits tell us how long to wait.
 *  - `final`: retrying will not help — auth, scope, access, unknown method, validation (400),
 *    TLS trust failures, malformed answers. `insufficient_scope` (403, _includes/system-errors.md)
 *    names the scope the method needs and how to grant it.
 *  - `not_found`: the element is not there (a get of a deleted or missing id). crm.* methods
 *    answer HTTP 400 with an EMPTY `error` and `error_description: "Not found"`
 *    (b24restdocs api-reference/crm/deals/crm-deal-get.md, "Possible Error Codes").
 *
 * Nothing in an error may carry the webhook secret: every text is scrubbed of the
 * `/rest/<user>/<secret>/` path segment and of every literal secret the client knows.
 */
import { redactSecrets, registerSecret } from '../shared/redact';
import { scopeOfMethod } from './scopes';

export type Bitrix24ErrorKind = 'retryable' | 'final' | 'not_found';

export interface Bitrix24ErrorInit {
  code: string;
  description: string;
  /** HTTP status of the response; 0 when none arrived (network failure, timeout). */
  httpStatus: number;
  method: string;
  kind?: Bitrix24ErrorKind;
  retryAfterMs?: number;
  /** The command key when the error is one command of a batch. */
  command?: string;
}

export class Bitrix24Error extends Error {
  override readonly name = 'Bitrix24Error';
  readonly code: string;
  readonly description: string;
  readonly httpStatus: number;
  readonly kind: Bitrix24ErrorKind;
  readonly retryAfterMs?: number;
  readonly method: string;
  readonly command?: string;

  constructor(init: Bitrix24ErrorInit) {
    const code = redactSecrets(init.code);
    const description = redactSecrets(init.description);
    const method = redactSecrets(init.method);
    const where = init.command !== undefined ? `${method} (batch command ${init.command})` : method;
    super(`Bitrix24 ${where} failed: ${code || 'HTTP ' + init.httpStatus}${description ? ' — ' + description : ''}${hintFor(code, method)}`);
    this.code = code;
    this.description = description;
    this.httpStatus = init.httpStatus;
    this.method = method;
    this.kind = init.kind ?? classifyError({ code, httpStatus: init.httpStatus, description });
    if (init.retryAfterMs !== undefined) this.retryAfterMs = Math.max(0, Math.round(init.retryAfterMs));
    if (init.command !== undefined) this.command = init.command;
  }

  /** Alias of `httpStatus` (the name used in docs/architecture.md). */
  get status(): number {
    return this.httpStatus;
  }

  get retryable(): boolean {
    return this.kind === 'retryable';
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      message: this.message,
      code: this.code,
      description: this.description,
      httpStatus: this.httpStatus,
      kind: this.kind,
      method: this.method,
      ...(this.command !== undefined ? { command: this.command } : {}),
      ...(this.retryAfterMs !== undefined ? { retryAfterMs: this.retryAfterMs } : {}),
    };
  }
}

/** What to do about a failure the operator must fix on the portal. */
function hintFor(code: string, method: string): string {
  if (code !== 'insufficient_scope') return '';
  const scope = scopeOfMethod(method);
  return ` (the webhook lacks ${scope ? `the scope "${scope}"` : 'the scope'} that ${method} needs: add it to the inbound webhook's permissions in Bitrix24; \`npm run setup -- --check\` lists every missing one)`;
}

export function isBitrix24Error(e: unknown): e is Bitrix24Error {
  return e instanceof Bitrix24Error;
}

// ---------------------------------------------------------------------------------------------
// Classification

/** Transient by nature: the same request may succeed later. */
const RETRYABLE_CODES = new Set([
  'QUERY_LIMIT_EXCEEDED',
  'OPERATION_TIME_LIMIT',
  'INTERNAL_SERVER_ERROR',
  'ERROR_UNEXPECTED_ANSWER',
  // transport-level (axios / Node net codes, and the SDK's own names for them)
  'NETWORK_ERROR',
  'REQUEST_TIMEOUT',
  'ERR_NETWORK',
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
  'UND_ERR_SOCKET',
  'CLIENT_RATE_LIMIT_QUEUE',
]);

/** Retrying cannot help: credentials, permissions, unknown methods, TLS trust, misuse. */
const FINAL_CODES = new Set([
  'INVALID_CREDENTIALS',
  'expired_token',
  'invalid_token',
  'insufficient_scope',
  'NO_AUTH_FOUND',
  'INVALID_REQUEST',
  'OVERLOAD_LIMIT',
  'WRONG_AUTH_TYPE',
  'AUTHORIZE_ERROR',
  'ACCESS_DENIED',
  'user_access_error',
  'allowed_only_intranet_user',
  'PORTAL_DELETED',
  'ERROR_METHOD_NOT_FOUND',
  'METHOD_NOT_FOUND',
  'ERROR_BATCH_LENGTH_EXCEEDED',
  'ERROR_BATCH_METHOD_NOT_ALLOWED',
  'ERROR_ARGUMENT',
  'INVALID_ARG_VALUE',
  'ERROR_CORE',
  'UNEXPECTED_RESPONSE',
  // TLS: a certificate the client does not trust will not become trusted by retrying
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_SIGNATURE_FAILURE',
  // DNS: the portal name does not resolve
  'ENOTFOUND',
  // the request could not even be built
  'JSSDK_INVALID_PARAMS',
  'JSSDK_HOOK_URL_EMPTY',
  'JSSDK_HOOK_URL_INVALID',
  'JSSDK_HOOK_URL_NOT_HTTPS',
  'JSSDK_HOOK_URL_MALFORMED',
  'JSSDK_HOOK_URL_USER_ID_NOT_NUMERIC',
]);

const NOT_FOUND_CODES = new Set(['ERROR_ENTITY_NOT_FOUND', 'NOT_FOUND', 'ERROR_NOT_FOUND', 'OWNER_NOT_FOUND']);

const NOT_FOUND_TEXT = /\bnot\s+found\b|\bis\s+not\s+exists?\b|\bdoes\s+not\s+exist\b/i;
const ACCESS_TEXT = /\baccess\s+denied\b|\bpermission\b/i;

/**
 * Decides the kind of a failure. Order matters: explicit codes first (a portal code is the
 * most precise signal), then the portal's text for the empty-code errors of crm.* methods,
 * then the HTTP status.
 */
export function classifyError(e: { code: string; httpStatus: number; description?: string }): Bitrix24ErrorKind {
  const code = e.code ?? '';
  const text = e.description ?? '';
  if (RETRYABLE_CODES.has(code)) return 'retryable';
  if (FINAL_CODES.has(code)) return 'final';
  if (NOT_FOUND_CODES.has(code)) return 'not_found';
  const status = e.httpStatus;
  const portalAnswered = status >= 400 || status === 200;
  if (portalAnswered && status < 500 && NOT_FOUND_TEXT.test(text)) return 'not_found';
  if (portalAnswered && status < 500 && ACCESS_TEXT.test(text)) return 'final';
  if (status === 0) return 'retryable'; // no answer at all: network, reset, timeout
  if (status === 408 || status === 425 || status === 429) return 'retryable';
  if (status >= 500) return 'retryable';
  return 'final'; // 4xx validation errors, and errors reported inside a 2xx (batch commands)
}

// ---------------------------------------------------------------------------------------------
// Redaction

export { redactSecrets, registerSecret };

/** `https://portal/rest/1/secret/` → `https://portal/rest/1/***` (for logs and messages). */
export function redactWebhookUrl(url: string): string {
  return redactSecrets(url);
}
