/**
 * A deterministic generator of realistic SDET annuaire data, as LDIF, for import tests and
 * benchmarks. Same options (seed included) → byte-identical output.
 *
 * Memory does not grow with the number of entries: the generator keeps one small record per
 * school and per class (a few thousand for a whole académie) and a fixed 4 MiB login table;
 * every person is computed on the fly from (seed, kind, index), and the relations between
 * persons (a pupil's parents, a parent's children) are index arithmetic, not lookups.
 *
 * Shape of the data (mix of a real académie, roughly):
 * - structures (`ENTStructure` + `ENTEtablissement`): collèges, lycées, lycées professionnels,
 *   ≈ 430 pupils each, real-looking UAIs (département of the académie + 4 digits + check letter)
 *   and SIRETs (Luhn-valid), under `ou=structures`;
 * - classes (`ENTClasse`) and teaching groups (`ENTGroupe`), subclasses of groupOfNames whose
 *   `member`s are the pupils and whose `seeAlso` is the structure, under `ou=groups`;
 * - pupils ≈ 46 % (`ENTEleve`), parents ≈ 46 % (`ENTAuxPersRelEleve`; families of 1 to 4
 *   children, siblings usually in different schools; one or two persons in charge, some of whom
 *   are not legal guardians), teachers ≈ 6 % (`ENTAuxEnseignant`; 15 % in two schools, 8 %
 *   documentalists) and other staff ≈ 2 % (`ENTAuxNonEnsEtab`), under `ou=people`;
 * - entries in dependency order: root, OUs, structures, classes and groups, pupils, parents,
 *   teachers, staff, then the deliberately bad entries (`description: bad:<reason>`).
 *
 * Value formats (see DOMAIN.md): jointure `SOURCE$<7 digits>`, dates `DD/MM/YYYY`, booleans
 * `O`/`N`, `ENTEleveClasses`/`ENTAuxEnsClasses` = `<structure DN>$<class code>`,
 * `ENTElevePersRelEleve` = `<AAF id>$<relation>$<financial>$<legal>$<contact>$<payment>`
 * (relation codes as in SIECLE: 10 mother, 20 father, 50 guardian), `ENTPersonFonctions` =
 * `<structure DN>$<function code>$<function label>$<discipline code>$<discipline label>`.
 * The INE is 10 digits and a check letter: the shape of a real INE, not its checksum.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import { uaiCheckLetter } from '../../src/identity/uai.js';
import { isSafeLdifTail, isSafeLdifValue, ldifLine, pushAttribute } from './ldif.js';
import {
  ADULT_FIRST_NAMES_F,
  ADULT_FIRST_NAMES_M,
  CITIES,
  FAMILY_NAMES,
  PUPIL_FIRST_NAMES_F,
  PUPIL_FIRST_NAMES_M,
  SCHOOL_NAMESAKES,
  loginPart,
} from './names.js';
import { FeistelPermutation, Rng, WeightedPool, fmix32, hash3, seed32 } from './prng.js';

export type Academy = 'lille' | 'amiens';

export const ACADEMIES: Readonly<
  Record<Academy, { source: string; label: string; mailDomain: string; uidPrefix: string; departements: readonly (readonly [string, number])[] }>
> = {
  lille: {
    source: 'AC-LILLE',
    label: 'Académie de Lille',
    mailDomain: 'ac-lille.fr',
    uidPrefix: 'L',
    departements: [['059', 0.62], ['062', 0.38]],
  },
  amiens: {
    source: 'AC-AMIENS',
    label: "Académie d'Amiens",
    mailDomain: 'ac-amiens.fr',
    uidPrefix: 'A',
    departements: [['080', 0.33], ['060', 0.42], ['002', 0.25]],
  },
};

export const BAD_REASONS = ['birthdate', 'unknown-structure', 'duplicate-jointure', 'long-name', 'control-char'] as const;
export type BadReason = (typeof BAD_REASONS)[number];

/** The value of `description` on a bad entry, e.g. `bad:birthdate`. */
export const badDescription = (reason: BadReason): string => `bad:${reason}`;

export const MAX_ENTRIES = 5_000_000;

export interface SdetOptions {
  /** Number of person entries (structures, classes and groups come on top). */
  entries: number;
  /** PRNG seed (any safe integer); default 1. */
  seed?: number;
  /** Number of deliberately bad person entries added after the good ones; default 0. */
  bad?: number;
  /** Default `lille`. */
  academy?: Academy;
  /** Jointure prefix; default that of the académie (`AC-LILLE`, `AC-AMIENS`). */
  source?: string;
  /** Base DN; default `dc=ac-<academy>,dc=fr`. Its first RDN must be dc=, o= or ou=. */
  suffix?: string;
  /** First year of the school year the data describes (ages, majority); default 2025. */
  schoolYear?: number;
}

export interface SdetPlan {
  academy: Academy;
  source: string;
  suffix: string;
  seed: number;
  schoolYear: number;
  /** Good person entries (= options.entries). */
  persons: number;
  pupils: number;
  parents: number;
  teachers: number;
  staff: number;
  /** Bad person entries, on top of `persons`. */
  bad: number;
  badByReason: Record<BadReason, number>;
  structures: number;
  classes: number;
  groups: number;
  /** Every LDIF record: root, 3 OUs, structures, classes, groups, persons and bad entries. */
  ldifEntries: number;
  peopleDn: string;
  structuresDn: string;
  groupsDn: string;
}

// ---- static reference data ----------------------------------------------------------------

type SchoolType = 'CLG' | 'LYC' | 'LP';

interface LevelDef {
  label: string;
  age: number;
  mef: string;
  code: (n: number) => string;
  classLabel: (n: number) => string;
}

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const letter = (n: number): string => (n < LETTERS.length ? LETTERS[n]! : String(n + 1));

const college = (digit: string, label: string, age: number, mef: string): LevelDef => ({
  label,
  age,
  mef,
  code: (n) => `${digit}${letter(n)}`,
  classLabel: (n) => `${label} ${letter(n)}`,
});
const numbered = (prefix: string, label: string, age: number, mef: string): LevelDef => ({
  label,
  age,
  mef,
  code: (n) => `${prefix}${n + 1}`,
  classLabel: (n) => `${label} ${n + 1}`,
});

