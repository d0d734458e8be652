"""Fixtures for the monitoring tests.

* Every test starts with empty per-process caches (routing, gazetteer, claim
  matcher, classifier) and with ``SEJUK_MODEL_DIR`` pointing at an empty
  directory, so a model lying in ``var/`` never leaks in.
* ``with_model`` points ``SEJUK_MODEL_DIR`` at a small text model trained once
  per session on 2,000 rows of the real Ibrohim & Budi corpus.
* ``ingest_fixture`` ingests the hand-written posts in ``sejuk/monitoring/demo_data/posts.jsonl``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent / "data"
# The hand-written posts the demo also loads.
POSTS = Path(__file__).resolve().parents[2] / "sejuk" / "monitoring" / "demo_data" / "posts.jsonl"


@pytest.fixture(autouse=True)
def _fresh_caches(settings, tmp_path):
    from sejuk.monitoring import archive, classifier, placement
    from sejuk.reports import routing

    settings.SEJUK_MODEL_DIR = tmp_path / "no-models"
    for reset in (
        routing.clear_caches,
        placement.reset_cache,
        archive.reset_cache,
        classifier.reset_cache,
    ):
        reset()
    yield
    for reset in (
        routing.clear_caches,
        placement.reset_cache,
        archive.reset_cache,
        classifier.reset_cache,
    ):
        reset()


@pytest.fixture(scope="session")
def trained_model_dir(tmp_path_factory, data) -> Path:
    textclass = pytest.importorskip("sejuk.analytics.textclass")
    if not hasattr(textclass, "train_model"):
        pytest.skip("the textclass library has no train_model yet")
    base = tmp_path_factory.mktemp("models")
    # refit=False: half the training time, a slightly weaker model; enough for tests.
    clf = textclass.train_model(data / "nlp" / "ibrohim2019", limit=2000, seed=0, refit=False)
    clf.save(base / "textclass")
    return base


@pytest.fixture
def with_model(settings, trained_model_dir, db):
    from sejuk.monitoring import classifier

    settings.SEJUK_MODEL_DIR = trained_model_dir
    classifier.reset_cache()
    assert classifier.get_classifier() is not None, "the trained model did not load"
    return trained_model_dir


@pytest.fixture
def ingest_fixture(db):
    from sejuk.monitoring import actions
    from sejuk.monitoring.ingest import parse_jsonl

    def run(path: Path = POSTS, source: str = "test"):
        with path.open("rb") as fh:
            return actions.ingest(parse_jsonl(fh), source=source)

    return run


@pytest.fixture
def seed_claims(db, data):
    from sejuk.analytics.claims import read_claims_csv, read_pratiwi
    from sejuk.monitoring.archive import import_claims

    import_claims(read_pratiwi(data / "nlp" / "pratiwi-hoax").claims, label="seed")
    import_claims(read_claims_csv(DATA / "claims.csv").claims, label="fixture")
