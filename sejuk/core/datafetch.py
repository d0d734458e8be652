"""Download Sejuk's public data files from their pinned upstream commits.

The list of files lives in ``data_manifest.json`` next to this module: for each
file, where it goes under the data directory (``dest``), the upstream
repository, commit and path it comes from, and the SHA-256 and size of the
copy Sejuk was developed against. :func:`fetch` downloads every file that is
missing or differs, verifies it and only then moves it into place, so the data
directory never holds a partial or unverified file.

This module uses only the standard library and does not import Django, so it
can be used from scripts and tests without settings. ``sejuk data fetch`` (the
``data`` management command) is the command-line front end.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Literal
from urllib.parse import quote, urlsplit

MANIFEST_PATH = Path(__file__).with_name("data_manifest.json")
DEFAULT_BASE_URL = "https://github.com"
CHUNK_SIZE = 64 * 1024
USER_AGENT = "sejuk-data-fetch/1 (Python urllib)"

_REPO_RE = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_COMMIT_RE = re.compile(r"^[0-9a-f]{40}$")
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


class ManifestError(ValueError):
    """The manifest file is missing, not JSON, or has an invalid entry."""


class FetchError(Exception):
    """One file could not be downloaded or did not verify."""


@dataclass(frozen=True)
class ManifestEntry:
    dest: str
    repo: str | None
    commit: str | None
    path: str | None
    sha256: str
    bytes: int
    licence: str
    fetchable: bool
    note: str = ""

    def url(self, base_url: str = DEFAULT_BASE_URL) -> str:
        """The upstream URL, ``{base_url}/{repo}/raw/{commit}/{path}`` (path URL-encoded)."""
        if not (self.repo and self.commit and self.path):
            raise FetchError(f"{self.dest}: no upstream source in the manifest")
        return f"{base_url.rstrip('/')}/{self.repo}/raw/{self.commit}/{quote(self.path)}"


@dataclass(frozen=True)
class FetchFailure:
    dest: str
    url: str
    message: str


@dataclass
class FetchReport:
    """What :func:`fetch` did, file by file (``dest`` paths relative to the data dir)."""

    downloaded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    unfetchable: list[ManifestEntry] = field(default_factory=list)
    failed: list[FetchFailure] = field(default_factory=list)
    bytes_downloaded: int = 0

    @property
    def ok(self) -> bool:
        return not self.failed

    def summary(self) -> str:
        parts = [
            f"{len(self.downloaded)} downloaded ({_human_bytes(self.bytes_downloaded)})",
            f"{len(self.skipped)} already present",
            f"{len(self.unfetchable)} not fetchable",
            f"{len(self.failed)} failed",
        ]
        return ", ".join(parts)


@dataclass(frozen=True)
class ProgressEvent:
    """Passed to the ``progress`` callback of :func:`fetch`.

    ``kind`` is one of:

    - ``"skip"``: the file is already present and verified;
    - ``"unfetchable"``: the manifest marks the file as not downloadable;
    - ``"start"``: a download begins, ``total`` is the expected size in bytes;
    - ``"chunk"``: ``nbytes`` more bytes were received;
    - ``"done"``: the file was verified and moved into place;
    - ``"fail"``: the download failed, ``message`` says why.
    """

    kind: Literal["skip", "unfetchable", "start", "chunk", "done", "fail"]
    entry: ManifestEntry
    nbytes: int = 0
    total: int = 0
    message: str = ""


ProgressCallback = Callable[[ProgressEvent], None]


def load_manifest(path: Path | None = None) -> list[ManifestEntry]:
    """Read and validate the manifest (by default the one shipped with Sejuk)."""
    path = path or MANIFEST_PATH
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ManifestError(f"cannot read data manifest {path}: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise ManifestError(f"data manifest {path} is not valid JSON: {exc}") from exc
    if not isinstance(raw, list):
        raise ManifestError(f"data manifest {path} must be a JSON list of entries")
    entries: list[ManifestEntry] = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        entry = _parse_entry(item, where=f"{path} entry {i}")
        if entry.dest in seen:
            raise ManifestError(f"{path}: {entry.dest!r} is listed twice")
        seen.add(entry.dest)
        entries.append(entry)
    return entries


def _parse_entry(item: object, where: str) -> ManifestEntry:
    if not isinstance(item, dict):
        raise ManifestError(f"{where}: not a JSON object")

    def get(key: str, kinds: type | tuple[type, ...], required: bool = True):
        value = item.get(key)
        if value is None and not required:
            return None
        if not isinstance(value, kinds) or (isinstance(value, bool) and kinds is int):
            raise ManifestError(f"{where}: {key!r} is missing or has the wrong type")
        return value

    dest = get("dest", str)
    pure = PurePosixPath(dest)
    if pure.is_absolute() or not pure.parts or ".." in pure.parts or "\\" in dest:
        raise ManifestError(f"{where}: dest {dest!r} must be a relative path inside the data dir")
    fetchable = get("fetchable", bool)
    repo = get("repo", str, required=fetchable)
    commit = get("commit", str, required=fetchable)
    upstream_path = get("path", str, required=fetchable)
    sha256 = get("sha256", str)
    size = get("bytes", int)
    if repo is not None and not _REPO_RE.match(repo):
        raise ManifestError(f"{where}: repo {repo!r} is not OWNER/NAME")
    if commit is not None and not _COMMIT_RE.match(commit):
        raise ManifestError(f"{where}: commit {commit!r} is not a 40-hex commit id")
    if not _SHA256_RE.match(sha256):
        raise ManifestError(f"{where}: sha256 {sha256!r} is not 64 lowercase hex digits")
    if size < 0:
        raise ManifestError(f"{where}: bytes must not be negative")
    return ManifestEntry(
        dest=str(pure),
        repo=repo,
        commit=commit,
        path=upstream_path,
        sha256=sha256,
        bytes=size,
        licence=get("licence", str, required=False) or "",
        fetchable=fetchable,
        note=get("note", str, required=False) or "",
    )


def select(entries: Iterable[ManifestEntry], only: list[str] | None) -> list[ManifestEntry]:
    """Entries whose ``dest`` starts with one of the ``only`` prefixes (all if ``only`` is empty).

    Raises ``ValueError`` naming any prefix that matches nothing, so a typo in
    ``--only`` does not silently fetch nothing.
    """
    entries = list(entries)
    if not only:
        return entries
    prefixes = [p.strip().removeprefix("./") for p in only]
    unmatched = [p for p in prefixes if not any(e.dest.startswith(p) for e in entries)]
    if unmatched or any(not p for p in prefixes):
        bad = ", ".join(repr(p) for p in unmatched) or "''"
        raise ValueError(
            f"no data file matches {bad}; prefixes look like 'wilayah/', 'nlp/' or "
            "'toptw/instances/c101.txt'"
        )
    return [e for e in entries if any(e.dest.startswith(p) for p in prefixes)]


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def is_present(dest_dir: Path, entry: ManifestEntry) -> bool:
    """True if the file exists under ``dest_dir`` with the manifest's size and SHA-256."""
    target = dest_dir / entry.dest
    try:
        if not target.is_file() or target.stat().st_size != entry.bytes:
            return False
        return sha256_file(target) == entry.sha256
    except OSError:
        return False


