import assert from 'node:assert/strict';
import type { LostElement } from '../../src/domain/lost-element';
import { forgottenStep, lostNoticeSlot, reactivationOutcome } from '../../src/domain/lost-outcome';
import { at, rulesFrom } from './fixtures';

const rules = rulesFrom(`
version: 1
defaults:
  calendar: { timeZone: Europe/Moscow }
lostDeals:
  target: { categoryId: 7, stageId: "C7:NEW" }
  forgotten: { categoryId: 7, stageId: "C7:UC_FORGOTTEN" }
  pipelines:
    - categoryId: 7
      reasons:
        - { stageId: "C7:LOSE", name: Дорого, returnPeriod: 1 month }
    - categoryId: 3
      forgotten: { categoryId: 3, stageId: "C3:UC_FORGOTTEN" }
      reasons:
        - { stageId: "C3:LOSE", name: Дорого, returnPeriod: 1 month }
  leads:
    target: { statusId: IN_PROCESS }
    forgotten: { statusId: UC_FORGOTTEN }
    statuses:
      - { statusId: JUNK, name: Некачественный лид, returnPeriod: 1 month }
`);

function dealElement(categoryId: number, stageId: string): LostElement {
  return {
    entity: 'deal',
    ctx: {
      deal: {
        id: 120, title: 'Реактивация', categoryId, stageId, stageSemantic: 'F', assignedById: 3, movedAt: null, modifiedAt: null,
        opportunity: 0, sourceId: null, companyId: 2, contactId: null, userFields: {},
      },
      productRows: [],
    },
  };
}

function leadElement(statusId: string): LostElement {
  return {
    entity: 'lead',
    lead: {
      id: 501, title: 'Лид', statusId, statusSemantic: 'F', assignedById: 3, movedAt: null, modifiedAt: null,
      opportunity: 0, sourceId: null, companyId: null, contactId: null, userFields: {},
    },
  };
}

describe('lost-deal outcomes', () => {
  describe('lostNoticeSlot', () => {
    it('maps the workflow\'s notices to the rules\' keys; a cancellation is sent to nobody', () => {
      assert.equal(lostNoticeSlot('loss'), 'atLoss');
      assert.equal(lostNoticeSlot('beforeReturn'), 'beforeReturn');
      assert.equal(lostNoticeSlot('return'), 'atReturn');
      assert.equal(lostNoticeSlot('forgotten'), 'onForgotten');
      assert.equal(lostNoticeSlot('cancelled'), undefined);
    });
  });

  describe('reactivationOutcome', () => {
    const now = at('2025-04-01T12:00:00+03:00');

    it('a deleted element, a won one, an open one', () => {
      assert.deepEqual(reactivationOutcome(null, now), { state: 'deleted' });
      assert.deepEqual(reactivationOutcome({ stageId: 'C7:WON', stageSemantic: 'S', movedAt: null, modifiedAt: null }, now), { state: 'won' });
      assert.deepEqual(reactivationOutcome({ stageId: 'C7:NEW', stageSemantic: 'P', movedAt: null, modifiedAt: null }, now), { state: 'open' });
      assert.deepEqual(reactivationOutcome({ statusId: 'IN_PROCESS', statusSemantic: null, movedAt: null, modifiedAt: null }, now), { state: 'open' });
    });

    it('lost again: the stage (or status) and the moment of the loss, else of the last change, else now', () => {
      const moved = '2025-03-30T10:00:00+03:00';
      assert.deepEqual(reactivationOutcome({ stageId: 'C7:LOSE', stageSemantic: 'F', movedAt: moved, modifiedAt: '2025-03-31T10:00:00+03:00' }, now), { state: 'lost', stageId: 'C7:LOSE', lostAt: moved });
      assert.deepEqual(reactivationOutcome({ statusId: 'JUNK', statusSemantic: 'F', movedAt: null, modifiedAt: moved }, now), { state: 'lost', stageId: 'JUNK', lostAt: moved });
      assert.deepEqual(reactivationOutcome({ statusId: 'JUNK', statusSemantic: 'F', movedAt: null, modifiedAt: null }, now), { state: 'lost', stageId: 'JUNK', lostAt: now.toISOString() });
    });
  });

  describe('forgottenStep', () => {
    it('a lead goes to the leads\' forgotten status, unless it is there already', () => {
      assert.deepEqual(forgottenStep(rules, leadElement('JUNK')), { step: 'setStatus', statusId: 'UC_FORGOTTEN' });
      assert.deepEqual(forgottenStep(rules, leadElement('UC_FORGOTTEN')), { step: 'none' });
    });

    it('a deal goes to its rule\'s forgotten stage (the pipeline\'s over lostDeals\'), unless it is there already', () => {
      assert.deepEqual(forgottenStep(rules, dealElement(7, 'C7:LOSE')), { step: 'setStage', stageId: 'C7:UC_FORGOTTEN' });
      assert.deepEqual(forgottenStep(rules, dealElement(3, 'C3:LOSE')), { step: 'setStage', stageId: 'C3:UC_FORGOTTEN' });
      assert.deepEqual(forgottenStep(rules, dealElement(7, 'C7:UC_FORGOTTEN')), { step: 'none' });
    });

    it('a deal no rule matches falls back to lostDeals\' forgotten stage; a deal of another pipeline is moved there', () => {
      assert.deepEqual(forgottenStep(rules, dealElement(7, 'C7:OTHER')), { step: 'setStage', stageId: 'C7:UC_FORGOTTEN' });
      assert.deepEqual(forgottenStep(rules, dealElement(5, 'C5:LOSE')), { step: 'movePipeline', categoryId: 7, stageId: 'C7:UC_FORGOTTEN' });
    });

    it('no forgotten stage or status configured: nothing to do', () => {
      const bare = rulesFrom(`
version: 1
lostDeals:
  pipelines:
    - categoryId: 7
      reasons:
        - { stageId: "C7:LOSE", name: Дорого, returnPeriod: 1 month }
  leads:
    target: { statusId: IN_PROCESS }
    statuses:
      - { statusId: JUNK, name: Некачественный лид, returnPeriod: 1 month }
`);
      assert.deepEqual(forgottenStep(bare, dealElement(7, 'C7:LOSE')), { step: 'none' });
      assert.deepEqual(forgottenStep(bare, leadElement('JUNK')), { step: 'none' });
    });
  });
});