const LEVELS: Record<SchoolType, readonly LevelDef[]> = {
  CLG: [
    college('6', '6EME', 11, '10010012110'),
    college('5', '5EME', 12, '10110001110'),
    college('4', '4EME', 13, '10210001110'),
    college('3', '3EME', 14, '10310019110'),
  ],
  LYC: [
    numbered('2NDE', 'SECONDE GENERALE ET TECHNOLOGIQUE', 15, '20010018110'),
    numbered('1G', 'PREMIERE GENERALE', 16, '20111010110'),
    numbered('TG', 'TERMINALE GENERALE', 17, '20212001110'),
  ],
  LP: [
    numbered('2PRO', 'SECONDE PROFESSIONNELLE', 15, '24725106110'),
    numbered('1PRO', 'PREMIERE PROFESSIONNELLE', 16, '24825106110'),
    numbered('TPRO', 'TERMINALE PROFESSIONNELLE', 17, '24925106110'),
  ],
};

const CLASS_CAPACITY: Record<SchoolType, number> = { CLG: 28, LYC: 35, LP: 24 };
const SCHOOL_KIND: Record<SchoolType, string> = { CLG: 'Collège', LYC: 'Lycée', LP: 'Lycée professionnel' };

interface GroupDef {
  code: string;
  label: string;
  /** Indices into the school type's levels. */
  levels: readonly number[];
  percent: number;
}

const GROUPS: Record<SchoolType, readonly GroupDef[]> = {
  CLG: [
    { code: 'LATIN', label: 'LATIN', levels: [1, 2, 3], percent: 18 },
    { code: 'ESP-LV2', label: 'ESPAGNOL LV2', levels: [1, 2, 3], percent: 45 },
    { code: 'ALL-LV2', label: 'ALLEMAND LV2', levels: [1, 2, 3], percent: 25 },
  ],
  LYC: [
    { code: 'SPE-MATHS', label: 'SPÉCIALITÉ MATHÉMATIQUES', levels: [1, 2], percent: 60 },
    { code: 'SPE-SES', label: 'SPÉCIALITÉ SES', levels: [1, 2], percent: 35 },
    { code: 'SPE-HGGSP', label: 'SPÉCIALITÉ HGGSP', levels: [1, 2], percent: 30 },
    { code: 'LV2-ESP', label: 'ESPAGNOL LV2', levels: [0, 1, 2], percent: 50 },
  ],
  LP: [{ code: 'CO-INTERV', label: "CO-INTERVENTION FRANÇAIS-MÉTIER", levels: [0, 1, 2], percent: 50 }],
};

interface Subject {
  code: string;
  label: string;
}

const SUBJECTS_COMMON: readonly Subject[] = [
  { code: 'L1300', label: 'MATHEMATIQUES' },
  { code: 'L0202', label: 'LETTRES MODERNES' },
  { code: 'L1000', label: 'HISTOIRE-GEOGRAPHIE' },
  { code: 'L0422', label: 'ANGLAIS' },
  { code: 'L1900', label: 'EDUCATION PHYSIQUE ET SPORTIVE' },
  { code: 'L1500', label: 'PHYSIQUE-CHIMIE' },
  { code: 'L1600', label: 'SCIENCES DE LA VIE ET DE LA TERRE' },
  { code: 'L0426', label: 'ESPAGNOL' },
  { code: 'L0421', label: 'ALLEMAND' },
  { code: 'L1800', label: 'ARTS PLASTIQUES' },
  { code: 'L1700', label: 'EDUCATION MUSICALE' },
  { code: 'L0201', label: 'LETTRES CLASSIQUES' },
];
const SUBJECTS: Record<SchoolType, WeightedPool<Subject>> = {
  CLG: new WeightedPool([...SUBJECTS_COMMON.slice(0, 4), { code: 'L1400', label: 'TECHNOLOGIE' }, ...SUBJECTS_COMMON.slice(4)], 0.5),
  LYC: new WeightedPool(
    [...SUBJECTS_COMMON.slice(0, 4), { code: 'L1100', label: 'SCIENCES ECONOMIQUES ET SOCIALES' }, { code: 'L0100', label: 'PHILOSOPHIE' }, ...SUBJECTS_COMMON.slice(4)],
    0.5,
  ),
  LP: new WeightedPool([...SUBJECTS_COMMON.slice(0, 4), { code: 'P5200', label: 'GENIE ELECTRIQUE' }, { code: 'P3100', label: 'GESTION ADMINISTRATION' }], 0.5),
};
const DOCUMENTATION: Subject = { code: 'L0080', label: 'DOCUMENTATION' };

interface StaffFunction {
  code: string;
  label: string;
  disciplineCode: string;
  disciplineLabel: string;
  profile: string;
}

const STAFF_FUNCTIONS = new WeightedPool<StaffFunction>(
  [
    { code: 'SUR', label: 'SURVEILLANCE', disciplineCode: 'S0010', disciplineLabel: "ASSISTANT D'EDUCATION", profile: 'National_EVS' },
    { code: 'ADF', label: 'PERSONNELS ADMINISTRATIFS', disciplineCode: 'A0010', disciplineLabel: 'SECRETARIAT', profile: 'National_ETA' },
    { code: 'EDU', label: 'EDUCATION', disciplineCode: 'E0030', disciplineLabel: "CONSEILLER PRINCIPAL D'EDUCATION", profile: 'National_EVS' },
    { code: 'DIR', label: 'DIRECTION', disciplineCode: 'D0010', disciplineLabel: 'DIRECTION', profile: 'National_DIR' },
    { code: 'MDS', label: 'MEDICO-SOCIAL', disciplineCode: 'M0020', disciplineLabel: 'INFIRMIERE', profile: 'National_EVS' },
    { code: 'LAB', label: 'LABORATOIRE', disciplineCode: 'B0030', disciplineLabel: 'TECHNICIEN DE LABORATOIRE', profile: 'National_ETA' },
  ],
  0.7,
);

const POOLS = {
  pupilF: new WeightedPool(PUPIL_FIRST_NAMES_F),
  pupilM: new WeightedPool(PUPIL_FIRST_NAMES_M),
  adultF: new WeightedPool(ADULT_FIRST_NAMES_F),
  adultM: new WeightedPool(ADULT_FIRST_NAMES_M),
  family: new WeightedPool(FAMILY_NAMES, 0.75),
  namesake: new WeightedPool(SCHOOL_NAMESAKES, 0.5),
};
const PARENT_MAIL_DOMAINS = ['example.com', 'example.org', 'example.net'] as const;

/** Families partition blocks of 8 pupils (in a shuffled order); one pattern per block. */
const FAMILY_PATTERNS: readonly (readonly number[])[] = [
  [2, 2, 1, 3],
  [1, 2, 2, 1, 2],
  [3, 1, 2, 2],
  [1, 1, 2, 2, 2],
  [2, 1, 1, 4],
  [2, 3, 1, 2],
];

