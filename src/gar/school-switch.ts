/**
 * The GAR switch per school, done on someone's behalf (the admin API): over the schools the
 * tenant file lists under `gar.structures`, an admin turns the GAR on or off for one school. The
 * switch is kept in the store, audited in the tenant's log, and the hub is told so that its SSO
 * and the next annuaire export use it (`identity/gar-schools.ts` applies the switches). The
 * GAR itself (project id, identifier key) is declared in the file: without it, or when the file
 * says `all`, nothing can be switched here.
 */
import { garSchoolState, type GarSchoolOrigin } from '../identity/gar-schools.js';
import type { TenantGarSettings } from '../identity/gar.js';
import type { Actor } from '../identity/actor.js';
import { hasUaiShape } from '../identity/uai.js';
import { HubError, NotFound } from '../shared/errors.js';
import { AuditWriter } from '../storage/ports/audit-writer.js';
import type { PlatformStore } from '../storage/ports/index.js';

export interface GarSchoolPorts {
  store: PlatformStore;
  /** The tenant's `gar` section as its file declares it; null when it has none. */
  declaredGar(tenantId: string): TenantGarSettings | null;
  /** The tenant's switches changed: the hub reads them again. */
  changed(tenantId: string): Promise<void>;
}

export interface GarSchoolView {
  uai: string;
  /** null: the school is not in the store (the file may list a school no import brought yet). */
  name: string | null;
  enabled: boolean;
  origin: GarSchoolOrigin;
  /** When an admin last switched it; null when the file alone decides. */
  switchedAt: Date | null;
}

export interface GarOverview {
  /** The tenant's GAR project id; null when its file declares no GAR. */
  projectId: string | null;
  /** `none`: no GAR section; `all`: every school uses the GAR; `list`: the schools below. */
  declared: 'none' | 'all' | 'list';
  /** With `list`: the schools the file lists and those switched, by UAI. */
  schools: GarSchoolView[];
}

const notDeclared = (tenantId: string): HubError => new HubError('gar_not_declared', `tenant ${tenantId} declares no GAR in its tenant file (project id, identifier key): the GAR cannot be switched on school by school before it is declared there`, { status: 409 });

async function switchesOf(store: PlatformStore, tenantId: string) {
  const rows = await store.forTenant(tenantId).garSchools.list();
  return { states: new Map(rows.map((row) => [row.uai, row.enabled])), at: new Map(rows.map((row) => [row.uai, row.changedAt])) };
}

/** The GAR of the tenant: its project id, how its file declares the schools, and each school listed or switched. */
export async function garOverview(ports: GarSchoolPorts, tenantId: string): Promise<GarOverview> {
  const declared = ports.declaredGar(tenantId);
  if (!declared) return { projectId: null, declared: 'none', schools: [] };
  if (declared.structures === 'all') return { projectId: declared.projectId, declared: 'all', schools: [] };
  const switches = await switchesOf(ports.store, tenantId);
  const uais = [...new Set([...declared.structures, ...switches.states.keys()])].sort();
  const names = new Map((await ports.store.forTenant(tenantId).garExport.structures(uais)).map((s) => [s.uai, s.name]));
  return {
    projectId: declared.projectId, declared: 'list',
    schools: uais.map((uai) => ({ uai, name: names.get(uai) ?? null, ...garSchoolState(declared.structures, switches.states, uai), switchedAt: switches.at.get(uai) ?? null })),
  };
}

function checkedUai(uai: string): string {
  const normalized = uai.trim().toUpperCase();
  if (!hasUaiShape(normalized)) throw new HubError('invalid_uai', `"${uai.slice(0, 20)}" is not a UAI (7 digits and a letter)`, { status: 400 });
  return normalized;
}

/** One school of the tenant and whether it uses the GAR; NotFound for a UAI the tenant has no school with. */
export async function garSchool(ports: GarSchoolPorts, tenantId: string, uai: string): Promise<GarSchoolView> {
  const school = await ports.store.forTenant(tenantId).structures.findByUai(checkedUai(uai));
  if (!school) throw new NotFound(`school ${checkedUai(uai)}`);
  const declared = ports.declaredGar(tenantId);
  if (!declared) return { uai: school.uai, name: school.name, enabled: false, origin: 'file', switchedAt: null };
  const switches = await switchesOf(ports.store, tenantId);
  return { uai: school.uai, name: school.name, ...garSchoolState(declared.structures, switches.states, school.uai), switchedAt: switches.at.get(school.uai) ?? null };
}

/**
 * Turns the GAR on or off for one school of the tenant; a switch to the state it already has
 * writes nothing. Refused when the file declares no GAR or says `all`.
 */
export async function switchGarSchool(ports: GarSchoolPorts, actor: Actor, tenantId: string, uai: string, enabled: boolean): Promise<GarSchoolView> {
  const declared = ports.declaredGar(tenantId);
  if (!declared) throw notDeclared(tenantId);
  if (declared.structures === 'all') {
    throw new HubError('gar_all_schools', `the tenant file of ${tenantId} turns the GAR on for all its schools (gar.structures: all): list them in the file to switch them one by one`, { status: 409 });
  }
  const current = await garSchool(ports, tenantId, uai);
  if (current.enabled === enabled) return current;
  const row = await ports.store.forTenant(tenantId).garSchools.set(current.uai, enabled);
  await new AuditWriter(ports.store, actor, tenantId).write('gar.school_switched', { details: { uai: current.uai, before: current.enabled, after: enabled } });
  await ports.changed(tenantId);
  return { ...current, enabled, origin: 'switch', switchedAt: row.changedAt };
}
