import assert from 'node:assert/strict';
import { purchaseMoment, type StageMove, type WonDealFacts } from '../../src/domain';

const NOW = new Date('2025-06-10T12:00:00.000Z');
const at = (text: string) => new Date(text).toISOString();

/** A deal won on 2025-06-02 whose CLOSEDATE kept the planned date, days ahead (close-date sync off). */
const WON: WonDealFacts = {
  stageId: 'WON',
  stageSemantic: 'S',
  movedAt: at('2025-06-02T15:00:00+03:00'),
  closeDate: at('2025-06-20T00:00:00+03:00'),
  createdAt: at('2025-05-20T10:00:00+03:00'),
  modifiedAt: at('2025-06-02T15:00:00+03:00'),
};

let nextId = 1;
const move = (typeId: number, stageId: string, semantic: 'P' | 'S' | 'F', time: string): StageMove => ({ id: nextId++, typeId, stageId, semantic, createdTime: at(time) });

describe('purchase moment (src/domain/purchase-moment.ts)', () => {
  describe('from the stage history', () => {
    it('the move into the won stage (TYPE_ID 3), not CLOSEDATE days ahead', () => {
      const history = [move(1, 'NEW', 'P', '2025-05-20T10:00:00+03:00'), move(2, 'EXECUTING', 'P', '2025-05-25T10:00:00+03:00'), move(3, 'WON', 'S', '2025-06-02T14:59:58+03:00')];
      const m = purchaseMoment(WON, history, NOW);
      assert.equal(m.at.toISOString(), at('2025-06-02T14:59:58+03:00'));
      assert.equal(m.basis, 'stageHistory');
      assert.equal(m.clamped, undefined);
      assert.match(m.explanation, /moved into WON at .* \(stage history\)/);
    });

    it('reads the history in any order (the client gives it newest first)', () => {
      const history = [move(3, 'WON', 'S', '2025-06-02T14:59:58+03:00'), move(2, 'EXECUTING', 'P', '2025-05-25T10:00:00+03:00'), move(1, 'NEW', 'P', '2025-05-20T10:00:00+03:00')];
      assert.equal(purchaseMoment(WON, history, NOW).at.toISOString(), at('2025-06-02T14:59:58+03:00'));
    });

    it('won, reopened and won again: the latest win', () => {
      const history = [move(1, 'NEW', 'P', '2025-05-20T10:00:00+03:00'), move(3, 'WON', 'S', '2025-05-28T10:00:00+03:00'), move(2, 'EXECUTING', 'P', '2025-05-29T10:00:00+03:00'), move(3, 'WON', 'S', '2025-06-02T15:00:00+03:00')];
      assert.equal(purchaseMoment(WON, history, NOW).at.toISOString(), at('2025-06-02T15:00:00+03:00'));
    });

    it('won, then moved with its pipeline into another success stage (TYPE_ID 5): still the win', () => {
      const deal = { ...WON, stageId: 'C1:WON', movedAt: at('2025-06-05T09:00:00+03:00'), modifiedAt: at('2025-06-05T09:00:00+03:00') };
      const history = [move(1, 'NEW', 'P', '2025-05-20T10:00:00+03:00'), move(3, 'WON', 'S', '2025-06-02T15:00:00+03:00'), move(5, 'C1:WON', 'S', '2025-06-05T09:00:00+03:00')];
      const m = purchaseMoment(deal, history, NOW);
      assert.equal(m.at.toISOString(), at('2025-06-02T15:00:00+03:00'));
      assert.equal(m.basis, 'stageHistory');
    });

    it('moved into a success stage by a pipeline change (no final-stage move): that change', () => {
      const deal = { ...WON, stageId: 'C1:WON', movedAt: at('2025-06-05T09:00:00+03:00') };
      const history = [move(1, 'NEW', 'P', '2025-05-20T10:00:00+03:00'), move(5, 'C1:WON', 'S', '2025-06-05T09:00:00+03:00')];
      const m = purchaseMoment(deal, history, NOW);
      assert.equal(m.at.toISOString(), at('2025-06-05T09:00:00+03:00'));
      assert.match(m.explanation, /moved with its pipeline into C1:WON/);
    });

    it('created already won (TYPE_ID 1): its creation', () => {
      const deal = { ...WON, createdAt: at('2025-06-01T11:00:00+03:00'), movedAt: at('2025-06-01T11:00:00+03:00') };
      const m = purchaseMoment(deal, [move(1, 'WON', 'S', '2025-06-01T11:00:00+03:00')], NOW);
      assert.equal(m.at.toISOString(), at('2025-06-01T11:00:00+03:00'));
      assert.match(m.explanation, /created in WON/);
    });

    it('a deal no longer won: the last time it was won', () => {
      const deal = { ...WON, stageId: 'EXECUTING', stageSemantic: 'P' as const, movedAt: at('2025-06-04T10:00:00+03:00') };
      const history = [move(1, 'NEW', 'P', '2025-05-20T10:00:00+03:00'), move(3, 'WON', 'S', '2025-06-02T15:00:00+03:00'), move(2, 'EXECUTING', 'P', '2025-06-04T10:00:00+03:00')];
      assert.equal(purchaseMoment(deal, history, NOW).at.toISOString(), at('2025-06-02T15:00:00+03:00'));
    });
  });

  describe('MOVED_TIME while the deal is still in its won stage', () => {
    it('no stage history recorded', () => {
      const m = purchaseMoment(WON, [], NOW);
      assert.equal(m.at.toISOString(), WON.movedAt);
      assert.equal(m.basis, 'movedTime');
      assert.match(m.explanation, /MOVED_TIME; no stage history/);
    });

    it('the stage history could not be read', () => {
      const m = purchaseMoment(WON, null, NOW);
      assert.equal(m.basis, 'movedTime');
      assert.match(m.explanation, /stage history unreadable/);
    });

    it('the history does not show the move into the current stage (incomplete)', () => {
      const m = purchaseMoment(WON, [move(1, 'NEW', 'P', '2025-05-20T10:00:00+03:00'), move(2, 'EXECUTING', 'P', '2025-05-25T10:00:00+03:00')], NOW);
      assert.equal(m.at.toISOString(), WON.movedAt);
      assert.match(m.explanation, /does not show the move into it/);
    });
  });

  describe('CLOSEDATE as the last resort, never after the last change or now', () => {
    const old: WonDealFacts = { ...WON, movedAt: null, closeDate: at('2019-03-01T00:00:00+03:00'), createdAt: at('2019-02-01T10:00:00+03:00'), modifiedAt: at('2019-03-04T10:00:00+03:00') };

    it('old history (no stage history, no MOVED_TIME): CLOSEDATE', () => {
      const m = purchaseMoment(old, [], NOW);
      assert.equal(m.at.toISOString(), old.closeDate);
      assert.equal(m.basis, 'closeDate');
    });

    it('a CLOSEDATE after the deal’s last change: the last change (a deal is not won after it was last modified)', () => {
      const m = purchaseMoment({ ...old, closeDate: at('2019-04-01T00:00:00+03:00') }, null, NOW);
      assert.equal(m.at.toISOString(), old.modifiedAt);
      assert.equal(m.basis, 'closeDate');
      assert.equal(m.clamped, 'lastChange');
    });

    it('a CLOSEDATE after now: now', () => {
      const m = purchaseMoment({ ...old, closeDate: at('2025-06-20T00:00:00+03:00'), modifiedAt: null }, [], NOW);
      assert.equal(m.at.toISOString(), NOW.toISOString());
      assert.equal(m.clamped, 'now');
      assert.match(m.explanation, /after now, so now/);
    });

    it('nothing but the last change; nothing at all: now', () => {
      assert.equal(purchaseMoment({ ...old, closeDate: null }, [], NOW).basis, 'lastChange');
      const none = purchaseMoment({ ...old, closeDate: null, modifiedAt: null }, null, NOW);
      assert.equal(none.basis, 'now');
      assert.equal(none.at.toISOString(), NOW.toISOString());
    });
  });

  describe('never after now', () => {
    it('a history entry ahead of our clock is clamped to now, and says its basis', () => {
      const m = purchaseMoment(WON, [move(3, 'WON', 'S', '2025-06-10T15:30:00+03:00')], NOW);
      assert.equal(m.at.toISOString(), NOW.toISOString());
      assert.equal(m.basis, 'stageHistory');
      assert.equal(m.clamped, 'now');
      assert.equal(purchaseMoment({ ...WON, movedAt: at('2025-06-11T00:00:00Z') }, [], NOW).clamped, 'now');
    });
  });

  describe('a purchase recorded after the fact (created already won, CLOSEDATE before its creation)', () => {
    const imported: WonDealFacts = { ...WON, createdAt: at('2025-06-01T11:00:00+03:00'), movedAt: at('2025-06-01T11:00:00+03:00'), modifiedAt: at('2025-06-01T11:00:00+03:00'), closeDate: at('2024-11-15T00:00:00+03:00') };

    it('with a creation entry in the history: CLOSEDATE', () => {
      const m = purchaseMoment(imported, [move(1, 'WON', 'S', '2025-06-01T11:00:00+03:00')], NOW);
      assert.equal(m.at.toISOString(), imported.closeDate);
      assert.equal(m.basis, 'closeDate');
      assert.match(m.explanation, /recorded after the fact/);
    });

    it('without history, MOVED_TIME at its creation: CLOSEDATE', () => {
      assert.equal(purchaseMoment(imported, [], NOW).basis, 'closeDate');
    });

    it('not when the close date is the creation day, nor when the deal was moved into its won stage later', () => {
      assert.equal(purchaseMoment({ ...imported, closeDate: at('2025-06-01T00:00:00+03:00') }, [move(1, 'WON', 'S', '2025-06-01T11:00:00+03:00')], NOW).basis, 'stageHistory');
      const movedLater = [move(1, 'NEW', 'P', '2025-06-01T11:00:00+03:00'), move(3, 'WON', 'S', '2025-06-03T11:00:00+03:00')];
      assert.equal(purchaseMoment({ ...imported, movedAt: at('2025-06-03T11:00:00+03:00') }, movedLater, NOW).at.toISOString(), at('2025-06-03T11:00:00+03:00'));
      assert.equal(purchaseMoment({ ...imported, movedAt: at('2025-06-03T11:00:00+03:00') }, [], NOW).basis, 'movedTime');
    });
  });
});
