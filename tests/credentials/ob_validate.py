"""Run IMS Global's Open Badges validator offline: `python ob_validate.py URL_OR_PNG [EMAIL]`.

Runs in the validator's own environment (.venv-validator, see the Makefile), called by
tests/credentials/test_validator.py as a subprocess; prints the validator's result as
JSON and exits 0 when valid, 1 when not.

Offline, the validator's one fetch from outside is the JSON-LD context
https://w3id.org/openbadges/v2, which the package bundles: its document loader is given
the bundled copy. `verify()` builds its own loader (whatever options it is passed), so
the class it builds is replaced. Any other host than this machine is refused at once.
"""

import json
import logging
import socket
import sys

from openbadges.verifier import utils, verifier
from openbadges.verifier.openbadges_context import (
    OPENBADGES_CONTEXT_V2_DICT,
    OPENBADGES_CONTEXT_V2_URI,
)

LOCAL = ("127.0.0.1", "localhost", "::1")


class OfflineDocumentLoader(utils.CachableDocumentLoader):
    def __call__(self, url, options=None):  # PyLD 2 passes options
        if url.rstrip("/") in (OPENBADGES_CONTEXT_V2_URI, "http://w3id.org/openbadges/v2"):
            return {
                "contextUrl": None,
                "documentUrl": url,
                "document": OPENBADGES_CONTEXT_V2_DICT,
                "contentType": "application/ld+json",
            }
        document = super().__call__(url)
        if isinstance(document.get("document"), str):  # PyLD 2 wants it parsed
            document["document"] = json.loads(document["document"])
        return document


def refuse_other_hosts():
    resolve = socket.getaddrinfo

    def local_only(host, *args, **kwargs):
        if host not in LOCAL:
            raise socket.gaierror(f"offline validation: {host!r} is not this machine")
        return resolve(host, *args, **kwargs)

    socket.getaddrinfo = local_only


def main(target, email=None):
    logging.getLogger("openbadges.verifier").setLevel(logging.CRITICAL)  # tracebacks at ERROR
    verifier.CachableDocumentLoader = OfflineDocumentLoader
    utils.jsonld_use_cache["documentLoader"] = OfflineDocumentLoader(use_cache=False)
    utils.jsonld_no_cache["documentLoader"] = OfflineDocumentLoader(use_cache=False)
    refuse_other_hosts()
    profile = {"email": email} if email else None
    # No cache anywhere: a document that changed between two runs is fetched again.
    options = {"recipient_profile": profile, "use_cache": False, "cache_backend": None}
    if target.startswith("http"):
        result = verifier.verify(target, **options)
    else:
        with open(target, "rb") as baked:
            result = verifier.verify(baked, **options)
    print(json.dumps(result, default=str))
    return 0 if result["report"]["valid"] else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
