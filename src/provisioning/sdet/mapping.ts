/**
 * SDET directory entries → imported records (DOMAIN.md, "The académie annuaire").
 *
 * Data-driven: which object class gives which profile, and which attribute feeds which field,
 * are tables below; one small engine reads them. A tenant whose annuaire strays from SDET
 * renames attributes in config (`overrides`) instead of patching code.
 *
 * Output DNs (the entry's own and every DN it references) are normalised with `normalizeDn`, so
 * references and entries meet as plain map keys. An entry that cannot be imported faithfully
 * is quarantined with a reason naming the attribute; the run goes on without it.
 */
import type {
  DirectoryEntry, GroupRef, ImportedGroup, ImportedPerson, ImportedStructure, MappingResult,
} from '../model.js';
import {
  type Parsed, DEFAULT_MAX_VALUE_LENGTH, cleanValue, defaultExternalIdPrefix, externalId, fail,
  isBareJointureId, normalizeDn, ok, parentDn, parseBirthDate, parseEmail, parseGroupRef, parseJointure,
  parsePupilRelation, parseUai, rdnValue,
} from './parse.js';
import type { GroupKind, Profile } from '../../identity/vocabulary.js';
import { HubError } from '../../shared/errors.js';

/** A mapping the configuration got wrong (the import refuses to start with it). */
const mappingRefused = (message: string) => new HubError('bad_mapping', message, { status: 400 });

export interface SdetMapperOptions {
  /** Prefix of external ids: `LILLE` gives `LILLE-1234567`. Default: the `source` without `AC-`. */
  externalIdPrefix?: string;
  /**
   * The directory's jointure source (`AC-LILLE`). When set, entries whose jointure names another
   * source are quarantined: with this source's prefix they would collide with its real ids.
   */
  source?: string;
  /** E-mail domains of the académies (subdomains included). */
  academicDomains?: string[];
  maxValueLength?: number;
  /**
   * Attribute renames, per object class (or `*` for every entry): SDET attribute → attribute(s)
   * to read instead, e.g. `{ ENTEleve: { mail: ['ENTPersonMailDiffusion'] } }`. Names are
   * case-insensitive; an unknown SDET attribute is a configuration error.
   */
  overrides?: Record<string, Record<string, string | string[]>>;
  /**
   * Attribute of ENTClasse/ENTGroupe entries holding their structure's DN. Default `seeAlso`,
   * as in this project's `sdet.schema` (the public SDET copies name none: an académie whose
   * annuaire uses another attribute sets it here).
   */
  groupStructureAttribute?: string;
  /**
   * Quarantine a structure whose UAI has the right shape but a wrong check letter. Default
   * false: the structure is imported and the result carries a warning (its people depend on it).
   */
  strictUai?: boolean;
}

export interface SdetMapper {
  structure(entry: DirectoryEntry): MappingResult<ImportedStructure>;
  group(entry: DirectoryEntry): MappingResult<ImportedGroup>;
  person(entry: DirectoryEntry): MappingResult<ImportedPerson>;
  /**
   * The external id of a person entry when only its jointure is readable: a quarantined entry
   * still counts as seen, so one bad attribute never makes an account disappear.
   */
  personExternalId(entry: DirectoryEntry): string | null;
  /**
   * The attributes to ask the directory for, per kind of entry: what the tables read (renames
   * included), objectClass and modifyTimestamp. Annuaires hold much more about each person
   * (addresses, phone numbers, schooling details…): the hub neither needs nor wants it, and
   * every value asked for costs the server, the network and the decoder.
   */
  attributes(kind: 'structure' | 'group' | 'person'): string[];
}

export const DEFAULT_ACADEMIC_DOMAINS = ['ac-lille.fr', 'ac-amiens.fr'];
export const DEFAULT_GROUP_STRUCTURE_ATTRIBUTE = 'seeAlso';

// ——— Tables ————————————————————————————————————————————————————————————————————————

interface Context {
  prefix: string;
  source: string | undefined;
  academicDomains: string[];
  strictUai: boolean;
}

/** A value parser; `null` means "ignore this value" (not worth refusing the entry for). */
type Parse<T> = (value: string, ctx: Context) => Parsed<T | null>;