// stream tags of the per-entity PRNGs
const TAG = {
  block: 1,
  family: 2,
  parentCount: 3,
  pupil: 4,
  parent: 5,
  teacher: 6,
  staff: 7,
  school: 8,
  group: 9,
  bad: 10,
  gar: 11,
  lea: 12,
} as const;

// ---- the model: schools and classes (small), everything else computed ------------------------

interface School {
  index: number;
  type: SchoolType;
  uai: string;
  siret: string;
  aafId: string;
  dn: string;
  name: string;
  city: string;
  postalCode: string;
  pupilStart: number;
  pupilEnd: number;
  teacherStart: number;
  teacherEnd: number;
  staffStart: number;
  staffEnd: number;
  classes: Klass[];
  groups: Group[];
}

interface Klass {
  school: School;
  code: string;
  label: string;
  level: LevelDef;
  levelIndex: number;
  start: number;
  end: number;
  dn: string;
}

interface Group {
  school: School;
  def: GroupDef;
  salt: number;
  /** First pupil eligible (always a member, so that no group is empty). */
  first: number;
  dn: string;
}

interface Family {
  id: number;
  familyName: string;
  /** sn of the children when they carry both parents' names (law of 2005), else undefined. */
  doubleName: string | undefined;
  forcedLea: boolean;
  parents: FamilyParent[];
}

interface FamilyParent {
  key: number;
  relation: '10' | '20' | '50';
  sex: 'M' | 'F';
  sn: string;
  nomPatro: string;
  financial: 0 | 1;
  legal: 0 | 1;
  contact: 0 | 1;
  payment: 0 | 1;
}

class Model {
  readonly academy: Academy;
  readonly source: string;
  readonly suffix: string;
  readonly seed: number;
  readonly seedMix: number;
  readonly schoolYear: number;
  readonly peopleDn: string;
  readonly structuresDn: string;
  readonly groupsDn: string;
  readonly mailDomain: string;
  readonly uidPrefix: string;
  readonly persons: number;
  readonly pupils: number;
  readonly parents: number;
  readonly teachers: number;
  readonly staff: number;
  readonly bad: number;
  readonly schools: School[] = [];
  /** All classes, ordered by their first pupil (pupils are numbered school by school). */
  readonly classes: Klass[] = [];
  readonly groups: Group[] = [];
  private readonly aafIds: FeistelPermutation;
  private readonly pupilOrder: FeistelPermutation | undefined;
  private readonly ines: FeistelPermutation;

  constructor(options: SdetOptions) {
    const entries = options.entries;
    if (!Number.isSafeInteger(entries) || entries < 0 || entries > MAX_ENTRIES) {
      throw new RangeError(`entries must be an integer between 0 and ${MAX_ENTRIES}, got ${entries}`);
    }
    const bad = options.bad ?? 0;
    if (!Number.isSafeInteger(bad) || bad < 0 || bad > 1_000_000) throw new RangeError(`bad must be an integer between 0 and 1000000, got ${bad}`);
    this.academy = options.academy ?? 'lille';
    const academy = ACADEMIES[this.academy];
    if (!academy) throw new RangeError(`unknown académie ${String(options.academy)} (lille or amiens)`);
    this.source = options.source ?? academy.source;
    if (!/^[A-Za-z0-9_-]+$/.test(this.source)) throw new RangeError(`source must be letters, digits, - or _, got ${JSON.stringify(this.source)}`);
    this.suffix = options.suffix ?? `dc=ac-${this.academy},dc=fr`;
    if (!/^(dc|o|ou)=[^,]+(,.+)?$/i.test(this.suffix)) throw new RangeError(`suffix must start with dc=, o= or ou=, got ${JSON.stringify(this.suffix)}`);
    this.seed = options.seed ?? 1;
    this.seedMix = seed32(this.seed);
    this.schoolYear = options.schoolYear ?? 2025;
    if (!Number.isInteger(this.schoolYear) || this.schoolYear < 1990 || this.schoolYear > 2200) throw new RangeError(`bad schoolYear ${this.schoolYear}`);
    this.peopleDn = `ou=people,${this.suffix}`;
    this.structuresDn = `ou=structures,${this.suffix}`;
    this.groupsDn = `ou=groups,${this.suffix}`;
    this.mailDomain = academy.mailDomain;
    this.uidPrefix = academy.uidPrefix;
    this.persons = entries;
    this.bad = bad;

    // Composition: pupils first, their families give the parents, the rest is staff.
    let pupils = Math.round(entries * 0.46);
    let parents = this.countParents(pupils);
    while (pupils > 0 && pupils + parents > entries) {
      pupils = Math.max(0, pupils - Math.max(1, Math.ceil((pupils + parents - entries) / 2)));
      parents = this.countParents(pupils);
    }
    const adults = entries - pupils - parents;
    this.pupils = pupils;
    this.parents = parents;
    this.teachers = Math.round(adults * 0.74);
    this.staff = adults - this.teachers;

    const keySpace = 3 * pupils + this.teachers + this.staff + bad;
    if (keySpace > 9_000_000) throw new RangeError(`too many entries for 7-digit AAF ids (${keySpace} identifiers needed)`);
    this.aafIds = new FeistelPermutation(9_000_000, this.seedMix, 101);
    this.ines = new FeistelPermutation(9_000_000_000, this.seedMix, 102);
    this.pupilOrder = pupils > 0 ? new FeistelPermutation(pupils, this.seedMix, 103) : undefined;

    this.buildSchools();
  }

  // ---- identifiers ----

  aafId(key: number): string {
    return String(1_000_000 + this.aafIds.apply(key));
  }

  jointure(key: number): string {
    return `${this.source}$${this.aafId(key)}`;
  }

  personDn(key: number): string {
    return `uid=${this.uidPrefix}${this.aafId(key)},${this.peopleDn}`;
  }

  parentKey(family: number, slot: number): number {
    return this.pupils + 2 * family + slot;
  }

  teacherKey(t: number): number {
    return 3 * this.pupils + t;
  }

  staffKey(e: number): number {
    return 3 * this.pupils + this.teachers + e;
  }

  badKey(k: number): number {
    return 3 * this.pupils + this.teachers + this.staff + k;
  }

  /** A v4-shaped UUID, unique per key: its first 32 bits are a bijection of the key. */
  garId(key: number): string {
    const rng = new Rng(this.seedMix, TAG.gar, key);
    const first = fmix32(key ^ fmix32(this.seedMix ^ 0x6a4)).toString(16).padStart(8, '0');
    const variant = '89ab'[rng.int(4)]!;
    return `${first}-${rng.hex(4)}-4${rng.hex(3)}-${variant}${rng.hex(3)}-${rng.hex(12)}`;
  }

  ine(pupil: number): string {
    const digits = String(1_000_000_000 + this.ines.apply(pupil));
    return digits + uaiCheckLetter(digits);
  }

