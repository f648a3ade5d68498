/**
 * Conformance of the store of GAR switches set school by school: set, replaced, listed by UAI,
 * refused for an unknown tenant; tenant isolation included. Every backend of the port runs it.
 */
import { expect } from 'chai';
import { NotFound } from '../../src/shared/errors.js';
import type { GarSchoolSwitch } from '../../src/storage/ports/index.js';
import { describeTenantIsolation, rejection, unique, type StoreSuite } from './kit.js';

const states = (rows: GarSchoolSwitch[]) => rows.map(({ uai, enabled }) => ({ uai, enabled }));

export const garSchoolSwitchConformance: StoreSuite = ({ store, newTenant }) => {
  describe('GAR school switches', () => {
    it('sets a school\'s switch, replaces it when set again, and lists them by UAI', async () => {
      const lille = await newTenant();
      expect(await lille.garSchools.list()).to.deep.equal([]);
      const before = Date.now();
      const on = await lille.garSchools.set('0590002B', true);
      expect(on).to.deep.include({ uai: '0590002B', enabled: true });
      expect(on.changedAt.getTime()).to.be.within(before - 1000, Date.now() + 1000);
      await lille.garSchools.set('0590001A', false);
      expect(states(await lille.garSchools.list())).to.deep.equal([{ uai: '0590001A', enabled: false }, { uai: '0590002B', enabled: true }]);
      await new Promise((resolve) => setTimeout(resolve, 5));
      const off = await lille.garSchools.set('0590002B', false);
      expect(off.changedAt.getTime()).to.be.above(on.changedAt.getTime());
      const listed = await lille.garSchools.list();
      expect(states(listed)).to.deep.equal([{ uai: '0590001A', enabled: false }, { uai: '0590002B', enabled: false }]);
      expect(listed[1]!.changedAt.getTime()).to.equal(off.changedAt.getTime());
    });

    it('refuses a switch for an unknown tenant', async () => {
      await rejection(store().forTenant(unique('atlantis')).garSchools.set('0590001A', true), NotFound);
    });

    describeTenantIsolation(newTenant, (t) => {
      it('GAR switches: cannot see or change another tenant\'s', async () => {
        await t.b.garSchools.set(t.theirs.school.uai, true);
        expect(await t.a.garSchools.list()).to.deep.equal([]);
        await t.a.garSchools.set(t.theirs.school.uai, false);
        expect(states(await t.b.garSchools.list())).to.deep.equal([{ uai: t.theirs.school.uai, enabled: true }]);
        expect(states(await t.a.garSchools.list())).to.deep.equal([{ uai: t.theirs.school.uai, enabled: false }]);
        await t.expectTheirsIntact();
      });
    });
  });
};