interface FieldRule<R> {
  field: keyof R & string;
  /** Tried in order; a single-valued field takes the first usable value, a multi one all. */
  attributes: readonly string[];
  parse: Parse<unknown>;
  required?: boolean;
  multi?: boolean;
  /**
   * An identity key (jointure, UAI, INE): every value the entry holds must agree, since LDAP
   * does not order values and taking "the first" could give the entry another identity next run.
   * `'quarantine'` when they do not; `'lowest'` keeps the lowest (the same whatever the order)
   * with a warning, for keys that are not personal data and that no account hangs on.
   */
  unique?: 'quarantine' | 'lowest';
  /**
   * A value that does not parse is left out with a warning instead of quarantining the entry:
   * for references (classes, parents, structures) whose loss costs one link, not an account.
   */
  dropBad?: boolean;
}

type Elem<T> = T extends readonly (infer E)[] ? E : Exclude<T, null>;
/** Typed table rows: `parse` must produce what the field holds. */
const rule = <R>() => <K extends keyof R & string>(r: {
  field: K; attributes: readonly string[]; parse: Parse<Elem<R[K]>>; required?: boolean; multi?: boolean; unique?: 'quarantine' | 'lowest'; dropBad?: boolean;
}): FieldRule<R> => r;
const personRule = rule<ImportedPerson>();

/** Names: doubled and no-break spaces become one plain space (cleanValue refuses tabs and line breaks). */
const name: Parse<string> = (v) => ok(collapseSpaces(v));
const dn: Parse<string> = (v) => normalizeDn(v);
const uuid: Parse<string> = (v) => ok(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v) ? v.toLowerCase() : null);
/** A bad contact address is dropped, not a reason to lock a pupil out. */
const email: Parse<string> = (v) => ok(parseEmail(v).ok ? v.toLowerCase() : null);
/** `mail` counts as the académie e-mail (the staff IdP matching key) only on an académie domain. */
const academicEmail: Parse<string> = (v, ctx) => {
  const parsed = parseEmail(v);
  if (!parsed.ok) return ok(null);
  const domain = parsed.value.slice(parsed.value.lastIndexOf('@') + 1);
  return ok(ctx.academicDomains.some((d) => domain === d || domain.endsWith(`.${d}`)) ? parsed.value : null);
};
const jointure: Parse<string> = (v, ctx) => {
  const parsed = parseJointure(v);
  if (!parsed.ok) return parsed;
  if (ctx.source !== undefined && parsed.value.source.toUpperCase() !== ctx.source.toUpperCase()) {
    return fail(`names source ${parsed.value.source}, not this directory's ${ctx.source}`);
  }
  return ok(externalId(ctx.prefix, parsed.value.id));
};
/**
 * Structures also accept a bare id (`9000`): some annuaires write ENTStructureJointure without
 * its `SOURCE$`. It is read as this source's id, so `9000` and `AC-LILLE$9000` give the same
 * external id (`LILLE-9000`) and the structure keeps it whichever form the directory uses.
 * People do not get this leniency: their external id is the ÉduConnect join key, and a bare
 * value may be some other id (a login, a local number) that would match a stranger's account.
 */
const structureJointure: Parse<string> = (v, ctx) =>
  !v.includes('$') && isBareJointureId(v) ? ok(externalId(ctx.prefix, v)) : jointure(v, ctx);
const uai: Parse<string> = (v, ctx) => parseUai(v, ctx.strictUai);
/** INE: 11 letters or digits. It drives merges of pupils who move school, so it must be right. */
const ine: Parse<string> = (v) => (/^[0-9A-Z]{11}$/.test(v.toUpperCase()) ? ok(v.toUpperCase()) : fail('is not an INE (11 letters or digits)'));
/**
 * People name the same few structures and classes over and over: parsers that do not depend on
 * the context are memoised, within a bound (the values are immutable and shared).
 */
function memoised<T>(parse: Parse<T>, limit = 10_000): Parse<T> {
  const cache = new Map<string, Parsed<T | null>>();
  return (v, ctx) => {
    let parsed = cache.get(v);
    if (parsed === undefined) {
      parsed = parse(v, ctx);
      if (cache.size >= limit) cache.clear();
      cache.set(v, parsed);
    }
    return parsed;
  };
}
const structureDn = memoised(dn);
const groupRef = (kind: GroupKind): Parse<GroupRef> => memoised((v) => parseGroupRef(v, kind));
/**
 * Legal guardians only (entcore: 6 fields and field 4 = 1). A malformed relation is ignored
 * rather than quarantining the pupil: a missing parent link is less harmful than a pupil
 * without an account.
 */
