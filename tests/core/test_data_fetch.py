"""`sejuk data fetch` against a real local HTTP server that mimics github.com/OWNER/REPO/raw/...

The server serves, from a temporary directory, symlinks to the real files in
the shared data dir (SEJUK_DATA_DIR, else /work/shared/data), laid out as
OWNER/REPO/raw/COMMIT/PATH. No test touches the internet or the database.
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
import socket
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from sejuk.core import datafetch

SHARED = Path(os.environ.get("SEJUK_DATA_DIR") or "/work/shared/data")

# Boundaries (10 files), the hoax corpus (whose upstream name has spaces, plus a
# non-fetchable readme) and one small file of the ibrohim2019 corpus.
ONLY = ["wilayah/boundaries/", "nlp/pratiwi-hoax/", "nlp/ibrohim2019/abusive.csv"]
SPACED = "nlp/pratiwi-hoax/600_news_with_valid_hoax_label.csv"
CORRUPTED = "wilayah/boundaries/kel/wilayah_boundaries_kel_31.71.sql"
NLP = ["nlp/pratiwi-hoax/", "nlp/ibrohim2019/abusive.csv"]  # the served nlp/ files

needs_shared = pytest.mark.skipif(
    not (SHARED / "wilayah" / "boundaries").is_dir(),
    reason=f"shared data dir {SHARED} is not available",
)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _selected() -> list[datafetch.ManifestEntry]:
    return datafetch.select(datafetch.load_manifest(), ONLY)


def _fetchable() -> list[datafetch.ManifestEntry]:
    return [e for e in _selected() if e.fetchable]


def _by_dest() -> dict[str, datafetch.ManifestEntry]:
    return {e.dest: e for e in datafetch.load_manifest()}


class FakeGitHub:
    """A ThreadingHTTPServer on 127.0.0.1 serving OWNER/REPO/raw/COMMIT/PATH from a temp dir."""

    def __init__(self, root: Path):
        self.root = root
        self.requests: list[str] = []
        lock = threading.Lock()
        requests = self.requests

        class Handler(SimpleHTTPRequestHandler):
            def do_GET(self):
                with lock:
                    requests.append(self.path)
                super().do_GET()

            def log_message(self, format, *args):
                pass

        self.server = ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(Handler, directory=str(root))
        )
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def upstream_file(self, entry: datafetch.ManifestEntry) -> Path:
        return self.root / entry.repo / "raw" / entry.commit / entry.path

    def publish(self, entry: datafetch.ManifestEntry) -> None:
        target = self.upstream_file(entry)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(SHARED / entry.dest)

    def corrupt(self, dest: str) -> bytes:
        """Serve a copy of `dest` with one byte changed; returns the served bytes."""
        entry = _by_dest()[dest]
        path = self.upstream_file(entry)
        data = bytearray((SHARED / dest).read_bytes())
        data[len(data) // 2] ^= 0x01
        path.unlink()
        path.write_bytes(bytes(data))
        return bytes(data)

    def remove(self, dest: str) -> str:
        """Stop serving `dest` (the server then answers 404); returns its URL."""
        entry = _by_dest()[dest]
        self.upstream_file(entry).unlink()
        return entry.url(self.base_url)

    def start(self):
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    # urllib honours *_proxy variables; the fake server is on loopback.
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("ALL_PROXY", raising=False)
    monkeypatch.delenv("SEJUK_DATA_BASE_URL", raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


@pytest.fixture
def github(tmp_path):
    if not (SHARED / "wilayah" / "boundaries").is_dir():
        pytest.skip(f"shared data dir {SHARED} is not available")
    server = FakeGitHub(tmp_path / "upstream")
    for entry in _fetchable():
        server.publish(entry)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def dest(tmp_path) -> Path:
    return tmp_path / "data"


def _leftovers(directory: Path) -> list[Path]:
    return [p for p in directory.rglob("*") if p.name.endswith(".part") or p.name.startswith(".")]


# --- the manifest ---------------------------------------------------------------------------


@needs_shared
def test_manifest_lists_every_shared_file_with_its_hash():
    manifest = datafetch.load_manifest()
    on_disk = {p.relative_to(SHARED).as_posix() for p in SHARED.rglob("*") if p.is_file()} - {
        "README.md"
    }
    assert {e.dest for e in manifest} == on_disk
    for entry in manifest:
        local = SHARED / entry.dest
        assert local.stat().st_size == entry.bytes, entry.dest
        assert _sha256(local) == entry.sha256, entry.dest
        if entry.fetchable:
            assert entry.repo and entry.commit and entry.path, entry.dest
        else:
            assert entry.note, f"{entry.dest}: a non-fetchable file must say why"


def test_url_is_github_raw_with_quoted_path():
    entry = _by_dest()[SPACED]
    assert entry.url() == (
        "https://github.com/svmihar/indo-hoax-dataset/raw/"
        "308ff68e4e51e536c2221fe51eb271e5ac1c443a/data/600%20news%20with%20valid%20hoax%20label.csv"
    )


def test_manifest_rejects_paths_outside_the_data_dir(tmp_path):
    bad = tmp_path / "manifest.json"
    bad.write_text(
        '[{"dest": "../evil", "repo": "a/b", "commit": "' + "0" * 40 + '", "path": "x",'
        ' "sha256": "' + "0" * 64 + '", "bytes": 1, "licence": "MIT", "fetchable": true}]'
    )
    with pytest.raises(datafetch.ManifestError, match="relative path inside"):
        datafetch.load_manifest(bad)


# --- the library ----------------------------------------------------------------------------


def test_fetch_into_empty_dir_downloads_and_verifies(github, dest):
    report = datafetch.fetch(dest, base_url=github.base_url, only=ONLY)

    expected = {e.dest for e in _fetchable()}
    assert len(expected) >= 12
    assert report.failed == []
    assert set(report.downloaded) == expected
    assert report.skipped == []
    assert [e.dest for e in report.unfetchable] == ["nlp/pratiwi-hoax/Readme.txt"]
    assert not (dest / "nlp/pratiwi-hoax/Readme.txt").exists()
    for name in expected:
        assert (dest / name).read_bytes() == (SHARED / name).read_bytes(), name
    assert report.bytes_downloaded == sum(e.bytes for e in _fetchable())
    # One request per file, and the name with spaces was requested URL-encoded.
    assert len(github.requests) == len(expected)
    assert any(
        r.endswith("/data/600%20news%20with%20valid%20hoax%20label.csv") for r in github.requests
    )
    assert _leftovers(dest) == []


def test_second_fetch_skips_everything_and_force_downloads_again(github, dest):
    first = datafetch.fetch(dest, base_url=github.base_url, only=ONLY)
    requests_after_first = len(github.requests)
    assert requests_after_first == len(first.downloaded) > 0

    second = datafetch.fetch(dest, base_url=github.base_url, only=ONLY)
    assert second.downloaded == []
    assert set(second.skipped) == set(first.downloaded)
    assert second.failed == []
    assert len(github.requests) == requests_after_first  # nothing re-downloaded

    forced = datafetch.fetch(dest, base_url=github.base_url, only=ONLY, force=True)
    assert set(forced.downloaded) == set(first.downloaded)
    assert len(github.requests) == 2 * requests_after_first


def test_a_stale_local_file_is_replaced(github, dest):
    stale = dest / CORRUPTED
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"not the real file")
    report = datafetch.fetch(dest, base_url=github.base_url, only=[CORRUPTED])
    assert report.downloaded == [CORRUPTED]
    assert stale.read_bytes() == (SHARED / CORRUPTED).read_bytes()


def test_corrupted_download_is_a_hash_error_and_leaves_no_file(github, dest):
    served = github.corrupt(CORRUPTED)
    report = datafetch.fetch(dest, base_url=github.base_url, only=["wilayah/boundaries/"])

    assert [f.dest for f in report.failed] == [CORRUPTED]
    message = report.failed[0].message
    entry = _by_dest()[CORRUPTED]
    assert CORRUPTED in message
    assert "sha256 mismatch" in message
    assert entry.sha256 in message
    assert hashlib.sha256(served).hexdigest() in message
    assert not (dest / CORRUPTED).exists()
    assert _leftovers(dest) == []
    # The other boundary files were still fetched.
    assert (
        len(report.downloaded) == len(datafetch.select(_fetchable(), ["wilayah/boundaries/"])) - 1
    )


def test_corrupted_download_never_replaces_an_existing_file(github, dest):
    datafetch.fetch(dest, base_url=github.base_url, only=[CORRUPTED])
    good = (dest / CORRUPTED).read_bytes()
    github.corrupt(CORRUPTED)
    report = datafetch.fetch(dest, base_url=github.base_url, only=[CORRUPTED], force=True)
    assert [f.dest for f in report.failed] == [CORRUPTED]
    assert (dest / CORRUPTED).read_bytes() == good
    assert _leftovers(dest) == []


def test_truncated_download_is_a_size_error(github, dest):
    entry = _by_dest()[CORRUPTED]
    path = github.upstream_file(entry)
    data = path.read_bytes()
    path.unlink()
    path.write_bytes(data[:-10])
    report = datafetch.fetch(dest, base_url=github.base_url, only=[CORRUPTED])
    assert "size mismatch" in report.failed[0].message
    assert f"expected {entry.bytes} bytes, got {entry.bytes - 10}" in report.failed[0].message
    assert not (dest / CORRUPTED).exists()


def test_404_names_the_url_and_other_files_still_arrive(github, dest):
    url = github.remove(SPACED)
    report = datafetch.fetch(dest, base_url=github.base_url, only=NLP)

    assert len(report.failed) == 1
    failure = report.failed[0]
    assert failure.dest == SPACED
    assert failure.url == url
    assert "HTTP 404" in failure.message
    assert url in failure.message
    assert "%20" in url
    assert not (dest / SPACED).exists()
    assert report.downloaded == ["nlp/ibrohim2019/abusive.csv"]
    assert _leftovers(dest) == []


def test_only_filters_by_dest_prefix(github, dest):
    report = datafetch.fetch(dest, base_url=github.base_url, only=NLP)
    assert set(report.downloaded) == {"nlp/ibrohim2019/abusive.csv", SPACED}
    assert not (dest / "wilayah").exists()
    assert all(r.startswith(("/okkyibrohim/", "/svmihar/")) for r in github.requests)

    with pytest.raises(ValueError, match="no data file matches 'nope/'"):
        datafetch.fetch(dest, base_url=github.base_url, only=["nope/"])


def test_timeout_names_the_url(dest):
    # A listening socket that never answers: the connection is accepted by the
    # kernel, then the read times out.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        base_url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        report = datafetch.fetch(dest, base_url=base_url, only=[CORRUPTED], timeout=0.3)
    assert len(report.failed) == 1
    assert "timed out" in report.failed[0].message
    assert report.failed[0].url in report.failed[0].message
    assert not (dest / CORRUPTED).exists()


def test_bad_base_url_is_rejected(dest):
    with pytest.raises(ValueError, match="http"):
        datafetch.fetch(dest, base_url="file:///etc", only=["nlp/"])


def test_progress_events(github, dest):
    events: list[datafetch.ProgressEvent] = []
    datafetch.fetch(
        dest, base_url=github.base_url, only=["nlp/pratiwi-hoax/"], progress=events.append
    )
    kinds = [e.kind for e in events if e.kind != "chunk"]
    assert kinds == ["start", "done", "unfetchable"]
    assert sum(e.nbytes for e in events if e.kind == "chunk") == _by_dest()[SPACED].bytes


# --- the management command -----------------------------------------------------------------


def _call(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("data", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_command_fetches_then_skips(github, dest):
    out, err = _call(
        "fetch", "--dest", str(dest), "--base-url", github.base_url, "--only", "wilayah/boundaries/"
    )
    n = len(datafetch.select(_fetchable(), ["wilayah/boundaries/"]))
    assert f"{n} downloaded" in out
    assert "0 failed" in out
    assert out.count("\n") == 1  # a one-line summary on stdout
    assert (dest / CORRUPTED).read_bytes() == (SHARED / CORRUPTED).read_bytes()

    out, _ = _call(
        "fetch", "--dest", str(dest), "--base-url", github.base_url, "--only", "wilayah/boundaries/"
    )
    assert "0 downloaded" in out and f"{n} already present" in out
    assert len(github.requests) == n


def test_command_reports_failure_with_command_error(github, dest):
    github.corrupt(CORRUPTED)
    with pytest.raises(CommandError, match="sha256 mismatch") as excinfo:
        _call("fetch", "--dest", str(dest), "--base-url", github.base_url, "--only", CORRUPTED)
    assert "\n" not in str(excinfo.value)
    assert not (dest / CORRUPTED).exists()


def test_command_rejects_unknown_prefix(github, dest):
    with pytest.raises(CommandError, match="no data file matches"):
        _call("fetch", "--dest", str(dest), "--base-url", github.base_url, "--only", "nope/")


def test_command_defaults_from_settings_and_environment(github, tmp_path, monkeypatch):
    data_dir = tmp_path / "from-settings"
    monkeypatch.setenv("SEJUK_DATA_BASE_URL", github.base_url)
    with override_settings(SEJUK_DATA_DIR=data_dir):
        out, err = _call("fetch", "--only", NLP[0], "--only", NLP[1])
    assert "2 downloaded" in out
    assert (data_dir / SPACED).read_bytes() == (SHARED / SPACED).read_bytes()
    assert "not fetchable, skipped nlp/pratiwi-hoax/Readme.txt" in err

    state = tmp_path / "state"
    with override_settings(SEJUK_DATA_DIR=None, STATE_DIR=state):
        _call("fetch", "--only", "nlp/ibrohim2019/abusive.csv")
    assert (state / "data" / "nlp/ibrohim2019/abusive.csv").is_file()


def test_select_by_prefix():
    manifest = datafetch.load_manifest()
    nlp = datafetch.select(manifest, ["nlp/"])
    assert nlp and all(e.dest.startswith("nlp/") for e in nlp)
    assert {e.dest for e in nlp} == {e.dest for e in manifest if e.dest.startswith("nlp/")}
    both = datafetch.select(manifest, ["nlp/", "wilayah/"])
    assert {e.dest.split("/")[0] for e in both} == {"nlp", "wilayah"}
    assert datafetch.select(manifest, None) == manifest
