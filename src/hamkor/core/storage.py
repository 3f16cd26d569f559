"""Where the bytes of stored files live: a seam with a local directory behind it.

``core.files`` checks, names and records files; a ``Storage`` only keeps bytes under a key (the
file's SHA-256). The local directory is the default; an S3-compatible store would be another
class with the same four methods, chosen in :func:`storage_for`, and no module would change.
None is written yet: one machine needs none, and DESIGN's "files on S3-compatible storage" is
for when app processes run on several machines.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import BinaryIO, Protocol

from hamkor.settings import Settings

_KEY = re.compile(r"[0-9a-f]{64}")


class Storage(Protocol):
    """Bytes under a key; a key holds the same bytes for ever (it is their SHA-256)."""

    def put(self, key: str, source: BinaryIO) -> None:
        """Keep everything ``source`` holds from its current position under ``key``, all or
        nothing: a reader never sees half a file."""

    def open(self, key: str) -> BinaryIO:
        """The bytes under ``key`` to read; ``FileNotFoundError`` when there are none."""

    def delete(self, key: str) -> None:
        """Forget ``key``; nothing happens when it holds nothing."""

    def exists(self, key: str) -> bool:
        """Whether ``key`` holds bytes."""


class LocalStorage:
    """A directory, two levels of hash prefixes deep (``ab/cd/abcd…``) so that no directory
    holds more than a few hundred entries even with millions of files."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        # Keys come from our own hashes; the check keeps any other string from naming a path.
        if not _KEY.fullmatch(key):
            raise ValueError("a storage key is a SHA-256 in lower-case hex")
        return self.root / key[:2] / key[2:4] / key

    def put(self, key: str, source: BinaryIO) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        # Written beside the target, then renamed over it: the rename is atomic.
        handle, partial = tempfile.mkstemp(dir=target.parent, prefix=".partial-")
        try:
            with os.fdopen(handle, "wb") as out:
                shutil.copyfileobj(source, out)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(partial, 0o640)
            os.replace(partial, target)
        except BaseException:
            Path(partial).unlink(missing_ok=True)
            raise

    def open(self, key: str) -> BinaryIO:
        return self._path(key).open("rb")

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()


def storage_for(settings: Settings) -> Storage:
    """The store the settings name (the only place that would choose another kind)."""
    return LocalStorage(settings.resolved_files_dir())
