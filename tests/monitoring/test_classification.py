"""The text model in the pipeline and as the triage hook of citizen reports."""

from __future__ import annotations

import pytest

from sejuk.monitoring import classifier
from sejuk.monitoring.models import Post
from sejuk.monitoring.triage import classify

SARA_TEXT = (
    "Dasar kafir cina laknat, usir saja mereka dari kampung kita, jangan pilih pemimpin kafir"
)
CALM_TEXT = "Warga Galur diimbau datang ke TPS pukul tujuh pagi dan membawa KTP elektronik"


def test_without_a_model_posts_stay_unclassified(ingest_fixture):
    result = ingest_fixture()
    assert result.classified == 0
    assert not Post.objects.filter(classified_at__isnull=False).exists()
    assert classifier.get_classifier() is None


def test_without_a_model_the_triage_hook_answers_with_the_rules(db):
    out = classify("Ada tawuran sekarang di Jalan Topaz, massa lempar batu", "crowd")
    assert out["urgency"] == "urgent" and out["score"] is None
    assert out["reason"].startswith("rules (no text model)")
    assert classify(CALM_TEXT, "other")["urgency"] == "normal"


def test_with_a_model_ingestion_classifies_in_one_batch(with_model, ingest_fixture):
    result = ingest_fixture()
    assert result.classified == 24
    post = Post.objects.get(external_id="3003")
    assert post.classified_at is not None
    assert set(post.scores) >= {"hate_speech", "abusive"}
    assert all(0.0 <= v <= 1.0 for v in post.scores.values())
    # Copies take their original's scores (classified once).
    first, copy = Post.objects.get(external_id="1001"), Post.objects.get(external_id="1002")
    assert copy.scores == first.scores


def test_posts_stored_before_the_model_are_classified_later(
    settings, ingest_fixture, trained_model_dir
):
    from django.core.management import call_command

    ingest_fixture()
    settings.SEJUK_MODEL_DIR = trained_model_dir
    classifier.reset_cache()
    call_command("monitoring", "classify")
    assert not Post.objects.filter(classified_at__isnull=True).exists()


def test_the_triage_hook_scores_report_texts_with_the_model(with_model):
    sara, calm = classify(SARA_TEXT, "sara"), classify(CALM_TEXT, "other")
    assert sara["urgency"] == "urgent" and sara["category"] == "sara"
    assert sara["reason"].startswith("text model: SARA hate speech")
    assert calm["urgency"] == "normal" and calm["category"] is None
    assert classifier.sara_score(
        classifier.classify_texts([SARA_TEXT])[0].scores
    ) > classifier.sara_score(classifier.classify_texts([CALM_TEXT])[0].scores)


def test_the_hook_plugs_into_report_intake(with_model, settings, monkeypatch):
    from sejuk.reports import triage
    from sejuk.reports.actions import ReportInput, create_report

    settings.SEJUK_TRIAGE_CLASSIFIER = "sejuk.monitoring.triage.classify"
    triage._classifier.cache_clear()
    seen = []
    original = classify

    def spy(text, category):
        out = original(text, category)
        seen.append(out)
        return out

    monkeypatch.setattr("sejuk.monitoring.triage.classify", spy)
    triage._classifier.cache_clear()
    report = create_report(
        ReportInput(category="sara", description=SARA_TEXT, lat=-6.1762, lon=106.8554)
    )
    triage._classifier.cache_clear()
    assert seen and seen[0]["reason"].startswith("text model")
    # The rules alone leave this report normal (no crowd, no violence words).
    assert triage.rules(SARA_TEXT, "sara").urgency == "normal"
    assert report.urgency == "urgent"
    assert report.urgency_reason.startswith("text model: SARA hate speech")


@pytest.mark.parametrize("missing", ["nothing-here"])
def test_a_broken_model_dir_means_no_model(settings, tmp_path, missing, db):
    broken = tmp_path / "models" / "textclass"
    broken.mkdir(parents=True)
    (broken / "model.bin").write_bytes(b"not a model")
    settings.SEJUK_MODEL_DIR = tmp_path / "models"
    classifier.reset_cache()
    assert classifier.get_classifier() is None
