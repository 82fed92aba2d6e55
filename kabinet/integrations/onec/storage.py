"""The files of one 1C exchange session, kept in a private directory (never served).

1C uploads each file in chunks (`mode=file`, appended here), possibly as a zip archive, and
then asks for it to be imported. Names come from 1C's `filename` parameter and from archive
entries, so both are checked the same way (R11): relative, no `..`, no drive letters, plain
characters; archives also have a cap on entries and on unpacked bytes, counted while
unpacking rather than trusted from the archive's header, and no symbolic links (R12).
"""

import json
import re
import shutil
import stat
import time
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

COPY_CHUNK = 1024 * 1024
_NAME_PART = re.compile(r"^[\w][\w .\-]*$")
MAX_NAME_LENGTH = 200
MAX_DEPTH = 6
STATE_FILE = ".state.json"
MEMORY_FILE = "catalog-memory.json"
# Sessions whose files were last touched longer ago than this are removed at the next sign-in.
STALE_SECONDS = 2 * 24 * 3600


class StorageError(Exception):
    """A name or a file that is refused; the message is for 1C's log."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def root() -> Path:
    return Path(getattr(settings, "ONEC_EXCHANGE_DIR", settings.VAR_DIR / "onec"))


def safe_name(name: str) -> PurePosixPath:
    """The relative path a 1C file name or an archive entry stands for, or StorageError."""
    cleaned = name.replace("\\", "/").strip()
    path = PurePosixPath(cleaned)
    if (
        not cleaned
        or len(cleaned) > MAX_NAME_LENGTH
        or path.is_absolute()
        or ":" in cleaned
        or len(path.parts) > MAX_DEPTH
        or any(part in {"", ".", ".."} or not _NAME_PART.match(part) for part in path.parts)
    ):
        raise StorageError(_("The file name %(name)s is not allowed.") % {"name": name[:100]})
    return path


class ExchangeFiles:
    """One session's directory: VAR_DIR/onec/<integration>/<session>/."""

    def __init__(self, integration_id: int, session: str) -> None:
        if not re.fullmatch(r"[0-9a-f]{16,64}", session):
            raise StorageError(_("Unknown exchange session."), status=401)
        self.integration_dir = root() / str(integration_id)
        self.directory = self.integration_dir / session

    def path(self, name: str) -> Path:
        return self.directory / safe_name(name)

    def reset(self) -> None:
        """`mode=init`: a new exchange starts from an empty directory."""
        shutil.rmtree(self.directory, ignore_errors=True)
        self.directory.mkdir(parents=True, exist_ok=True)

    def remove_stale(self) -> None:
        if not self.integration_dir.is_dir():
            return
        limit = time.time() - STALE_SECONDS
        for directory in self.integration_dir.iterdir():
            if (
                directory.is_dir()
                and directory != self.directory
                and directory.stat().st_mtime < limit
            ):
                shutil.rmtree(directory, ignore_errors=True)

    def append(self, name: str, stream: Any, *, length: int | None) -> int:
        """Append one chunk of the request body to the file; its size after."""
        limit = int(settings.ONEC_FILE_LIMIT)
        if length is not None and length > limit:
            raise StorageError(
                _("A chunk is larger than file_limit (%(limit)d bytes).") % {"limit": limit},
                status=413,
            )
        target = self.path(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        total_cap = int(settings.ONEC_MAX_FILE_BYTES)
        size = target.stat().st_size if target.exists() else 0
        read = 0
        with target.open("ab") as file:
            while True:
                chunk = stream.read(COPY_CHUNK)
                if not chunk:
                    break
                read += len(chunk)
                size += len(chunk)
                if read > limit or size > total_cap:
                    file.truncate(size - read)
                    raise StorageError(
                        _("The file %(name)s is larger than allowed.") % {"name": name[:100]},
                        status=413,
                    )
                file.write(chunk)
        return size

    def unpack_archives(self) -> list[str]:
        """Unpack every uploaded .zip (then delete it); the names of the files it held."""
        names: list[str] = []
        if not self.directory.is_dir():
            return names
        for archive in sorted(self.directory.glob("*.zip")):
            try:
                names.extend(self._unpack(archive))
            finally:
                archive.unlink(missing_ok=True)
        return names

    def _unpack(self, archive: Path) -> list[str]:
        max_entries = int(settings.ONEC_ZIP_MAX_ENTRIES)
        max_bytes = int(settings.ONEC_ZIP_MAX_BYTES)
        try:
            bundle = zipfile.ZipFile(archive)
        except zipfile.BadZipFile as error:
            raise StorageError(
                _("%(name)s is not a zip archive.") % {"name": archive.name}
            ) from error
        with bundle:
            entries = [info for info in bundle.infolist() if not info.is_dir()]
            if len(entries) > max_entries:
                raise StorageError(
                    _("The archive has more than %(count)d files.") % {"count": max_entries},
                    status=413,
                )
            if sum(info.file_size for info in entries) > max_bytes:
                raise StorageError(_("The archive unpacks to more than allowed."), status=413)
            targets = []
            for info in entries:
                if stat.S_ISLNK(info.external_attr >> 16):
                    raise StorageError(
                        _("The archive holds a symbolic link: %(name)s.")
                        % {"name": info.filename[:100]}
                    )
                targets.append((info, self.directory / safe_name(info.filename)))
            written = 0
            done: list[str] = []
            try:
                for info, target in targets:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    entry_bytes = 0
                    with bundle.open(info) as source, target.open("wb") as out:
                        while chunk := source.read(COPY_CHUNK):
                            entry_bytes += len(chunk)
                            written += len(chunk)
                            # The header's sizes may lie: count what really comes out.
                            if entry_bytes > info.file_size or written > max_bytes:
                                raise StorageError(
                                    _("The archive unpacks to more than allowed."), status=413
                                )
                            out.write(chunk)
                    done.append(str(PurePosixPath(*target.relative_to(self.directory).parts)))
            except (StorageError, zipfile.BadZipFile, OSError, EOFError) as error:
                for _info, target in targets:
                    target.unlink(missing_ok=True)
                if isinstance(error, StorageError):
                    raise
                raise StorageError(
                    _("%(name)s is damaged: %(error)s") % {"name": archive.name, "error": error}
                ) from error
        return done

    # --- the session's state (import progress, the last orders query) --------------------

    def state(self) -> dict[str, Any]:
        try:
            loaded = json.loads((self.directory / STATE_FILE).read_text())
        except (FileNotFoundError, ValueError):
            return {}
        return loaded if isinstance(loaded, dict) else {}

    def save_state(self, state: dict[str, Any]) -> None:
        _write_json(self.directory / STATE_FILE, state)

    # --- what outlives a session: a changes-only package names price types, properties and
    # products by ids an earlier full exchange described -----------------------------------

    def memory(self) -> dict[str, Any]:
        try:
            loaded = json.loads((self.integration_dir / MEMORY_FILE).read_text())
        except (FileNotFoundError, ValueError):
            return {}
        return loaded if isinstance(loaded, dict) else {}

    def save_memory(self, memory: dict[str, Any]) -> None:
        _write_json(self.integration_dir / MEMORY_FILE, memory)


def _write_json(path: Path, value: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(value, ensure_ascii=False))
    temporary.replace(path)
