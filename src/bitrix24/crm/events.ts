/**
 * Event handlers and the offline event queue (event.bind / unbind / get, event.offline.*).
 */
import { z } from 'zod';
import type { Bitrix24Client } from '../client';
import { flag, id, int, isoDate, row, str, text } from '../parse';
import { parseList, type CrmFilter } from './common';

export interface EventHandler {
  event: string;
  handler: string;
  authType: number;
  offline: boolean;
}

export interface OfflineEvent {
  id: number;
  at: string | null;
  event: string;
  data: unknown;
  additional: unknown;
  messageId: string | null;
}

const eventHandlerSchema = row({ event: str, handler: str, auth_type: int(0), offline: flag }).transform((r): EventHandler => ({ event: r.event, handler: r.handler, authType: r.auth_type, offline: r.offline }));

const offlineEventSchema = row({ ID: id, TIMESTAMP_X: isoDate, EVENT_NAME: str, EVENT_DATA: z.unknown(), EVENT_ADDITIONAL: z.unknown(), MESSAGE_ID: text }).transform((r): OfflineEvent => ({
  id: r.ID, at: r.TIMESTAMP_X, event: r.EVENT_NAME, data: r.EVENT_DATA, additional: r.EVENT_ADDITIONAL, messageId: r.MESSAGE_ID,
}));

/** event.bind / event.unbind params: the event, the handler, and what the caller gave of the rest. */
function bindingParams(b: { event: string; handler: string; authType?: number; eventType?: 'online' | 'offline' }): Record<string, unknown> {
  const params: Record<string, unknown> = { event: b.event, handler: b.handler };
  if (b.authType !== undefined) params.auth_type = b.authType;
  if (b.eventType !== undefined) params.event_type = b.eventType;
  return params;
}

export interface EventsApi {
  /** event.bind — 1 request. */
  eventBind(b: { event: string; handler: string; authType?: number; eventType?: 'online' | 'offline'; authConnector?: string }): Promise<boolean>;
  /** event.unbind — 1 request; how many handlers were removed. */
  eventUnbind(b: { event: string; handler: string; authType?: number; eventType?: 'online' | 'offline' }): Promise<number>;
  /** event.get — 1 request. */
  eventGet(): Promise<EventHandler[]>;
  /**
   * event.offline.get — 1 request. `clear` defaults to FALSE here (the portal's default is to
   * delete what it returns): read, process, then eventOfflineClear — nothing is lost on a crash.
   */
  eventOfflineGet(q?: { clear?: boolean; processId?: string; limit?: number; filter?: CrmFilter; authConnector?: string }): Promise<{ processId: string | null; events: OfflineEvent[] }>;
  /** event.offline.clear — 1 request. */
  eventOfflineClear(q: { processId: string; ids?: number[]; messageIds?: string[] }): Promise<void>;
}

export function createEventsApi(client: Bitrix24Client): EventsApi {
  return {
    eventBind: async (b) => {
      const params = bindingParams(b);
      if (b.authConnector !== undefined) params.auth_connector = b.authConnector;
      return (await client.call<unknown>('event.bind', params)) === true;
    },

    eventUnbind: async (b) => {
      const r = await client.call<{ count?: unknown }>('event.unbind', bindingParams(b));
      return Number(r?.count ?? 0) || 0;
    },

    eventGet: async () => parseList(eventHandlerSchema, await client.call('event.get', {}), 'event.get'),

    eventOfflineGet: async (q = {}) => {
      const params: Record<string, unknown> = { clear: q.clear ? 1 : 0 };
      if (q.processId !== undefined) params.process_id = q.processId;
      if (q.limit !== undefined) params.limit = q.limit;
      if (q.filter !== undefined) params.filter = q.filter;
      if (q.authConnector !== undefined) params.auth_connector = q.authConnector;
      const r = await client.call<{ process_id?: unknown; events?: unknown }>('event.offline.get', params);
      return {
        processId: typeof r?.process_id === 'string' && r.process_id ? r.process_id : null,
        events: parseList(offlineEventSchema, r?.events ?? [], 'event.offline.get'),
      };
    },

    eventOfflineClear: async (q) => {
      const params: Record<string, unknown> = { process_id: q.processId };
      if (q.ids !== undefined) params.id = q.ids;
      if (q.messageIds !== undefined) params.message_id = q.messageIds;
      await client.call('event.offline.clear', params);
    },
  };
}
