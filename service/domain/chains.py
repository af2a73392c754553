"""The hash chains of an inventory, checked together: the audit log and every custody chain.

`evidence migrate-to` checks them on the copy before it keeps it.
"""

from service.domain import audit, custody


def all_chains_valid():
    """{"audit": valid, "custody": valid} for the connected database."""
    return {
        "audit": audit.verify()["valid"],
        "custody": all(verdict["valid"] for verdict in custody.verify_all()),
    }
