/**
 * The walk every structural check of a SAML message relies on (src/saml/core/libxml.ts),
 * the refusal of DTDs and processing instructions (schema-validator.ts), and the redaction of
 * what may be personal data in schema messages and log lines.
 */
import { expect } from 'chai';
import { Writable } from 'node:stream';
import type { XmlDocument } from 'libxml2-wasm';
import { childElements, childrenNamed, libxml, loadLibxml } from '../../src/saml/core/libxml.js';
import { ForbiddenXml, SchemaInvalid } from '../../src/saml/core/errors.js';
import { redactSchemaMessage, validateSamlXml, warmUpSchemaValidator } from '../../src/saml/core/schema-validator.js';
import { createLogger } from '../../src/shared/logger.js';

const NS_A = 'urn:example:a';
const NS_B = 'urn:example:b';

describe('SAML XML walk', () => {
  let doc: XmlDocument;
  before(async () => {
    await loadLibxml();
    await warmUpSchemaValidator();
  });
  afterEach(() => doc?.dispose());
  const parse = (xml: string) => (doc = libxml().XmlDocument.fromString(xml));

  it('sees every child element past a processing instruction, a comment, CDATA and text', () => {
    const root = parse(`<a:r xmlns:a="${NS_A}"><a:one/><?x y?><a:two/><!-- c --><a:three/><![CDATA[ z ]]>text<a:four/><?last?></a:r>`).root;
    expect(childElements(root).map((e) => e.name)).to.deep.equal(['one', 'two', 'three', 'four']);
    // The sibling walk libxml2-wasm 0.7.2 offers stops at the processing instruction: what the walk above replaces.
    const naive: string[] = [];
    for (let n: unknown = root.firstChild; n; n = (n as { next?: unknown }).next) if (n instanceof libxml().XmlElement) naive.push(n.name);
    expect(naive).to.deep.equal(['one']);
  });

  it('sees a first child after a leading processing instruction, and only children (not grandchildren)', () => {
    const root = parse(`<a:r xmlns:a="${NS_A}"><?x?><a:one><a:inner/></a:one></a:r>`).root;
    expect(childElements(root).map((e) => e.name)).to.deep.equal(['one']);
  });

  it('matches children by namespace and local name, whatever the prefix', () => {
    const root = parse(`<r xmlns:p="${NS_A}" xmlns:q="${NS_A}" xmlns:b="${NS_B}"><p:x/><?pi?><q:x/><b:x/><x/></r>`).root;
    expect(childrenNamed(root, NS_A, 'x')).to.have.length(2);
    expect(childrenNamed(root, NS_B, 'x')).to.have.length(1);
  });

  describe('DTDs and processing instructions in a SAML message', () => {
    const response = (inner: string, prolog = '') => `<?xml version="1.0"?>${prolog}<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_1" Version="2.0" IssueInstant="2024-01-01T00:00:00Z">${inner}<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status></samlp:Response>`;
    it('accepts the message without them (the XML declaration is no processing instruction)', () => {
      expect(() => validateSamlXml(response(''))).not.to.throw();
    });
    for (const [where, xml] of [
      ['in the prolog', response('', '<?xml-stylesheet href="x"?>')],
      ['inside the message', response('<?x y?>')],
      ['after the root', `${response('')}<?x y?>`],
      ['as a DOCTYPE', response('', '<!DOCTYPE r>')],
      ['as a lower-case doctype', response('', '<!doctype r>')],
    ] as const) {
      it(`refuses one ${where}`, () => {
        expect(() => validateSamlXml(xml)).to.throw(ForbiddenXml);
      });
    }
    const nested = (levels: number) => `<samlp:Extensions>${'<x:a xmlns:x="urn:x">'.repeat(levels)}${'</x:a>'.repeat(levels)}</samlp:Extensions>`;
    const deep = nested(40);
    it('refuses elements nested too deeply (32 ancestors), and says processing instructions first when both are there', () => {
      expect(() => validateSamlXml(response(nested(30)))).not.to.throw();
      expect(() => validateSamlXml(response(nested(31)))).to.throw(SchemaInvalid, 'elements nested too deeply');
      expect(() => validateSamlXml(response(deep))).to.throw(SchemaInvalid, 'elements nested too deeply');
      expect(() => validateSamlXml(response(`${deep}<?x y?>`))).to.throw(ForbiddenXml);
    });
  });
});

describe('redaction of personal data', () => {
  it('keeps element, attribute and type names of a schema message, not the values', () => {
    const message = "Element '{urn:oasis:names:tc:SAML:2.0:assertion}AuthnStatement', attribute 'AuthnInstant': 'Kevin Dupont' is not a valid value of the atomic type 'xs:dateTime'.";
    const redacted = redactSchemaMessage(message);
    expect(redacted).not.to.include('Kevin');
    expect(redacted).to.include('AuthnStatement').and.include("attribute 'AuthnInstant'").and.include('xs:dateTime');
  });

  it('redacts personal data in log lines (top level and one level down)', () => {
    const lines: string[] = [];
    const log = createLogger('info', new Writable({ write(chunk: Buffer, _e, done) { lines.push(chunk.toString()); done(); } }));
    log.warn({ nameId: 'pupil-nid', identity: { subject: 'pupil-sub' }, detail: { attributes: { givenName: ['Kevin'] } }, SAMLResponse: 'PHNhbWw+' }, 'refused');
    log.flush?.();
    const out = lines.join('');
    expect(out).to.include('refused').and.include('[redacted]');
    for (const secret of ['pupil-nid', 'pupil-sub', 'Kevin', 'PHNhbWw+']) expect(out).not.to.include(secret);
  });
});
