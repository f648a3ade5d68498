"""
Writes a SAML SP's metadata with pysaml2 (a real SP implementation, not ours): the partner
resources the hub's IdP serves publish documents like these. Arguments: one JSON object with
entityid, base (the SP's URL), key, cert, out, and optionally md_key/md_cert (a federation
operator's key signing the document), valid_hours, name, encrypt (false: no encryption key, so
the IdP sends the assertion in clear), slo_post (true: the SLO endpoint takes HTTP-POST too).
"""
import json
import sys

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, BINDING_HTTP_ARTIFACT
from saml2.config import SPConfig
from saml2.metadata import entity_descriptor, sign_entity_descriptor
from saml2.saml import NAMEID_FORMAT_TRANSIENT, NAMEID_FORMAT_PERSISTENT
from saml2.sigver import security_context
from saml2.xmldsig import SIG_RSA_SHA256, DIGEST_SHA256

ARGS = json.loads(sys.argv[1])


def config(extra=None, sp_extra=None):
    """The SP's configuration; `extra` adds top-level settings, `sp_extra` settings of the SP service."""
    base = ARGS["base"]
    conf = {
        "entityid": ARGS["entityid"],
        "key_file": ARGS["key"],
        "cert_file": ARGS["cert"],
        "encryption_keypairs": [{"key_file": ARGS["key"], "cert_file": ARGS["cert"]}] if ARGS.get("encrypt", True) else [],
        "xmlsec_binary": "/usr/bin/xmlsec1",
        "valid_for": ARGS.get("valid_hours", 24),
        "organization": {"name": ARGS.get("name", "Ressource test"), "display_name": ARGS.get("name", "Ressource test"), "url": base},
        "service": {
            "sp": {
                "endpoints": {
                    "assertion_consumer_service": [(base + "/acs/post", BINDING_HTTP_POST), (base + "/acs/artifact", BINDING_HTTP_ARTIFACT)],
                    "single_logout_service": [(base + "/slo", BINDING_HTTP_REDIRECT)] + ([(base + "/slo", BINDING_HTTP_POST)] if ARGS.get("slo_post") else []),
                },
                "authn_requests_signed": True,
                "want_assertions_signed": True,
                "name_id_format": [NAMEID_FORMAT_TRANSIENT, NAMEID_FORMAT_PERSISTENT],
                **(sp_extra or {}),
            }
        },
        **(extra or {}),
    }
    c = SPConfig()
    c.load(conf)
    return c


def main():
    conf = config()
    ed = entity_descriptor(conf)
    if "md_key" in ARGS:
        conf.key_file, conf.cert_file = ARGS["md_key"], ARGS["md_cert"]
        _, xml = sign_entity_descriptor(ed, "md-sp", security_context(conf), SIG_RSA_SHA256, DIGEST_SHA256)
    else:
        xml = str(ed)
    with open(ARGS["out"], "w") as out:
        out.write(xml)


if __name__ == "__main__":
    main()
