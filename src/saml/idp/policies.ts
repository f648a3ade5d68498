/**
 * The shipped release policies, by name (an SP names its policy when it is registered).
 *
 * - `gar`: what entcore sends the GAR and nothing more: `idEnt` (the GAR project id of the
 *   person's GAR schools) and `GARPersonIdentifiant`, `Name` = `FriendlyName`, basic name
 *   format. Transient NameID by default, as entcore sends; persistent if the SP asks. A person
 *   with no GAR school is refused (`gar_no_school`), not sent an assertion.
 * - `generic`: a partner that needs to know who comes back and from where: the pairwise id,
 *   the national profile (`National_1`…), the schools' UAIs and the classes (`<UAI>$<code>`).
 *   No names, no e-mail.
 */
import { HubError, InvariantBroken } from '../../shared/errors.js';
import type { ReleasePolicy, ReleaseSubject } from './release.js';

/** The person's schools that use the GAR; none is a refusal the SSO step shows as a page. */
export function garEligibility(subject: ReleaseSubject): ReleaseSubject['structures'] {
  const garSchools = subject.structures.filter((s) => s.garProjectId !== null);
  if (garSchools.length === 0) {
    throw new HubError('gar_no_school', 'None of your schools gives access to the GAR resources, so they cannot be opened from your account.', { status: 403 });
  }
  // A GAR school comes from the tenant's GAR section, which holds the identifier's key.
  if (subject.garPersonIdentifier === null) throw new InvariantBroken('a GAR school without a GAR person identifier');
  return garSchools;
}

const garAttribute = (name: string, source: 'garProjectId' | 'garPersonIdentifier') =>
  ({ name, friendlyName: name, nameFormat: 'basic', source }) as const;

const gar: ReleasePolicy = {
  name: 'gar',
  nameIds: [{ format: 'transient' }, { format: 'persistent' }],
  attributes: [garAttribute('idEnt', 'garProjectId'), garAttribute('GARPersonIdentifiant', 'garPersonIdentifier')],
  eligibility: garEligibility,
};

const generic: ReleasePolicy = {
  name: 'generic',
  nameIds: [{ format: 'persistent' }, { format: 'transient' }],
  attributes: [
    { name: 'pairwiseId', nameFormat: 'basic', source: 'pairwiseId' },
    { name: 'profile', nameFormat: 'basic', source: 'nationalProfile' },
    { name: 'uai', nameFormat: 'basic', source: 'uai' },
    { name: 'classes', nameFormat: 'basic', source: 'classCodes' },
  ],
};

const POLICIES: ReadonlyMap<string, ReleasePolicy> = new Map([gar, generic].map((p) => [p.name, p]));
export const RELEASE_POLICY_NAMES: readonly string[] = [...POLICIES.keys()];

export function releasePolicy(name: string): ReleasePolicy {
  const policy = POLICIES.get(name);
  if (!policy) {
    throw new HubError('unknown_release_policy', `There is no release policy named "${name}"; the known ones are ${RELEASE_POLICY_NAMES.join(', ')}.`, { status: 400 });
  }
  return policy;
}
