"""An ÉduConnect-like SAML IdP for the hub's interop tests, built on Debian's python3-pysaml2.

Run with /usr/bin/python3 (the system Python that has saml2). One JSON argument:
  {"mode": "metadata" | "serve", "base": "http://127.0.0.1:PORT", "port": PORT,
   "entityid": ..., "key": PEM file, "cert": PEM file, "metadata_out": file (metadata)}

Endpoints (serve):
  GET  /sso       HTTP-Redirect AuthnRequest; its signature is checked (WantAuthnRequestsSigned).
  POST /sso       HTTP-POST AuthnRequest (form fields SAMLRequest, RelayState); its enveloped
                  signature is required and checked.
                  Answers an HTML page with the HTTP-POST form for the SP's ACS (no script:
                  the test posts it), built from the current scenario.
  POST /sp        the SP's metadata (XML body): the IdP answers /sso only after it. It binds
                  its port first, so the port cannot be taken by the hub meanwhile.
  POST /scenario  JSON: the next answers' identity and tweaks (see DEFAULT_SCENARIO).
  GET  /health
With "users" (a JSON file {"<login>": {"password", "name_id", "attributes"}}), it behaves like a
real IdP instead (the browser tests and `npm run educonnect:local`): /sso shows a login form unless
the browser has an IdP session (a cookie) or the request IsPassive (then a signed Response with the
status NoPassive), POST /login checks the password and answers with that user's identity in an
auto-posted form, and an SP's LogoutRequest on /slo ends the IdP session.
"""
import json
import sys
import html
import base64
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse, parse_qs

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.metadata import entity_descriptor
from saml2.saml import NAME_FORMAT_URI, NameID, NAMEID_FORMAT_PERSISTENT
from saml2.samlp import STATUS_NO_PASSIVE
from saml2.server import Server
from saml2.sigver import verify_redirect_signature
from saml2.xmldsig import SIG_RSA_SHA256, DIGEST_SHA256
from saml2.assertion import Policy
from saml2.s_utils import UnknownPrincipal, UnsupportedBinding
import secrets
from http.cookies import SimpleCookie
from urllib.parse import parse_qsl
import saml2.entity
import saml2.sigver
from saml2.metadata import sign_entity_descriptor
from saml2.sigver import security_context

ARGS = json.loads(sys.argv[1])

DEFAULT_SCENARIO = {
    # attribute name (an OID URI) -> list of values
    "attributes": {},
    "name_id": "opaque-subject",
    "sign_response": True,
    "sign_assertion": True,
    "encrypt": True,
    # sent as the audience instead of the SP's entity id
    "audience": None,
    # minutes of validity; negative: already expired
    "lifetime_minutes": 5,
    # answer this InResponseTo instead of the request's id ("" for none)
    "in_response_to": None,
    # data encryption of the assertion (pysaml2's default is 3DES)
    "data_encryption": "tripledes-cbc",
    # the AuthnStatement's AuthnContextClassRef
    "authn_class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport",
}
scenario = dict(DEFAULT_SCENARIO)
USERS = None
if ARGS.get("users"):
    with open(ARGS["users"]) as f:
        USERS = json.load(f)
SESSION_COOKIE = "pysaml2_idp_session"
# IdP sessions (cookie value -> login) and AuthnRequests waiting for a login (key -> (query, binding)).
sessions = {}
waiting = {}
# What /slo last received from the SP (for the test to read at GET /last-logout).
last_logout = {}

# Data encryption algorithm URI and the matching xmlsec1 session key type.
DATA_ENCRYPTION = {
    "tripledes-cbc": ("http://www.w3.org/2001/04/xmlenc#tripledes-cbc", "des-192"),
    "aes256-cbc": ("http://www.w3.org/2001/04/xmlenc#aes256-cbc", "aes-256"),
    "aes128-gcm": ("http://www.w3.org/2009/xmlenc11#aes128-gcm", "aes-128"),
}

# pysaml2 hard-codes 3DES when it encrypts an assertion: the scenario chooses instead.
_pre_encryption_part = saml2.entity.pre_encryption_part
_encrypt_assertion = saml2.sigver.SecurityContext.encrypt_assertion


