/**
 * CRM and collaboration methods against their pages: deals (stage rules, product rows, contact
 * bindings, user fields), directories (crm.status, crm.category), leads, users and departments,
 * to-dos, tasks, notifications, timeline comments, business processes, products.
 */
import assert from 'node:assert/strict';
import { DEMO, type SandboxHandle } from '../src';
import { call, sandbox } from './helpers';

describe('sandbox: CRM methods', () => {
  let sb: SandboxHandle;
  before(async () => {
    sb = await sandbox();
  });
  after(async () => {
    await sb.close();
  });
  const get = async (id: number) => (await call(sb, 'crm.deal.get', { id })).body.result;

  describe('deals', () => {
    it('the demo pipeline: one failure stage per loss reason, a won stage; SEMANTICS and EXTRA.SEMANTICS (crm-status-list.md)', async () => {
      const stages = (await call(sb, 'crm.status.list', { filter: { ENTITY_ID: 'DEAL_STAGE' }, order: { SORT: 'ASC' } })).body.result as Array<Record<string, any>>;
      const failures = stages.filter((s) => s.SEMANTICS === 'F').map((s) => [s.NAME, s.STATUS_ID]);
      assert.deepEqual(Object.fromEntries(failures), DEMO.lossStages);
      const won = stages.find((s) => s.STATUS_ID === 'WON')!;
      assert.equal(won.SEMANTICS, 'S');
      assert.deepEqual(won.EXTRA, { SEMANTICS: 'success', COLOR: won.COLOR });
      assert.equal(stages.find((s) => s.STATUS_ID === 'NEW')!.SEMANTICS, null);
      assert.equal(stages[0].CATEGORY_ID, null);
      const reactivation = (await call(sb, 'crm.status.list', { filter: { ENTITY_ID: `DEAL_STAGE_${DEMO.reactivationCategoryId}` } })).body.result as Array<Record<string, any>>;
      const forgotten = reactivation.find((s) => s.STATUS_ID === DEMO.reactivationStages.forgotten)!;
      assert.equal(forgotten.NAME, 'Забытый клиент');
      assert.equal(forgotten.SEMANTICS, 'F');
      assert.equal(forgotten.CATEGORY_ID, '1');
    });

    it('STAGE_SEMANTIC_ID and CLOSED follow the stage; closing sets CLOSEDATE to the closing day; DATE_MODIFY moves (crm-deal-get.md)', async () => {
      const id = (await call(sb, 'crm.deal.add', { fields: { TITLE: 'Семантика', CLOSEDATE: '2030-01-01' } })).body.result;
      const d0 = await get(id);
      assert.equal(d0.STAGE_SEMANTIC_ID, 'P');
      assert.equal(d0.CLOSED, 'N');
      assert.equal(d0.IS_NEW, 'Y');
      sb.portal.advanceClock(120_000);
      await call(sb, 'crm.deal.update', { id, fields: { STAGE_ID: 'UC_DELIVERY' } });
      const d1 = await get(id);
      assert.equal(d1.STAGE_SEMANTIC_ID, 'F');
      assert.equal(d1.CLOSED, 'Y');
      assert.notEqual(d1.CLOSEDATE, d0.CLOSEDATE);
      assert.ok(Date.parse(d1.DATE_MODIFY) > Date.parse(d0.DATE_MODIFY));
      assert.ok(Date.parse(d1.MOVED_TIME) > Date.parse(d0.MOVED_TIME));
    });

    it('crm.deal.update: a stage of another pipeline changes nothing; CATEGORY_ID is immutable (deals/index.md "How to Change a Deal\'s Funnel")', async () => {
      const r = await call(sb, 'crm.deal.update', { id: 101, fields: { STAGE_ID: 'C1:WON', CATEGORY_ID: 1 } });
      assert.equal(r.body.result, true);
      const d = await get(101);
      assert.equal(d.STAGE_ID, 'NEW');
      assert.equal(d.CATEGORY_ID, '0');
      const nonsense = await call(sb, 'crm.deal.update', { id: 101, fields: { STAGE_ID: 'NO_SUCH' } });
      assert.equal(nonsense.body.result, true);
      assert.equal((await get(101)).STAGE_ID, 'NEW');
      assert.equal((await call(sb, 'crm.deal.update', { id: 999_999, fields: {} })).body.error_description, 'Not found');
    });

    it('crm.deal.add: STAGE_ID alone selects its pipeline; a stage outside the pipeline is an error (crm-deal-add.md)', async () => {
      const id = (await call(sb, 'crm.deal.add', { fields: { TITLE: 'x', STAGE_ID: 'C1:PREPARATION' } })).body.result;
      const d = await get(id);
      assert.equal(d.CATEGORY_ID, '1');
      const bad = await call(sb, 'crm.deal.add', { fields: { TITLE: 'x', CATEGORY_ID: 0, STAGE_ID: 'C1:NEW' } });
      assert.equal(bad.status, 400);
      const noCat = await call(sb, 'crm.deal.add', { fields: { TITLE: 'x', CATEGORY_ID: 42 } });
      assert.equal(noCat.status, 400);
    });

    it('ORIGINATOR_ID / ORIGIN_ID, IS_RETURN_CUSTOMER, CONTACT_IDS round-trip; unknown and read-only fields are ignored (crm-deal-update.md)', async () => {
      const id = (await call(sb, 'crm.deal.add', {
        fields: { TITLE: 'Копия', ORIGINATOR_ID: 'b24-reactivation', ORIGIN_ID: 'deal-110-1', IS_RETURN_CUSTOMER: 'Y', COMPANY_ID: 7, CONTACT_IDS: [8, 2], NO_SUCH: 1, DATE_CREATE: '2000-01-01', ID: 5 },
      })).body.result;
      const d = await get(id);
      assert.equal(d.ORIGINATOR_ID, 'b24-reactivation');
      assert.equal(d.ORIGIN_ID, 'deal-110-1');
      assert.equal(d.IS_RETURN_CUSTOMER, 'Y');
      assert.equal(d.COMPANY_ID, '7');
      assert.equal(d.CONTACT_ID, '8');
      assert.notEqual(d.ID, '5');
      assert.ok(!d.DATE_CREATE.startsWith('2000'));
      const items = (await call(sb, 'crm.deal.contact.items.get', { id })).body.result;
      assert.deepEqual(items, [
        { CONTACT_ID: 8, SORT: 10, ROLE_ID: 0, IS_PRIMARY: 'Y' },
        { CONTACT_ID: 2, SORT: 20, ROLE_ID: 0, IS_PRIMARY: 'N' },
      ]);
    });

    it('crm.deal.contact.items.set: the first IS_PRIMARY=Y wins, else the first item; errors per page (crm-deal-contact-items-set.md)', async () => {
      assert.equal((await call(sb, 'crm.deal.contact.items.set', { id: 104, items: [{ CONTACT_ID: 6 }, { CONTACT_ID: 9, IS_PRIMARY: 'Y' }] })).body.result, true);
      const items = (await call(sb, 'crm.deal.contact.items.get', { id: 104 })).body.result;
      assert.deepEqual(items.map((i: { CONTACT_ID: number; IS_PRIMARY: string }) => [i.CONTACT_ID, i.IS_PRIMARY]), [[6, 'N'], [9, 'Y']]);
      assert.equal((await get(104)).CONTACT_ID, '9');
      assert.equal((await call(sb, 'crm.deal.contact.items.get', { id: 0 })).body.error_description, 'The parameter ownerEntityID is invalid or not defined.');
      assert.equal((await call(sb, 'crm.deal.contact.items.get', { id: 999_999 })).body.error_description, 'Not found.');
      assert.equal((await call(sb, 'crm.deal.contact.items.set', { id: 104, items: 'x' })).body.error_description, 'The parameter items must be array.');
    });

    it('crm.deal.productrows.set replaces the rows and recomputes OPPORTUNITY; get prints the documented row (crm-deal-productrows-*.md)', async () => {
      const id = (await call(sb, 'crm.deal.add', { fields: { TITLE: 'Товары' } })).body.result;
      assert.equal((await call(sb, 'crm.deal.productrows.set', { id, rows: [{ PRODUCT_ID: 2, PRICE: 30, QUANTITY: 100 }, { PRODUCT_NAME: 'Доставка', PRICE: 1500 }] })).body.result, true);
      const rows = (await call(sb, 'crm.deal.productrows.get', { id })).body.result;
      assert.equal(rows.length, 2);
      assert.equal(rows[0].PRODUCT_ID, 2);
      assert.equal(rows[0].PRODUCT_NAME, 'Мешок бумажный для муки 50 кг', 'the name comes from the product');
      assert.equal(rows[0].OWNER_TYPE, 'D');
      assert.equal(rows[0].OWNER_ID, String(id));
      assert.equal(rows[1].QUANTITY, 1);
      assert.equal((await get(id)).OPPORTUNITY, '4500.00');
      const bad = await call(sb, 'crm.deal.productrows.set', { id, rows: [{ PRICE: 1, DISCOUNT_TYPE_ID: 1 }] });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error, 'ERROR_CORE');
      assert.equal((await call(sb, 'crm.deal.productrows.get', { id: 999_999 })).body.error_description, 'Not found');
    });

    it('crm.deal.userfield.add normalizes FIELD_NAME and validates; values round-trip; list shows it (crm-deal-userfield-add.md, -list.md)', async () => {
      const add = await call(sb, 'crm.deal.userfield.add', { fields: { FIELD_NAME: 'reactivation_date', USER_TYPE_ID: 'date', LABEL: 'Дата реактивации' } });
      assert.equal(typeof add.body.result, 'number');
      assert.equal((await call(sb, 'crm.deal.userfield.add', { fields: { FIELD_NAME: 'UF_REASON', USER_TYPE_ID: 'string' } })).status, 200);
      const list = (await call(sb, 'crm.deal.userfield.list', { filter: { FIELD_NAME: 'UF_CRM_REACTIVATION_DATE' } })).body.result;
      assert.equal(list.length, 1);
      assert.equal(list[0].ENTITY_ID, 'CRM_DEAL');
      assert.equal(list[0].EDIT_FORM_LABEL, 'Дата реактивации');
      assert.ok((await call(sb, 'crm.deal.userfield.list', {})).body.result.some((u: { FIELD_NAME: string }) => u.FIELD_NAME === 'UF_CRM_REASON'));
      const dup = await call(sb, 'crm.deal.userfield.add', { fields: { FIELD_NAME: 'UF_CRM_REACTIVATION_DATE', USER_TYPE_ID: 'date' } });
      assert.equal(dup.body.error, 'ERROR_CORE');
      assert.equal((await call(sb, 'crm.deal.userfield.add', { fields: { FIELD_NAME: 'bad-name', USER_TYPE_ID: 'string' } })).body.error, 'ERROR_CORE');
      assert.equal((await call(sb, 'crm.deal.userfield.add', { fields: { FIELD_NAME: 'X', USER_TYPE_ID: 'nope' } })).body.error_description, 'Incorrect custom type specified.');
      assert.equal((await call(sb, 'crm.deal.userfield.add', { fields: { USER_TYPE_ID: 'string' } })).body.error_description, "The 'FIELD_NAME' field is not found.");
      await call(sb, 'crm.deal.update', { id: 110, fields: { UF_CRM_REACTIVATION_DATE: '2031-02-03', UF_CRM_REASON: 'Дорого' } });
      const d = await get(110);
      assert.equal(d.UF_CRM_REACTIVATION_DATE, '2031-02-03T00:00:00+03:00');
      assert.equal(d.UF_CRM_REASON, 'Дорого');
      const byUf = (await call(sb, 'crm.deal.list', { filter: { '>=UF_CRM_REACTIVATION_DATE': '2031-01-01' }, select: ['ID'] })).body.result;
      assert.deepEqual(byUf, [{ ID: '110' }]);
      assert.ok('UF_CRM_REACTIVATION_DATE' in (await call(sb, 'crm.deal.fields')).body.result);
    });
  });

  describe('directories', () => {
    it('crm.category.add creates a pipeline with its stages; crm.status.add prefixes C<id>: (crm-category-add.md, crm-status-add.md)', async () => {
      const cat = (await call(sb, 'crm.category.add', { entityTypeId: 2, fields: { name: 'Тендеры', sort: 300 } })).body.result.category;
      assert.equal(cat.name, 'Тендеры');
      assert.equal(cat.entityTypeId, 2);
      assert.equal(cat.isDefault, 'N');
      const stages = (await call(sb, 'crm.status.list', { filter: { ENTITY_ID: `DEAL_STAGE_${cat.id}` } })).body.result;
      assert.ok(stages.some((s: { STATUS_ID: string }) => s.STATUS_ID === `C${cat.id}:NEW`));
      const added = await call(sb, 'crm.status.add', { fields: { ENTITY_ID: `DEAL_STAGE_${cat.id}`, STATUS_ID: 'FORGOTTEN', NAME: 'Забытый клиент', SORT: 90, SEMANTICS: 'F' } });
      assert.equal(typeof added.body.result, 'number');
      const after = (await call(sb, 'crm.status.list', { filter: { ENTITY_ID: `DEAL_STAGE_${cat.id}`, STATUS_ID: `C${cat.id}:FORGOTTEN` } })).body.result;
      assert.equal(after.length, 1);
      assert.equal(after[0].SEMANTICS, 'F');
      const dup = await call(sb, 'crm.status.add', { fields: { ENTITY_ID: `DEAL_STAGE_${cat.id}`, STATUS_ID: `C${cat.id}:FORGOTTEN`, NAME: 'x' } });
      assert.deepEqual(dup.body, { error: 'ERROR_CORE', error_description: 'The specified status ID already exists.' });
      const afterWon = await call(sb, 'crm.status.add', { fields: { ENTITY_ID: 'DEAL_STAGE', STATUS_ID: 'LATE', NAME: 'После успеха', SORT: 500 } });
      assert.equal(afterWon.status, 400, 'in-progress stages cannot sort after the success stage');
      const missing = await call(sb, 'crm.status.add', { fields: { NAME: 'x' } });
      assert.match(missing.body.error_description, /ENTITY_ID is required.*STATUS_ID is required/);
      assert.equal((await call(sb, 'crm.status.add', { fields: { ENTITY_ID: 'NOPE', STATUS_ID: 'X', NAME: 'x' } })).body.error_description, 'Specified entity type is not supported.');
    });

    it('crm.category.list needs entityTypeId; other entity types are refused (crm-category-list.md)', async () => {
      const list = (await call(sb, 'crm.category.list', { entityTypeId: 2 })).body;
      assert.equal(list.result.categories[0].isDefault, 'Y');
      assert.equal(list.total, list.result.categories.length);
      assert.equal((await call(sb, 'crm.category.list', { entityTypeId: 9999 })).body.error, 'NOT_FOUND');
      assert.equal((await call(sb, 'crm.category.list', { entityTypeId: 4 })).body.error, 'ENTITY_TYPE_NOT_SUPPORTED');
    });

    it('lead statuses: JUNK and the custom failure statuses carry F semantics; leads follow them (crm-lead-get.md)', async () => {
      const statuses = (await call(sb, 'crm.status.list', { filter: { ENTITY_ID: 'STATUS', SEMANTICS: 'F' } })).body.result.map((s: { STATUS_ID: string }) => s.STATUS_ID);
      assert.deepEqual(statuses, ['JUNK', 'UC_NOANSWER', 'UC_EXPENSIVE']);
      const lead = (await call(sb, 'crm.lead.get', { id: DEMO.leads.junk })).body.result;
      assert.equal(lead.STATUS_SEMANTIC_ID, 'F');
      assert.notEqual(lead.DATE_CLOSED, '');
      assert.ok(Array.isArray(lead.PHONE));
      await call(sb, 'crm.lead.update', { id: DEMO.leads.junk, fields: { STATUS_ID: 'IN_PROCESS' } });
      const back = (await call(sb, 'crm.lead.get', { id: DEMO.leads.junk })).body.result;
      assert.equal(back.STATUS_SEMANTIC_ID, 'P');
      const added = (await call(sb, 'crm.lead.add', { fields: { TITLE: 'Новый', PHONE: [{ VALUE: '+7 900 111-22-33', VALUE_TYPE: 'WORK' }] } })).body.result;
      assert.equal((await call(sb, 'crm.lead.get', { id: added })).body.result.HAS_PHONE, 'Y');
    });
  });

  describe('people', () => {
    it('user.get: ACTIVE is a boolean, ACTIVE=true leaves the fired manager out, UF_DEPARTMENT is an array (user-get.md)', async () => {
      const all = (await call(sb, 'user.get', {})).body;
      assert.equal(all.total, 8);
      const fired = all.result.find((u: { ID: string }) => u.ID === String(DEMO.firedManagerId));
      assert.equal(fired.ACTIVE, false);
      assert.deepEqual(fired.UF_DEPARTMENT, [3]);
      const active = (await call(sb, 'user.get', { FILTER: { ACTIVE: true } })).body;
      assert.equal(active.total, 7);
      const dept = (await call(sb, 'user.get', { filter: { UF_DEPARTMENT: 3 } })).body.result.map((u: { ID: string }) => u.ID);
      assert.deepEqual(dept, ['3', '4', '5']);
      assert.equal((await call(sb, 'user.get', { ID: 2 })).body.result[0].WORK_POSITION, 'Руководитель отдела продаж');
    });

    it('department.get: UF_HEAD, PARENT (department-get.md)', async () => {
      const sales = (await call(sb, 'department.get', { ID: DEMO.salesDepartmentId })).body.result[0];
      assert.deepEqual(sales, { ID: '2', NAME: 'Отдел продаж', SORT: 500, PARENT: '1', UF_HEAD: String(DEMO.headOfSalesId) });
      assert.equal((await call(sb, 'department.get', {})).body.total, 4);
    });
  });

  describe('actions for the manager', () => {
    it('crm.activity.todo.add → {id}; crm.activity.list finds it by owner (crm-activity-todo-add.md, crm-activity-list.md)', async () => {
      const r = await call(sb, 'crm.activity.todo.add', { ownerTypeId: 2, ownerId: 110, deadline: '2030-02-03T15:00:00', title: 'Позвонить клиенту', description: 'Реактивация', responsibleId: 4 });
      assert.equal(r.status, 200);
      assert.equal(typeof r.body.result.id, 'number');
      const list = (await call(sb, 'crm.activity.list', { filter: { OWNER_TYPE_ID: 2, OWNER_ID: 110 } })).body.result;
      assert.equal(list.length, 1);
      assert.equal(list[0].SUBJECT, 'Позвонить клиенту');
      assert.equal(list[0].RESPONSIBLE_ID, '4');
      assert.equal(list[0].PROVIDER_ID, 'CRM_TODO');
      assert.equal(list[0].DEADLINE, '2030-02-03T15:00:00+03:00');
      assert.equal((await call(sb, 'crm.activity.todo.add', { ownerTypeId: 2, ownerId: 110 })).body.error, '100');
      assert.equal((await call(sb, 'crm.activity.todo.add', { ownerTypeId: 2, ownerId: 999_999, deadline: '2030-01-01' })).body.error, 'NOT_FOUND');
    });

    it('tasks.task.add links CRM items via UF_CRM_TASK; tasks.task.list filters (tasks-task-add.md, tasks-task-list.md)', async () => {
      const r = await call(sb, 'tasks.task.add', { fields: { TITLE: 'Реактивация: позвонить', RESPONSIBLE_ID: 3, DEADLINE: '2030-03-01T10:00:00+03:00', UF_CRM_TASK: ['D_110'] } });
      assert.equal(r.status, 200);
      const task = r.body.result.task;
      assert.match(task.id, /^\d+$/);
      assert.equal(task.responsibleId, '3');
      assert.deepEqual(task.ufCrmTask, ['D_110']);
      const found = (await call(sb, 'tasks.task.list', { filter: { UF_CRM_TASK: 'D_110' }, select: ['ID', 'TITLE'] })).body;
      assert.equal(found.total, 1);
      assert.equal(found.result.tasks[0].title, 'Реактивация: позвонить');
      const noTitle = await call(sb, 'tasks.task.add', { fields: { RESPONSIBLE_ID: 3 } });
      assert.equal(noTitle.body.error, 'ERROR_CORE');
      const noUser = await call(sb, 'tasks.task.add', { fields: { TITLE: 'x', RESPONSIBLE_ID: 999 } });
      assert.equal(noUser.body.error, 'ERROR_CORE');
    });

    it('im.notify.system.add / personal.add return the notification id; USER_ID and MESSAGE are required (im-notify-system-add.md)', async () => {
      const r = await call(sb, 'im.notify.system.add', { USER_ID: DEMO.headOfSalesId, MESSAGE: 'Сделка 110 вернулась в работу' });
      assert.equal(typeof r.body.result, 'number');
      assert.equal(typeof (await call(sb, 'im.notify.personal.add', { USER_ID: 3, MESSAGE: 'Привет' })).body.result, 'number');
      assert.deepEqual((await call(sb, 'im.notify.system.add', { MESSAGE: 'x' })).body, { error: 'USER_ID_EMPTY', error_description: "User ID can't be empty" });
      assert.equal((await call(sb, 'im.notify.system.add', { USER_ID: 3, MESSAGE: '  ' })).body.error, 'MESSAGE_EMPTY');
      assert.equal(sb.portal.state.notifications.length, 2);
    });

    it('crm.timeline.comment.add accepts only lower-case `fields` (crm-timeline-comment-add.md)', async () => {
      const r = await call(sb, 'crm.timeline.comment.add', { fields: { ENTITY_ID: 110, ENTITY_TYPE: 'deal', COMMENT: 'Реактивация запланирована' } });
      assert.equal(typeof r.body.result, 'number');
      assert.equal((await call(sb, 'crm.timeline.comment.add', { FIELDS: { ENTITY_ID: 110, ENTITY_TYPE: 'deal', COMMENT: 'x' } })).status, 400);
      assert.equal((await call(sb, 'crm.timeline.comment.add', { fields: { ENTITY_ID: 999_999, ENTITY_TYPE: 'deal', COMMENT: 'x' } })).body.error, 'NOT_FOUND');
    });

    it('crm.timeline.comment.list lists one element\'s comments; ENTITY_ID and ENTITY_TYPE are required (crm-timeline-comment-list.md)', async () => {
      const first = (await call(sb, 'crm.timeline.comment.add', { fields: { ENTITY_ID: 108, ENTITY_TYPE: 'deal', COMMENT: 'первый [k1]' } })).body.result;
      await call(sb, 'crm.timeline.comment.add', { fields: { ENTITY_ID: 108, ENTITY_TYPE: 'deal', COMMENT: 'второй' } });
      await call(sb, 'crm.timeline.comment.add', { fields: { ENTITY_ID: 109, ENTITY_TYPE: 'deal', COMMENT: 'чужой' } });
      const r = await call(sb, 'crm.timeline.comment.list', { filter: { ENTITY_ID: 108, ENTITY_TYPE: 'deal' } });
      assert.equal(r.status, 200);
      assert.equal(r.body.total, 2);
      assert.deepEqual(r.body.result.map((c: any) => c.COMMENT), ['первый [k1]', 'второй']);
      assert.deepEqual(Object.keys(r.body.result[0]).sort(), ['AUTHOR_ID', 'COMMENT', 'CREATED', 'ENTITY_ID', 'ENTITY_TYPE', 'FILES', 'ID']);
      assert.equal(r.body.result[0].ID, String(first));
      assert.equal(r.body.result[0].ENTITY_ID, '108');
      assert.match(r.body.result[0].CREATED, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/);
      const picked = await call(sb, 'crm.timeline.comment.list', { filter: { ENTITY_ID: 108, ENTITY_TYPE: 'deal' }, select: ['ID', 'COMMENT'], order: { ID: 'DESC' } });
      assert.deepEqual(picked.body.result.map((c: any) => Object.keys(c).sort()), [['COMMENT', 'ID'], ['COMMENT', 'ID']]);
      assert.equal(picked.body.result[1].ID, String(first));
      assert.equal((await call(sb, 'crm.timeline.comment.list', { filter: { ENTITY_TYPE: 'deal' } })).status, 400);
      assert.equal((await call(sb, 'crm.timeline.comment.list', {})).status, 400);
      assert.deepEqual((await call(sb, 'crm.timeline.comment.list', { filter: { ENTITY_ID: 999_999, ENTITY_TYPE: 'deal' } })).body, { error: '', error_description: 'Access denied.' });
      assert.equal((await call(sb, 'crm.timeline.comment.list', { filter: { ENTITY_ID: 108, ENTITY_TYPE: 'deal' }, order: { COMMENT: 'ASC' } })).status, 400);
    });

    it('bizproc.workflow.start returns a workflow id; wrong template or document are refused (bizproc-workflow-start.md)', async () => {
      const r = await call(sb, 'bizproc.workflow.start', { TEMPLATE_ID: DEMO.bizprocTemplates.licenceReminder, DOCUMENT_ID: ['crm', 'CCrmDocumentDeal', 'DEAL_108'], PARAMETERS: {} });
      assert.equal(r.status, 200);
      assert.match(r.body.result, /^[0-9a-f]+\.\d{8}$/);
      assert.equal((await call(sb, 'bizproc.workflow.start', { TEMPLATE_ID: 999, DOCUMENT_ID: ['crm', 'CCrmDocumentDeal', 'DEAL_108'] })).body.error_description, 'Template not found');
      assert.equal((await call(sb, 'bizproc.workflow.start', { DOCUMENT_ID: ['crm', 'CCrmDocumentDeal', 'DEAL_108'] })).body.error, 'ERROR_WRONG_WORKFLOW_ID');
      assert.equal((await call(sb, 'bizproc.workflow.start', { TEMPLATE_ID: DEMO.bizprocTemplates.leadCallback, DOCUMENT_ID: ['crm', 'CCrmDocumentDeal', 'DEAL_108'] })).body.error_description, 'Template type and DOCUMENT_ID mismatch!');
      const templates = (await call(sb, 'bizproc.workflow.template.list', { select: ['ID', 'NAME', 'DOCUMENT_TYPE'] })).body.result;
      assert.equal(templates.length, 3);
    });
  });

  describe('catalogue', () => {
    it('products carry SECTION_ID and properties (PROPERTY_<id> = {valueId, value}); sections have parents', async () => {
      const p = (await call(sb, 'crm.product.get', { id: 1 })).body.result;
      assert.equal(p.SECTION_ID, '4');
      assert.equal(p.PRICE, '18.50');
      assert.deepEqual(p[`PROPERTY_${DEMO.productProperty.purchasePeriodDays}`], { valueId: '1001', value: '30' });
      const list = (await call(sb, 'crm.product.list', { filter: { SECTION_ID: 2 }, select: ['ID', 'NAME', 'PROPERTY_*'] })).body.result;
      assert.equal(list.length, 2);
      assert.equal(list[0][`PROPERTY_${DEMO.productProperty.purchasePeriodDays}`].value, '365');
      const plain = (await call(sb, 'crm.product.list', { filter: { ID: 1 } })).body.result[0];
      assert.ok(!(`PROPERTY_${DEMO.productProperty.purchasePeriodDays}` in plain), 'properties only when selected');
      const sections = (await call(sb, 'crm.productsection.list', { filter: { SECTION_ID: 1 } })).body.result;
      assert.deepEqual(sections.map((s: { NAME: string }) => s.NAME), ['Мешки полипропиленовые', 'Биг-бэги']);
      const props = (await call(sb, 'crm.product.property.list', {})).body.result;
      assert.equal(props[0].NAME, 'Период покупки, дней');
    });
  });
});
