/**
 * The GAR annuaire export (issue 17; DOMAIN.md, "Partner resources and the GAR"): every night, for
 * a tenant's schools whose GAR switch is on, XML files of the schools, pupils, teachers and staff,
 * groups and the people who assign resources, in the GAR-ENT format (namespace
 * `http://data.education.fr/ns/gar`, version 1.0 of the root elements), validated against the
 * XSD, packed as tar.gz + .md5 and delivered by SFTP. These are the records the files carry,
 * built from the store (records.ts) and written by the format (format/).
 */

/** The five kinds of file, as their names and root elements say them (`GAR-ENT-<kind>`). */
export const GAR_FILE_KINDS = ['Etab', 'Eleve', 'Enseignant', 'Groupe', 'RespAff'] as const;
export type GarFileKind = (typeof GAR_FILE_KINDS)[number];

/** GAR profiles (`GARPersonProfil`). */
export type GarProfile = 'National_elv' | 'National_ens' | 'National_doc' | 'National_dir' | 'National_evs' | 'National_eta' | 'National_col';

/** A school (`GARStructureUAI`, `GARStructureNomCourant`). */
export interface GarStructure {
  uai: string;
  name: string;
}

/** A person of a pupil, teacher/staff or assigner file. */
export interface GarPerson {
  /** `GARPersonIdentifiant`: garPersonIdentifier(tenant key, account), the same as the SAML IdP sends. */
  id: string;
  /** `GARPersonProfils`: one profile per school. */
  profiles: ReadonlyArray<{ uai: string; profile: GarProfile }>;
  /** `GARPersonNom` (and `GARPersonNomPatro`, the same: the store keeps one last name). */
  lastName: string;
  /** `GARPersonPrenom`. */
  firstName: string;
  /** `GARPersonStructRattach`: the school the person belongs to first. */
  mainUai: string;
  /** `GARPersonEtab`: every GAR school of the person. */
  uais: readonly string[];
  /** `GARPersonDateNaissance` (YYYY-MM-DD), pupils only. */
  birthDate?: string;
  /** `GARPersonGroupe`: the person's classes and groups, by school and code. */
  groups: ReadonlyArray<{ uai: string; code: string }>;
}

/** A person who assigns resources: the GAR requires a mail address for them (`GARPersonMail`). */
export interface GarAssigner extends GarPerson {
  mail: string;
}

/** A class (`DIVISION`) or a group (`GROUPE`, with the classes it belongs to: `GARGroupeDivAppartenance`). */
export interface GarGroup {
  uai: string;
  /** `GARGroupeCode`: the directory's code (after `$` in the AAF's `<UAI>$<code>`). */
  code: string;
  /** `GARGroupeLibelle`. */
  label: string;
  status: 'DIVISION' | 'GROUPE';
  /** For a GROUPE: the codes of the classes of its members, when known. */
  classCodes?: readonly string[];
}