  // ---- families ----

  private familyParentCount(family: number): 1 | 2 {
    return hash3(this.seedMix ^ TAG.parentCount, family) % 100 < 85 ? 2 : 1;
  }

  private pattern(block: number): readonly number[] {
    return FAMILY_PATTERNS[hash3(this.seedMix ^ TAG.block, block) % FAMILY_PATTERNS.length]!;
  }

  private countParents(pupils: number): number {
    let parents = 0;
    for (let block = 0; block * 8 < pupils; block++) {
      let offset = 0;
      for (const size of this.pattern(block)) {
        const family = block * 8 + offset;
        if (family < pupils) parents += this.familyParentCount(family);
        offset += size;
      }
    }
    return parents;
  }

  /** The family of the pupil at shuffled position q: its id (first position) and size. */
  familyAt(q: number): { id: number; size: number } {
    const block = Math.floor(q / 8);
    let offset = 0;
    for (const size of this.pattern(block)) {
      if (q % 8 < offset + size) {
        const id = block * 8 + offset;
        return { id, size: Math.min(size, this.pupils - id) };
      }
      offset += size;
    }
    throw new Error('unreachable: patterns cover 8 positions');
  }

  /** Visits the families in order, with their sizes (truncated at the last pupil). */
  *families(): Generator<{ id: number; size: number }> {
    for (let block = 0; block * 8 < this.pupils; block++) {
      let offset = 0;
      for (const size of this.pattern(block)) {
        const id = block * 8 + offset;
        if (id < this.pupils) yield { id, size: Math.min(size, this.pupils - id) };
        offset += size;
      }
    }
  }

  pupilAtPosition(q: number): number {
    return this.pupilOrder!.invert(q);
  }

  positionOfPupil(pupil: number): number {
    return this.pupilOrder!.apply(pupil);
  }

  family(id: number): Family {
    const rng = new Rng(this.seedMix, TAG.family, id);
    const forcedLea = hash3(this.seedMix ^ TAG.lea, id) % 97 === 0;
    const familyName = forcedLea ? 'Martin' : POOLS.family.pick(rng);
    const parents: FamilyParent[] = [];
    let doubleName: string | undefined;
    const person = (slot: number, relation: FamilyParent['relation'], sex: FamilyParent['sex'], sn: string, nomPatro: string): FamilyParent => ({
      key: this.parentKey(id, slot),
      relation,
      sex,
      sn,
      nomPatro,
      financial: 1,
      legal: 1,
      contact: 1,
      payment: slot === 0 ? 1 : 0,
    });
    if (this.familyParentCount(id) === 2) {
      const shape = rng.float();
      if (shape < 0.92) {
        const birthName = POOLS.family.pick(rng);
        parents.push(person(0, '20', 'M', familyName, familyName));
        parents.push(person(1, '10', 'F', rng.chance(0.55) ? familyName : birthName, birthName));
        if (birthName !== familyName && rng.chance(0.08)) doubleName = `${familyName} ${birthName}`;
      } else {
        // a mother and another person in charge (grand-parent, guardian)
        const other = POOLS.family.pick(rng);
        parents.push(person(0, '10', 'F', familyName, rng.chance(0.5) ? familyName : POOLS.family.pick(rng)));
        parents.push(person(1, '50', rng.chance(0.5) ? 'M' : 'F', other, other));
      }
      const second = parents[1]!;
      second.financial = rng.chance(0.5) ? 1 : 0;
      if (rng.chance(0.04)) second.legal = 0;
      if (rng.chance(0.03)) second.contact = 0;
    } else {
      const shape = rng.float();
      if (shape < 0.75) parents.push(person(0, '10', 'F', familyName, rng.chance(0.6) ? familyName : POOLS.family.pick(rng)));
      else if (shape < 0.95) parents.push(person(0, '20', 'M', familyName, familyName));
      else {
        const other = POOLS.family.pick(rng);
        parents.push(person(0, '50', rng.chance(0.5) ? 'M' : 'F', other, other));
      }
    }
    return { id, familyName, doubleName, forcedLea, parents };
  }

  // ---- schools, classes, groups ----

  private buildSchools(): void {
    const pupils = this.pupils;
    const count = Math.max(1, Math.round(pupils / 430));
    const academy = ACADEMIES[this.academy];
    const numbers = new FeistelPermutation(9000, this.seedMix, 104);
    const structureIds = new FeistelPermutation(9_000_000, this.seedMix, 105);
    const weights: number[] = [];
    const drafts: { type: SchoolType; rng: Rng }[] = [];
    for (let s = 0; s < count; s++) {
      const rng = new Rng(this.seedMix, TAG.school, s);
      let type: SchoolType = rng.chance(0.68) ? 'CLG' : rng.chance(0.7) ? 'LYC' : 'LP';
      if (s === 0) type = 'CLG';
      if (s === 1) type = 'LYC';
      drafts.push({ type, rng });
      weights.push((type === 'CLG' ? 0.55 : type === 'LYC' ? 1 : 0.45) * (0.6 + rng.float() * 0.8));
    }
    const totalWeight = weights.reduce((a, b) => a + b, 0);
    let cumulative = 0;
    for (let s = 0; s < count; s++) {
      const { type, rng } = drafts[s]!;
      const start = Math.floor((pupils * cumulative) / totalWeight);
      cumulative += weights[s]!;
      const end = s === count - 1 ? pupils : Math.floor((pupils * cumulative) / totalWeight);
      let pick = rng.float();
      let departement = academy.departements[0]![0];
      for (const [code, share] of academy.departements) {
        departement = code;
        if (pick < share) break;
        pick -= share;
      }
      const digits = departement + String(numbers.apply(s) + 1000);
      const uai = digits + uaiCheckLetter(digits);
      const siren8 = `19${departement.slice(1)}${String(numbers.apply(s) + 1000)}`;
      const siren = siren8 + luhnDigit(siren8);
      const nic4 = `000${1 + rng.int(9)}`;
      const siret = siren + nic4 + luhnDigit(siren + nic4);
      const city = rng.pick(CITIES[departement]!);
      const school: School = {
        index: s,
        type,
        uai,
        siret,
        aafId: String(1_000_000 + structureIds.apply(s)),
        dn: `ENTStructureSIREN=${siret},${this.structuresDn}`,
        name: `${SCHOOL_KIND[type]} ${POOLS.namesake.pick(rng)}`,
        city: city.name,
        postalCode: city.postalCode,
        pupilStart: start,
        pupilEnd: end,
        teacherStart: 0,
        teacherEnd: 0,
        staffStart: 0,
        staffEnd: 0,
        classes: [],
        groups: [],
      };
      this.schools.push(school);
      this.buildClasses(school);
    }
    // Teachers and staff in proportion to the pupils (all in the first school if there are none).
    const share = (total: number, at: number): number => (pupils === 0 ? 0 : Math.floor((total * at) / pupils));
    for (const school of this.schools) {
      const first = school.index === 0;
      const last = school.index === count - 1;
      school.teacherStart = first ? 0 : share(this.teachers, school.pupilStart);
      school.teacherEnd = last ? this.teachers : pupils === 0 ? (first ? this.teachers : 0) : share(this.teachers, school.pupilEnd);
      school.staffStart = first ? 0 : share(this.staff, school.pupilStart);
      school.staffEnd = last ? this.staff : pupils === 0 ? (first ? this.staff : 0) : share(this.staff, school.pupilEnd);
    }
  }