def fetch(
    dest_dir: Path,
    base_url: str = DEFAULT_BASE_URL,
    only: list[str] | None = None,
    force: bool = False,
    progress: ProgressCallback | None = None,
    timeout: float = 60,
    *,
    manifest: list[ManifestEntry] | None = None,
) -> FetchReport:
    """Download the manifest's files into ``dest_dir``.

    Files already present with the right SHA-256 are skipped unless ``force``.
    Each download goes to a temporary file in the target's directory, is
    checked against the manifest's size and SHA-256, and only then replaces
    the target (``os.replace``); a file that fails verification is deleted.
    A failure does not stop the other files: it is recorded in the report's
    ``failed`` list. Raises ``ValueError`` for a bad ``base_url`` or an
    ``only`` prefix that matches nothing, and ``ManifestError`` for a broken
    manifest.
    """
    base_url = _check_base_url(base_url)
    entries = select(manifest if manifest is not None else load_manifest(), only)
    dest_dir = Path(dest_dir)
    notify = progress or (lambda event: None)
    report = FetchReport()
    mode = _default_file_mode()

    for entry in entries:
        if not entry.fetchable:
            report.unfetchable.append(entry)
            notify(ProgressEvent("unfetchable", entry, message=entry.note))
            continue
        if not force and is_present(dest_dir, entry):
            report.skipped.append(entry.dest)
            notify(ProgressEvent("skip", entry))
            continue
        url = entry.url(base_url)
        notify(ProgressEvent("start", entry, total=entry.bytes))
        try:
            _download(entry, url, dest_dir / entry.dest, timeout, mode, notify)
        except FetchError as exc:
            report.failed.append(FetchFailure(entry.dest, url, str(exc)))
            notify(ProgressEvent("fail", entry, message=str(exc)))
            continue
        report.downloaded.append(entry.dest)
        report.bytes_downloaded += entry.bytes
        notify(ProgressEvent("done", entry, total=entry.bytes))
    return report


