/**
 * The top-level nodes of the GAR files, one string each, in the order and with the elements of
 * the GAR-ENT XSD (../xsd/gar-ent.xsd): what the records carry, plus the values the GAR makes
 * mandatory and the records hold under another name (`GARPersonNomPatro` and
 * `GARPersonAutresPrenoms` repeat the last and first name: the store keeps one of each).
 * Elements are prefixed `men:`, as in the GAR's own files; the file's root declares it.
 */
import type { GarAssigner, GarGroup, GarPerson, GarStructure } from '../model.js';
import { elementText, type NodeSubject } from './xml-text.js';

export const GAR_NAMESPACE = 'http://data.education.fr/ns/gar';

/** Builds one node's text; every value goes through elementText, which names this node if it refuses one. */
class NodeText {
  private text: string;
  constructor(
    private readonly node: string,
    private readonly subject: NodeSubject,
  ) {
    this.text = `<men:${node}>`;
  }

  /** `<men:name>value</men:name>`, nothing when the value is absent. */
  leaf(name: string, value: string | undefined): this {
    if (value !== undefined) this.text += `<men:${name}>${elementText(value, this.node, this.subject, name)}</men:${name}>`;
    return this;
  }

  leaves(name: string, values: readonly string[]): this {
    for (const value of values) this.leaf(name, value);
    return this;
  }

  /** One `GARPersonProfils` per school. */
  profiles(profiles: GarPerson['profiles']): this {
    for (const { uai, profile } of profiles) {
      this.text += '<men:GARPersonProfils>';
      this.leaf('GARStructureUAI', uai).leaf('GARPersonProfil', profile);
      this.text += '</men:GARPersonProfils>';
    }
    return this;
  }

  /** The node closed, on a line of its own. */
  done(): string {
    return `${this.text}</men:${this.node}>\n`;
  }
}

const personSubject = (person: GarPerson): NodeSubject => ({ element: 'GARPersonIdentifiant', value: person.id });

/** The part pupils and teachers share (GARIdentite in the GAR's XSD), then their schools. */
function identity(node: string, person: GarPerson): NodeText {
  return new NodeText(node, personSubject(person))
    .leaf('GARPersonIdentifiant', person.id)
    .profiles(person.profiles)
    .leaf('GARPersonNomPatro', person.lastName)
    .leaf('GARPersonNom', person.lastName)
    .leaf('GARPersonPrenom', person.firstName)
    .leaf('GARPersonAutresPrenoms', person.firstName)
    .leaf('GARPersonStructRattach', person.mainUai)
    .leaves('GARPersonEtab', person.uais);
}

export function schoolNode(school: GarStructure): string {
  return new NodeText('GAREtab', { element: 'GARStructureUAI', value: school.uai })
    .leaf('GARStructureUAI', school.uai)
    .leaf('GARStructureNomCourant', school.name)
    .done();
}

export function pupilNode(pupil: GarPerson): string {
  return identity('GAREleve', pupil).leaf('GARPersonDateNaissance', pupil.birthDate).done();
}

/** Teachers and other staff; a birth date is never sent for them (nothing else about people than the format asks). */
export function teacherNode(teacher: GarPerson): string {
  return identity('GAREnseignant', teacher).done();
}

export function groupNode(group: GarGroup): string {
  return new NodeText('GARGroupe', { element: 'GARGroupeCode', value: group.code })
    .leaf('GARGroupeCode', group.code)
    .leaf('GARStructureUAI', group.uai)
    .leaf('GARGroupeLibelle', group.label)
    .leaf('GARGroupeStatut', group.status)
    .leaves('GARGroupeDivAppartenance', group.status === 'GROUPE' ? (group.classCodes ?? []) : [])
    .done();
}

/** The person's memberships, one `GARPersonGroupe` per class or group. */
export function membershipNodes(person: GarPerson): string[] {
  return person.groups.map(({ uai, code }) =>
    new NodeText('GARPersonGroupe', personSubject(person)).leaf('GARStructureUAI', uai).leaf('GARPersonIdentifiant', person.id).leaf('GARGroupeCode', code).done(),
  );
}

export function assignerNode(assigner: GarAssigner): string {
  return new NodeText('GARRespAff', personSubject(assigner))
    .leaf('GARPersonIdentifiant', assigner.id)
    .leaf('GARPersonNom', assigner.lastName)
    .leaf('GARPersonPrenom', assigner.firstName)
    .leaf('GARPersonMail', assigner.mail)
    .leaves('GARRespAffEtab', assigner.uais)
    .done();
}