const guardian: Parse<string> = (v, ctx) => {
  const relation = parsePupilRelation(v);
  return ok(relation.ok && relation.value.legalGuardian ? externalId(ctx.prefix, relation.value.id) : null);
};

/** Read for every person, whatever the class. */
const PERSON_FIELDS: FieldRule<ImportedPerson>[] = [
  personRule({ field: 'externalId', attributes: ['ENTPersonJointure'], parse: jointure, required: true, unique: 'quarantine' }),
  personRule({ field: 'firstName', attributes: ['givenName'], parse: name }),
  personRule({ field: 'lastName', attributes: ['sn'], parse: name }),
  personRule({ field: 'birthDate', attributes: ['ENTPersonDateNaissance'], parse: parseBirthDate }),
  personRule({ field: 'email', attributes: ['mail', 'ENTPersonMailDiffusion'], parse: email }),
  personRule({ field: 'garId', attributes: ['ENTPersonGARIdentifiant'], parse: uuid }),
  // Single-valued in SDET, yet some annuaires list every structure a person works in: the first
  // is the main one, and none of the others is lost (they join structureDns).
  personRule({ field: 'structureDns', attributes: ['ENTPersonStructRattach'], parse: structureDn, multi: true, dropBad: true }),
];

const TEACHING_FUNCTION = /\$(ENS|DOC)\$/i;
/** Staff who teach (or run the CDI) are Teacher (DOMAIN.md: `$ENS$`/`$DOC$` functions). */
const staffProfile = (read: Reader): Profile =>
  read.raw('ENTPersonFonctions').some((f) => TEACHING_FUNCTION.test(f)) ? 'Teacher' : 'Personnel';

const STAFF_FIELDS = [personRule({ field: 'academicEmail', attributes: ['mail'], parse: academicEmail })];

/**
 * Person object classes in priority order: the first one an entry has gives the profile; the
 * `fields` of EVERY class it has are read (a teacher who is also a parent keeps the children).
 * Staff come before parents: the profile carries the staff IdP matching key (académie e-mail)
 * and staff rights, while the parent role survives through `childDns`.
 */
export const PERSON_CLASSES: ReadonlyArray<{
  objectClass: string;
  profile: Profile | ((read: Reader) => Profile);
  fields: FieldRule<ImportedPerson>[];
}> = [
  {
    objectClass: 'ENTEleve', profile: 'Student', fields: [
      personRule({ field: 'ine', attributes: ['ENTEleveINE'], parse: ine, unique: 'quarantine' }),
      personRule({ field: 'groups', attributes: ['ENTEleveClasses'], parse: groupRef('class'), multi: true, dropBad: true }),
      personRule({ field: 'groups', attributes: ['ENTEleveGroupes'], parse: groupRef('group'), multi: true, dropBad: true }),
      personRule({ field: 'guardianExternalIds', attributes: ['ENTElevePersRelEleve'], parse: guardian, multi: true }),
      personRule({ field: 'parentDns', attributes: ['ENTEleveParents', 'ENTEleveAutoriteParentale'], parse: dn, multi: true, dropBad: true }),
    ],
  },
  {
    objectClass: 'ENTAuxEnseignant', profile: 'Teacher', fields: [
      ...STAFF_FIELDS,
      personRule({ field: 'groups', attributes: ['ENTAuxEnsClasses'], parse: groupRef('class'), multi: true, dropBad: true }),
      personRule({ field: 'groups', attributes: ['ENTAuxEnsGroupes'], parse: groupRef('group'), multi: true, dropBad: true }),
    ],
  },
  { objectClass: 'ENTAuxNonEnsEtab', profile: staffProfile, fields: STAFF_FIELDS },
  { objectClass: 'ENTAuxNonEnsServAc', profile: staffProfile, fields: STAFF_FIELDS },
  { objectClass: 'ENTAuxNonEnsCollLoc', profile: staffProfile, fields: STAFF_FIELDS },
  {
    objectClass: 'ENTAuxPersRelEleve', profile: 'Relative', fields: [
      personRule({ field: 'childDns', attributes: ['ENTAuxPersRelEleveEleve'], parse: dn, multi: true, dropBad: true }),
    ],
  },
  { objectClass: 'ENTAuxPersExt', profile: 'Guest', fields: [] },
];

