/**
 * Setup phase 3: the user fields the rules read and write (by name; created when missing, with
 * their list items), checked for a type the service can use and for the list items the rules name.
 */
import { formatRulePath, type FieldNeed, type UserFieldEntity } from './requirements';
import { edit, failure, report, sameName, type Run } from './run';

// ---- 3. User fields -------------------------------------------------------------------------

/** The user fields of each entity, read once per run (read again after setup adds one). */
type FieldCache = Map<UserFieldEntity, PortalField[]>;

export async function ensureFields(run: Run, needs: FieldNeed[]): Promise<void> {
  run.deps.reporter.line('Fields');
  const fields: FieldCache = new Map();
  for (const need of needs) await ensureField(run, need, fields);
}

async function fieldsOf(run: Run, cache: FieldCache, entity: UserFieldEntity): Promise<PortalField[]> {
  let list = cache.get(entity);
  if (!list) {
    list = (await run.deps.b24.listAll<Record<string, unknown>>(`crm.${entity}.userfield.list`, { order: { SORT: 'ASC' } })).map(toPortalField);
    cache.set(entity, list);
  }
  return list;
}

async function ensureField(run: Run, need: FieldNeed, cache: FieldCache): Promise<void> {
  const subject = `${need.entity} field ${need.fieldName} (${need.userTypeId === 'enumeration' ? 'list' : need.userTypeId})`;
  let list: PortalField[];
  try {
    list = await fieldsOf(run, cache, need.entity);
  } catch (error) {
    report(run, { kind: 'field', subject, status: 'failed', detail: `cannot list ${need.entity} fields: ${failure(error)}` });
    return;
  }
  let found = list.find((f) => f.fieldName === need.fieldName);
  let created = false;
  if (!found) {
    if (run.check) {
      report(run, { kind: 'field', subject, status: 'missing', detail: itemsText(need) });
      return;
    }
    try {
      await run.deps.b24.call(`crm.${need.entity}.userfield.add`, { fields: userFieldPayload(need) });
      created = true;
      // Enumeration items get their ids only now: read the field back.
      cache.delete(need.entity);
      found = (await fieldsOf(run, cache, need.entity)).find((f) => f.fieldName === need.fieldName);
    } catch (error) {
      report(run, { kind: 'field', subject, status: 'failed', detail: failure(error) });
      return;
    }
    if (!found) {
      report(run, { kind: 'field', subject, status: 'failed', detail: 'created, but the portal does not list it' });
      return;
    }
  }
  reportField(run, need, subject, found, created);
}

/** A field the portal has (or now has): its type and list items against what the rules need. */
function reportField(run: Run, need: FieldNeed, subject: string, found: PortalField, created: boolean): void {
  const problems: string[] = [];
  if (!need.accepts.includes(found.userTypeId)) problems.push(`it is of type ${found.userTypeId} on the portal; the service needs ${need.accepts.join(' or ')}`);
  const mapped: string[] = [];
  for (const item of need.items ?? []) {
    if (found.list.some((i) => i.id === item.value)) continue;
    const byLabel = found.list.find((i) => sameName(i.value, item.label));
    if (byLabel) {
      edit(run, [item.path], item.value, byLabel.id);
      mapped.push(`«${item.label}» = ${byLabel.id}`);
    } else {
      problems.push(`no list item ${item.value} «${item.label}» (${formatRulePath(item.path)}); items: ${found.list.map((i) => `${i.id} «${i.value}»`).join(', ') || 'none'}`);
    }
  }
  const itemNote = mapped.length > 0 ? `list items ${mapped.join(', ')} (see "Edit the rules" below)` : undefined;
  if (created) report(run, { kind: 'field', subject, status: 'created', detail: itemNote });
  else if (problems.length > 0) report(run, { kind: 'field', subject, status: 'differs', detail: [...problems, ...(itemNote ? [itemNote] : [])].join('; ') });
  else report(run, { kind: 'field', subject, status: mapped.length > 0 ? 'differs' : 'ok', detail: itemNote });
}

interface PortalField {
  fieldName: string;
  userTypeId: string;
  list: { id: string; value: string }[];
}

function toPortalField(row: Record<string, unknown>): PortalField {
  const list = Array.isArray(row.LIST) ? (row.LIST as Record<string, unknown>[]) : [];
  return {
    fieldName: String(row.FIELD_NAME ?? ''),
    userTypeId: String(row.USER_TYPE_ID ?? ''),
    list: list.map((i) => ({ id: String(i.ID ?? ''), value: String(i.VALUE ?? '') })),
  };
}

/** crm.<entity>.userfield.add `fields` (b24restdocs crm-deal-userfield-add.md). */
function userFieldPayload(need: FieldNeed): Record<string, unknown> {
  const fields: Record<string, unknown> = {
    FIELD_NAME: need.fieldName,
    USER_TYPE_ID: need.userTypeId,
    LABEL: need.label,
    EDIT_FORM_LABEL: need.label,
    LIST_COLUMN_LABEL: need.label,
    LIST_FILTER_LABEL: need.label,
    XML_ID: `b24-reactivation:${need.fieldName}`,
    MULTIPLE: 'N',
    MANDATORY: 'N',
    SHOW_FILTER: 'Y',
  };
  if (need.userTypeId === 'enumeration') {
    fields.LIST = (need.items ?? []).map((item, i) => ({ VALUE: item.label, SORT: (i + 1) * 10, DEF: 'N' }));
  }
  return fields;
}

function itemsText(need: FieldNeed): string | undefined {
  return need.items && need.items.length > 0 ? `list items ${need.items.map((i) => `«${i.label}»`).join(', ')}` : undefined;
}
