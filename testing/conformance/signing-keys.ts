/**
 * Conformance of the store of shared signing keys: keys added with the handover of the key they
 * replace in one transaction, listed by use; the chain's uniqueness that keeps two racing
 * rotations from both adding a next key; retirement destroying the private part; the secrets kept
 * alike (cookie keys, the pairwise salt), without a public part. Every backend of the port runs it. The keys are platform-wide: the suite's tests run in order on one store.
 */
import { expect } from 'chai';
import { Conflict } from '../../src/shared/errors.js';
import { signingKeyState, type NewSigningKey } from '../../src/storage/ports/index.js';
import { rejection, unique, type StoreSuite } from './kit.js';

const at = (iso: string): Date => new Date(iso);

function key(overrides: Partial<NewSigningKey> & Pick<NewSigningKey, 'kid'>): NewSigningKey {
  return {
    use: 'oidc', alg: 'ES256', publicKey: '{"kty":"EC"}', sealedPrivateKey: `sealed-${overrides.kid}`, succeeds: null,
    createdAt: at('2026-01-01T00:00:00Z'), activatesAt: at('2026-01-01T00:00:00Z'), deactivatedAt: null, retiresAt: null,
    ...overrides,
  };
}

export const signingKeyConformance: StoreSuite = ({ store }) => {
  describe('signing keys', () => {
    const first = unique('es-first');
    const second = unique('es-second');

    it('adds first keys of each use and algorithm, listed oldest first, by use', async () => {
      const keys = store().signingKeys;
      expect(await keys.list()).to.deep.equal([]);
      await keys.add([key({ kid: first }), key({ kid: unique('rs-first'), alg: 'RS256' }), key({ kid: unique('saml-first'), use: 'saml', alg: 'RS256', publicKey: '-----BEGIN CERTIFICATE-----' })], []);
      const oidc = await keys.list('oidc');
      expect(oidc.map((k) => [k.alg, k.succeeds, k.retired])).to.deep.equal([['ES256', null, false], ['RS256', null, false]]);
      expect(oidc[0]).to.deep.include({ kid: first, sealedPrivateKey: `sealed-${first}`, publicKey: '{"kty":"EC"}', deactivatedAt: null, retiresAt: null });
      expect(oidc[0]!.activatesAt.toISOString()).to.equal('2026-01-01T00:00:00.000Z');
      expect((await keys.list('saml')).map((k) => k.use)).to.deep.equal(['saml']);
      expect(await keys.list()).to.have.length(3);
    });

    it('adds a successor and ends its predecessor in one transaction', async () => {
      const keys = store().signingKeys;
      const activatesAt = at('2026-02-01T00:00:00Z');
      await keys.add([key({ kid: second, succeeds: first, createdAt: at('2026-01-31T00:00:00Z'), activatesAt })], [{ kid: first, deactivatedAt: activatesAt, retiresAt: at('2026-02-01T01:00:00Z') }]);
      const [old, next] = (await keys.list('oidc')).filter((k) => k.alg === 'ES256');
      expect(next).to.deep.include({ kid: second, succeeds: first });
      expect(old!.deactivatedAt?.toISOString()).to.equal('2026-02-01T00:00:00.000Z');
      expect(old!.retiresAt?.toISOString()).to.equal('2026-02-01T01:00:00.000Z');
      expect(signingKeyState(old!, at('2026-01-31T12:00:00Z'))).to.equal('active');
      expect(signingKeyState(next!, at('2026-01-31T12:00:00Z'))).to.equal('next');
      expect(signingKeyState(old!, at('2026-02-01T00:30:00Z'))).to.equal('previous');
      expect(signingKeyState(next!, at('2026-02-01T00:30:00Z'))).to.equal('active');
      expect(signingKeyState(old!, at('2026-02-01T01:00:00Z'))).to.equal('retired');
    });

    it('refuses a second successor of the same key, and a second first key, writing nothing', async () => {
      const keys = store().signingKeys;
      const before = await keys.list();
      const racer = unique('es-racer');
      await rejection(keys.add([key({ kid: racer, succeeds: first })], [{ kid: first, deactivatedAt: at('2030-01-01T00:00:00Z'), retiresAt: at('2030-01-01T01:00:00Z') }]), Conflict);
      await rejection(keys.add([key({ kid: unique('rs-ok'), alg: 'RS256', succeeds: before[1]!.kid }), key({ kid: unique('es-again') })], []), Conflict);
      expect(await keys.list(), 'no key added, no predecessor changed').to.deep.equal(before);
    });

    it('retires the keys past their retirement, destroying the private part, once', async () => {
      const keys = store().signingKeys;
      expect(await keys.retire(at('2026-02-01T00:59:59Z'))).to.deep.equal([]);
      expect(await keys.retire(at('2026-02-01T01:00:00Z'))).to.deep.equal([first]);
      const old = (await keys.list('oidc')).find((k) => k.kid === first)!;
      expect(old).to.deep.include({ retired: true, sealedPrivateKey: '' });
      expect(signingKeyState(old, at('2026-01-01T00:00:00Z')), 'retired whatever the time').to.equal('retired');
      expect(await keys.retire(at('2027-01-01T00:00:00Z'))).to.deep.equal([]);
    });

    it('keeps secrets (cookie keys, the pairwise salt) with an empty public part, listed by their use; one first salt only', async () => {
      const keys = store().signingKeys;
      const cookie = unique('cookie');
      const salt = unique('pairwise');
      await keys.add([key({ kid: cookie, use: 'cookie', alg: 'HMAC-SHA1', publicKey: '' }), key({ kid: salt, use: 'pairwise', alg: 'HMAC-SHA256', publicKey: '' })], []);
      expect((await keys.list('cookie')).map((k) => [k.kid, k.alg, k.publicKey, k.sealedPrivateKey])).to.deep.equal([[cookie, 'HMAC-SHA1', '', `sealed-${cookie}`]]);
      expect((await keys.list('pairwise')).map((k) => [k.kid, k.alg, k.publicKey])).to.deep.equal([[salt, 'HMAC-SHA256', '']]);
      expect([...new Set((await keys.list('oidc')).map((k) => k.use))], 'apart from the signing keys').to.deep.equal(['oidc']);
      await rejection(keys.add([key({ kid: unique('pairwise-again'), use: 'pairwise', alg: 'HMAC-SHA256', publicKey: '' })], []), Conflict);
      expect(await keys.list('pairwise')).to.have.length(1);
    });
  });
};