def _check_base_url(base_url: str) -> str:
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"base URL {base_url!r} must be an http:// or https:// URL")
    return base_url.rstrip("/")


def _default_file_mode() -> int:
    # mkstemp creates files readable by the owner only; give the final file the
    # permissions an ordinary open() would, i.e. 0o666 minus the umask.
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _download(
    entry: ManifestEntry,
    url: str,
    target: Path,
    timeout: float,
    mode: int,
    notify: ProgressCallback,
) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".part", dir=target.parent
        )
    except OSError as exc:
        raise FetchError(f"{entry.dest}: cannot write into {target.parent}: {exc}") from exc
    tmp = Path(tmp_name)
    try:
        digest = hashlib.sha256()
        received = 0
        with os.fdopen(fd, "wb") as out:
            request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})  # noqa: S310
            try:
                # The scheme was checked by _check_base_url: http(s) only.
                with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                    while chunk := response.read(CHUNK_SIZE):
                        received += len(chunk)
                        if received > entry.bytes:
                            raise FetchError(
                                f"{entry.dest}: {url} sent more than the expected "
                                f"{entry.bytes} bytes"
                            )
                        digest.update(chunk)
                        out.write(chunk)
                        notify(ProgressEvent("chunk", entry, nbytes=len(chunk), total=entry.bytes))
            except urllib.error.HTTPError as exc:
                exc.close()
                raise FetchError(f"{entry.dest}: HTTP {exc.code} {exc.reason} for {url}") from exc
            except urllib.error.URLError as exc:
                if isinstance(exc.reason, TimeoutError):
                    raise FetchError(
                        f"{entry.dest}: timed out after {timeout:g} s fetching {url}"
                    ) from exc
                raise FetchError(f"{entry.dest}: cannot fetch {url}: {exc.reason}") from exc
            except TimeoutError as exc:
                raise FetchError(
                    f"{entry.dest}: timed out after {timeout:g} s fetching {url}"
                ) from exc
            except OSError as exc:  # connection reset, incomplete read, disk full ...
                raise FetchError(f"{entry.dest}: download of {url} failed: {exc}") from exc
            out.flush()
            os.fsync(out.fileno())
        if received != entry.bytes:
            raise FetchError(
                f"{entry.dest}: size mismatch from {url}: expected {entry.bytes} bytes, "
                f"got {received}"
            )
        got = digest.hexdigest()
        if got != entry.sha256:
            raise FetchError(
                f"{entry.dest}: sha256 mismatch from {url}: expected {entry.sha256}, got {got}"
            )
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise FetchError(f"{entry.dest}: cannot write {target}: {exc}") from exc
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _human_bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")