/** Any of these makes an entry a structure. */
export const STRUCTURE_CLASSES = ['ENTStructure', 'ENTEtablissement', 'ENTServAc', 'ENTCollLoc'];
const structureRule = rule<ImportedStructure>();
const STRUCTURE_FIELDS: FieldRule<ImportedStructure>[] = [
  // The UAI is required: the store keys structures by it (services and collectivities without
  // one cannot be stored yet).
  structureRule({ field: 'uai', attributes: ['ENTStructureUAI'], parse: uai, required: true, unique: 'quarantine' }),
  // The store keys structures by UAI: two jointures leave the structure's key alone, so the
  // structure (and its people) is kept, under the lowest one.
  structureRule({ field: 'externalId', attributes: ['ENTStructureJointure'], parse: structureJointure, unique: 'lowest' }),
  // Not required: a structure without a name is named after its UAI (with a warning) rather
  // than refused with all its people.
  structureRule({ field: 'name', attributes: ['ENTStructureNomCourant', 'ou'], parse: name }),
];

export const GROUP_CLASSES: ReadonlyArray<{ objectClass: string; kind: GroupKind }> = [
  { objectClass: 'ENTClasse', kind: 'class' },
  { objectClass: 'ENTGroupe', kind: 'group' },
];
const groupRule = rule<ImportedGroup>();
/**
 * Annuaires name classes `UAI$code` (`0597500G$6A`) while people reference `structureDN$code`:
 * the code is what follows the last `$`.
 */
const groupCode: Parse<string> = (v) => ok(v.slice(v.lastIndexOf('$') + 1));

const GROUP_FIELDS: FieldRule<ImportedGroup>[] = [
  groupRule({ field: 'code', attributes: ['cn'], parse: groupCode, required: true }),
  groupRule({ field: 'name', attributes: ['description', 'cn'], parse: name, required: true }),
];

/** Attributes read outside the field tables; they may be renamed too. */
const EXTRA_ATTRIBUTES = ['cn', 'ENTPersonFonctions'];
/** Read from every entry: the class decides the mapping, the stamp drives delta runs. */
const ALWAYS_READ = ['objectClass', 'modifyTimestamp'];

// ——— Engine ————————————————————————————————————————————————————————————————————————

/** Case-insensitive view of an entry (servers return `entpersonjointure`, `ENTPersonJointure`…). */
export interface Reader {
  /** The names actually read for an SDET attribute (itself, or its renames). */
  names(attribute: string): readonly string[];
  /** The values of one name, as is (no renames); none when the entry lacks it. */
  valuesOf(name: string): readonly string[];
  /** Raw values of an attribute, after renames, in the order the names are tried. */
  raw(attribute: string): string[];
  /** The first value of an attribute (after renames), with the name it was read under. */
  first(attribute: string): { name: string; value: string } | undefined;
  /** How the entry spells a name (for messages): `entpersonjointure` as the server sent it. */
  spelling(name: string): string;
  hasClass(objectClass: string): boolean;
}

type Renames = Map<string, Map<string, string[]>>;

/** Lower-cased names, memoised: every entry of a directory spells the same few names. */
const lowerCased = new Map<string, string>();
function lower(name: string): string {
  let key = lowerCased.get(name);
  if (key === undefined) {
    if (lowerCased.size >= 10_000) lowerCased.clear();
    lowerCased.set(name, (key = name.toLowerCase()));
  }
  return key;
}

const NO_VALUES: readonly string[] = [];

/**
 * Built for every entry read, so it allocates little: the entry's value lists are used as they
 * are, and its methods are shared rather than closures made per entry.
 */
class EntryReader implements Reader {
  private readonly byName = new Map<string, readonly string[]>();
  private readonly classes: Set<string>;
  /** Where renames are looked up, in priority order; empty without renames (the usual case). */
  private readonly scopes: string[];

