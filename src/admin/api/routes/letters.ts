/** Connection letters: new codes issued for a class, a profile of a school or one account, printed as a PDF. */
import { z } from 'zod';
import { accountInReach, structureInReach, type AccountAdminPorts } from '../../../auth/account-admin.js';
import { issueConnectionLetters } from '../../../auth/connection-letters.js';
import { PROFILES } from '../../../identity/vocabulary.js';
import { renderLetters } from '../../letters/pdf.js';
import { route, tenantParams, type AdminRoute } from '../kit.js';
import { structuresOf } from './accounts.js';

const uai = z.string().min(1).max(16).transform((u) => u.toUpperCase());
const selection = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('class'), uai, classCode: z.string().min(1).max(64) }),
  z.object({ kind: z.literal('profile'), uai, profile: z.enum(PROFILES) }),
  z.object({ kind: z.literal('account'), accountId: z.string().min(1).max(64) }),
]);

export interface LetterSettings {
  /** The ENT's name and the activation address the tenant's letters print. */
  of(tenantId: string): { entName: string; activationUrl: string };
}

export function letterRoutes(ports: AccountAdminPorts, settings: LetterSettings): AdminRoute[] {
  return [route({
    operationId: 'printLetters', method: 'post', path: '/tenants/:tenant/letters',
    summary: 'Issue new activation codes and print them as connection letters (PDF)', tag: 'letters', level: 'tenant', structureScoped: true, permission: 'letters.issue',
    params: tenantParams,
    body: z.object({ selection, perPage: z.union([z.literal(1), z.literal(2), z.literal(8)]).default(1).describe('Letters per A4 page.') }),
    reply: { status: 200, description: 'The letters, sorted by class then name; the previous codes of those accounts no longer work.', contentType: 'application/pdf' },
    handle: async ({ params, body, reach, actor }) => {
      const structures = structuresOf(reach);
      if (body.selection.kind === 'account') await accountInReach(ports.store, params.tenant, structures, body.selection.accountId);
      else await structureInReach(ports.store, params.tenant, structures, body.selection.uai);
      const letters = await issueConnectionLetters(ports, actor, params.tenant, body.selection);
      const stamp = new Date();
      return {
        stream: renderLetters(letters, { perPage: body.perPage, issuedOn: stamp, ...settings.of(params.tenant) }),
        contentType: 'application/pdf', filename: `lettres-${params.tenant}-${stamp.toISOString().slice(0, 10)}.pdf`,
      };
    },
  })];
}
