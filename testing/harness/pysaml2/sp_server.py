"""A SAML service provider web server for the hub IdP's interop tests in a real browser, built on
Debian's python3-pysaml2 (a real SP implementation, not ours).

Run with /usr/bin/python3 (the system Python that has saml2). One JSON argument: the SP that
sp_metadata.py describes (entityid, base, key, cert, encrypt, slo_post), plus port, metadata (the
file of the SP's own metadata, served at /metadata) and sign_requests (false: AuthnRequests and
LogoutRequests go unsigned). It binds its port first and prints "ready", so the port cannot be
taken meanwhile; the keys and the metadata file may be written after.

Endpoints, for an SP at base http://127.0.0.1:PORT:
  POST /idp       the IdP's metadata (XML body): the SP uses that IdP from then on (503 before).
  GET  /metadata  the SP's metadata.
  GET  /login?binding=redirect|post[&force=1][&passive=1][&relay=STATE][&acr=CLASSREF]
                  SP-initiated SSO: an AuthnRequest (signed, RSA-SHA256) to the IdP's
                  SingleSignOnService of that binding: a 302 (Redirect) or a page with the form
                  and a submit button (POST). Its ID is remembered as outstanding.
  POST /acs/post  the IdP's Response: Response and assertion signed, decrypted with the SP's key,
                  answering an outstanding request or unsolicited, its assertion never seen
                  before. Success: a local session (cookie sp_session) and 303 to /whoami;
                  failure: 403 {error, message}, or {error: "status", status} for a non-success
                  StatusCode.
  GET  /whoami    200 the session (name_id, name_id_format, session_index, attributes, issuer,
                  in_response_to, relay_state), or 401 {"error": "no session"}.
  GET  /logout?binding=redirect|post
                  SP-initiated SLO: a LogoutRequest for the session's NameID and SessionIndex to the
                  IdP's SingleLogoutService of that binding; the session ends when the IdP's
                  LogoutResponse comes back with Success.
  GET|POST /slo   Redirect or POST binding, signature required: the IdP's LogoutResponse (200
                  "logged out"), or an IdP-initiated LogoutRequest (every local session of that
                  NameID ends; a signed LogoutResponse goes back by the Redirect binding: 302).
  GET  /events    what happened, in order: {"kind": "login" | "logout_request_received" |
                  "logout_response_received" | "refused", ...details}.
  GET  /health
"""
import base64
import html
import json
import secrets
import xml.etree.ElementTree as ElementTree
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote_plus, urlparse

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, samlp
from saml2.client import Saml2Client
from saml2.response import StatusError
from saml2.saml import NAMEID_FORMAT_PERSISTENT, AuthnContextClassRef
from saml2.samlp import RequestedAuthnContext
from saml2.sigver import extract_rsa_key_from_x509_cert, pem_format
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

from sp_metadata import ARGS, config

BINDINGS = {"redirect": BINDING_HTTP_REDIRECT, "post": BINDING_HTTP_POST}
SIGN_REQUESTS = ARGS.get("sign_requests", True)
SESSION_COOKIE = "sp_session"
XMLDSIG_SIGNATURE = "{http://www.w3.org/2000/09/xmldsig#}Signature"

# AuthnRequests sent (ID -> RelayState), LogoutRequests sent (ID -> local session id), the IDs
# of the assertions accepted (pysaml2 keeps none: a replayed unsolicited Response would pass),
# local sessions (cookie value -> {"whoami": what /whoami shows, "name_id": the NameID}), events.
outstanding_authn = {}
outstanding_logout = {}
accepted_assertions = set()
sessions = {}
events = []


class Refused(Exception):
    """A message the SP does not accept: answered 403 with `details` and recorded."""

    def __init__(self, error, message, **more):
        super().__init__(message)
        self.details = {"error": error, "message": message, **more}


def client_for(idp_metadata_file):
    """The SP, trusting that IdP: signed Response and assertion, unsolicited responses accepted."""
    # Unknown attributes kept under their SAML Name: the test reads exactly what was sent.
    return Saml2Client(config(
        {"metadata": {"local": [idp_metadata_file]}, "allow_unknown_attributes": True},
        {"want_response_signed": True, "want_assertions_signed": True, "allow_unsolicited": True},
    ))


def binding_of(query):
    """The binding a query's `binding` names (redirect by default)."""
    name = query.get("binding", "redirect")
    if name not in BINDINGS:
        raise Refused("binding", "binding must be redirect or post, not %s" % name)
    return BINDINGS[name]