  constructor(private readonly entry: DirectoryEntry, private readonly renames: Renames, classOrder: readonly string[]) {
    for (const name in entry.attributes) {
      const key = lower(name);
      const known = this.byName.get(key);
      const values = entry.attributes[name]!;
      this.byName.set(key, known ? [...known, ...values] : values);
    }
    this.classes = new Set((this.byName.get('objectclass') ?? NO_VALUES).map((c) => lower(c).trim()));
    // Renames of the entry's highest-priority class win, then other classes, then `*`.
    this.scopes = renames.size === 0 ? [] : [...classOrder.map(lower).filter((c) => this.classes.has(c)), ...this.classes, '*'];
  }

  names(attribute: string): readonly string[] {
    const key = lower(attribute);
    for (const scope of this.scopes) {
      const renamed = this.renames.get(scope)?.get(key);
      if (renamed) return renamed;
    }
    return [attribute];
  }

  valuesOf(name: string): readonly string[] {
    return this.byName.get(lower(name)) ?? NO_VALUES;
  }

  raw(attribute: string): string[] {
    return this.names(attribute).flatMap((name) => this.valuesOf(name));
  }

  first(attribute: string): { name: string; value: string } | undefined {
    for (const name of this.names(attribute)) {
      const value = this.valuesOf(name)[0];
      if (value !== undefined) return { name, value };
    }
    return undefined;
  }

  spelling(name: string): string {
    const key = lower(name);
    for (const spelled in this.entry.attributes) if (lower(spelled) === key) return spelled;
    return name;
  }

  hasClass(objectClass: string): boolean {
    return this.classes.has(lower(objectClass));
  }
}

/**
 * Runs table rows into `draft`; returns a quarantine reason, or null. Problems that leave the
 * entry importable go to `warnings` (`<attribute> <problem>`, without the entry's DN).
 */
function applyRules<R>(
  rules: readonly FieldRule<R>[], read: Reader, ctx: Context, maxLength: number, draft: Partial<Record<keyof R, unknown>>, warnings: string[],
): string | null {
  for (const r of rules) {
    const found: unknown[] = [];
    search: for (const attribute of r.attributes) {
      for (const name of read.names(attribute)) {
        for (const value of read.valuesOf(name)) {
          const clean = cleanValue(value, maxLength);
          if (!clean.ok) return `${read.spelling(name)} ${clean.reason}`;
          if (clean.value === '') continue;
          const parsed = r.parse(clean.value, ctx);
          if (!parsed.ok) {
            if (!r.dropBad) return `${read.spelling(name)} ${parsed.reason}`;
            warnings.push(`${read.spelling(name)} ${parsed.reason}: value ignored`);
            continue;
          }
          if (parsed.warning) warnings.push(`${read.spelling(name)} ${parsed.warning}`);
          if (parsed.value === null) continue;
          found.push(parsed.value);
          // A unique field reads on: a second value must be checked against the first.
          if (!r.multi && !r.unique) break search;
        }
      }
    }
    if (r.required && found.length === 0) return `missing ${namesRead(r, read)}`;
    const distinct = r.unique && found.length > 1 ? [...new Set(found.map(String))].sort() : [];
    if (distinct.length > 1) {
      if (r.unique === 'quarantine') return `${namesRead(r, read)} has ${distinct.length} different values`;
      warnings.push(`${namesRead(r, read)} has ${distinct.length} different values: ${distinct[0]} kept`);
      found.splice(0, found.length, distinct[0]);
    }
    if (r.multi) draft[r.field] = [...((draft[r.field] as unknown[] | undefined) ?? []), ...found];
    else if (found.length > 0) draft[r.field] = found[0];
  }
  return null;
}

/** The attribute names a rule reads, for messages: `ENTStructureNomCourant or ou`. */
function namesRead(r: { attributes: readonly string[] }, read: Reader): string {
  return [...new Set(r.attributes.flatMap((a) => read.names(a)))].join(' or ');
}

const quarantine = <T>(dn: string, reason: string): MappingResult<T> => ({ ok: false, quarantined: { dn, reason } });
/**
 * An imported entry, with its warnings as sentences naming it (`structure <dn>: …`) when there
 * are any: the key is left out otherwise, so that most results stay as small as before.
 */
