"""neardup's records and vocabulary: standard library only at import time.

* :mod:`~neardup.model.records`: which hash, image records, skipped files, groups, names;
* :mod:`~neardup.model.result`: a scan's result and its JSON form;
* :mod:`~neardup.model.options`: :class:`ScanOptions`, the one home of defaults and checks.
"""

from neardup.model.options import (
    DEFAULT_GROUPING,
    DEFAULT_INDEX,
    DEFAULT_KEEP,
    DEFAULT_MAX_PIXELS,
    DEFAULT_THRESHOLD,
    DEFAULT_VERIFY_MIN,
    ScanOptions,
    parse_invariant,
    parse_keep,
)
from neardup.model.records import (
    ALGORITHMS,
    GROUPINGS,
    HASH_SIZES,
    INVARIANTS,
    KEEP_RULES,
    MATCHES,
    Discovery,
    Group,
    HashOutcome,
    HashSpec,
    ImageRecord,
    Skipped,
    is_url,
    natural_key,
)
from neardup.model.result import SCHEMA_VERSION, ScanResult, ScanSettings

__all__ = [
    "ALGORITHMS",
    "DEFAULT_GROUPING",
    "DEFAULT_INDEX",
    "DEFAULT_KEEP",
    "DEFAULT_MAX_PIXELS",
    "DEFAULT_THRESHOLD",
    "DEFAULT_VERIFY_MIN",
    "GROUPINGS",
    "HASH_SIZES",
    "INVARIANTS",
    "KEEP_RULES",
    "MATCHES",
    "SCHEMA_VERSION",
    "Discovery",
    "Group",
    "HashOutcome",
    "HashSpec",
    "ImageRecord",
    "ScanOptions",
    "ScanResult",
    "ScanSettings",
    "Skipped",
    "is_url",
    "natural_key",
    "parse_invariant",
    "parse_keep",
]
