"""``sejuk nlp train|classify|evaluate`` on slices of the real corpus."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import BytesIO, StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from sejuk.analytics.textclass import LABELS


@pytest.fixture(scope="module")
def model_dir(data: Path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("nlp") / "model"
    stdout = StringIO()
    call_command(
        "nlp",
        "train",
        "--data",
        str(data),
        "--out",
        str(out),
        "--limit",
        "2500",
        "--no-refit",
        stdout=stdout,
        stderr=StringIO(),
    )
    summary = json.loads(stdout.getvalue())
    assert summary["model"] == str(out) and summary["rows"] > 2400
    assert set(summary["heldout"]) == {"hate_speech", "abusive", "sara"}
    return out


def classify(model_dir: Path, payload: bytes, *extra: str) -> tuple[list[dict], str | None]:
    out = StringIO()
    error = None
    try:
        call_command(
            "nlp", "classify", "--model", str(model_dir), *extra, stdin=BytesIO(payload), stdout=out
        )
    except CommandError as exc:
        error = str(exc)
    return [json.loads(line) for line in out.getvalue().splitlines()], error


def test_train_writes_a_model_card_with_source_licence_metrics_and_time(model_dir):
    card = json.loads((model_dir / "card.json").read_text())
    assert card["data"]["licence"] == "CC BY-NC-SA 4.0"
    assert "be98de98e974b65838d2b5145ee2c89e9bf53a6b" in card["data"]["source"]
    assert card["data"]["limit"] == 2500 and card["training"]["seed"] == 0
    assert card["training"]["seconds"] > 0
    assert set(card["metrics"]["heldout"]) == set(LABELS)
    assert card["thresholds"] == json.loads((model_dir / "thresholds.json").read_text())


def test_classify_answers_every_line_in_order(model_dir):
    lines = [
        {"id": "a", "text": "Dasar cebong goblok, otaknya di dengkul!"},
        {"id": 2, "text": "Ayo datang ke TPS, gunakan hak pilihmu dengan bijak."},
        {"id": "c", "text": ""},
    ]
    payload = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines).encode()
    results, error = classify(model_dir, payload, "--batch", "2")
    assert error is None
    assert [r["id"] for r in results] == ["a", 2, "c"]
    for r in results:
        assert set(r) == {"id", "scores", "labels"} and tuple(r["scores"]) == LABELS
    assert {"hate_speech", "abusive"} <= set(results[0]["labels"])
    assert results[1]["labels"] == []


def test_classify_gives_bad_lines_an_error_line_and_still_runs_the_rest(model_dir):
    huge = json.dumps({"id": "huge", "text": "kata " * 210_000}).encode()  # ~1 MB text
    payload = (
        b"\n".join(
            [
                b'{"id": 1, "text": "Gubernur bangsat, kerjanya cuma korupsi!"}',
                b"",
                b'{"id": "latin1", "text": "caf\xe9 bangsat"}',
                huge,
                b'{"id": 5}',
                b'{"text": "tanpa id"}',
                b'{"id": true, "text": "x"}',
                b'{"id": 8, "text": ["bukan", "teks"]}',
                b'["id", "text"]',
                b"{not json",
                b'{"id": "last", "text": "Selamat pagi warga Galur"}',
            ]
        )
        + b"\n"
    )
    results, error = classify(model_dir, payload)
    assert len(results) == 11  # one output line per input line: nothing is lost
    assert results[0]["id"] == 1 and "scores" in results[0]
    assert results[-1]["id"] == "last" and "scores" in results[-1]
    errors = {r["line"]: r for r in results if "error" in r}
    assert sorted(errors) == list(range(2, 11))
    assert errors[2]["error"] == "empty line"
    assert errors[3]["id"] == "latin1" and "not valid UTF-8" in errors[3]["error"]
    assert errors[4]["id"] == "huge" and "too long (the text limit is 100,000" in errors[4]["error"]
    assert errors[5]["id"] == 5 and errors[5]["error"] == 'missing field "text"'
    assert errors[6]["error"] == 'missing field "id"'
    assert "must be a string or an integer, got boolean" in errors[7]["error"]
    assert errors[8]["id"] == 8 and "got array" in errors[8]["error"]
    assert "expected a JSON object" in errors[9]["error"]
    assert "not JSON" in errors[10]["error"]
    assert error is not None and "9 of 11 line(s) could not be classified" in error


def test_lines_json_cannot_parse_get_an_error_line_not_a_traceback(model_dir):
    payload = b"\n".join(
        [
            b'{"id": ' + b"9" * 5000 + b', "text": "angka panjang"}',  # over int_max_str_digits
            b"[" * 100_000 + b"]" * 100_000,  # nested past the recursion limit
            b'{"id": ' + b"9" * 5000 + b', "text": "caf\xe9"}',  # salvaging this id fails too
            b'{"id": "ok", "text": "halo"}',
        ]
    )
    results, error = classify(model_dir, payload + b"\n")
    assert results[:3] == [
        {"id": None, "line": 1, "error": "not JSON: a number is too long"},
        {"id": None, "line": 2, "error": "not JSON: nested too deeply"},
        {"id": None, "line": 3, "error": "not valid UTF-8 (byte 5021)"},
    ]
    assert results[3]["id"] == "ok" and "scores" in results[3]
    assert "3 of 4" in error


def test_over_long_texts_and_lines_are_refused_without_losing_the_next(model_dir):
    payload = (
        b'{"id": "x", "text": "'
        + b"a" * 3_000_000
        + b'"}\n'
        + json.dumps({"id": "long", "text": "kata " * 1000}).encode()
        + b"\n"
        + b'{"id": "y", "text": "halo"}\n'
    )
    results, error = classify(model_dir, payload, "--max-chars", "1000")
    assert results[0] == {
        "id": "x",
        "line": 1,
        "error": "line is 3,000,023 bytes, too long (the text limit is 1,000 characters)",
    }
    assert results[1] == {
        "id": "long",
        "line": 2,
        "error": "text is 5,000 characters, over the limit of 1,000",
    }
    assert results[2]["id"] == "y" and "scores" in results[2]
    assert "2 of 3" in error


@pytest.mark.parametrize("max_chars", [str(10**7 + 1), str(10**30)])
def test_classify_refuses_a_max_chars_too_large_to_buffer(model_dir, max_chars):
    results, error = classify(model_dir, b'{"id": 1, "text": "halo"}\n', "--max-chars", max_chars)
    assert results == [] and error == "--max-chars must be at most 10,000,000"


def test_classify_without_a_model_says_how_to_train_one(tmp_path):
    with pytest.raises(CommandError, match="sejuk nlp train"):
        call_command("nlp", "classify", "--model", str(tmp_path / "none"), stdin=BytesIO(b""))


def test_the_real_cli_reads_stdin_bytes_and_exits_1_on_bad_lines(model_dir, tmp_path):
    env = {**os.environ, "SEJUK_STATE_DIR": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-m", "sejuk.cli", "nlp", "classify", "--model", str(model_dir)],
        input=b'{"id": 1, "text": "dasar bodoh"}\n\xff\n',
        capture_output=True,
        env=env,
        check=False,
    )
    lines = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert [line.get("id") for line in lines] == [1, None]
    assert lines[1] == {"id": None, "line": 2, "error": "not valid UTF-8 (byte 0)"}
    assert proc.returncode == 1 and b"1 of 2 line(s)" in proc.stderr


def test_train_with_a_wrong_data_dir_fails_clearly_and_writes_nothing(tmp_path):
    with pytest.raises(CommandError, match="no model written: .*no re_dataset.csv"):
        call_command("nlp", "train", "--data", str(tmp_path), "--out", str(tmp_path / "m"))
    assert not (tmp_path / "m").exists()


def test_evaluate_prints_fold_holdout_and_post_metrics_and_updates_the_card(data, model_dir):
    out = StringIO()
    call_command(
        "nlp",
        "evaluate",
        "--data",
        str(data),
        "--model",
        str(model_dir),
        "--folds",
        "1",
        "--limit",
        "1000",
        "--no-speed",
        stdout=out,
        stderr=StringIO(),
    )
    result = json.loads(out.getvalue())
    assert [f["fold"] for f in result["folds"]["folds"]] == [1]
    assert 0.5 < result["folds"]["f1_mean"] <= 1
    assert 0.5 < result["holdout"]["abusive_macro_f1"] <= 1
    assert result["posts"]["posts"] == 50 and result["posts"]["model"] == str(model_dir)
    # partial runs (one fold, a row limit) do not claim a target either way
    assert result["targets"]["hate_speech_fold_f1_mean"]["met"] is None
    card = json.loads((model_dir / "card.json").read_text())
    assert card["evaluation"]["folds"]["f1_mean"] == result["folds"]["f1_mean"]


@pytest.mark.parametrize("verb", ["train", "evaluate"])
@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--seed", "-1"], "--seed must be between 0 and 4294967295"),
        (["--seed", str(2**32)], "--seed must be between 0 and 4294967295"),
        (["--limit", "0"], "--limit must be at least 10"),
        (["--limit", "-5"], "--limit must be at least 10"),
    ],
)
def test_train_and_evaluate_refuse_bad_seeds_and_limits(data, verb, option, message):
    with pytest.raises(CommandError, match=message):
        call_command("nlp", verb, "--data", str(data), *option, stderr=StringIO())


@pytest.mark.parametrize("folds", ["7", "a,b", ""])
def test_evaluate_rejects_bad_fold_lists(data, folds):
    with pytest.raises(CommandError, match="--folds must be numbers 0-4"):
        call_command("nlp", "evaluate", "--data", str(data), "--folds", folds)


def test_the_demo_helper_trains_once_with_a_progress_bar_then_loads_the_saved_model(
    data, tmp_path, settings
):
    from sejuk.nlp import actions

    settings.SEJUK_MODEL_DIR = tmp_path / "models"
    settings.SEJUK_DATA_DIR = data
    stream = StringIO()
    trained = actions.ensure_classifier(stream=stream, limit=600)
    assert "training the text classifier" in stream.getvalue()
    assert (tmp_path / "models" / "textclass" / "card.json").is_file()
    again = StringIO()
    loaded = actions.ensure_classifier(stream=again)
    assert again.getvalue() == ""  # present: no training, no bar
    assert loaded.thresholds == trained.thresholds
