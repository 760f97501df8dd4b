/**
 * Permissions (scopes): which scope a REST method needs, and whether a webhook's scopes cover it
 * (the webhook's own scopes: UsersApi.webhookScopes, the documented `scope` method). Pure.
 *
 *  - `scope` (api-reference/common/system/scope.md, scope `basic`): "If the method is called
 *    without parameters, it will return all permissions available for this application" —
 *    `{"result": ["department", "entity", "log", "user"]}`.
 *  - The scope of each method is in the header of its page (api-reference/scopes/permissions.md
 *    lists them). `user.get` works with `user` and with its limited versions `user_brief` and
 *    `user_basic` (user-get.md; user-scope.md: both include ID, ACTIVE, NAME, LAST_NAME and
 *    UF_DEPARTMENT — all the service reads of a user).
 *  - A method outside the webhook's scopes answers 403 `insufficient_scope` (_includes/system-errors.md).
 */
/** The scopes the service's calls need (basic methods — scope, server.time, event.* — need none). */
export type ServiceScope = 'crm' | 'user' | 'department' | 'im' | 'task' | 'bizproc';

/** Method name prefix → scope, from each method's page. */
const SCOPE_BY_PREFIX: readonly [string, ServiceScope | 'catalog'][] = [
  ['crm.', 'crm'],
  ['user.', 'user'],
  ['department.', 'department'],
  ['im.', 'im'],
  ['tasks.', 'task'],
  ['task.', 'task'],
  ['bizproc.', 'bizproc'],
  ['catalog.', 'catalog'],
];

/** The scope `method` needs (`im.notify.system.add` → `im`); undefined when none or unknown. */
export function scopeOfMethod(method: string): string | undefined {
  const name = method.trim().toLowerCase();
  return SCOPE_BY_PREFIX.find(([prefix]) => name.startsWith(prefix))?.[1];
}

/** Versions of a scope that grant what the service needs of it (user-scope.md). */
const GRANTED_BY: Partial<Record<string, readonly string[]>> = { user: ['user', 'user_basic', 'user_brief'] };

/** Whether the `granted` scopes cover `needed`. */
export function hasScope(granted: readonly string[], needed: string): boolean {
  const names = new Set(granted.map((s) => s.trim().toLowerCase()));
  return (GRANTED_BY[needed] ?? [needed]).some((s) => names.has(s));
}