def idp_entity_id(sp):
    """The entityID of the one IdP the SP trusts."""
    return next(iter(sp.metadata.identity_providers()))


def status_code(message):
    """A StatusResponse's most precise status code URI (the second level when there is one)."""
    code = message.status.status_code
    return code.status_code.value if code.status_code is not None else code.value


def post_page(destination, field, xml, relay_state):
    """The HTTP-POST binding's page: the form and its button (the test, or the person, submits it)."""
    encoded = base64.b64encode(xml.encode("utf-8")).decode("ascii")
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>SAML POST</title></head><body><main>'
        '<form method="post" action="%s"><input type="hidden" name="%s" value="%s">'
        '<input type="hidden" name="RelayState" value="%s"><button type="submit">Continue</button></form>'
        '</main></body></html>'
    ) % (html.escape(destination), field, encoded, html.escape(relay_state))


def redirect_signature_ok(sp, raw_query):
    """The HTTP-Redirect signature, checked over the query as received (SAML bindings 3.4.4.1) with
    the IdP's signing certificates from its metadata."""
    raw = dict(part.split("=", 1) for part in raw_query.split("&") if "=" in part)
    if "Signature" not in raw or "SigAlg" not in raw:
        return False
    message = "SAMLRequest" if "SAMLRequest" in raw else "SAMLResponse"
    signed = "&".join("%s=%s" % (k, raw[k]) for k in (message, "RelayState", "SigAlg") if k in raw).encode("ascii")
    signature = base64.b64decode(unquote_plus(raw["Signature"]))
    signer = sp.sec.sec_backend.get_signer(unquote_plus(raw["SigAlg"]))
    certs = [c[1] if isinstance(c, tuple) else c for c in sp.metadata.certs(idp_entity_id(sp), "idpsso", "signing")]
    return any(signer.verify(signed, signature, extract_rsa_key_from_x509_cert(pem_format("".join(c.split())))) for c in certs)


def require_signature(sp, fields, binding, raw_query, field):
    """Refuses an unsigned logout message: Redirect, the query signature checked here; POST, an
    enveloped signature, which pysaml2 then verifies against the IdP's metadata when it parses it."""
    if binding == BINDING_HTTP_REDIRECT:
        if not redirect_signature_ok(sp, raw_query):
            raise Refused("signature", "missing or bad HTTP-Redirect signature")
        return
    root = ElementTree.fromstring(sp.unravel(fields[field], binding))
    if root.find(XMLDSIG_SIGNATURE) is None:
        raise Refused("signature", "unsigned %s" % root.tag.split("}")[-1])


def send_request(handler, sp, binding, destination, request_xml, relay_state):
    """Sends the browser to the IdP with a request made unsigned (Redirect: the query is signed)
    or with its enveloped signature (POST)."""
    if binding == BINDING_HTTP_POST:
        return handler.reply(200, post_page(destination, "SAMLRequest", request_xml, relay_state))
    info = sp.apply_binding(BINDING_HTTP_REDIRECT, request_xml, destination, relay_state, sign=SIGN_REQUESTS, sigalg=SIG_RSA_SHA256)
    return handler.redirect(302, dict(info["headers"])["Location"])


def authn_options(query):
    """ForceAuthn, IsPassive and RequestedAuthnContext (exact) as /login's query asks."""
    options = {}
    if query.get("force") == "1":
        options["force_authn"] = "true"
    if query.get("passive") == "1":
        options["is_passive"] = "true"
    if query.get("acr"):
        options["requested_authn_context"] = RequestedAuthnContext(
            authn_context_class_ref=[AuthnContextClassRef(text=query["acr"])], comparison="exact")
    return options


def end_sessions_of(name_id):
    """Ends every local session of that NameID; returns how many there were."""
    ended = [sid for sid, s in list(sessions.items()) if s["whoami"]["name_id"] == name_id]
    for sid in ended:
        sessions.pop(sid, None)
    return len(ended)