def _scenario_pre_encryption_part(**kwargs):
    kwargs.setdefault("msg_enc", DATA_ENCRYPTION[scenario["data_encryption"]][0])
    return _pre_encryption_part(**kwargs)


def _scenario_encrypt_assertion(self, statement, enc_key, template, key_type=None, node_xpath=None):
    return _encrypt_assertion(self, statement, enc_key, template, DATA_ENCRYPTION[scenario["data_encryption"]][1], node_xpath)


saml2.entity.pre_encryption_part = _scenario_pre_encryption_part
saml2.sigver.SecurityContext.encrypt_assertion = _scenario_encrypt_assertion


def config(sp_metadata=None):
    base = ARGS["base"]
    conf = {
        "entityid": ARGS["entityid"],
        "key_file": ARGS["key"],
        "cert_file": ARGS["cert"],
        "encryption_keypairs": [{"key_file": ARGS["key"], "cert_file": ARGS["cert"]}],
        "xmlsec_binary": "/usr/bin/xmlsec1",
        "service": {
            "idp": {
                "name": "EduConnect test IdP",
                "endpoints": {
                    "single_sign_on_service": [(base + "/sso", BINDING_HTTP_REDIRECT), (base + "/sso", BINDING_HTTP_POST)],
                    "single_logout_service": [(base + "/slo", BINDING_HTTP_REDIRECT)],
                },
                # Published as true in the metadata; in serve mode pysaml2 would look for an
                # embedded signature, which the HTTP-Redirect binding does not have: the query
                # signature is checked below instead (verify_redirect_signature).
                "want_authn_requests_signed": ARGS["mode"] != "serve",
                "sign_response": True,
                "sign_assertion": True,
                "signing_algorithm": SIG_RSA_SHA256,
                "digest_algorithm": DIGEST_SHA256,
                "name_id_format": [NAMEID_FORMAT_PERSISTENT],
                "policy": {"default": {"lifetime": {"minutes": 5}, "attribute_restrictions": None, "name_form": NAME_FORMAT_URI}},
            }
        },
        "metadata": {"local": [sp_metadata]} if sp_metadata else {},
    }
    c = IdPConfig()
    c.load(conf)
    return c


class ForgedAudiencePolicy(Policy):
    """Writes another audience into the Conditions (the "wrong audience" case)."""

    audience = None

    def conditions(self, sp_entity_id):
        return super().conditions(self.audience or sp_entity_id)


def policy_for(minutes, audience=None):
    if audience:
        policy = ForgedAudiencePolicy({"default": {"lifetime": {"minutes": minutes}, "attribute_restrictions": None, "name_form": NAME_FORMAT_URI}})
        policy.audience = audience
        return policy
    return Policy({"default": {"lifetime": {"minutes": minutes}, "attribute_restrictions": None, "name_form": NAME_FORMAT_URI}})


def post_form(destination, response, relay, auto_submit):
    """The HTTP-POST binding's page carrying `response` to the SP's ACS."""
    encoded = base64.b64encode(str(response).encode("utf-8")).decode("ascii")
    return (
        '<!doctype html><html><body><form method="post" action="%s">'
        '<input type="hidden" name="SAMLResponse" value="%s">'
        '<input type="hidden" name="RelayState" value="%s">'
        '<button type="submit">Continue</button></form>%s</body></html>'
    ) % (html.escape(destination), encoded, html.escape(relay),
         "<script>document.forms[0].submit()</script>" if auto_submit else "")


