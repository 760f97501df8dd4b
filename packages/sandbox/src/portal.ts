/**
 * The portal in process: its state, its clock, its event bus, and the admin actions a test or a
 * human uses to play the sales team (move a deal, lose it with a reason, win it, set a field).
 * Admin actions go through the same write rules as REST calls and fire the same events.
 */
import { crmError } from './errors';
import { addClient, addDeal, addLead, deleteDeal, findRecord, leadStatuses, moveDeal, stagesOf, updateDeal, updateLead, type CrmHost, type Origin } from './crm/entities';
import { fieldDefs, recordOut, type CrmKind } from './crm/fields';
import { APPLICATION_ONLY_EVENTS, BINDABLE_EVENTS, EventBus, type Delivery } from './events';
import { METHODS } from './methods';
import { profileOf, resolveSettings, seedProfile, type ProfileName } from './profiles';
import type { SeedName } from './seed';
import { emptyState, loadStateFile, nextId, saveStateFile, type OutgoingWebhookRec, type PortalSettings, type PortalState, type Rec } from './store';
import type { Rng } from './util';

export interface PortalOptions {
  /** Settings given explicitly at start (over the profile's); a reset keeps them. */
  settings: Partial<PortalSettings>;
  stateFile?: string;
  baseUrl: () => string;
  dropEventsPct: () => number;
  rng: Rng;
  eventTimeoutMs: number;
  /** The webhook user: admin actions act on its behalf unless told otherwise. */
  adminUserId: number;
}

export interface PortalSummary {
  users: number;
  departments: number;
  categories: Array<{ id: number; name: string; stages: Array<{ id: string; name: string; semantics: 'P' | 'S' | 'F' }> }>;
  leadStatuses: Array<{ id: string; name: string; semantics: 'P' | 'S' | 'F' }>;
  profile: string;
  settings: PortalSettings;
  counts: Record<string, number>;
  handlers: Array<{ id: number; event: string; handler: string; offline: boolean; owner: string }>;
  outgoingWebhooks: Array<{ id: number; handler: string; events: string[] }>;
  offlineQueue: number;
  deliveries: Record<string, number>;
  clock: { now: string; offsetMs: number };
}

const sem = (s: { SEMANTICS: 'S' | 'F' | null }): 'P' | 'S' | 'F' => (s.SEMANTICS === 'S' ? 'S' : s.SEMANTICS === 'F' ? 'F' : 'P');

export class Portal implements CrmHost {
  state: PortalState;
  readonly bus: EventBus;

  constructor(private readonly opts: PortalOptions, initial: PortalState) {
    this.state = initial;
    this.bus = new EventBus({
      state: () => this.state,
      now: () => this.now(),
      baseUrl: opts.baseUrl,
      dropEventsPct: opts.dropEventsPct,
      rng: opts.rng,
      timeoutMs: opts.eventTimeoutMs,
    });
  }

  /** The UTC offset (minutes) of every date the portal prints and of dates sent without one. */
  get tz(): number {
    return this.state.settings.utcOffsetMinutes;
  }

  /** The portal's settings (store.ts PortalSettings); change them with configure(). */
  get settings(): PortalSettings {
    return this.state.settings;
  }

  /**
   * Changes settings of the running portal, like an administrator in the portal UI (close-date
   * sync, the time zone, …). Returns the settings in force.
   */
  configure(patch: Partial<PortalSettings>): PortalSettings {
    this.state.settings = resolveSettings(this.state.settings, patch, this.now());
    return this.state.settings;
  }

  /** Portal time: the wall clock plus the offset set by advanceClock(). */
  now(): number {
    return Date.now() + this.state.clockOffsetMs;
  }

  /** Moves portal time forward (dates written from now on, "today", default close dates). */
  advanceClock(ms: number): void {
    this.state.clockOffsetMs += ms;
  }

  emit(event: string, data: Record<string, unknown>, origin: Origin): void {
    this.bus.emit(event, data, origin);
  }

  private admin(userId?: number): Origin {
    return { userId: userId ?? this.opts.adminUserId };
  }

  // --- reading ---------------------------------------------------------------------------------

  /** A record as the REST API prints it (crm.deal.get shape). */
  get(kind: CrmKind, id: number): Record<string, unknown> | undefined {
    const rec = findRecord(this.state, kind, id);
    return rec ? recordOut(fieldDefs(this.state, kind), rec, this.tz) : undefined;
  }

  /** Raw stored records of a collection (live objects; do not mutate). */
  records(collection: keyof PortalState): unknown {
    return this.state[collection];
  }

  private deal(id: number): Rec {
    const d = findRecord(this.state, 'deal', id);
    if (!d) throw crmError(`Deal ${id} not found`);
    return d;
  }

  private lead(id: number): Rec {
    const l = findRecord(this.state, 'lead', id);
    if (!l) throw crmError(`Lead ${id} not found`);
    return l;
  }