class Handler(BaseHTTPRequestHandler):
    server_version = "pysaml2-test-sp"

    def log_message(self, *args):
        pass

    def reply(self, status, body, ctype="text/html; charset=utf-8", headers=()):
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def reply_json(self, status, value, headers=()):
        self.reply(status, json.dumps(value), "application/json", headers)

    def redirect(self, status, location, headers=()):
        self.reply(status, "", "text/plain", (("Location", location),) + tuple(headers))

    def refuse(self, where, refused):
        events.append({"kind": "refused", "at": where, **refused.details})
        self.reply_json(403, refused.details)

    def session_id(self):
        cookie = SimpleCookie(self.headers.get("Cookie", ""))
        return cookie[SESSION_COOKIE].value if SESSION_COOKIE in cookie else None

    def body_fields(self):
        length = int(self.headers.get("Content-Length", "0"))
        return dict(parse_qsl(self.rfile.read(length).decode("utf-8")))

    def do_GET(self):
        url = urlparse(self.path)
        query = dict(parse_qsl(url.query))
        if url.path == "/health":
            return self.reply(200, "ok", "text/plain")
        if url.path == "/metadata":
            with open(ARGS["metadata"]) as f:
                return self.reply(200, f.read(), "application/samlmetadata+xml")
        if url.path == "/events":
            return self.reply_json(200, events)
        if url.path == "/whoami":
            session = sessions.get(self.session_id())
            return self.reply_json(200, session["whoami"]) if session else self.reply_json(401, {"error": "no session"})
        if url.path == "/login":
            return self.with_sp(lambda sp: self.login(sp, query))
        if url.path == "/logout":
            return self.with_sp(lambda sp: self.logout(sp, query))
        if url.path == "/slo":
            return self.with_sp(lambda sp: self.slo(sp, query, BINDING_HTTP_REDIRECT, url.query))
        self.reply(404, "not found", "text/plain")

    def do_POST(self):
        if self.path == "/idp":
            length = int(self.headers.get("Content-Length", "0"))
            path = ARGS["metadata"] + ".idp.xml"
            with open(path, "wb") as out:
                out.write(self.rfile.read(length))
            try:
                self.server.sp = client_for(path)
            except Exception as err:  # the handle shows the reason
                return self.reply_json(400, {"error": type(err).__name__, "message": str(err)})
            return self.reply(204, "")
        if self.path == "/acs/post":
            return self.with_sp(lambda sp: self.acs(sp, self.body_fields()))
        if self.path == "/slo":
            return self.with_sp(lambda sp: self.slo(sp, self.body_fields(), BINDING_HTTP_POST, ""))
        self.reply(404, "not found", "text/plain")

    def with_sp(self, handle):
        """Runs `handle` with the SP once it knows its IdP; a refused message answers 403."""
        if self.server.sp is None:
            return self.reply_json(503, {"error": "no_idp", "message": "POST the IdP's metadata to /idp first"})
        where = urlparse(self.path).path
        try:
            return handle(self.server.sp)
        except Refused as refused:
            return self.refuse(where, refused)
        except Exception as err:  # pysaml2 refuses with many exception types: the test reads the name
            return self.refuse(where, Refused(type(err).__name__, str(err)))

    def login(self, sp, query):
        binding = binding_of(query)
        destination = sp.sso_location(idp_entity_id(sp), binding)
        request_id, request = sp.create_authn_request(
            destination, binding=BINDING_HTTP_POST, nameid_format=NAMEID_FORMAT_PERSISTENT,
            sign=SIGN_REQUESTS and binding == BINDING_HTTP_POST, sign_alg=SIG_RSA_SHA256, digest_alg=DIGEST_SHA256,
            **authn_options(query))
        relay_state = query.get("relay", "")
        outstanding_authn[request_id] = relay_state
        return send_request(self, sp, binding, destination, str(request), relay_state)

    def acs(self, sp, form):
        try:
            response = sp.parse_authn_request_response(form.get("SAMLResponse", ""), BINDING_HTTP_POST, dict(outstanding_authn))
        except StatusError as err:
            # Raised after pysaml2 checked the Response's signature: its status can be read.
            message = samlp.response_from_string(sp.unravel(form["SAMLResponse"], BINDING_HTTP_POST))
            raise Refused("status", str(err), status=status_code(message))
        # pysaml2 returns a response without assertion when it cannot decrypt the EncryptedAssertion.
        if response is None or response.name_id is None:
            raise Refused("NoAssertion", "no readable assertion in the response")
        # pysaml2's allow_unsolicited also lets through an InResponseTo it never sent: not a real SP's way.
        in_response_to = response.in_response_to
        if in_response_to and outstanding_authn.pop(in_response_to, None) is None:
            raise Refused("unknown_request", "InResponseTo %s answers no outstanding request" % in_response_to)
        if response.assertion.id in accepted_assertions:
            raise Refused("replay", "assertion %s already accepted" % response.assertion.id)
        accepted_assertions.add(response.assertion.id)
        info = response.session_info()
        whoami = {
            "name_id": response.name_id.text,
            "name_id_format": response.name_id.format,
            "session_index": info["session_index"],
            "attributes": response.ava,
            "issuer": response.issuer(),
            "in_response_to": in_response_to,
            "relay_state": form.get("RelayState", ""),
        }
        session_id = secrets.token_urlsafe(24)
        sessions[session_id] = {"whoami": whoami, "name_id": response.name_id}
        events.append({"kind": "login", **whoami})
        cookie = "%s=%s; Path=/; HttpOnly; SameSite=Lax" % (SESSION_COOKIE, session_id)
        return self.redirect(303, "/whoami", (("Set-Cookie", cookie),))

    def logout(self, sp, query):
        session_id = self.session_id()
        session = sessions.get(session_id)
        if session is None:
            return self.reply_json(401, {"error": "no session"})
        binding = binding_of(query)
        issuer = session["whoami"]["issuer"]
        endpoints = sp.metadata.single_logout_service(issuer, binding, "idpsso")
        if not endpoints:
            raise Refused("no_endpoint", "the IdP has no SingleLogoutService for %s" % binding)
        destination = endpoints[0]["location"]
        session_index = session["whoami"]["session_index"]
        request_id, request = sp.create_logout_request(
            destination, issuer, name_id=session["name_id"], session_indexes=[session_index] if session_index else None,
            sign=SIGN_REQUESTS and binding == BINDING_HTTP_POST, sign_alg=SIG_RSA_SHA256, digest_alg=DIGEST_SHA256)
        outstanding_logout[request_id] = session_id
        return send_request(self, sp, binding, destination, str(request), "")

    def slo(self, sp, fields, binding, raw_query):
        if "SAMLResponse" in fields:
            require_signature(sp, fields, binding, raw_query, "SAMLResponse")
            return self.logout_response(sp, fields, binding)
        if "SAMLRequest" in fields:
            require_signature(sp, fields, binding, raw_query, "SAMLRequest")
            return self.logout_request(sp, fields, binding)
        raise Refused("malformed", "neither SAMLRequest nor SAMLResponse")

    def logout_response(self, sp, fields, binding):
        """The IdP's answer to our LogoutRequest: Success ends the session the request was for."""
        try:
            sp.parse_logout_request_response(fields["SAMLResponse"], binding)
        except StatusError:
            pass  # a non-success status is an answer too: read below, like the success
        message = samlp.logout_response_from_string(sp.unravel(fields["SAMLResponse"], binding))
        session_id = outstanding_logout.pop(message.in_response_to, None)
        if session_id is None:
            raise Refused("unknown_request", "InResponseTo %s answers no outstanding LogoutRequest" % message.in_response_to)
        status = status_code(message)
        success = status == samlp.STATUS_SUCCESS
        if success:
            sessions.pop(session_id, None)
        events.append({
            "kind": "logout_response_received", "binding": binding, "issuer": message.issuer.text,
            "in_response_to": message.in_response_to, "status": status, "session_ended": success,
        })
        if not success:
            return self.reply_json(403, {"error": "status", "status": status})
        return self.reply(200, '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Logged out</title></head>'
                               '<body><main><p id="logged-out">logged out</p></main></body></html>',
                          headers=(("Set-Cookie", "%s=; Path=/; Max-Age=0" % SESSION_COOKIE),))

    def logout_request(self, sp, fields, binding):
        """An IdP-initiated LogoutRequest: the NameID's sessions end; a signed LogoutResponse goes back."""
        request = sp.parse_logout_request(fields["SAMLRequest"], binding).message
        issuer = request.issuer.text
        ended = end_sessions_of(request.name_id.text)
        events.append({
            "kind": "logout_request_received", "binding": binding, "issuer": issuer, "id": request.id,
            "name_id": request.name_id.text, "session_indexes": [s.text for s in request.session_index],
            "sessions_ended": ended,
        })
        response = sp.create_logout_response(request, [BINDING_HTTP_REDIRECT], sign=False)
        destination = sp.metadata.single_logout_service(issuer, BINDING_HTTP_REDIRECT, "idpsso")[0]["location"]
        info = sp.apply_binding(BINDING_HTTP_REDIRECT, str(response), destination, fields.get("RelayState", ""),
                                response=True, sign=True, sigalg=SIG_RSA_SHA256)
        return self.redirect(302, dict(info["headers"])["Location"])


def main():
    server = ThreadingHTTPServer(("127.0.0.1", ARGS["port"]), Handler)
    server.sp = None
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