function mapped<T>(kind: string, dn: string, value: T, warnings: string[]): MappingResult<T> {
  if (warnings.length === 0) return { ok: true, value };
  return { ok: true, value, warnings: [...new Set(warnings)].map((w) => `${kind} ${dn}: ${w}`) };
}
/** Runs of white space (no-break spaces included) → one space. */
const collapseSpaces = (v: string): string => (/\s\s|[^\S ]/.test(v) ? v.replace(/\s+/g, ' ') : v);
const unique = <T>(items: T[], key: (item: T) => string = String): T[] => [...new Map(items.map((i) => [key(i), i])).values()];

/**
 * When only one of givenName/sn is there, the other is cn minus it ("DUPONT Jean" minus
 * "Dupont"). With neither, French directories write the family name in capitals: the leading
 * or trailing run of upper-case words of cn is the family name. Anything else is ambiguous.
 */
export function splitCommonName(cn: string, known: { firstName?: string; lastName?: string }): { firstName: string; lastName: string } | null {
  const strip = (part: string): string | null => {
    const [c, p] = [cn.toLowerCase(), part.toLowerCase()];
    if (c.startsWith(`${p} `)) return cn.slice(part.length).trim();
    if (c.endsWith(` ${p}`)) return cn.slice(0, cn.length - part.length).trim();
    return null;
  };
  if (known.lastName) {
    const first = strip(known.lastName);
    return first === null ? null : { firstName: first, lastName: known.lastName };
  }
  if (known.firstName) {
    const last = strip(known.firstName);
    return last === null ? null : { firstName: known.firstName, lastName: last };
  }
  const words = cn.split(/\s+/).filter(Boolean);
  const isUpper = (w: string) => w === w.toUpperCase() && w !== w.toLowerCase();
  const lead = words.findIndex((w) => !isUpper(w));
  const trail = words.length - [...words].reverse().findIndex((w) => !isUpper(w));
  if (lead > 0 && words.slice(lead).every((w) => !isUpper(w))) return { lastName: words.slice(0, lead).join(' '), firstName: words.slice(lead).join(' ') };
  if (lead === 0 && trail < words.length && words.slice(0, trail).every((w) => !isUpper(w))) {
    return { firstName: words.slice(0, trail).join(' '), lastName: words.slice(trail).join(' ') };
  }
  return null;
}

// ——— Factory ———————————————————————————————————————————————————————————————————————

