"""Finding image files under the paths a user gives.

Rules (documented in docs/usage.md): files are chosen by image extension; hidden files
and folders (name starting with ``.``) are skipped unless ``hidden=True`` or named
explicitly; symbolic links are never followed (a link is reported as skipped), so a
scan cannot leave the tree it was given or loop; ``exclude`` globs match a file or
folder name or its path relative to the root it was found under.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from fnmatch import fnmatch

from neardup.errors import UsageError
from neardup.hashing.formats import is_image_name, special_file
from neardup.model import Discovery, Skipped, is_url, natural_key


def _excluded(name: str, rel: str, patterns: Sequence[str]) -> bool:
    return any(fnmatch(name, pat) or fnmatch(rel, pat) for pat in patterns)


def discover(
    paths: Iterable[str | os.PathLike[str]],
    *,
    recursive: bool = True,
    exclude: Sequence[str] = (),
    hidden: bool = False,
) -> Discovery:
    """Walk ``paths`` and collect image files.

    Raises:
        UsageError: a given path does not exist.
    """
    found = Discovery()
    seen: set[str] = set()

    def add_file(path: str) -> None:
        found.files_seen += 1
        if not is_image_name(path):
            found.ignored += 1
        elif path not in seen:
            seen.add(path)
            found.images.append(path)

    for given in paths:
        if is_url(os.fspath(given)):
            from neardup.pipeline.remote import discover_url  # fsspec is optional

            sub = discover_url(
                os.fspath(given), recursive=recursive, exclude=exclude, hidden=hidden
            )
            found.files_seen += sub.files_seen
            found.ignored += sub.ignored
            found.skipped.extend(sub.skipped)
            for url in sub.images:
                if url not in seen:
                    seen.add(url)
                    found.images.append(url)
            continue
        root = os.path.abspath(os.fspath(given))
        if not os.path.lexists(root):
            raise UsageError(f"no such file or folder: {given}")
        if os.path.isdir(root) and not os.path.islink(root):
            _walk(root, root, recursive, exclude, hidden, found, add_file)
        elif os.path.islink(root):
            found.files_seen += 1
            found.skipped.append(Skipped(root, "symlink", "symbolic link, not followed"))
        else:
            kind = _special(root)
            if kind is None:
                add_file(root)
            else:
                found.files_seen += 1
                found.skipped.append(Skipped(root, "not-a-file", f"not a regular file ({kind})"))
    found.images.sort(key=natural_key)
    return found


def _special(path: str) -> str | None:
    try:
        return special_file(os.stat(path).st_mode)
    except OSError:
        return None  # hashing reports it


def _walk(
    root: str,
    folder: str,
    recursive: bool,
    exclude: Sequence[str],
    hidden: bool,
    found: Discovery,
    add_file: Callable[[str], None],
) -> None:
    stack = [folder]
    while stack:
        current = stack.pop()
        try:
            with os.scandir(current) as it:
                entries = sorted(it, key=lambda e: natural_key(e.name))
        except OSError as exc:
            found.skipped.append(Skipped(current, "unreadable", exc.strerror or str(exc)))
            continue
        subdirs: list[str] = []
        for entry in entries:
            if not hidden and entry.name.startswith("."):
                continue
            rel = os.path.relpath(entry.path, root)
            if exclude and _excluded(entry.name, rel, exclude):
                continue
            try:
                if entry.is_symlink():
                    if is_image_name(entry.name) or entry.is_dir():
                        found.files_seen += 1
                        found.skipped.append(
                            Skipped(entry.path, "symlink", "symbolic link, not followed")
                        )
                    continue
                if entry.is_dir(follow_symlinks=False):
                    if recursive:
                        subdirs.append(entry.path)
                elif entry.is_file(follow_symlinks=False):
                    add_file(entry.path)
                elif is_image_name(entry.name):  # a FIFO, socket or device named like one
                    kind = special_file(entry.stat(follow_symlinks=False).st_mode)
                    found.files_seen += 1
                    found.skipped.append(
                        Skipped(entry.path, "not-a-file", f"not a regular file ({kind})")
                    )
            except OSError as exc:
                found.skipped.append(Skipped(entry.path, "unreadable", exc.strerror or str(exc)))
        stack.extend(reversed(subdirs))