  private buildClasses(school: School): void {
    const levels = LEVELS[school.type];
    const n = school.pupilEnd - school.pupilStart;
    const firstOfLevel: (number | undefined)[] = [];
    for (let l = 0; l < levels.length; l++) {
      const level = levels[l]!;
      const levelStart = school.pupilStart + Math.floor((n * l) / levels.length);
      const levelEnd = school.pupilStart + Math.floor((n * (l + 1)) / levels.length);
      const size = levelEnd - levelStart;
      firstOfLevel.push(size > 0 ? levelStart : undefined);
      if (size === 0) continue;
      const classCount = Math.ceil(size / CLASS_CAPACITY[school.type]);
      for (let c = 0; c < classCount; c++) {
        const code = level.code(c);
        const klass: Klass = {
          school,
          code,
          label: level.classLabel(c),
          level,
          levelIndex: l,
          start: levelStart + Math.floor((size * c) / classCount),
          end: levelStart + Math.floor((size * (c + 1)) / classCount),
          dn: `cn=${school.uai}$${code},${this.groupsDn}`,
        };
        school.classes.push(klass);
        this.classes.push(klass);
      }
    }
    for (const def of GROUPS[school.type]) {
      const first = def.levels.map((l) => firstOfLevel[l]).find((start) => start !== undefined);
      if (first === undefined) continue;
      const group: Group = { school, def, salt: this.groups.length, first, dn: `cn=${school.uai}$${def.code},${this.groupsDn}` };
      school.groups.push(group);
      this.groups.push(group);
    }
  }

  classOfPupil(pupil: number): Klass {
    let lo = 0;
    let hi = this.classes.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.classes[mid]!.start <= pupil) lo = mid;
      else hi = mid - 1;
    }
    return this.classes[lo]!;
  }

  inGroup(group: Group, pupil: number, levelIndex: number): boolean {
    if (!group.def.levels.includes(levelIndex)) return false;
    return pupil === group.first || hash3(this.seedMix ^ TAG.group, group.salt, pupil) % 100 < group.def.percent;
  }

  plan(): SdetPlan {
    const badByReason = Object.fromEntries(BAD_REASONS.map((reason, r) => [reason, Math.floor((this.bad - r + BAD_REASONS.length - 1) / BAD_REASONS.length)])) as Record<
      BadReason,
      number
    >;
    return {
      academy: this.academy,
      source: this.source,
      suffix: this.suffix,
      seed: this.seed,
      schoolYear: this.schoolYear,
      persons: this.persons,
      pupils: this.pupils,
      parents: this.parents,
      teachers: this.teachers,
      staff: this.staff,
      bad: this.bad,
      badByReason,
      structures: this.schools.length,
      classes: this.classes.length,
      groups: this.groups.length,
      ldifEntries: 4 + this.schools.length + this.classes.length + this.groups.length + this.persons + this.bad,
      peopleDn: this.peopleDn,
      structuresDn: this.structuresDn,
      groupsDn: this.groupsDn,
    };
  }
}