class Handler(BaseHTTPRequestHandler):
    server_version = "pysaml2-test-idp"

    def log_message(self, *args):
        pass

    def reply(self, status, body, ctype="text/html; charset=utf-8"):
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def session_login(self):
        cookie = SimpleCookie(self.headers.get("Cookie", ""))
        sid = cookie[SESSION_COOKIE].value if SESSION_COOKIE in cookie else None
        return sid, sessions.get(sid) if sid else None

    def login_form(self, key, error=""):
        return (
            '<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>ÉduConnect (local)</title></head><body>'
            '<main><h1>ÉduConnect — environnement local</h1>%s'
            '<form method="post" action="/login"><input type="hidden" name="key" value="%s">'
            '<p><label for="username">Identifiant</label> <input id="username" name="username" autocomplete="username"></p>'
            '<p><label for="password">Mot de passe</label> <input id="password" type="password" name="password" autocomplete="current-password"></p>'
            '<p><button type="submit">Se connecter</button></p></form></main></body></html>'
        ) % (('<p role="alert">%s</p>' % html.escape(error)) if error else "", html.escape(key))

    def do_login(self, form):
        pending = waiting.get(form.get("key", ""))
        if pending is None:
            return self.reply(400, "IdP refused: no pending AuthnRequest (expired)", "text/plain")
        user = USERS.get(form.get("username", ""))
        if not user or user["password"] != form.get("password"):
            return self.reply(401, self.login_form(form.get("key", ""), "Identifiant ou mot de passe incorrect."))
        del waiting[form["key"]]
        sid = secrets.token_urlsafe(24)
        sessions[sid] = form["username"]
        body = self.answer(*pending, user).encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Set-Cookie", "%s=%s; Path=/; HttpOnly; SameSite=Lax" % (SESSION_COOKIE, sid))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        if self.path == "/login" and USERS is not None:
            return self.do_login(dict(parse_qsl(self.rfile.read(length).decode("utf-8"))))
        if self.path == "/sso":
            return self.sso(dict(parse_qsl(self.rfile.read(length).decode("utf-8"))), BINDING_HTTP_POST)
        if self.path == "/sp":
            path = ARGS["metadata_out"] + ".sp.xml"
            with open(path, "wb") as out:
                out.write(self.rfile.read(length))
            self.server.idp = Server(config=config(path))
            return self.reply(204, "")
        if self.path == "/logout-request":
            return self.reply(200, json.dumps(self.logout_request(json.loads(self.rfile.read(length)))), "application/json")
        if self.path != "/scenario":
            return self.reply(404, "not found")
        global scenario
        scenario = dict(DEFAULT_SCENARIO)
        scenario.update(json.loads(self.rfile.read(length) or b"{}"))
        self.reply(204, "")

    def do_GET(self):
        url = urlparse(self.path)
        if url.path == "/favicon.ico":
            return self.reply(204, "", "image/x-icon")
        if url.path == "/health":
            return self.reply(200, "ok", "text/plain")
        if url.path == "/last-logout":
            return self.reply(200, json.dumps(last_logout), "application/json")
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path == "/idp-logout" and USERS is not None:
            return self.idp_logout(query)
        if url.path == "/slo":
            try:
                return self.slo(query)
            except Exception as err:
                return self.reply(400, "IdP refused: %s: %s" % (type(err).__name__, err), "text/plain")
        if url.path != "/sso":
            return self.reply(404, "not found")
        self.sso(query, BINDING_HTTP_REDIRECT)

    def sso(self, query, binding):
        """An AuthnRequest (query or form fields of that binding): the login form or the answer."""
        try:
            if USERS is not None:
                _, login = self.session_login()
                if login is None:
                    req = self.check_request(query, binding)
                    if req.message.is_passive in ("true", "1"):
                        return self.reply(200, self.no_passive(req, query.get("RelayState", "")))
                    key = secrets.token_urlsafe(16)
                    waiting[key] = (query, binding)
                    return self.reply(200, self.login_form(key))
                return self.reply(200, self.answer(query, binding, USERS[login]))
            self.reply(200, self.answer(query, binding))
        except Exception as err:  # the test reads the reason
            self.reply(400, "IdP refused: %s: %s" % (type(err).__name__, err), "text/plain")

    def check_request(self, query, binding):
        """The AuthnRequest of `query`, its signature (redirect query or enveloped) checked."""
        idp = self.server.idp
        if idp is None:
            raise ValueError("no SP metadata yet")
        # pysaml2 checks an enveloped signature when there is one (POST): its presence is ours to require.
        req = idp.parse_authn_request(query["SAMLRequest"], binding)
        if binding == BINDING_HTTP_POST:
            if req.message.signature is None:
                raise ValueError("unsigned AuthnRequest")
            return req
        if "Signature" not in query:
            raise ValueError("unsigned AuthnRequest")
        self.check_signature(query, req.message.issuer.text, "AuthnRequest")
        return req

    def answer(self, query, binding, user=None):
        idp = self.server.idp
        req = self.check_request(query, binding)
        sp_entity = req.message.issuer.text
        args = idp.response_args(req.message, [BINDING_HTTP_POST])
        s = scenario
        irt = args["in_response_to"] if s["in_response_to"] is None else (s["in_response_to"] or None)
        enc_cert = None
        if s["encrypt"]:
            enc_certs = idp.metadata.certs(sp_entity, "spsso", "encryption")
            enc_cert = None
            if enc_certs:
                c = enc_certs[0][1] if isinstance(enc_certs[0], tuple) else enc_certs[0]
                enc_cert = "-----BEGIN CERTIFICATE-----\n%s\n-----END CERTIFICATE-----\n" % "".join(c.split())
        identity = {k: v for k, v in (user["attributes"] if user else s["attributes"]).items()}
        name_id = NameID(format=NAMEID_FORMAT_PERSISTENT, text=user["name_id"] if user else s["name_id"], sp_name_qualifier=sp_entity, name_qualifier=idp.config.entityid)
        resp = idp.create_authn_response(
            identity,
            in_response_to=irt,
            destination=args["destination"],
            sp_entity_id=sp_entity,
            name_id=name_id,
            sign_response=s["sign_response"],
            sign_assertion=s["sign_assertion"],
            encrypt_assertion=s["encrypt"],
            encrypt_cert_assertion=enc_cert,
            encrypt_assertion_self_contained=True,
            sign_alg=SIG_RSA_SHA256,
            digest_alg=DIGEST_SHA256,
            release_policy=policy_for(s["lifetime_minutes"], s["audience"]),
            authn={"class_ref": s["authn_class_ref"]},
        )
        # A real IdP posts the form by itself (the scenario mode leaves it to the test).
        return post_form(args["destination"], resp, query.get("RelayState", ""), auto_submit=user is not None)

    def no_passive(self, req, relay):
        """A real IdP's answer to IsPassive without an IdP session: a signed Response, status NoPassive."""
        idp = self.server.idp
        args = idp.response_args(req.message, [BINDING_HTTP_POST])
        resp = idp.create_error_response(
            args["in_response_to"], args["destination"], (STATUS_NO_PASSIVE, "no IdP session"),
            sign=True, sign_alg=SIG_RSA_SHA256, digest_alg=DIGEST_SHA256)
        return post_form(args["destination"], resp, relay, auto_submit=True)

    def check_signature(self, query, sp_entity, what):
        """The redirect-binding signature of `query`, by one of the SP's signing certificates."""
        idp = self.server.idp
        certs = [c[1] if isinstance(c, tuple) else c for c in idp.metadata.certs(sp_entity, "spsso", "signing")]
        if not any(verify_redirect_signature(query, idp.sec.sec_backend, cert="".join(c.split())) for c in certs):
            raise ValueError("bad %s signature" % what)

    def slo(self, query):
        """The SP's LogoutRequest (answered with a signed LogoutResponse) or its LogoutResponse."""
        idp = self.server.idp
        global last_logout
        if "Signature" not in query:
            raise ValueError("unsigned logout message")
        if "SAMLRequest" in query:
            req = idp.parse_logout_request(query["SAMLRequest"], BINDING_HTTP_REDIRECT)
            sp_entity = req.message.issuer.text
            self.check_signature(query, sp_entity, "LogoutRequest")
            last_logout = {
                "kind": "request", "issuer": sp_entity, "destination": req.message.destination,
                "name_id": req.message.name_id.text if req.message.name_id is not None else None,
                "session_indexes": [s.text for s in req.message.session_index],
            }
            sid, _ = self.session_login()
            ended = sessions.pop(sid, None) if sid else None
            last_logout["idp_session_ended"] = ended is not None
            resp = idp.create_logout_response(req.message, [BINDING_HTTP_REDIRECT], sign=False)
            dest = idp.metadata.single_logout_service(sp_entity, BINDING_HTTP_REDIRECT, "spsso")[0]["location"]
            info = idp.apply_binding(BINDING_HTTP_REDIRECT, str(resp), dest, query.get("RelayState", ""), response=True, sign=True, sigalg=SIG_RSA_SHA256)
            location = dict(info["headers"])["Location"]
            self.send_response(302)
            self.send_header("Location", location)
            if sid:
                self.send_header("Set-Cookie", "%s=; Path=/; Max-Age=0" % SESSION_COOKIE)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        # The SP's answer to our LogoutRequest.
        resp = idp.parse_logout_request_response(query["SAMLResponse"], BINDING_HTTP_REDIRECT)
        sp_entity = resp.response.issuer.text
        self.check_signature(query, sp_entity, "LogoutResponse")
        last_logout = {
            "kind": "response", "issuer": sp_entity, "in_response_to": resp.response.in_response_to,
            "status": resp.response.status.status_code.value, "destination": resp.response.destination,
        }
        return self.reply(200, "<!doctype html><p>logged out at the IdP</p>")

    def idp_logout(self, query):
        """IdP-initiated logout as a person starts it at the IdP: its own session ends, then the SP is told."""
        sid, login = self.session_login()
        if login is None:
            return self.reply(400, "IdP refused: no IdP session in this browser", "text/plain")
        del sessions[sid]
        url = self.logout_request({"sp": query["sp"], "name_id": USERS[login]["name_id"], "relay_state": query.get("RelayState", "")})["url"]
        self.send_response(302)
        self.send_header("Location", url)
        self.send_header("Set-Cookie", "%s=; Path=/; Max-Age=0" % SESSION_COOKIE)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def logout_request(self, spec):
        """Builds an IdP-initiated LogoutRequest for the test to send: returns its redirect URL, or
        with binding "post" the SP's SLO URL and the form fields (then an enveloped signature)."""
        idp = self.server.idp
        sp_entity = spec["sp"]
        post = spec.get("binding") == "post"
        slo = idp.metadata.single_logout_service(sp_entity, BINDING_HTTP_POST if post else BINDING_HTTP_REDIRECT, "spsso")[0]["location"]
        name_id = NameID(format=NAMEID_FORMAT_PERSISTENT, text=spec["name_id"], sp_name_qualifier=sp_entity, name_qualifier=idp.config.entityid)
        kwargs = {}
        if spec.get("expired"):
            kwargs["expire"] = "2001-01-01T00:00:00Z"
        if post:
            kwargs.update(sign=spec.get("sign", True), sign_alg=SIG_RSA_SHA256, digest_alg=DIGEST_SHA256)
        req_id, req = idp.create_logout_request(
            spec.get("destination") or slo, sp_entity, name_id=name_id,
            session_indexes=spec.get("session_indexes") or None, **kwargs)
        if post:
            fields = {"SAMLRequest": base64.b64encode(str(req).encode("utf-8")).decode("ascii"), "RelayState": spec.get("relay_state", "")}
            return {"url": slo, "body": fields, "id": req_id}
        info = idp.apply_binding(BINDING_HTTP_REDIRECT, str(req), slo, spec.get("relay_state", ""), sign=spec.get("sign", True), sigalg=SIG_RSA_SHA256)
        return {"url": dict(info["headers"])["Location"], "id": req_id}

def main():
    if ARGS["mode"] == "metadata":
        with open(ARGS["metadata_out"], "w") as out:
            out.write(str(entity_descriptor(config())))
        return
    if ARGS["mode"] == "signed-metadata":
        # Signed by a federation operator's key (md_key/md_cert), as a metadata aggregate would be.
        conf = config()
        ed = entity_descriptor(conf)
        conf.key_file, conf.cert_file = ARGS["md_key"], ARGS["md_cert"]
        _, xml = sign_entity_descriptor(ed, "md-" + str(ARGS["port"]), security_context(conf), SIG_RSA_SHA256, DIGEST_SHA256)
        with open(ARGS["metadata_out"], "w") as out:
            out.write(xml)
        return
    server = ThreadingHTTPServer(("127.0.0.1", ARGS["port"]), Handler)
    server.idp = None
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
