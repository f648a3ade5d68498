/**
 * The IdP's inbound messages (src/saml/idp/inbound.ts): AuthnRequest, LogoutRequest and
 * LogoutResponse on HTTP-Redirect and HTTP-POST, from SPs registered in a real SQLite store with
 * pysaml2's metadata and keys. The hostile corpus (testing/saml-idp-corpus.ts) signs every
 * message with the SP's own key unless the case is about the signature, so each case tests the
 * rule it names; every refusal has its machine reason and leaves nothing on stderr.
 */
import { expect } from 'chai';
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ACR_ONE_FACTOR, ACR_TWO_FACTORS } from '../../src/identity/acr.js';
import { SamlError } from '../../src/saml/core/errors.js';
import { loadLibxml } from '../../src/saml/core/libxml.js';
import { IdpRequestRefused, verifyAuthnRequest, verifyLogoutRequest, verifyLogoutResponse, type InboundContext, type InboundMessage } from '../../src/saml/idp/inbound.js';
import { parseSpMetadata } from '../../src/saml/idp/sp-metadata.js';
import { MemoryEphemeralStore } from '../../src/storage/memory/ephemeral.js';
import { openSqlStore, type SqlStore } from '../../src/storage/sql/index.js';
import { makeKeyPair } from '../../testing/harness/pysaml2.js';
import { pysaml2SpMessage, writeSpMetadata } from '../../testing/harness/pysaml2-sp.js';
import {
  afterIssuer, authnRequestSpec, buildMessage, inExtensions, logoutRequestSpec, logoutResponseSpec, newId, PARAM_OF, PERSISTENT, postBody, redirectQuery,
  splitSignature, WRAPPINGS, type InboundKind, type InboundSpec,
} from '../../testing/saml-idp-corpus.js';
import { instant } from '../../testing/saml-signing.js';

const SSO = 'https://hub.example/saml/sso';
const SLO = 'https://hub.example/saml/slo';
const GAR = 'https://gar.example/metadata';
const OPEN = 'https://open.example/metadata';
const OFF = 'https://off.example/metadata';
type Binding = InboundMessage['binding'];
/**
 * Why each wrapping shape is refused: a SAML protocol element in Extensions is schema-invalid
 * (Extensions holds other namespaces only); a Signature whose Reference is not its carrier's ID
 * does not verify; a message or Signature anywhere else than where it is read is malformed.
 */
const WRAPPING_REASONS: Record<string, string> = { XSW1: 'schema', XSW2: 'schema', XSW3: 'schema', XSW4: 'schema', XSW5: 'signature', XSW6: 'malformed', XSW7: 'malformed', XSW8: 'malformed' };
const KINDS: InboundKind[] = ['AuthnRequest', 'LogoutRequest', 'LogoutResponse'];
const BINDINGS: Binding[] = ['redirect', 'post'];

interface Keys {
  gar: KeyObject;
  open: KeyObject;
  off: KeyObject;
  stale: KeyObject;
  stranger: KeyObject;
}