  // --- actions (the sales team) -----------------------------------------------------------------

  createDeal(fields: Record<string, unknown>, userId?: number): number {
    return addDeal(this, fields, this.admin(userId));
  }

  createLead(fields: Record<string, unknown>, userId?: number): number {
    return addLead(this, fields, this.admin(userId));
  }

  createCompany(fields: Record<string, unknown>, userId?: number): number {
    return addClient(this, 'company', fields, this.admin(userId));
  }

  createContact(fields: Record<string, unknown>, userId?: number): number {
    return addClient(this, 'contact', fields, this.admin(userId));
  }

  updateDeal(id: number, fields: Record<string, unknown>, userId?: number): void {
    updateDeal(this, this.deal(id), fields, this.admin(userId));
  }

  updateLead(id: number, fields: Record<string, unknown>, userId?: number): void {
    updateLead(this, this.lead(id), fields, this.admin(userId));
  }

  setDealField(id: number, field: string, value: unknown, userId?: number): void {
    this.updateDeal(id, { [field]: value }, userId);
  }

  /**
   * Replaces a deal's product rows the way crm.deal.productrows.set does (the amount follows the
   * rows and fires ONCRMDEALUPDATE when it changes). Admin convenience: a row without PRICE gets
   * the catalogue price of its product.
   */
  setDealProductRows(id: number, rows: Array<{ PRODUCT_ID: number; QUANTITY?: number; PRICE?: number }>, userId?: number): void {
    this.deal(id);
    const origin = this.admin(userId);
    const priced = rows.map((r) => ({ ...r, PRICE: r.PRICE ?? Number(this.state.products.find((p) => p.ID === Number(r.PRODUCT_ID))?.PRICE ?? 0) }));
    METHODS['crm.deal.productrows.set'].run({ id, rows: priced }, { portal: this, userId: origin.userId, isAdmin: true, auth: 'webhook', scopes: [], origin, viaBatch: false, raw: {} });
  }

  deleteDeal(id: number, userId?: number): void {
    deleteDeal(this, this.deal(id), this.admin(userId));
  }

  moveDeal(id: number, stageId: string, userId?: number): void {
    moveDeal(this, this.deal(id), stageId, this.admin(userId));
  }

  /**
   * Loses a deal. `reason` is a failure stage id of the deal's pipeline ("UC_PAYMENT",
   * "C1:LOSE") or its name ("Дорого"); default: the pipeline's first failure stage.
   */
  loseDeal(id: number, reason?: string, userId?: number): string {
    const deal = this.deal(id);
    const failures = stagesOf(this.state, Number(deal.CATEGORY_ID)).filter((s) => s.SEMANTICS === 'F');
    const stage = reason
      ? failures.find((s) => s.STATUS_ID === reason || s.NAME.toLowerCase() === reason.toLowerCase())
      : failures[0];
    if (!stage) throw crmError(`No failure stage "${reason ?? ''}" in pipeline ${String(deal.CATEGORY_ID)}`);
    moveDeal(this, deal, stage.STATUS_ID, this.admin(userId));
    return stage.STATUS_ID;
  }

  winDeal(id: number, userId?: number): string {
    const deal = this.deal(id);
    const stage = stagesOf(this.state, Number(deal.CATEGORY_ID)).find((s) => s.SEMANTICS === 'S');
    if (!stage) throw crmError(`No success stage in pipeline ${String(deal.CATEGORY_ID)}`);
    moveDeal(this, deal, stage.STATUS_ID, this.admin(userId));
    return stage.STATUS_ID;
  }

  /** Sets a lead's status by id or name ("JUNK", "Некачественный лид"). */
  setLeadStatus(id: number, status: string, userId?: number): string {
    const lead = this.lead(id);
    const s = leadStatuses(this.state).find((x) => x.STATUS_ID === status || x.NAME.toLowerCase() === status.toLowerCase());
    if (!s) throw crmError(`No lead status "${status}"`);
    updateLead(this, lead, { STATUS_ID: s.STATUS_ID }, this.admin(userId));
    return s.STATUS_ID;
  }

  /**
   * Activates or deactivates a user, as an administrator does when an employee leaves. When it
   * is the webhook's user, REST answers 403 INVALID_CREDENTIALS from then on (server.ts).
   */
  setUserActive(userId: number, active: boolean): void {
    const user = this.state.users.find((u) => u.ID === userId);
    if (!user) throw crmError(`User ${userId} not found`);
    user.ACTIVE = active;
  }

  /** The user the inbound webhook acts as. */
  get webhookUserId(): number {
    return this.opts.adminUserId;
  }

