"""
Signed messages made by pysaml2 as a SAML SP (a real SP implementation, not ours), for the hub's
IdP to verify: an AuthnRequest or a LogoutRequest, on HTTP-Redirect (the query signed) or
HTTP-POST (an enveloped signature). The SP is the one sp_metadata.py describes (same arguments:
entityid, base, key, cert), plus: message (authn or logout), binding (redirect or post),
destination, relay_state, for authn force_authn and is_passive (booleans) and authn_context (a
class reference asked for exactly), and for logout idp
(the IdP's entityID) and name_id. Prints one JSON
object: {"query": raw query} or {"body": form fields}.
"""
import base64
import json
from urllib.parse import urlparse

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.saml import NAMEID_FORMAT_PERSISTENT, AuthnContextClassRef, NameID
from saml2.samlp import RequestedAuthnContext
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

from sp_metadata import ARGS, config


def message(client, sign):
    algorithms = {"sign": sign, "sign_alg": SIG_RSA_SHA256, "digest_alg": DIGEST_SHA256}
    if ARGS["message"] == "authn":
        flags = {name: "true" for name in ("force_authn", "is_passive") if ARGS.get(name)}
        if ARGS.get("authn_context"):
            flags["requested_authn_context"] = RequestedAuthnContext(authn_context_class_ref=[AuthnContextClassRef(ARGS["authn_context"])], comparison="exact")
        _, request = client.create_authn_request(ARGS["destination"], binding=BINDING_HTTP_POST, nameid_format=NAMEID_FORMAT_PERSISTENT, **flags, **algorithms)
    else:
        name_id = NameID(format=NAMEID_FORMAT_PERSISTENT, text=ARGS["name_id"])
        _, request = client.create_logout_request(ARGS["destination"], ARGS["idp"], name_id=name_id, session_indexes=["_session-1"], **algorithms)
    return str(request)


def main():
    client = Saml2Client(config())
    relay_state = ARGS.get("relay_state", "")
    if ARGS["binding"] == "post":
        body = {"SAMLRequest": base64.b64encode(message(client, True).encode("utf-8")).decode("ascii")}
        if relay_state:
            body["RelayState"] = relay_state
        print(json.dumps({"body": body}))
        return
    info = client.apply_binding(BINDING_HTTP_REDIRECT, message(client, False), ARGS["destination"], relay_state, sign=True, sigalg=SIG_RSA_SHA256)
    print(json.dumps({"query": urlparse(dict(info["headers"])["Location"]).query}))


if __name__ == "__main__":
    main()
