"""
pysaml2 as the SP (a real SP implementation, not ours) receiving a Response from the hub's IdP on
its HTTP-POST ACS. The SP is the one sp_metadata.py describes (same arguments: entityid, base,
key, cert), plus: idp_metadata (the file of the hub's IdP metadata), response (the base64
SAMLResponse), in_response_to (the AuthnRequest's ID; absent: IdP-initiated, accepted
unsolicited). It wants the Response and the assertion signed and decrypts with its own key.
Prints one JSON object: {"name_id", "name_id_format", "attributes", "issuer", "in_response_to"}
when it accepts the response, {"error", "message"} when it refuses it.
"""
import json

from saml2 import BINDING_HTTP_POST
from saml2.client import Saml2Client

from sp_metadata import ARGS, config


def main():
    in_response_to = ARGS.get("in_response_to")
    sp = {"want_response_signed": True, "allow_unsolicited": in_response_to is None}
    # Unknown attributes kept under their SAML Name: the test reads exactly what was sent.
    client = Saml2Client(config({"metadata": {"local": [ARGS["idp_metadata"]]}, "allow_unknown_attributes": True}, sp))
    outstanding = {in_response_to: "/"} if in_response_to else {}
    try:
        response = client.parse_authn_request_response(ARGS["response"], BINDING_HTTP_POST, outstanding)
    except Exception as err:  # pysaml2 refuses with many exception types: the test reads the name
        print(json.dumps({"error": type(err).__name__, "message": str(err)}))
        return
    # pysaml2 returns a response without assertion when it cannot decrypt the EncryptedAssertion.
    if response is None or response.name_id is None:
        print(json.dumps({"error": "NoAssertion", "message": "no readable assertion in the response"}))
        return
    print(json.dumps({
        "name_id": response.name_id.text,
        "name_id_format": response.name_id.format,
        "attributes": response.ava,
        "issuer": response.issuer(),
        "in_response_to": response.in_response_to,
    }))


if __name__ == "__main__":
    main()