export function createSdetMapper(options: SdetMapperOptions): SdetMapper {
  const prefix = options.externalIdPrefix ?? (options.source ? defaultExternalIdPrefix(options.source) : undefined);
  if (!prefix || !/^[A-Za-z0-9_-]+$/.test(prefix)) throw mappingRefused('SDET mapping: externalIdPrefix (or source) is required: letters, digits, _ and -');
  const ctx: Context = {
    prefix,
    source: options.source,
    academicDomains: (options.academicDomains ?? DEFAULT_ACADEMIC_DOMAINS).map((d) => d.toLowerCase()),
    strictUai: options.strictUai ?? false,
  };
  const maxLength = options.maxValueLength ?? DEFAULT_MAX_VALUE_LENGTH;
  const renames = compileOverrides(options.overrides ?? {});
  const personOrder = PERSON_CLASSES.map((c) => c.objectClass);
  const groupAttribute = options.groupStructureAttribute ?? DEFAULT_GROUP_STRUCTURE_ATTRIBUTE;

  /** The rules of an entry's set of person classes (few combinations exist), built once each. */
  const rulesByClasses = new Map<string, FieldRule<ImportedPerson>[]>();
  const personRules = (classes: typeof PERSON_CLASSES): FieldRule<ImportedPerson>[] => {
    const key = classes.map((c) => c.objectClass).join(' ');
    let rules = rulesByClasses.get(key);
    if (!rules) rulesByClasses.set(key, (rules = [...PERSON_FIELDS, ...classes.flatMap((c) => c.fields)]));
    return rules;
  };

  /** The entry's own DN, checked like any value and normalised. */
  const entryDn = (entry: DirectoryEntry): Parsed<string> => {
    const clean = cleanValue(entry.dn, maxLength);
    if (!clean.ok) return fail(`dn ${clean.reason}`);
    const normalized = normalizeDn(clean.value);
    return normalized.ok ? normalized : fail(`dn ${normalized.reason}`);
  };

  /** The table's attributes and every name a rename reads instead (renames are per class: both may be read). */
  const wanted = (rules: ReadonlyArray<{ attributes: readonly string[] }>, extra: readonly string[]): string[] => {
    const names = [...ALWAYS_READ, ...extra, ...rules.flatMap((r) => r.attributes)];
    const renamed = names.flatMap((n) => [...renames.values()].flatMap((scope) => scope.get(n.toLowerCase()) ?? []));
    return [...new Map([...names, ...renamed].map((n) => [n.toLowerCase(), n])).values()];
  };
  const attributesOf = {
    structure: wanted(STRUCTURE_FIELDS, []),
    group: wanted(GROUP_FIELDS, [groupAttribute]),
    person: wanted([...PERSON_FIELDS, ...PERSON_CLASSES.flatMap((c) => c.fields)], EXTRA_ATTRIBUTES),
  };

  return {
    attributes: (kind) => [...attributesOf[kind]],

    structure(entry) {
      const read = new EntryReader(entry, renames, STRUCTURE_CLASSES);
      if (!STRUCTURE_CLASSES.some((c) => read.hasClass(c))) return quarantine(entry.dn, `objectClass has none of ${STRUCTURE_CLASSES.join(', ')}`);
      const dnValue = entryDn(entry);
      if (!dnValue.ok) return quarantine(entry.dn, dnValue.reason);
      const draft: Partial<ImportedStructure> = {};
      const warnings: string[] = [];
      const problem = applyRules(STRUCTURE_FIELDS, read, ctx, maxLength, draft, warnings);
      if (problem) return quarantine(entry.dn, problem);
      const uai = draft.uai!;
      if (!draft.name) warnings.push(`has no ${[...read.names('ENTStructureNomCourant'), ...read.names('ou')].join(' or ')}: named after its UAI`);
      // No jointure: the UAI is the stable key (ImportedStructure.externalId).
      return mapped('structure', entry.dn, { dn: dnValue.value, externalId: draft.externalId ?? uai, uai, name: draft.name ?? uai }, warnings);
    },

    group(entry) {
      const read = new EntryReader(entry, renames, GROUP_CLASSES.map((c) => c.objectClass));
      const groupClass = GROUP_CLASSES.find((c) => read.hasClass(c.objectClass));
      if (!groupClass) return quarantine(entry.dn, `objectClass has none of ${GROUP_CLASSES.map((c) => c.objectClass).join(', ')}`);
      const dnValue = entryDn(entry);
      if (!dnValue.ok) return quarantine(entry.dn, dnValue.reason);
      const draft: Partial<ImportedGroup> = {};
      const warnings: string[] = [];
      const problem = applyRules(GROUP_FIELDS, read, ctx, maxLength, draft, warnings);
      if (problem) return quarantine(entry.dn, problem);
      const structureDn = groupStructureDn(read, dnValue.value);
      if (!structureDn.ok) return quarantine(entry.dn, structureDn.reason);
      return mapped('group', entry.dn, { dn: dnValue.value, structureDn: structureDn.value, kind: groupClass.kind, code: draft.code!, name: draft.name! }, warnings);
    },

    person(entry) {
      const read = new EntryReader(entry, renames, personOrder);
      const classes = PERSON_CLASSES.filter((c) => read.hasClass(c.objectClass));
      const main = classes[0];
      if (!main) return quarantine(entry.dn, `objectClass has no person profile class (${personOrder.join(', ')})`);
      const dnValue = entryDn(entry);
      if (!dnValue.ok) return quarantine(entry.dn, dnValue.reason);
      const draft: Partial<Record<keyof ImportedPerson, unknown>> = {};
      const warnings: string[] = [];
      const problem = applyRules(personRules(classes), read, ctx, maxLength, draft, warnings);
      if (problem) return quarantine(entry.dn, problem);
      const d = draft as Partial<ImportedPerson>;

      const names = personNames(read, d.firstName, d.lastName, maxLength);
      if (!names.ok) return quarantine(entry.dn, names.reason);
      const groups = unique(d.groups ?? [], (g) => `${g.kind}\u0000${g.structureDn}\u0000${g.code}`);
      const attached = d.structureDns ?? [];
      const mainStructureDn = attached[0] ?? null;
      const profile = typeof main.profile === 'function' ? main.profile(read) : main.profile;
      return mapped('person', entry.dn, {
        dn: dnValue.value,
        externalId: d.externalId!,
        profile,
        ...names.value,
        birthDate: d.birthDate ?? null,
        email: d.email ?? null,
        // Read from the staff classes; a pupil who also carries one (bad data) gets none.
        academicEmail: profile === 'Teacher' || profile === 'Personnel' ? d.academicEmail ?? null : null,
        ine: d.ine ?? null,
        garId: d.garId ?? null,
        mainStructureDn,
        // Main structure(s) + the structures of the person's classes and groups. Not
        // ENTEleveStructRattachId: it is an AAF structure id, not a DN (GIP-RECIA sample).
        structureDns: unique([...attached, ...groups.map((g) => g.structureDn)]),
        groups,
        guardianExternalIds: unique(d.guardianExternalIds ?? []),
        parentDns: unique(d.parentDns ?? []),
        childDns: unique(d.childDns ?? []),
      }, warnings);
    },

    personExternalId(entry) {
      const value = new EntryReader(entry, renames, personOrder).raw('ENTPersonJointure')[0];
      const parsed = value === undefined ? undefined : jointure(value.trim(), ctx);
      return parsed?.ok ? parsed.value : null;
    },
  };

  /**
   * SDET groups live under `ou=groups`, not under their structure, so the structure comes from
   * an attribute (`groupStructureAttribute`). When an entry lacks it, the DN's parent is used
   * unless it is that `ou=groups` container (directories that nest groups under structures).
   */
  function groupStructureDn(read: Reader, groupDn: string): Parsed<string> {
    const value = read.first(groupAttribute);
    if (value) {
      const clean = cleanValue(value.value, maxLength);
      const normalized = clean.ok ? normalizeDn(clean.value) : clean;
      return normalized.ok ? normalized : fail(`${read.spelling(value.name)} ${normalized.reason}`);
    }
    const parent = parentDn(groupDn);
    if (parent === null || rdnValue(parent) === 'groups') return fail(`missing ${groupAttribute} (the DN of the group's structure)`);
    return ok(parent);
  }
}