  /**
   * An outgoing webhook, as configured in the portal UI (Developer resources → Outgoing
   * webhook): a handler URL, a list of events, and the application token the portal generates.
   * The UI offers only the events an outgoing webhook can receive: ONCRMDEALMOVETOCATEGORY is
   * for applications (event.bind) only, and asking for it is refused (events.ts).
   */
  addOutgoingWebhook(handler: string, events: string[], applicationToken?: string): OutgoingWebhookRec {
    let url: URL;
    try {
      url = new URL(handler);
    } catch {
      throw new Error(`outgoing webhook: "${handler}" is not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('outgoing webhook: handler must be http(s)');
    const names = events.map((e) => e.toUpperCase());
    const unknown = names.filter((e) => !BINDABLE_EVENTS.includes(e));
    if (unknown.length) throw new Error(`outgoing webhook: unknown events ${unknown.join(', ')}`);
    const appOnly = names.filter((e) => APPLICATION_ONLY_EVENTS.includes(e));
    if (appOnly.length) {
      throw new Error(`outgoing webhook: ${appOnly.join(', ')} is not available to outgoing webhooks — only an application can subscribe to it (event.bind)`);
    }
    const hook: OutgoingWebhookRec = {
      ID: nextId(this.state, 'outgoingWebhook'),
      HANDLER: handler,
      EVENTS: names,
      APPLICATION_TOKEN: applicationToken ?? this.state.credentials.applicationToken,
    };
    this.state.outgoingWebhooks.push(hook);
    for (const ev of names) {
      this.state.handlers.push({ ID: nextId(this.state, 'handler'), EVENT_NAME: ev, HANDLER: handler, AUTH_TYPE: 0, OFFLINE: false, CONNECTOR_ID: '', OWNER: 'webhook', WEBHOOK_ID: hook.ID });
    }
    return hook;
  }

  removeOutgoingWebhook(id: number): boolean {
    const before = this.state.outgoingWebhooks.length;
    this.state.outgoingWebhooks = this.state.outgoingWebhooks.filter((w) => w.ID !== id);
    this.state.handlers = this.state.handlers.filter((h) => !(h.OWNER === 'webhook' && h.WEBHOOK_ID === id));
    return this.state.outgoingWebhooks.length < before;
  }

  /** Event deliveries so far (newest last). */
  get deliveries(): Delivery[] {
    return this.bus.deliveries;
  }

  /** Resolves when every queued event delivery has finished. */
  waitForDeliveries(): Promise<void> {
    return this.bus.idle();
  }

  // --- persistence ---------------------------------------------------------------------------------

  save(file = this.opts.stateFile): string {
    if (!file) throw new Error('no state file: pass one or start the sandbox with stateFile');
    saveStateFile(file, this.state);
    return file;
  }

  /** Replaces the state with a saved one. Credentials in the file are kept unless `keepCredentials`. */
  load(file = this.opts.stateFile, keepCredentials = true): string {
    if (!file) throw new Error('no state file: pass one or start the sandbox with stateFile');
    const next = loadStateFile(file);
    if (keepCredentials) next.credentials = this.state.credentials;
    this.state = next;
    return file;
  }

  /**
   * Back to a fresh seeded state of `profile` (default: the current one), credentials and the
   * settings given at start kept.
   */
  reset(seed: SeedName = 'demo', profile: ProfileName | string = this.state.profile): void {
    const creds = this.state.credentials;
    const next = emptyState();
    next.credentials = creds;
    seedProfile(next, profileOf(profile), seed, this.opts.settings, Date.now());
    this.state = next;
  }

  summary(): PortalSummary {
    const s = this.state;
    const deliveries: Record<string, number> = {};
    for (const d of this.bus.deliveries) deliveries[d.outcome] = (deliveries[d.outcome] ?? 0) + 1;
    return {
      users: s.users.length,
      departments: s.departments.length,
      profile: s.profile,
      settings: s.settings,
      categories: [...s.categories]
        .sort((a, b) => a.sort - b.sort || a.id - b.id)
        .map((c) => ({ id: c.id, name: c.name, stages: stagesOf(s, c.id).map((st) => ({ id: st.STATUS_ID, name: st.NAME, semantics: sem(st) })) })),
      leadStatuses: leadStatuses(s).map((st) => ({ id: st.STATUS_ID, name: st.NAME, semantics: sem(st) })),
      counts: {
        deals: s.deals.length,
        leads: s.leads.length,
        companies: s.companies.length,
        contacts: s.contacts.length,
        products: s.products.length,
        activities: s.activities.length,
        tasks: s.tasks.length,
        notifications: s.notifications.length,
        comments: s.comments.length,
        bizprocRuns: s.bizprocRuns.length,
        userFields: s.userFields.length,
      },
      handlers: s.handlers.map((h) => ({ id: h.ID, event: h.EVENT_NAME, handler: h.HANDLER, offline: h.OFFLINE, owner: h.OWNER })),
      outgoingWebhooks: s.outgoingWebhooks.map((w) => ({ id: w.ID, handler: w.HANDLER, events: w.EVENTS })),
      offlineQueue: s.offlineEvents.length,
      deliveries,
      clock: { now: new Date(this.now()).toISOString(), offsetMs: s.clockOffsetMs },
    };
  }
}
