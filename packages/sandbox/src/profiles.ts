/**
 * Portal profiles: the kinds of portal the sandbox can be. A profile is data (what the seed
 * writes) plus settings (PortalSettings in store.ts, which the methods consult) — never a branch
 * inside a method.
 *
 *  - `demo` (default): the demo company of seed.ts; Moscow time, close-date sync on.
 *  - `real-world`: the demo data plus the shapes ordinary portals have (seed-real-world.ts);
 *    close-date sync off, Asia/Yekaterinburg (+05:00), a wrong webhook code answers
 *    401 NO_AUTH_FOUND.
 *
 * Any profile: the webhook user can be made inactive (portal.setUserActive, PATCH
 * /_sandbox/users/:id) — REST then answers 403 INVALID_CREDENTIALS (server.ts).
 */
import { seedPortal, type SeedName } from './seed';
import { REAL_WORLD, seedRealWorld } from './seed-real-world';
import { DEFAULT_SETTINGS, type PortalSettings, type PortalState } from './store';
import { offsetSuffix } from './util';

export const PROFILE_NAMES = ['demo', 'real-world'] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

export interface PortalProfile {
  name: ProfileName;
  /** One line for the CLI banner and the README. */
  summary: string;
  settings: PortalSettings;
  /** Writes the profile's data into a state that has only its settings. */
  seed(state: PortalState, at: { tz: number; now: number }): void;
}

export const PROFILES: Record<ProfileName, PortalProfile> = {
  demo: {
    name: 'demo',
    summary: 'the demo company; Moscow time (+03:00); close-date sync on',
    settings: { ...DEFAULT_SETTINGS },
    seed: (state, at) => seedPortal(state, 'demo', at),
  },
  'real-world': {
    name: 'real-world',
    summary: `the demo data plus parallel open deals, secondary contacts, multiple-value fields; ${REAL_WORLD.timeZone} (${REAL_WORLD.utcOffset}); close-date sync off`,
    settings: {
      closeDateSync: false,
      timeZone: REAL_WORLD.timeZone,
      utcOffsetMinutes: 300,
      wrongWebhookCodeError: 'NO_AUTH_FOUND',
    },
    seed: (state, at) => {
      seedPortal(state, 'demo', at);
      seedRealWorld(state, at);
    },
  },
};

export function isProfileName(name: unknown): name is ProfileName {
  return typeof name === 'string' && (PROFILE_NAMES as readonly string[]).includes(name);
}

export function profileOf(name: string | undefined): PortalProfile {
  const n = name ?? 'demo';
  if (!isProfileName(n)) throw new Error(`unknown portal profile "${n}" (expected ${PROFILE_NAMES.join(' or ')})`);
  return PROFILES[n];
}

const FIXED_OFFSET = /^(?:UTC|GMT)?([+-])(\d{2}):?(\d{2})$/i;

/**
 * The UTC offset (minutes) of a time zone at an instant: an IANA name ("Asia/Yekaterinburg"
 * → 300) or a fixed offset ("UTC+05:00"). Unknown names are an error.
 */
export function utcOffsetOf(timeZone: string, at: number): number {
  const fixed = FIXED_OFFSET.exec(timeZone.trim());
  if (fixed) return (fixed[1] === '-' ? -1 : 1) * (Number(fixed[2]) * 60 + Number(fixed[3]));
  let name: string | undefined;
  try {
    name = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' }).formatToParts(new Date(at)).find((p) => p.type === 'timeZoneName')?.value;
  } catch {
    throw new Error(`unknown time zone "${timeZone}" (expected an IANA name such as Europe/Moscow, or UTC+05:00)`);
  }
  const m = /^GMT(?:([+-])(\d{2}):(\d{2}))?$/.exec(name ?? '');
  if (!m) throw new Error(`cannot read the UTC offset of time zone "${timeZone}"`);
  return m[1] ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
}

/**
 * The settings of a portal: the base (the profile's, or a loaded state's), then the explicit
 * ones. A time zone given without an offset gets its offset now; an offset given without a
 * time zone names a fixed-offset zone.
 */
export function resolveSettings(base: PortalSettings, patch: Partial<PortalSettings> = {}, at = Date.now()): PortalSettings {
  const out: PortalSettings = { ...base, ...patch };
  if (patch.timeZone !== undefined && patch.utcOffsetMinutes === undefined) out.utcOffsetMinutes = utcOffsetOf(patch.timeZone, at);
  if (patch.utcOffsetMinutes !== undefined && patch.timeZone === undefined) out.timeZone = `UTC${offsetSuffix(patch.utcOffsetMinutes)}`;
  if (!Number.isInteger(out.utcOffsetMinutes) || Math.abs(out.utcOffsetMinutes) > 14 * 60) throw new Error(`utcOffsetMinutes must be whole minutes within ±14 h (got ${out.utcOffsetMinutes})`);
  if (out.wrongWebhookCodeError !== 'INVALID_CREDENTIALS' && out.wrongWebhookCodeError !== 'NO_AUTH_FOUND') {
    throw new Error('wrongWebhookCodeError must be INVALID_CREDENTIALS or NO_AUTH_FOUND');
  }
  out.closeDateSync = !!out.closeDateSync;
  return out;
}

/** A fresh state of the profile: its settings (with the explicit ones), then its data unless `seed` is empty. */
export function seedProfile(state: PortalState, profile: PortalProfile, seed: SeedName, settings: Partial<PortalSettings>, now: number): void {
  state.profile = profile.name;
  state.settings = resolveSettings(profile.settings, settings, now);
  const at = { tz: state.settings.utcOffsetMinutes, now };
  if (seed === 'empty') seedPortal(state, 'empty', at);
  else profile.seed(state, at);
}
