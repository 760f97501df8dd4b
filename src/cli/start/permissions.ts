/**
 * `npm start`'s check of the webhook before anything sleeps: the scopes the rules need
 * (src/setup/scopes.ts), read once with `scope`. A missing scope stops start-up with a
 * ConfigError naming each one (exit 2); when `scope` itself cannot be read (an old portal, the
 * portal unreachable), a warning says so and start-up goes on.
 */
import { createCrmApi, type Bitrix24Client } from '../../bitrix24';
import type { Rules } from '../../config/rules';
import { checkWebhookScopes, missingScopesMessage } from '../../setup/scopes';
import type { Logger } from '../../shared/log';
import { ConfigError } from './lifecycle';

export async function checkWebhookPermissions(b24: Bitrix24Client, rules: Rules, log: Logger): Promise<void> {
  const check = await checkWebhookScopes(createCrmApi(b24), rules);
  const needed = check.needs.map((n) => n.scope);
  if (check.status === 'unknown') {
    log.warn("could not read the webhook's scopes: starting without checking them (a missing one fails its first call)", { reason: check.reason, needed });
    return;
  }
  if (check.status === 'missing') throw new ConfigError([{ variable: 'B24_WEBHOOK_URL', message: missingScopesMessage(check.missing) }]);
  log.info('webhook scopes ok', { needed, granted: check.granted });
}
