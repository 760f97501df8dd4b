import assert from 'node:assert/strict';
import * as workflows from '../../src/workflows';
import { CLIENT_WORKFLOW } from '../../src/workflows/client.messages';
import { CRM_EVENTS_WORKFLOW } from '../../src/workflows/crm-events.messages';
import { EXPIRY_WORKFLOW } from '../../src/workflows/expiry.messages';
import { LOST_DEAL_WORKFLOW } from '../../src/workflows/lost-deal.messages';
import {
  clientKeyOf,
  clientTouchStep,
  clientWorkflowId,
  crmEventsWorkflowId,
  expiryWorkflowId,
  lostWorkflowId,
  originKey,
  parseOriginKey,
  parseWorkflowId,
} from '../../src/shared/names';

describe('names: workflow ids and origin keys, built and parsed in one place', () => {
  it('parses every id it builds', () => {
    assert.deepEqual(parseWorkflowId(lostWorkflowId('deal', 110)), { scenario: 'lost', entity: 'deal', id: 110 });
    assert.deepEqual(parseWorkflowId(lostWorkflowId('lead', 7)), { scenario: 'lost', entity: 'lead', id: 7 });
    assert.deepEqual(parseWorkflowId(crmEventsWorkflowId('deal', 5)), { scenario: 'inbox', entity: 'deal', id: 5 });
    assert.deepEqual(parseWorkflowId(clientWorkflowId('company', 9)), { scenario: 'client', kind: 'company', id: 9 });
    assert.deepEqual(parseWorkflowId(expiryWorkflowId(3)), { scenario: 'expiry', entity: 'deal', id: 3 });
    for (const other of ['reconcile-crm-changes', 'bench-sleep-x-1', 'client-deal-5', 'expiry-lead-4', 'reactivation-company-1', 'reactivation-deal-']) {
      assert.equal(parseWorkflowId(other), undefined, other);
    }
    assert.equal(clientKeyOf('contact', 4), 'contact-4');
  });

  it('parses origin keys with their attempt or cycle', () => {
    assert.deepEqual(parseOriginKey(originKey(lostWorkflowId('deal', 110), 2)), {
      workflowId: 'reactivation-deal-110',
      step: '2',
      workflow: { scenario: 'lost', entity: 'deal', id: 110 },
      attempt: 2,
    });
    const touch = parseOriginKey(originKey(clientWorkflowId('company', 5), clientTouchStep(120, 3, 'cycle-3')));
    assert.equal(touch?.step, 'p120-3-cycle-3');
    assert.equal(touch?.attempt, 3);
    assert.equal(parseOriginKey('expiry-deal-7#before-P1D')?.attempt, null);
    assert.equal(parseOriginKey('not ours'), undefined);
    assert.equal(parseOriginKey(null), undefined);
  });

  it('the workflow type names the starters use are the worker\'s exports', () => {
    for (const name of [LOST_DEAL_WORKFLOW, CLIENT_WORKFLOW, EXPIRY_WORKFLOW, CRM_EVENTS_WORKFLOW]) {
      assert.equal(typeof (workflows as Record<string, unknown>)[name], 'function', name);
    }
  });
});