function luhnDigit(digits: string): string {
  let sum = 0;
  for (let i = digits.length - 1, k = 0; i >= 0; i--, k++) {
    let d = digits.charCodeAt(i) - 48;
    if (k % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return String((10 - (sum % 10)) % 10);
}

const pad2 = (n: number): string => String(n).padStart(2, '0');
const daysIn = (year: number, month: number): number => new Date(Date.UTC(year, month, 0)).getUTCDate();

function birthDate(rng: Rng, year: number): { text: string; year: number; month: number; day: number } {
  const month = rng.between(1, 12);
  const day = rng.between(1, daysIn(year, month));
  return { text: `${pad2(day)}/${pad2(month)}/${year}`, year, month, day };
}

/**
 * Unique logins the way entcore builds them (`firstname.lastname`, then a counter from 2),
 * in constant memory: a fixed table of counters indexed by a hash of the base. Two bases
 * sharing a slot share its counter, so a base may start at `2` or more, but never repeats:
 * bases contain no digits, so (base, number) pairs and thus logins stay distinct.
 */
class Logins {
  private readonly counters = new Uint32Array(1 << 20);

  next(firstName: string, lastName: string): string {
    const base = `${loginPart(firstName)}.${loginPart(lastName)}`;
    let h = 0x811c9dc5;
    for (let i = 0; i < base.length; i++) h = Math.imul(h ^ base.charCodeAt(i), 0x01000193);
    const slot = (h >>> 0) & (this.counters.length - 1);
    const used = this.counters[slot]!;
    this.counters[slot] = used + 1;
    return used === 0 ? base : `${base}${used + 1}`;
  }
}

// ---- LDIF output --------------------------------------------------------------------------

const PERSON_CLASSES = ['top', 'person', 'organizationalPerson', 'inetOrgPerson', 'ENTPerson'] as const;
const CHUNK_BYTES = 64 * 1024;

interface PersonCore {
  key: number;
  /** Default: the jointure of the key. */
  jointure?: string;
  sn: string;
  givenName: string;
  otherNames: string[];
  sex: 'M' | 'F';
  birth: string;
  profile: string;
  structure: string | undefined;
  title: boolean;
}

class Writer {
  private readonly model: Model;
  private readonly logins = new Logins();
  /** The DNs we build are ASCII but for the suffix: when it is too, DN values skip the check. */
  private readonly dnSafe: boolean;

  constructor(model: Model) {
    this.model = model;
    this.dnSafe = isSafeLdifValue(`uid=x,${model.suffix}`);
  }

  /** A line whose value is a DN we built, optionally followed by a tail (`$code`…). */
  private dnLine(attribute: string, dn: string, tail = ''): string {
    return this.dnSafe && isSafeLdifTail(tail) ? `${attribute}: ${dn}${tail}` : ldifLine(attribute, dn + tail);
  }

  private person(kind: string, core: PersonCore, extra: string[]): { lines: string[]; login: string } {
    const m = this.model;
    const login = this.logins.next(core.givenName, core.sn);
    const aafId = m.aafId(core.key);
    const lines = [this.dnLine('dn', m.personDn(core.key))];
    pushAttribute(lines, 'objectClass', PERSON_CLASSES);
    lines.push(`objectClass: ${kind}`);
    lines.push(`uid: ${m.uidPrefix}${aafId}`);
    pushAttribute(lines, 'cn', `${core.sn} ${core.givenName}`);
    pushAttribute(lines, 'sn', core.sn);
    pushAttribute(lines, 'givenName', core.givenName);
    pushAttribute(lines, 'displayName', `${core.givenName} ${core.sn}`);
    if (core.title) lines.push(`personalTitle: ${core.sex === 'M' ? 'M.' : 'Mme'}`);
    pushAttribute(lines, 'ENTPersonJointure', core.jointure ?? m.jointure(core.key));
    pushAttribute(lines, 'ENTPersonLogin', login);
    lines.push(`ENTPersonProfils: ${core.profile}`);
    if (core.structure !== undefined) lines.push(this.dnLine('ENTPersonStructRattach', core.structure));
    pushAttribute(lines, 'ENTPersonDateNaissance', core.birth);
    lines.push(`ENTPersonSexe: ${core.sex}`);
    pushAttribute(lines, 'ENTPersonAutresPrenoms', core.otherNames);
    lines.push(`ENTPersonGARIdentifiant: ${m.garId(core.key)}`);
    for (const line of extra) lines.push(line);
    return { lines, login };
  }

  *generate(): Generator<string> {
    // No `version: 1` line: slapadd (OpenLDAP 2.5) rejects it, and slapcat never writes one.
    let buffer: string[] = [];
    let size = 0;
    const emit = (lines: string[]): string | undefined => {
      const text = `${lines.join('\n')}\n\n`;
      buffer.push(text);
      size += text.length;
      if (size < CHUNK_BYTES) return undefined;
      const chunk = buffer.join('');
      buffer = [];
      size = 0;
      return chunk;
    };
    const entries = this.entries();
    for (const lines of entries) {
      const chunk = emit(lines);
      if (chunk !== undefined) yield chunk;
    }
    if (buffer.length > 0) yield buffer.join('');
  }

  private *entries(): Generator<string[]> {
    const m = this.model;
    yield* this.containers();
    for (const school of m.schools) yield this.school(school);
    for (const school of m.schools) {
      for (const klass of school.classes) yield this.klass(klass);
      for (const group of school.groups) yield this.group(group);
    }
    for (const klass of m.classes) for (let i = klass.start; i < klass.end; i++) yield this.pupil(i, klass);
    if (m.pupils > 0) for (const family of m.families()) yield* this.parents(family.id, family.size);
    for (let t = 0; t < m.teachers; t++) yield this.teacher(t);
    for (let e = 0; e < m.staff; e++) yield this.staffMember(e);
    for (let k = 0; k < m.bad; k++) yield this.badEntry(k);
  }

  private *containers(): Generator<string[]> {
    const m = this.model;
    const [firstRdn] = m.suffix.split(',');
    const [type, value] = firstRdn!.split('=') as [string, string];
    const root = [ldifLine('dn', m.suffix)];
    const label = ACADEMIES[m.academy].label;
    switch (type.toLowerCase()) {
      case 'dc':
        root.push('objectClass: top', 'objectClass: dcObject', 'objectClass: organization', ldifLine('dc', value), ldifLine('o', label));
        break;
      case 'o':
        root.push('objectClass: top', 'objectClass: organization', ldifLine('o', value));
        break;
      default:
        root.push('objectClass: top', 'objectClass: organizationalUnit', ldifLine('ou', value));
    }
    yield root;
    for (const ou of ['structures', 'groups', 'people']) yield [ldifLine('dn', `ou=${ou},${m.suffix}`), 'objectClass: top', 'objectClass: organizationalUnit', `ou: ${ou}`];
  }

  private school(school: School): string[] {
    const m = this.model;
    const lines = [ldifLine('dn', school.dn), 'objectClass: top', 'objectClass: organizationalUnit', 'objectClass: ENTStructure', 'objectClass: ENTEtablissement'];
    pushAttribute(lines, 'ou', school.name);
    lines.push(`ENTStructureSIREN: ${school.siret}`);
    pushAttribute(lines, 'ENTStructureJointure', `${m.source}$${school.aafId}`);
    pushAttribute(lines, 'ENTStructureNomCourant', `${school.name.toUpperCase()} - ${school.city.toUpperCase()}`);
    lines.push(`ENTStructureUAI: ${school.uai}`);
    lines.push(`ENTStructureTypeStruct: ${school.type}`);
    for (const klass of school.classes) pushAttribute(lines, 'ENTStructureClasses', `${klass.code}$${klass.label}`);
    for (const group of school.groups) pushAttribute(lines, 'ENTStructureGroupes', `${group.def.code}$${group.def.label}`);
    pushAttribute(lines, 'l', school.city);
    lines.push(`postalCode: ${school.postalCode}`);
    return lines;
  }

  private klass(klass: Klass): string[] {
    const m = this.model;
    const lines = [ldifLine('dn', klass.dn), 'objectClass: top', 'objectClass: groupOfNames', 'objectClass: ENTClasse'];
    pushAttribute(lines, 'cn', `${klass.school.uai}$${klass.code}`);
    pushAttribute(lines, 'description', klass.label);
    pushAttribute(lines, 'businessCategory', klass.level.label);
    lines.push(this.dnLine('seeAlso', klass.school.dn));
    for (let i = klass.start; i < klass.end; i++) lines.push(this.dnLine('member', m.personDn(i)));
    return lines;
  }

  private group(group: Group): string[] {
    const m = this.model;
    const lines = [ldifLine('dn', group.dn), 'objectClass: top', 'objectClass: groupOfNames', 'objectClass: ENTGroupe'];
    pushAttribute(lines, 'cn', `${group.school.uai}$${group.def.code}`);
    pushAttribute(lines, 'description', group.def.label);
    lines.push(this.dnLine('seeAlso', group.school.dn));
    for (const klass of group.school.classes) {
      if (!group.def.levels.includes(klass.levelIndex)) continue;
      for (let i = klass.start; i < klass.end; i++) if (m.inGroup(group, i, klass.levelIndex)) lines.push(this.dnLine('member', m.personDn(i)));
    }
    return lines;
  }

  private pupil(i: number, klass: Klass): string[] {
    const m = this.model;
    const rng = new Rng(m.seedMix, TAG.pupil, i);
    const school = klass.school;
    const q = m.positionOfPupil(i);
    const family = m.family(m.familyAt(q).id);
    let sex: 'M' | 'F' = rng.chance(0.5) ? 'F' : 'M';
    let givenName = sex === 'F' ? POOLS.pupilF.pick(rng) : POOLS.pupilM.pick(rng);
    if (family.forcedLea && q === family.id) {
      sex = 'F';
      givenName = 'Léa';
    }
    const otherNames: string[] = [];
    const others = rng.int(3);
    for (let n = 0; n < others; n++) {
      const name = sex === 'F' ? POOLS.adultF.pick(rng) : POOLS.adultM.pick(rng);
      if (name !== givenName && !otherNames.includes(name)) otherNames.push(name);
    }
    const age = klass.level.age + (rng.chance(0.12) ? 1 : rng.chance(0.02) ? -1 : 0);
    const birth = birthDate(rng, m.schoolYear - age);
    // Majority on the 1st of January of the school year.
    const majeur = birth.year < m.schoolYear + 1 - 18 || (birth.year === m.schoolYear + 1 - 18 && birth.month === 1 && birth.day === 1);
    const sn = family.doubleName ?? family.familyName;
    const extra: string[] = [];
    pushAttribute(extra, 'ENTEleveINE', m.ine(i));
    extra.push(`ENTEleveMajeur: ${majeur ? 'O' : 'N'}`);
    pushAttribute(extra, 'ENTEleveStructRattachId', school.aafId);
    pushAttribute(extra, 'ENTEleveMEF', klass.level.mef);
    extra.push(this.dnLine('ENTEleveClasses', school.dn, `$${klass.code}`));
    for (const group of school.groups) if (m.inGroup(group, i, klass.levelIndex)) extra.push(this.dnLine('ENTEleveGroupes', school.dn, `$${group.def.code}`));
    for (const parent of family.parents) extra.push(this.dnLine('ENTEleveParents', m.personDn(parent.key)));
    for (const parent of family.parents) if (parent.legal === 1) extra.push(this.dnLine('ENTEleveAutoriteParentale', m.personDn(parent.key)));
    for (const p of family.parents) {
      pushAttribute(extra, 'ENTElevePersRelEleve', `${m.aafId(p.key)}$${p.relation}$${p.financial}$${p.legal}$${p.contact}$${p.payment}`);
    }
    pushAttribute(extra, 'ENTPersonNomPatro', sn);
    const core = { key: i, sn, givenName, otherNames, sex, birth: birth.text, profile: 'National_ELV', structure: school.dn, title: false };
    return this.person('ENTEleve', core, extra).lines;
  }

  private *parents(familyId: number, size: number): Generator<string[]> {
    const m = this.model;
    const family = m.family(familyId);
    const children: number[] = [];
    for (let q = familyId; q < familyId + size; q++) children.push(m.pupilAtPosition(q));
    const structure = m.classOfPupil(children[0]!).school.dn;
    for (const parent of family.parents) {
      const rng = new Rng(m.seedMix, TAG.parent, parent.key);
      const givenName = parent.sex === 'F' ? POOLS.adultF.pick(rng) : POOLS.adultM.pick(rng);
      const otherNames = rng.chance(0.4) ? [parent.sex === 'F' ? POOLS.adultF.pick(rng) : POOLS.adultM.pick(rng)] : [];
      const birth = birthDate(rng, m.schoolYear - rng.between(33, 58)).text;
      const extra: string[] = [];
      pushAttribute(extra, 'ENTPersonNomPatro', parent.nomPatro);
      for (const child of children) extra.push(this.dnLine('ENTAuxPersRelEleveEleve', m.personDn(child)));
      const withMail = rng.chance(0.65);
      const domain = rng.pick(PARENT_MAIL_DOMAINS);
      const diffusion = rng.chance(0.2);
      const { lines, login } = this.person(
        'ENTAuxPersRelEleve',
        { key: parent.key, sn: parent.sn, givenName, otherNames, sex: parent.sex, birth, profile: 'National_TUT', structure, title: true },
        extra,
      );
      if (withMail) {
        lines.push(`mail: ${login}@${domain}`);
        if (diffusion) lines.push(`ENTPersonMailDiffusion: ${login}@${domain}`);
      }
      yield lines;
    }
  }

  private teacher(t: number): string[] {
    const m = this.model;
    const rng = new Rng(m.seedMix, TAG.teacher, t);
    const school = schoolOf(m.schools, t, 'teacher');
    const sex: 'M' | 'F' = rng.chance(0.6) ? 'F' : 'M';
    const givenName = sex === 'F' ? POOLS.adultF.pick(rng) : POOLS.adultM.pick(rng);
    const sn = POOLS.family.pick(rng);
    const nomPatro = sex === 'F' && rng.chance(0.4) ? POOLS.family.pick(rng) : sn;
    const birth = birthDate(rng, m.schoolYear - rng.between(24, 63)).text;
    const documentalist = rng.chance(0.08);
    const subject = documentalist ? DOCUMENTATION : SUBJECTS[school.type].pick(rng);
    const schools = [school];
    if (m.schools.length > 1 && rng.chance(0.15)) schools.push(m.schools[(school.index + 1 + rng.int(m.schools.length - 1)) % m.schools.length]!);
    const extra: string[] = [];
    for (const [n, s] of schools.entries()) {
      const fn = documentalist ? 'DOC$DOCUMENTATION' : 'ENS$ENSEIGNEMENT';
      extra.push(this.dnLine('ENTPersonFonctions', s.dn, `$${fn}$${subject.code}$${subject.label}`));
      if (documentalist || s.classes.length === 0) continue;
      const picked = rng.distinct(s.classes.length, n === 0 ? rng.between(3, 6) : rng.between(1, 2));
      for (const c of picked) extra.push(this.dnLine('ENTAuxEnsClasses', s.dn, `$${s.classes[c]!.code}`));
      if (s.groups.length > 0 && rng.chance(0.3)) extra.push(this.dnLine('ENTAuxEnsGroupes', s.dn, `$${rng.pick(s.groups).def.code}`));
      for (const c of picked) extra.push(this.dnLine('ENTAuxEnsClassesMatieres', s.dn, `$${s.classes[c]!.code}$${subject.label}`));
      extra.push(this.dnLine('ENTAuxEnsMatiereEnseignEtab', s.dn, `$${subject.label}`));
    }
    pushAttribute(extra, 'ENTPersonNomPatro', nomPatro);
    const { lines, login } = this.person(
      'ENTAuxEnseignant',
      {
        key: m.teacherKey(t),
        sn,
        givenName,
        otherNames: [],
        sex,
        birth,
        profile: documentalist ? 'National_DOC' : 'National_ENS',
        structure: school.dn,
        title: true,
      },
      extra,
    );
    lines.push(`mail: ${login}@${m.mailDomain}`);
    return lines;
  }

  private staffMember(e: number): string[] {
    const m = this.model;
    const rng = new Rng(m.seedMix, TAG.staff, e);
    const school = schoolOf(m.schools, e, 'staff');
    const sex: 'M' | 'F' = rng.chance(0.65) ? 'F' : 'M';
    const givenName = sex === 'F' ? POOLS.adultF.pick(rng) : POOLS.adultM.pick(rng);
    const sn = POOLS.family.pick(rng);
    const birth = birthDate(rng, m.schoolYear - rng.between(20, 63)).text;
    const fn = STAFF_FUNCTIONS.pick(rng);
    const extra: string[] = [];
    extra.push(this.dnLine('ENTPersonFonctions', school.dn, `$${fn.code}$${fn.label}$${fn.disciplineCode}$${fn.disciplineLabel}`));
    pushAttribute(extra, 'ENTPersonNomPatro', sn);
    const { lines, login } = this.person(
      'ENTAuxNonEnsEtab',
      { key: m.staffKey(e), sn, givenName, otherNames: [], sex, birth, profile: fn.profile, structure: school.dn, title: true },
      extra,
    );
    lines.push(`mail: ${login}@${m.mailDomain}`);
    return lines;
  }

  /**
   * Bad entries: pupils of the first class, valid but for one deliberate defect each. They have
   * no parents, and the class's `member` list does not name them (the pupil side,
   * ENTEleveClasses, is what an import reads).
   */
  private badEntry(k: number): string[] {
    const m = this.model;
    const reason = BAD_REASONS[k % BAD_REASONS.length]!;
    const key = m.badKey(k);
    const rng = new Rng(m.seedMix, TAG.bad, k);
    const klass = m.classes[0] ?? fallbackClass(m);
    const school = klass.school;
    const sex: 'M' | 'F' = rng.chance(0.5) ? 'F' : 'M';
    let sn: string = POOLS.family.pick(rng);
    let givenName: string = sex === 'F' ? POOLS.pupilF.pick(rng) : POOLS.pupilM.pick(rng);
    let birth = birthDate(rng, m.schoolYear - klass.level.age).text;
    let classValue = `${school.dn}$${klass.code}`;
    let jointure = m.jointure(key);
    switch (reason) {
      case 'birthdate':
        birth = '31/02/2010';
        break;
      case 'unknown-structure':
        classValue = `ENTStructureSIREN=00000000000000,${m.structuresDn}$${klass.code}`;
        break;
      case 'duplicate-jointure': {
        // the first good person's, or the first bad entry's when there is none
        const first = m.pupils > 0 ? 0 : m.teachers > 0 ? m.teacherKey(0) : m.staff > 0 ? m.staffKey(0) : m.badKey(0);
        jointure = m.jointure(first);
        break;
      }
      case 'long-name':
        sn = 'Martin-Dubois-de-La-Fontaine-'.repeat(10).slice(0, 290).replace(/-+$/, '');
        break;
      case 'control-char':
        givenName = 'Jean\u0007Marc\u001b';
        break;
    }
    const extra: string[] = [];
    pushAttribute(extra, 'ENTEleveINE', m.ine(key));
    extra.push('ENTEleveMajeur: N');
    pushAttribute(extra, 'ENTEleveStructRattachId', school.aafId);
    pushAttribute(extra, 'ENTEleveMEF', klass.level.mef);
    pushAttribute(extra, 'ENTEleveClasses', classValue);
    pushAttribute(extra, 'ENTPersonNomPatro', sn);
    pushAttribute(extra, 'description', badDescription(reason));
    const core = { key, jointure, sn, givenName, otherNames: [], sex, birth, profile: 'National_ELV', structure: school.dn, title: false };
    return this.person('ENTEleve', core, extra).lines;
  }
}

/** A class record for bad entries when the data has no class at all (no pupils). */
function fallbackClass(m: Model): Klass {
  const school = m.schools[0]!;
  const level = LEVELS[school.type][0]!;
  return { school, code: level.code(0), label: level.classLabel(0), level, levelIndex: 0, start: 0, end: 0, dn: `cn=${school.uai}$${level.code(0)},${m.groupsDn}` };
}

function schoolOf(schools: readonly School[], index: number, kind: 'teacher' | 'staff'): School {
  const start = (s: School): number => (kind === 'teacher' ? s.teacherStart : s.staffStart);
  const end = (s: School): number => (kind === 'teacher' ? s.teacherEnd : s.staffEnd);
  let lo = 0;
  let hi = schools.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (end(schools[mid]!) <= index) lo = mid + 1;
    else hi = mid;
  }
  const school = schools[lo]!;
  if (index < start(school) || index >= end(school)) throw new Error(`no school for ${kind} ${index}`);
  return school;
}

// ---- public API ---------------------------------------------------------------------------

/** The counts `generateSdet` will produce for these options, without generating anything. */
export function planSdet(options: SdetOptions): SdetPlan {
  return new Model(options).plan();
}

/**
 * The LDIF, as a lazy sequence of text chunks (≈ 64 KiB, whole entries each). Options are
 * validated on the call (RangeError), before the first chunk.
 */
export function generateSdet(options: SdetOptions): Generator<string> {
  const model = new Model(options);
  return new Writer(model).generate();
}

export interface SdetWriteResult extends SdetPlan {
  bytes: number;
  milliseconds: number;
}

/**
 * Streams the LDIF to a file path or a writable stream (with back-pressure; a stream passed in
 * is not ended, a file is closed). Resolves with the plan, the bytes written and the time taken.
 */
export async function writeSdet(options: SdetOptions, output: string | NodeJS.WritableStream): Promise<SdetWriteResult> {
  const started = performance.now();
  const model = new Model(options);
  const plan = model.plan();
  const stream: NodeJS.WritableStream = typeof output === 'string' ? createWriteStream(output) : output;
  let failure: unknown;
  const onError = (error: unknown) => {
    failure ??= error;
  };
  stream.on('error', onError);
  let bytes = 0;
  try {
    for (const chunk of new Writer(model).generate()) {
      if (failure !== undefined) throw failure;
      bytes += Buffer.byteLength(chunk);
      if (!stream.write(chunk)) await once(stream, 'drain');
    }
    if (typeof output === 'string') {
      stream.end();
      await finished(stream);
    }
    if (failure !== undefined) throw failure;
  } finally {
    stream.off('error', onError);
  }
  return { ...plan, bytes, milliseconds: performance.now() - started };
}