describe('SAML IdP inbound messages', function () {
  this.timeout(30_000);
  let dir: string;
  let store: SqlStore;
  let replay: MemoryEphemeralStore;
  let keys: Keys;

  before(async () => {
    await loadLibxml();
    dir = mkdtempSync(join(tmpdir(), 'idp-inbound-'));
    store = await openSqlStore('sqlite::memory:');
    const register = async (name: string, base: string, o: { enabled: boolean; signed: boolean; expired?: boolean }) => {
      const file = await writeSpMetadata(dir, `${name}.xml`, { base });
      const xml = readFileSync(file, 'utf8');
      const parsed = await parseSpMetadata(xml, { production: false, trust: null }, name);
      await store.serviceProviders.create({
        entityId: parsed.entityId, displayName: name, metadataXml: xml, source: { kind: 'file', location: file },
        metadata: { ...parsed.values, authnRequestsSigned: o.signed }, validUntil: o.expired ? new Date(Date.now() - 1000) : parsed.validUntil, fetchedAt: new Date(), enabled: o.enabled, releasePolicy: 'gar',
      });
      return createPrivateKey(readFileSync(join(dir, `${name}.xml-sp.key`)));
    };
    const stranger = await makeKeyPair(dir, 'stranger');
    keys = {
      gar: await register('gar', 'https://gar.example', { enabled: true, signed: true }),
      open: await register('open', 'https://open.example', { enabled: true, signed: false }),
      off: await register('off', 'https://off.example', { enabled: false, signed: true }),
      stale: await register('stale', 'https://stale.example', { enabled: true, signed: true, expired: true }),
      stranger: createPrivateKey(readFileSync(stranger.keyFile)),
    };
  });
  after(async () => {
    await store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    replay = new MemoryEphemeralStore();
  });

  const context = (kind: InboundKind): InboundContext => ({
    endpointUrl: kind === 'AuthnRequest' ? SSO : SLO,
    findSp: (entityId) => store.serviceProviders.find(entityId),
    replay, now: new Date(), skewSeconds: 60,
  });

  /** A valid spec of `kind` from the GAR, signed with its key. */
  function validSpec(kind: InboundKind, sp = GAR, key: KeyObject = keys.gar): InboundSpec {
    const sender = { spEntityId: sp, destination: kind === 'AuthnRequest' ? SSO : SLO, key };
    if (kind === 'AuthnRequest') return authnRequestSpec({ ...sender, acsUrl: `${sp.replace('/metadata', '')}/acs/post` });
    return kind === 'LogoutRequest' ? logoutRequestSpec(sender) : logoutResponseSpec({ ...sender, inResponseTo: newId() });
  }

  /** The spec as its binding carries it: on Redirect the query is signed, the XML not. */
  async function encode(spec: InboundSpec, binding: Binding, relayState?: string): Promise<InboundMessage> {
    const param = PARAM_OF[spec.kind];
    if (binding === 'post') return { binding, body: postBody(await buildMessage(spec), param, relayState) };
    const xml = await buildMessage({ ...spec, key: null });
    return { binding, rawQuery: redirectQuery(xml, param, { key: spec.key, hash: spec.hash, ...(relayState === undefined ? {} : { relayState }) }) };
  }

  function verify(kind: InboundKind, message: InboundMessage) {
    const verifier = { AuthnRequest: verifyAuthnRequest, LogoutRequest: verifyLogoutRequest, LogoutResponse: verifyLogoutResponse }[kind];
    return verifier(message, context(kind));
  }

  /** The refusal's machine reason ('accepted' when none), checking that nothing reached stderr. */
  async function outcome(kind: InboundKind, message: InboundMessage): Promise<string> {
    const { result, output } = await captureStderr(async () => {
      try {
        await verify(kind, message);
        return 'accepted';
      } catch (err) {
        if (err instanceof IdpRequestRefused || err instanceof SamlError) {
          expect(err.message, 'a sentence').to.match(/^\S.{8,}/);
          return err.reason;
        }
        throw err;
      }
    });
    expect(output, 'nothing on stderr').to.equal('');
    return result;
  }

  describe('accepts', () => {
    it('what pysaml2, as the SP, sends: a signed AuthnRequest and LogoutRequest on both bindings', async () => {
      for (const binding of BINDINGS) {
        const sp = { dir, file: 'gar.xml', base: 'https://gar.example', binding };
        const authn = await verifyAuthnRequest(await pysaml2SpMessage({ ...sp, message: 'authn', destination: SSO, relayState: 'https://resource.example/book/42' }), context('AuthnRequest'));
        expect(authn).to.deep.include({ nameIdFormat: PERSISTENT, relayState: 'https://resource.example/book/42' });
        expect([authn.sp.entityId, authn.acs.location]).to.deep.equal([GAR, 'https://gar.example/acs/post']);
        const logout = await verifyLogoutRequest(await pysaml2SpMessage({ ...sp, message: 'logout', destination: SLO, idp: 'https://hub.example/saml/metadata', nameId: 'pairwise-7' }), context('LogoutRequest'));
        expect(logout).to.deep.include({ nameId: 'pairwise-7', sessionIndexes: ['_session-1'] });
      }
    });

    it('a signed AuthnRequest on both bindings, read from the verified message and the SP’s metadata', async () => {
      for (const binding of BINDINGS) {
        const spec = validSpec('AuthnRequest');
        spec.attributes.ForceAuthn = 'true';
        const request = await verifyAuthnRequest(await encode(spec, binding, 'https://resource.example/book/42'), context('AuthnRequest'));
        expect(request).to.deep.include({ id: spec.id, forceAuthn: true, isPassive: false, nameIdFormat: PERSISTENT, relayState: 'https://resource.example/book/42', requestedAcr: { comparison: 'exact', acrs: [ACR_ONE_FACTOR] } });
        expect(request.sp.entityId).to.equal(GAR);
        expect(request.acs).to.deep.include({ location: 'https://gar.example/acs/post', binding: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST' });
      }
    });

    it('an unsigned AuthnRequest from an SP that does not sign them, the ACS then its metadata’s default', async () => {
      for (const binding of BINDINGS) {
        const spec = validSpec('AuthnRequest', OPEN);
        spec.key = null;
        spec.attributes = { IsPassive: 'true' };
        spec.children = '';
        const request = await verifyAuthnRequest(await encode(spec, binding), context('AuthnRequest'));
        expect(request).to.deep.include({ isPassive: true, nameIdFormat: null, requestedAcr: null, relayState: null });
        expect(request.acs.location).to.equal('https://open.example/acs/post');
      }
    });

    it('the ACS named by its index in the metadata', async () => {
      const spec = validSpec('AuthnRequest');
      const index = (await store.serviceProviders.find(GAR))!.metadata.assertionConsumerServices.find((e) => e.location.endsWith('/acs/post'))!.index;
      spec.attributes = { AssertionConsumerServiceIndex: String(index) };
      expect((await verifyAuthnRequest(await encode(spec, 'post'), context('AuthnRequest'))).acs.location).to.equal('https://gar.example/acs/post');
    });

    it('RequestedAuthnContext as hub acr levels: minimum, and unknown classes beside a known one ignored', async () => {
      const spec = validSpec('AuthnRequest');
      spec.children = `<samlp:RequestedAuthnContext Comparison="minimum"><saml:AuthnContextClassRef>urn:example:unknown</saml:AuthnContextClassRef><saml:AuthnContextClassRef>${ACR_TWO_FACTORS}</saml:AuthnContextClassRef></samlp:RequestedAuthnContext>`;
      expect((await verifyAuthnRequest(await encode(spec, 'redirect'), context('AuthnRequest'))).requestedAcr).to.deep.equal({ comparison: 'minimum', acrs: [ACR_TWO_FACTORS] });
    });

    it('a signed LogoutRequest and LogoutResponse on both bindings, with the SP’s SLO endpoint', async () => {
      for (const binding of BINDINGS) {
        const request = await verifyLogoutRequest(await encode(validSpec('LogoutRequest'), binding, 'rs'), context('LogoutRequest'));
        expect(request).to.deep.include({ nameId: 'pairwise-1', sessionIndexes: ['_session-1'], relayState: 'rs' });
        expect(request.slo.location).to.equal('https://gar.example/slo');
        const spec = validSpec('LogoutResponse');
        const response = await verifyLogoutResponse(await encode(spec, binding), context('LogoutResponse'));
        expect(response).to.deep.include({ id: spec.id, inResponseTo: spec.attributes.InResponseTo, success: true, relayState: null });
      }
    });
  });

  /** Rules every message obeys, on both bindings. */
  const COMMON: { name: string; mutate: (s: InboundSpec) => void; expect: string | Record<Binding, string> }[] = [
    { name: 'unsigned (the GAR’s metadata says AuthnRequestsSigned; logout messages always)', mutate: (s) => { s.key = null; }, expect: 'unsigned' },
    { name: 'signed with a key not in the SP’s metadata', mutate: (s) => { s.key = keys.stranger; }, expect: 'signature' },
    { name: 'signed with the key of another registered SP', mutate: (s) => { s.key = keys.open; }, expect: 'signature' },
    { name: 'signed with SHA-1', mutate: (s) => { s.hash = 'sha1'; }, expect: 'signature' },
    { name: 'a DOCTYPE with an entity', mutate: (s) => { s.tamper.final = (x) => `<!DOCTYPE r [<!ENTITY e "x">]>${x}`; }, expect: 'forbidden_xml' },
    { name: 'a processing instruction', mutate: (s) => { s.tamper.message = (x) => afterIssuer(x, '<?x y?>'); }, expect: 'forbidden_xml' },
    { name: 'a processing instruction in the prolog', mutate: (s) => { s.tamper.final = (x) => `<?xml-stylesheet href="x"?>${x}`; }, expect: 'forbidden_xml' },
    { name: 'larger than 256 KiB', mutate: (s) => { s.tamper.message = (x) => inExtensions(x, `<x:Pad xmlns:x="urn:example:pad">${'A'.repeat(263_000)}</x:Pad>`); }, expect: 'malformed' },
    { name: 'nested 40 deep', mutate: (s) => { s.tamper.message = (x) => inExtensions(x, `${'<x:d xmlns:x="urn:example:deep">'.repeat(40)}${'</x:d>'.repeat(40)}`); }, expect: 'schema' },
    { name: 'two root elements', mutate: (s) => { s.tamper.final = (x) => `${x}<x:r xmlns:x="urn:example:r"/>`; }, expect: 'schema' },
    { name: 'not schema-valid (Version 3.0)', mutate: (s) => { s.tamper.message = (x) => x.replace('Version="2.0"', 'Version="3.0" Bogus="1"'); }, expect: 'schema' },
    { name: 'a comment inside the Issuer', mutate: (s) => { s.tamper.message = (x) => x.replace(/<saml:Issuer>https:\/\/gar/, '<saml:Issuer>https://gar<!---->'); }, expect: 'malformed' },
    { name: 'a second Issuer hidden in Extensions', mutate: (s) => { s.tamper.message = (x) => inExtensions(x, `<saml:Issuer>${OPEN}</saml:Issuer>`); }, expect: 'malformed' },
    { name: 'a duplicate ID (a foreign element with the message’s ID)', mutate: (s) => { s.tamper.message = (x) => inExtensions(x, `<x:e xmlns:x="urn:example:e" ID="${s.id}"/>`); }, expect: 'duplicate_id' },
    { name: 'an odd ID', mutate: (s) => { s.id = '1-starts-with-a-digit'; }, expect: 'schema' },
    { name: 'addressed to another endpoint', mutate: (s) => { s.destination = 'https://evil.example/saml/sso'; }, expect: 'destination' },
    { name: 'without Destination', mutate: (s) => { s.destination = null; }, expect: 'destination' },
    { name: 'issued an hour ago', mutate: (s) => { s.issueInstant = instant(-3600); }, expect: 'issue_instant' },
    { name: 'issued in an hour', mutate: (s) => { s.issueInstant = instant(3600); }, expect: 'issue_instant' },
    { name: 'from an unknown Issuer', mutate: (s) => { s.issuer = 'https://unknown.example/metadata'; }, expect: 'unknown_sp' },
    { name: 'from a disabled SP', mutate: (s) => { s.issuer = OFF; s.key = keys.off; }, expect: 'sp_disabled' },
    { name: 'from an SP whose metadata has expired', mutate: (s) => { s.issuer = 'https://stale.example/metadata'; s.key = keys.stale; }, expect: 'sp_metadata_expired' },
  ];

  for (const kind of KINDS) {
    for (const binding of BINDINGS) {
      describe(`refuses ${kind}s on HTTP-${binding === 'post' ? 'POST' : 'Redirect'}`, () => {
        for (const c of COMMON) {
          const expected = typeof c.expect === 'string' ? c.expect : c.expect[binding];
          it(`${c.name} (${expected})`, async () => {
            const spec = validSpec(kind);
            c.mutate(spec);
            expect(await outcome(kind, await encode(spec, binding))).to.equal(expected);
          });
        }

        it('replayed (replay)', async () => {
          const message = await encode(validSpec(kind), binding);
          expect(await outcome(kind, message)).to.equal('accepted');
          expect(await outcome(kind, message)).to.equal('replay');
        });
      });
    }

    describe(`refuses wrapped ${kind}s (HTTP-POST)`, () => {
      const evilOf = (kind: InboundKind) => {
        const evil = validSpec(kind);
        evil.key = null;
        evil.issuer = OPEN; // what the attacker wants read
        return buildMessage(evil);
      };
      for (const [name, wrap] of Object.entries(WRAPPINGS)) {
        const reason = WRAPPING_REASONS[name.slice(0, 4)]!;
        it(`${name} (${reason})`, async () => {
          const spec = validSpec(kind);
          const xml = await wrap((rewrite) => buildMessage({ ...spec, tamper: rewrite ? { message: rewrite } : {} }), await evilOf(kind));
          expect(await outcome(kind, { binding: 'post', body: postBody(xml, PARAM_OF[kind]) })).to.equal(reason);
        });
      }
      it('two signatures on the message (schema)', async () => {
        const spec = validSpec(kind);
        spec.tamper.final = (x) => afterIssuer(x, splitSignature(x).signature);
        expect(await outcome(kind, await encode(spec, 'post'))).to.equal('schema');
      });
      it('a second signature hidden in Extensions (malformed)', async () => {
        const spec = validSpec(kind);
        spec.tamper.final = (x) => inExtensions(x, splitSignature(x).signature);
        expect(await outcome(kind, await encode(spec, 'post'))).to.equal('malformed');
      });
      it('a signature that references another element than the one carrying it (signature)', async () => {
        const spec = validSpec(kind);
        spec.tamper.final = (x) => x.replace(` ID="${spec.id}"`, ` ID="${newId()}"`);
        expect(await outcome(kind, await encode(spec, 'post'))).to.equal('signature');
      });
      it('a signed message altered after signing (signature)', async () => {
        const spec = validSpec(kind);
        spec.tamper.final = (x) => x.replace(' Version="2.0"', ' Version="2.0" Consent="urn:oasis:names:tc:SAML:2.0:consent:obtained"');
        expect(await outcome(kind, await encode(spec, 'post'))).to.equal('signature');
      });
    });

    describe(`refuses ${kind}s on HTTP-Redirect`, () => {
      it('carrying an XML signature (malformed)', async () => {
        const spec = validSpec(kind);
        const xml = await buildMessage(spec);
        expect(await outcome(kind, { binding: 'redirect', rawQuery: redirectQuery(xml, PARAM_OF[kind], { key: keys.gar }) })).to.equal('malformed');
      });
      it('whose RelayState was changed after signing (signature)', async () => {
        const message = await encode(validSpec(kind), 'redirect', 'https://resource.example/a');
        const rawQuery = (message as { rawQuery: string }).rawQuery.replace('RelayState=https', 'RelayState=http');
        expect(await outcome(kind, { binding: 'redirect', rawQuery })).to.equal('signature');
      });
      it('with SigAlg and no Signature (unsigned)', async () => {
        const { rawQuery } = await encode(validSpec(kind), 'redirect') as { rawQuery: string };
        expect(await outcome(kind, { binding: 'redirect', rawQuery: rawQuery.replace(/&Signature=.*$/, '') })).to.equal('unsigned');
      });
      it('sent as the other parameter (malformed)', async () => {
        const { rawQuery } = await encode(validSpec(kind), 'redirect') as { rawQuery: string };
        const other = PARAM_OF[kind] === 'SAMLRequest' ? 'SAMLResponse' : 'SAMLRequest';
        expect(await outcome(kind, { binding: 'redirect', rawQuery: rawQuery.replace(`${PARAM_OF[kind]}=`, `${other}=`) })).to.equal('malformed');
      });
    });
  }

  describe('refuses an AuthnRequest', () => {
    const CASES: { name: string; mutate: (s: InboundSpec) => void; expect: string }[] = [
      { name: 'whose ACS URL is not in the SP’s metadata', mutate: (s) => { s.attributes.AssertionConsumerServiceURL = 'https://evil.example/acs'; }, expect: 'acs' },
      { name: 'whose ACS URL is the SP’s artifact endpoint', mutate: (s) => { s.attributes.AssertionConsumerServiceURL = 'https://gar.example/acs/artifact'; delete s.attributes.ProtocolBinding; }, expect: 'acs' },
      { name: 'asking for the artifact binding', mutate: (s) => { s.attributes.ProtocolBinding = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact'; }, expect: 'acs' },
      { name: 'whose ACS index is not in the SP’s metadata', mutate: (s) => { s.attributes = { AssertionConsumerServiceIndex: '99' }; }, expect: 'acs' },
      { name: 'naming its ACS by both index and URL', mutate: (s) => { s.attributes.AssertionConsumerServiceIndex = '1'; }, expect: 'acs' },
      { name: 'asking for an email NameID', mutate: (s) => { s.children = '<samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"/>'; }, expect: 'nameid_policy' },
      { name: 'asking only for authentication classes the hub does not know', mutate: (s) => { s.children = '<samlp:RequestedAuthnContext><saml:AuthnContextClassRef>urn:example:smartcard</saml:AuthnContextClassRef></samlp:RequestedAuthnContext>'; }, expect: 'authn_context' },
      { name: 'with the comparison better', mutate: (s) => { s.children = s.children.replace('Comparison="exact"', 'Comparison="better"'); }, expect: 'authn_context' },
      { name: 'with an authentication context declaration', mutate: (s) => { s.children = '<samlp:RequestedAuthnContext><saml:AuthnContextDeclRef>urn:example:decl</saml:AuthnContextDeclRef></samlp:RequestedAuthnContext>'; }, expect: 'authn_context' },
      { name: 'naming a Subject', mutate: (s) => { s.children = `<saml:Subject><saml:NameID>someone</saml:NameID></saml:Subject>${s.children}`; }, expect: 'malformed' },
      { name: 'with a RelayState over 1,024 characters', mutate: () => undefined, expect: 'malformed' },
    ];
    for (const c of CASES) {
      for (const binding of BINDINGS) {
        it(`${c.name}, HTTP-${binding} (${c.expect})`, async () => {
          const spec = validSpec('AuthnRequest');
          c.mutate(spec);
          const relayState = c.name.includes('RelayState') ? 'r'.repeat(1025) : undefined;
          expect(await outcome('AuthnRequest', await encode(spec, binding, relayState))).to.equal(c.expect);
        });
      }
    }

    it('whose present signature is wrong, from an SP that does not require signatures (signature)', async () => {
      for (const binding of BINDINGS) {
        const spec = validSpec('AuthnRequest', OPEN, keys.stranger);
        expect(await outcome('AuthnRequest', await encode(spec, binding))).to.equal('signature');
      }
    });

    it('sent on the SLO endpoint (destination), and a LogoutRequest sent on the SSO endpoint (malformed)', async () => {
      const spec = validSpec('AuthnRequest');
      spec.destination = SLO;
      expect(await outcome('AuthnRequest', await encode(spec, 'post'))).to.equal('destination');
      expect(await outcome('AuthnRequest', await encode(validSpec('LogoutRequest'), 'post'))).to.equal('malformed');
    });
  });

  describe('refuses a LogoutRequest', () => {
    it('past its NotOnOrAfter (issue_instant), or without a clear NameID (malformed)', async () => {
      const expired = validSpec('LogoutRequest');
      expired.attributes.NotOnOrAfter = instant(-120);
      expect(await outcome('LogoutRequest', await encode(expired, 'post'))).to.equal('issue_instant');
      const encrypted = validSpec('LogoutRequest');
      encrypted.children = '<saml:BaseID xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="saml:BaseIDAbstractType"/>';
      expect(await outcome('LogoutRequest', await encode(encrypted, 'post'))).to.be.oneOf(['malformed', 'schema']);
    });
  });
});

/** Runs `fn`, collecting what is written meanwhile to process.stderr. */
async function captureStderr<T>(fn: () => Promise<T>): Promise<{ result: T; output: string }> {
  let output = '';
  const original = process.stderr.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    output += chunk.toString();
    return true;
  }) as typeof process.stderr.write;
  try {
    return { result: await fn(), output };
  } finally {
    process.stderr.write = original;
  }
}