/** givenName/sn, completed from cn when one is missing; a person needs at least a family name. */
function personNames(read: Reader, firstName: string | undefined, lastName: string | undefined, maxLength: number): Parsed<{ firstName: string; lastName: string }> {
  if (firstName && lastName) return ok({ firstName, lastName });
  const cnValue = read.first('cn');
  const cn = cnValue ? cleanValue(cnValue.value, maxLength) : ok('');
  if (!cn.ok) return fail(`${read.spelling(cnValue!.name)} ${cn.reason}`);
  const split = cn.value ? splitCommonName(collapseSpaces(cn.value), { firstName, lastName }) : null;
  if (split) return ok(split);
  // Only a family name, and cn adds nothing: people registered without a first name exist.
  if (lastName) return ok({ firstName: '', lastName });
  return fail(firstName ? 'missing sn (cn does not contain givenName)' : 'missing sn and givenName (cn cannot be split)');
}

function compileOverrides(overrides: Record<string, Record<string, string | string[]>>): Renames {
  const known = new Set(
    [...PERSON_FIELDS, ...PERSON_CLASSES.flatMap((c) => c.fields), ...STRUCTURE_FIELDS, ...GROUP_FIELDS]
      .flatMap((r) => r.attributes as string[])
      .concat(EXTRA_ATTRIBUTES)
      .map((a) => a.toLowerCase()),
  );
  const renames: Renames = new Map();
  for (const [objectClass, attributes] of Object.entries(overrides)) {
    const scope = new Map<string, string[]>();
    for (const [attribute, replacement] of Object.entries(attributes)) {
      if (!known.has(attribute.toLowerCase())) throw mappingRefused(`SDET mapping overrides.${objectClass}: ${attribute} is not an attribute the mapping reads`);
      const names = typeof replacement === 'string' ? [replacement] : replacement;
      if (names.length === 0 || names.some((n) => !/^[A-Za-z][A-Za-z0-9-]*$/.test(n))) throw mappingRefused(`SDET mapping overrides.${objectClass}.${attribute}: attribute names expected`);
      scope.set(attribute.toLowerCase(), names);
    }
    renames.set(objectClass === '*' ? '*' : objectClass.toLowerCase(), scope);
  }
  return renames;
}
