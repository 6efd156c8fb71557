"""The catalog's schema, as the migrations that build it: each takes the schema from
version k-1 to k (:mod:`neardup.catalog.store` runs those a catalog has not had)."""

from __future__ import annotations

from typing import Final

#: What a change that can move only kept regions drops: the trimmed hash, views and
#: alternates of every image that has a kept region (the others keep everything).
_FORGET_KEPT_REGIONS: Final = """
    DELETE FROM views WHERE file_id IN
        (SELECT file_id FROM hashes WHERE trim_box IS NOT NULL);
    DELETE FROM alternates WHERE file_id IN
        (SELECT file_id FROM hashes WHERE trim_box IS NOT NULL);
    UPDATE hashes SET trim_hash = NULL, trim_box = NULL WHERE trim_box IS NOT NULL;
"""

# Each migration takes the schema from version k-1 to k. Append, never edit.
MIGRATIONS: Final[tuple[tuple[str, str], ...]] = (
    (
        "files, hashes and scans",
        """
        CREATE TABLE files (
            id          INTEGER PRIMARY KEY,
            path        TEXT NOT NULL UNIQUE,
            size        INTEGER NOT NULL,
            mtime_ns    INTEGER NOT NULL,
            inode       INTEGER,
            device      INTEGER,
            exif_ns     INTEGER,
            first_seen  REAL NOT NULL,
            last_seen   REAL NOT NULL,
            vanished_at REAL
        );
        CREATE INDEX files_inode ON files (inode, device);
        CREATE TABLE hashes (
            file_id      INTEGER NOT NULL REFERENCES files (id) ON DELETE CASCADE,
            algorithm    TEXT NOT NULL,
            hash_size    INTEGER NOT NULL,
            mode         TEXT NOT NULL DEFAULT '',
            size         INTEGER NOT NULL,
            mtime_ns     INTEGER NOT NULL,
            hash         BLOB,
            width        INTEGER,
            height       INTEGER,
            error_reason TEXT,
            error_detail TEXT,
            max_pixels   INTEGER,
            hashed_at    REAL NOT NULL,
            PRIMARY KEY (file_id, algorithm, hash_size, mode)
        ) WITHOUT ROWID;
        CREATE TABLE scans (
            id       INTEGER PRIMARY KEY,
            created  TEXT NOT NULL,
            paths    TEXT NOT NULL,
            settings TEXT NOT NULL,
            summary  TEXT NOT NULL,
            document BLOB
        );
        """,
    ),
    (
        "trimmed hashes and verification views",
        """
        ALTER TABLE hashes ADD COLUMN trim_hash BLOB;
        ALTER TABLE hashes ADD COLUMN trim_box TEXT;
        CREATE TABLE views (
            file_id  INTEGER PRIMARY KEY REFERENCES files (id) ON DELETE CASCADE,
            size     INTEGER NOT NULL,
            mtime_ns INTEGER NOT NULL,
            data     BLOB NOT NULL
        );
        """,
    ),
    (
        "review decisions",
        # Written by ``neardup review`` (see neardup.catalog.decisions): per-file marks, valid
        # while the file keeps the size and mtime it had, and pairs a person said are not
        # duplicates (path_a < path_b), which scan and delete never group again.
        """
        CREATE TABLE review_marks (
            path     TEXT PRIMARY KEY,
            mark     TEXT NOT NULL CHECK (mark IN ('keeper', 'delete')),
            size     INTEGER NOT NULL,
            mtime_ns INTEGER NOT NULL,
            decided  TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE not_duplicates (
            path_a  TEXT NOT NULL,
            path_b  TEXT NOT NULL,
            decided TEXT NOT NULL,
            PRIMARY KEY (path_a, path_b),
            CHECK (path_a < path_b)
        ) WITHOUT ROWID;
        """,
    ),
    (
        "frames found by their edges",
        # Trimming now also removes frames that are not one colour (a window, a card, a
        # page around a picture) and views keep a detailed content: what earlier versions
        # stored is computed again on the next scan.
        """
        UPDATE hashes SET trim_hash = NULL, trim_box = NULL;
        DELETE FROM views;
        """,
    ),
    (
        "small pictures on plain screens",
        # The picture search also finds small pictures on plain screens, passes over panels
        # of text and settles each side on its sharpest step: trimmed hashes and views of
        # earlier versions are computed again on the next scan.
        """
        UPDATE hashes SET trim_hash = NULL, trim_box = NULL;
        DELETE FROM views;
        """,
    ),
    (
        "alternates of --invariant and --crop",
        # The flipped, turned and centred-crop hashes of a scan with --invariant or --crop,
        # made from the decode that hashed the image (neardup.catalog.extras): a rescan
        # with those options decodes nothing. ``kind`` says which alternates, ``data`` is
        # the hashes one after the other.
        """
        CREATE TABLE alternates (
            file_id   INTEGER NOT NULL REFERENCES files (id) ON DELETE CASCADE,
            algorithm TEXT NOT NULL,
            hash_size INTEGER NOT NULL,
            mode      TEXT NOT NULL,
            kind      TEXT NOT NULL,
            size      INTEGER NOT NULL,
            mtime_ns  INTEGER NOT NULL,
            data      BLOB NOT NULL,
            PRIMARY KEY (file_id, algorithm, hash_size, mode, kind)
        ) WITHOUT ROWID;
        """,
    ),
    (
        "a canvas all round a picture",
        # Inside a picture found by its edges, a uniform canvas all round it is cut off too
        # (neardup.hashing.region.content_box). Only an image with a kept region can have
        # had its region found differently: its trimmed hash, views and alternates are
        # computed again on the next scan; an image without one keeps everything.
        _FORGET_KEPT_REGIONS,
    ),
    (
        "pictures on a plain canvas",
        # Where no picture bounded by straight edges is found, one lying on a plain canvas
        # is (neardup.hashing.canvas): an image without a kept region may have one now, so
        # every trimmed hash, view and alternate is computed again on the next scan.
        """
        UPDATE hashes SET trim_hash = NULL, trim_box = NULL;
        DELETE FROM views;
        DELETE FROM alternates;
        """,
    ),
    (
        "a container's margin inside a picture",
        # A picture found by its edges whose sides lie on a canvas block further in (a chat
        # bubble's margin) is cut to the block's sides: only an image with a kept region
        # can have had one, and only its trimmed hash, views and alternates are dropped.
        _FORGET_KEPT_REGIONS,
    ),
    (
        "verdicts of verification",
        # What verification decided for a pair compared one by one (the slow comparisons:
        # aligned frames, tiles), keyed by a digest of both images' views and of the
        # settings (neardup.pipeline.verify.verdict_key): a rescan does not compare again.
        # A changed image has other views, so other keys; nothing needs clearing.
        """
        CREATE TABLE verdicts (
            key       BLOB PRIMARY KEY,
            ok        INTEGER NOT NULL,
            made_at   REAL NOT NULL
        ) WITHOUT ROWID;
        """,
    ),
    (
        "pictures in a column of text, lines across a picture",
        # The picture search looks inside a panel of text when every rectangle it tried was
        # one (an image without a kept region may have one now), and no longer cuts a found
        # picture along a line with its own ground beyond it; the centred-crop hashes are
        # resized differently. Every trimmed hash, view and alternate is computed again on
        # the next scan; verdicts are keyed by the views, so the old ones are never asked.
        """
        UPDATE hashes SET trim_hash = NULL, trim_box = NULL;
        DELETE FROM views;
        DELETE FROM alternates;
        """,
    ),
)

#: The schema version of the last migration that dropped computed features (trimmed
#: hashes and boxes, views, alternates): it names what the margin and picture search, the
#: views and the alternates of this neardup compute. A Parquet hash store keeps it in each
#: row (:mod:`neardup.pipeline.hashstore`), so rows of an older search are computed again
#: there too. A migration that drops features raises it (a test checks).
FEATURES_VERSION: Final = 11
