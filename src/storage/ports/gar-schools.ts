/**
 * The GAR switches admins set school by school (the admin API), over the schools the tenant's
 * file lists under `gar.structures`: what the hub sends to the GAR is the file's list with these
 * switches applied (`identity/gar-schools.ts`).
 */

export interface GarSchoolSwitch {
  /** The school's UAI. */
  uai: string;
  /** true: the school uses the GAR; false: it does not, whatever the file lists. */
  enabled: boolean;
  changedAt: Date;
}

export interface GarSchoolSwitchStore {
  /** The tenant's switches, by UAI. */
  list(): Promise<GarSchoolSwitch[]>;
  /** Sets the school's switch (replacing an earlier one); NotFound for an unknown tenant. */
  set(uai: string, enabled: boolean): Promise<GarSchoolSwitch>;
}
