/**
 * The one redaction of secrets in text (log lines, error messages, printed URLs): inbound-webhook
 * secrets in `/rest/<user>/<secret>` (and the v3 `/rest/api/<user>/<secret>`), token pairs, and
 * literal secrets the process registered. No I/O; safe anywhere.
 */

/** `/rest/<user>/<secret>` and `/rest/api/<user>/<secret>` (v3 form). */
const WEBHOOK_PATH = /(\/rest\/(?:api\/)?\d+\/)[^/\s"'?#]+/g;
/** `application_token=...`, `"application_token":"..."`, `auth[application_token]=...`. */
const TOKEN_PAIRS = /((?:application_token|access_token|refresh_token|auth)\]?["']?\s*[:=]\s*["']?)[^&"'\s,}]+/gi;

const knownSecrets = new Set<string>();

/**
 * Remembers literal secrets (webhook secret, application token) so that every text that passes
 * through `redactSecrets` is scrubbed of them even outside the URL shape. Process-wide on
 * purpose: errors and log lines may be rendered far from the code that knows the secret.
 */
export function registerSecret(secret: string | undefined): void {
  if (secret && secret.length >= 4) knownSecrets.add(secret);
}

export function redactSecrets(text: string): string {
  if (!text) return text;
  let out = text.replace(WEBHOOK_PATH, '$1***').replace(TOKEN_PAIRS, '$1***');
  for (const s of knownSecrets) if (out.includes(s)) out = out.split(s).join('***');
  return out;
}
