import assert from 'node:assert/strict';
import { chooseResponsible, headOf, type Assignment, type AssignmentContext } from '../../src/domain/assignment';
import type { Department, ResponsibleStrategy, User } from '../../src/domain';

// Sales (3) under Commerce (1). Head of sales is 10, head of commerce is 1.
const departments: Department[] = [
  { id: 1, headUserId: 1 },
  { id: 3, headUserId: 10, parentId: 1 },
  { id: 4, headUserId: 40, parentId: 3 },
];
const users: User[] = [
  { id: 1, active: true, departments: [1] },
  { id: 10, active: true, departments: [3] },
  { id: 11, active: true, departments: [3] },
  { id: 12, active: false, departments: [3] }, // fired
  { id: 13, active: true, departments: [3, 4] },
  { id: 14, active: true, departments: [3] },
  { id: 40, active: false, departments: [4] }, // fired head of department 4
  { id: 41, active: false, departments: [4] },
];

function ctx(overrides: Partial<AssignmentContext> = {}): AssignmentContext {
  return { originalUserId: 11, users, departments, random: () => 0, ...overrides };
}

function decided(a: Assignment): { userId: number; why: string; roundRobinCursor?: number } {
  assert.equal(a.decided, true, a.decided ? '' : a.why);
  return a as Extract<Assignment, { decided: true }>;
}

describe('assignment of the responsible', () => {
  describe('original manager', () => {
    const original = { strategy: 'original', fallback: { strategy: 'departmentHead' } } as const;

    it('gets it back while active', () => {
      assert.deepEqual(chooseResponsible(original, ctx()), { decided: true, userId: 11, why: 'original manager 11' });
    });

    it('fired → the head of their department', () => {
      const a = decided(chooseResponsible(original, ctx({ originalUserId: 12 })));
      assert.equal(a.userId, 10);
      assert.equal(a.why, 'original manager 12 is inactive; fallback: head of department 3: user 10');
    });

    it('fired, and their head fired too → the next head up', () => {
      const a = decided(chooseResponsible(original, ctx({ originalUserId: 41 })));
      assert.equal(a.userId, 10);
      assert.match(a.why, /head of department 3/);
    });

    it('unknown (deleted) user → the fallback, saying so', () => {
      const a = chooseResponsible({ strategy: 'original', fallback: { strategy: 'user', userId: 14 } }, ctx({ originalUserId: 999 }));
      assert.deepEqual(a, { decided: true, userId: 14, why: 'original manager 999 is not found; fallback: fixed user 14' });
    });

    it('fired → a round-robin pool of the department, skipping the fired', () => {
      const pool = { strategy: 'original', fallback: { strategy: 'pool', departmentId: 3, pick: 'roundRobin' } } as const;
      const first = decided(chooseResponsible(pool, ctx({ originalUserId: 12 })));
      assert.equal(first.userId, 10);
      const second = decided(chooseResponsible(pool, ctx({ originalUserId: 12, roundRobinCursor: first.roundRobinCursor })));
      assert.equal(second.userId, 11);
      const third = decided(chooseResponsible(pool, ctx({ originalUserId: 12, roundRobinCursor: 11 })));
      assert.equal(third.userId, 13); // 12 is fired
    });

    it('no fallback that works → undecided, with every reason', () => {
      const a = chooseResponsible({ strategy: 'original', fallback: { strategy: 'user', userId: 12 } }, ctx({ originalUserId: 12 }));
      assert.deepEqual(a, { decided: false, why: 'original manager 12 is inactive; fallback failed: fixed user 12 is not active' });
    });
  });

  it('fixed user, and its fallback when fired', () => {
    assert.equal(decided(chooseResponsible({ strategy: 'user', userId: 14 }, ctx())).userId, 14);
    assert.equal(chooseResponsible({ strategy: 'user', userId: 12 }, ctx()).decided, false);
    const withFallback = decided(chooseResponsible({ strategy: 'user', userId: 12, fallback: { strategy: 'departmentHead', departmentId: 1 } }, ctx()));
    assert.equal(withFallback.userId, 1);
  });

  it("department head: the original manager's department, or a fixed one", () => {
    assert.equal(decided(chooseResponsible({ strategy: 'departmentHead' }, ctx({ originalUserId: 13 }))).userId, 10);
    assert.equal(decided(chooseResponsible({ strategy: 'departmentHead', departmentId: 1 }, ctx())).userId, 1);
    assert.equal(chooseResponsible({ strategy: 'departmentHead' }, ctx({ originalUserId: undefined })).decided, false);
  });

  describe('pool', () => {
    it('round-robin over listed users in their order, wrapping around', () => {
      const pool: ResponsibleStrategy = { strategy: 'pool', users: [14, 11, 13], pick: 'roundRobin' };
      const picks: number[] = [];
      let cursor: number | undefined;
      for (let i = 0; i < 4; i++) {
        const a = decided(chooseResponsible(pool, ctx({ roundRobinCursor: cursor })));
        picks.push(a.userId);
        cursor = a.roundRobinCursor;
      }
      assert.deepEqual(picks, [14, 11, 13, 14]);
    });

    it('a cursor that left the pool restarts at the first member', () => {
      const a = decided(chooseResponsible({ strategy: 'pool', users: [14, 11], pick: 'roundRobin' }, ctx({ roundRobinCursor: 77 })));
      assert.equal(a.userId, 14);
    });

    it('random within a department uses the given random, only active members', () => {
      const pool = { strategy: 'pool', departmentId: 3, pick: 'random' } as const; // active: 10, 11, 13, 14
      assert.equal(decided(chooseResponsible(pool, ctx({ random: () => 0 }))).userId, 10);
      assert.equal(decided(chooseResponsible(pool, ctx({ random: () => 0.5 }))).userId, 13);
      assert.equal(decided(chooseResponsible(pool, ctx({ random: () => 0.99 }))).userId, 14);
      assert.equal(decided(chooseResponsible(pool, ctx({ random: () => 1 }))).userId, 14);
      assert.equal(decided(chooseResponsible(pool, ctx({ random: () => 0.5 }))).roundRobinCursor, undefined);
    });

    it('a pool with nobody active → undecided', () => {
      const a = chooseResponsible({ strategy: 'pool', users: [12, 40], pick: 'roundRobin' }, ctx());
      assert.deepEqual(a, { decided: false, why: 'pool 12,40 has no active user' });
    });
  });

  describe('headOf (who gets the head notices)', () => {
    it('the configured head of sales first', () => {
      assert.equal(headOf(11, { users, departments, headOfSales: 1 }), 1);
    });

    it("else the nearest active head above the manager, not the manager themself", () => {
      assert.equal(headOf(11, { users, departments }), 10);
      assert.equal(headOf(10, { users, departments }), 1);
      assert.equal(headOf(41, { users, departments }), 10);
      assert.equal(headOf(undefined, { users, departments }), undefined);
    });
  });
});
