/**
 * The portal's error answers: `{"error": CODE, "error_description": TEXT}` with an HTTP status
 * (b24restdocs _includes/error-info.md, _includes/system-errors.md, and each method's page).
 *
 * crm.* methods report their own failures with an EMPTY `error` and HTTP 400 (e.g.
 * crm-deal-get.md: `{"error": "", "error_description": "Not found"}`).
 */
export class RestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly description: string,
  ) {
    super(`${status} ${code}: ${description}`);
    this.name = 'RestError';
  }

  body(): { error: string; error_description: string } {
    return { error: this.code, error_description: this.description };
  }
}

/** A crm.* validation failure: HTTP 400, empty code. */
export const crmError = (description: string): RestError => new RestError(400, '', description);

export const Errors = {
  /** system-errors.md; the webhook path carries a wrong user or code (APAuth "Invalid request credentials"; 401 per crm-item-import.md). */
  invalidCredentials: () => new RestError(401, 'INVALID_CREDENTIALS', 'Invalid request credentials'),
  /** system-errors.md: no authorization data at all, or ("Invalid … webhook code") a wrong one. */
  noAuth: () => new RestError(401, 'NO_AUTH_FOUND', 'Wrong authorization data'),
  /** A wrong user id or code in the webhook path: both documented answers are 401 (PortalSettings.wrongWebhookCodeError). */
  wrongWebhookCode: (code: 'INVALID_CREDENTIALS' | 'NO_AUTH_FOUND'): RestError =>
    code === 'NO_AUTH_FOUND' ? new RestError(401, 'NO_AUTH_FOUND', 'Wrong authorization data') : new RestError(401, 'INVALID_CREDENTIALS', 'Invalid request credentials'),
  /**
   * system-errors.md: 403 INVALID_CREDENTIALS — "The user associated with the access token or
   * webhook used to call the method lacks the necessary permissions" (here: a deactivated user).
   */
  inactiveUser: () => new RestError(403, 'INVALID_CREDENTIALS', 'Invalid request credentials'),
  invalidToken: () => new RestError(401, 'invalid_token', 'The access token provided is invalid.'),
  insufficientScope: () =>
    new RestError(403, 'insufficient_scope', 'The request requires higher privileges than provided by the webhook token'),
  /** rest-v3.md: unknown method → 404 ERROR_METHOD_NOT_FOUND. */
  methodNotFound: () => new RestError(404, 'ERROR_METHOD_NOT_FOUND', 'Method not found!'),
  /** limits.md / system-errors.md. */
  queryLimit: () => new RestError(503, 'QUERY_LIMIT_EXCEEDED', 'Too many requests'),
  /** limits.md "Resource Intensity Limits". */
  operationTimeLimit: () => new RestError(429, 'OPERATION_TIME_LIMIT', 'Method is blocked due to operation time limit.'),
  internal: () => new RestError(500, 'INTERNAL_SERVER_ERROR', 'Internal server error'),
  /** event.* work only with application (OAuth) authorization: Bitrix\Rest\AuthTypeException. */
  wrongAuthType: () => new RestError(403, 'WRONG_AUTH_TYPE', 'Current authorization type is denied for this method'),
  accessDenied: (more = '') => new RestError(403, 'ACCESS_DENIED', more ? `Access denied! ${more}` : 'Access denied!'),
  batchLength: () => new RestError(400, 'ERROR_BATCH_LENGTH_EXCEEDED', 'Max batch length exceeded'),
  batchNotAllowed: () => new RestError(405, 'ERROR_BATCH_METHOD_NOT_ALLOWED', 'Method is not allowed for batch usage'),
  argumentNull: (name: string) => new RestError(400, 'ERROR_ARGUMENT', `Argument '${name}' is null or empty`),
  argument: (text: string) => new RestError(400, 'ERROR_ARGUMENT', text),
  /** D7 controllers (crm.activity.todo.*, crm.timeline.comment.*, tasks.task.*) on a missing parameter. */
  missingParam: (name: string) => new RestError(400, '100', `Could not find value for parameter {${name}}`),
  idInvalid: () => crmError('ID is not defined or invalid.'),
  notFound: (text = 'Not found') => crmError(text),
  fieldsNotArray: () => crmError("Parameter 'fields' must be array."),
  filterNotArray: () => crmError("Parameter 'filter' must be array."),
  orderNotArray: () => crmError("Parameter 'order' must be array."),
  paramsNotArray: () => crmError("Parameter 'params' must be array."),
};
