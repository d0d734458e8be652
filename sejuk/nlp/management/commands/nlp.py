"""``sejuk nlp train|classify|evaluate``: the Indonesian text classifier from the command line.

The model is :mod:`sejuk.analytics.textclass`; see docs/nlp.md. JSON goes to
stdout, progress bars to stderr, and bad input exits non-zero with a one-line
reason. ``classify`` never drops a line: every input line gets exactly one
output line, either scores or an error naming the line number (and the id when
it could be read).
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from sejuk.analytics.textclass import (
    DataError,
    ModelError,
    ModelNotFound,
    TextClassifier,
    evaluate_folds,
    evaluate_holdout,
    evaluate_posts,
    load_ibrohim,
    measure_classify,
    train_model,
)
from sejuk.analytics.textclass.training import TARGETS
from sejuk.nlp.actions import MODEL_SUBDIR, ProgressBar
from sejuk.nlp.actions import model_dir as default_model_dir

DEFAULT_MAX_CHARS = 100_000
MAX_MAX_CHARS = 10_000_000  # a 60 MB line at most: the buffer size must stay an index
DEFAULT_BATCH = 256
MIN_LIMIT = 10
MAX_SEED = 2**32 - 1  # what numpy and scikit-learn accept as a random state


def default_data_dir() -> Path:
    data_dir = getattr(settings, "SEJUK_DATA_DIR", None)
    if not data_dir:
        raise CommandError("no --data given and SEJUK_DATA_DIR is not set")
    return Path(data_dir)


def check_seed_and_limit(opts: dict[str, Any]) -> tuple[int, int | None]:
    """``(seed, limit)`` of ``train``/``evaluate``, or a CommandError."""
    seed, limit = opts["seed"], opts.get("limit")
    if not 0 <= seed <= MAX_SEED:
        raise CommandError(f"--seed must be between 0 and {MAX_SEED}, got {seed}")
    if limit is not None and limit < MIN_LIMIT:
        raise CommandError(f"--limit must be at least {MIN_LIMIT}")
    return seed, limit


def read_lines(stream: IO[bytes], max_bytes: int) -> Iterator[tuple[int, bytes, int, bool]]:
    """``(line number, bytes, length, complete)`` per input line.

    A line longer than ``max_bytes`` is skipped in chunks, never held in memory
    whole; its first ``max_bytes`` come back with ``complete`` False (enough to
    read the id).
    """
    number = 0
    while True:
        chunk = stream.readline(max_bytes + 1)
        if not chunk:
            return
        number += 1
        if len(chunk) <= max_bytes or chunk.endswith(b"\n"):
            yield number, chunk, len(chunk), True
            continue
        head, length = chunk, len(chunk)
        while chunk and not chunk.endswith(b"\n"):
            chunk = stream.readline(1 << 20)
            length += len(chunk)
        yield number, head, length - chunk.endswith(b"\n"), False


class Command(BaseCommand):
    help = (
        "Indonesian text classifier (hate speech, abusive, SARA, target, strength): train it, "
        "classify JSON lines, evaluate it. See docs/nlp.md."
    )
    requires_system_checks: list[str] = []
    # call_command(..., stdin=BytesIO(...)) for tests; the CLI reads sys.stdin.
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)

        train = sub.add_parser(
            "train",
            help="train on ibrohim2019 and save the model (with its model card)",
            description=(
                "Deduplicate the corpus, hold out a stratified 20%% to tune per-label thresholds "
                "and measure, refit on everything, save to --out. Deterministic for a seed."
            ),
        )
        train.add_argument(
            "--data", type=Path, help="data root or ibrohim2019 folder (default: SEJUK_DATA_DIR)"
        )
        train.add_argument(
            "--out", type=Path, help=f"model directory (default: SEJUK_MODEL_DIR/{MODEL_SUBDIR})"
        )
        train.add_argument("--seed", type=int, default=0)
        train.add_argument("--limit", type=int, help="use only the first N rows (quick runs)")
        train.add_argument(
            "--no-refit",
            action="store_true",
            help="keep the model fitted on the 80%% training part (half the time)",
        )

        classify = sub.add_parser(
            "classify",
            help='classify JSON lines {"id": ..., "text": ...} from stdin',
            description=(
                'Reads JSON lines {"id": ..., "text": ...} on stdin and writes one JSON line per '
                'input line: {"id", "scores": {label: probability}, "labels": [...]} or '
                '{"id", "line", "error"}. Exits 1 if any line was bad.'
            ),
        )
        classify.add_argument(
            "--model", type=Path, help=f"model directory (default: SEJUK_MODEL_DIR/{MODEL_SUBDIR})"
        )
        classify.add_argument(
            "--batch", type=int, default=DEFAULT_BATCH, help="texts per model call"
        )
        classify.add_argument(
            "--max-chars",
            type=int,
            default=DEFAULT_MAX_CHARS,
            help=f"longest text accepted (default {DEFAULT_MAX_CHARS:,}, at most {MAX_MAX_CHARS:,})",
        )

        evaluate = sub.add_parser(
            "evaluate",
            help="print metrics as JSON: IndoBERTweet folds, held-out split, posts, speed",
            description=(
                "Runs the evaluation protocols from scratch (training as they go) and prints "
                "one JSON object. With --model, the hand-written posts and the speed are "
                "measured on that model and the results are written into its model card."
            ),
        )
        evaluate.add_argument("--data", type=Path, help="data root (default: SEJUK_DATA_DIR)")
        evaluate.add_argument(
            "--model", type=Path, help="also evaluate this model and update its card"
        )
        evaluate.add_argument("--seed", type=int, default=0)
        evaluate.add_argument(
            "--folds", default="0,1,2,3,4", help="comma-separated fold numbers, or 'none'"
        )
        evaluate.add_argument("--no-holdout", action="store_true", help="skip the held-out split")
        evaluate.add_argument("--no-speed", action="store_true", help="skip the speed measurement")
        evaluate.add_argument("--limit", type=int, help="first N rows of every file (quick runs)")
        evaluate.add_argument(
            "--no-card", action="store_true", help="with --model: do not update its card"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        verb = opts["verb"]
        if verb == "train":
            self._train(opts)
        elif verb == "classify":
            self._classify(opts)
        else:
            self._evaluate(opts)

    # -- train ---------------------------------------------------------------------------

    def _train(self, opts: dict[str, Any]) -> None:
        data_dir = opts.get("data") or default_data_dir()
        out = opts.get("out") or default_model_dir()
        seed, limit = check_seed_and_limit(opts)
        bar = ProgressBar(sys.stderr, "training")
        try:
            model = train_model(
                data_dir,
                seed=seed,
                limit=limit,
                progress=bar,
                refit=not opts["no_refit"],
            )
        except DataError as exc:
            raise CommandError(f"training failed, no model written: {exc}") from None
        finally:
            bar.close()
        try:
            model.save(out)
        except OSError as exc:
            raise CommandError(f"cannot write the model to {out}: {exc}") from None
        heldout = model.card["metrics"]["heldout"]
        summary = {
            "model": str(out),
            "seconds": model.card["training"]["seconds"],
            "rows": model.card["data"]["rows_after_deduplication"],
            "heldout": {
                name: {k: heldout[name][k] for k in ("f1", "macro_f1", "threshold")}
                for name in ("hate_speech", "abusive", "sara")
                if name in heldout
            },
        }
        self.stdout.write(json.dumps(summary))

    # -- classify ------------------------------------------------------------------------

    def _classify(self, opts: dict[str, Any]) -> None:
        model_dir = opts.get("model") or default_model_dir()
        batch_size, max_chars = opts["batch"], opts["max_chars"]
        if batch_size < 1 or max_chars < 1:
            raise CommandError("--batch and --max-chars must be positive")
        if max_chars > MAX_MAX_CHARS:
            raise CommandError(f"--max-chars must be at most {MAX_MAX_CHARS:,}")
        try:
            model = TextClassifier.load(model_dir)
        except (ModelNotFound, ModelError) as exc:
            raise CommandError(str(exc)) from None
        stream: IO[bytes] = opts.get("stdin") or sys.stdin.buffer
        # Room for a text of max_chars 4-byte characters, JSON-escaped, plus the id.
        max_bytes = max_chars * 6 + 65_536
        pending: list[tuple[int, Any, str | None, str | None]] = []  # line, id, text, error
        counts = {"lines": 0, "errors": 0}

        def flush() -> None:
            texts = [text for _, _, text, error in pending if error is None]
            results = iter(model.predict(texts)) if texts else iter(())
            out = []
            for line, item_id, _text, error in pending:
                if error is not None:
                    counts["errors"] += 1
                    out.append(json.dumps({"id": item_id, "line": line, "error": error}))
                else:
                    scores, labels = next(results)
                    out.append(json.dumps({"id": item_id, "scores": scores, "labels": labels}))
            if out:
                self.stdout.write("\n".join(out))
                self.stdout.flush()
            pending.clear()

        valid = 0
        for line, raw, length, complete in read_lines(stream, max_bytes):
            counts["lines"] += 1
            if complete:
                item_id, text, error = parse_line(raw, max_chars)
            else:
                item_id, text = _salvage_id(raw.decode("utf-8", "replace")), None
                error = (
                    f"line is {length:,} bytes, too long "
                    f"(the text limit is {max_chars:,} characters)"
                )
            pending.append((line, item_id, text, error))
            valid += error is None
            if valid >= batch_size:
                flush()
                valid = 0
        flush()
        if counts["errors"]:
            raise CommandError(
                f"{counts['errors']} of {counts['lines']} line(s) could not be classified; "
                "each has an error line on stdout"
            )

    # -- evaluate ------------------------------------------------------------------------

    def _evaluate(self, opts: dict[str, Any]) -> None:
        data_dir = opts.get("data") or default_data_dir()
        seed, limit = check_seed_and_limit(opts)
        folds = parse_folds(opts["folds"])
        model_dir: Path | None = opts.get("model")
        model = None
        if model_dir is not None:
            try:
                model = TextClassifier.load(model_dir)
            except (ModelNotFound, ModelError) as exc:
                raise CommandError(str(exc)) from None
        result: dict[str, Any] = {"seed": seed, "limit": limit}
        started = time.perf_counter()
        try:
            if folds:
                bar = ProgressBar(sys.stderr, "folds")
                try:
                    result["folds"] = evaluate_folds(
                        data_dir, seed=seed, folds=folds, limit=limit, progress=bar
                    )
                finally:
                    bar.close()
            holdout_model = None
            if not opts["no_holdout"]:
                bar = ProgressBar(sys.stderr, "held-out split")
                try:
                    result["holdout"], holdout_model = evaluate_holdout(
                        data_dir, seed=seed, limit=limit, progress=bar
                    )
                finally:
                    bar.close()
            subject = model or holdout_model
            if subject is not None:
                result["posts"] = evaluate_posts(subject)
                result["posts"]["model"] = str(model_dir) if model else "held-out split model"
            if subject is not None and not opts["no_speed"]:
                texts = load_ibrohim(data_dir, limit=limit).texts[:5000]
                result["speed"] = self._speed(subject, model_dir if model else None, texts)
        except DataError as exc:
            raise CommandError(f"evaluation failed: {exc}") from None
        result["seconds"] = round(time.perf_counter() - started, 1)
        result["targets"] = targets_met(result)
        if model is not None and model_dir is not None and not opts["no_card"]:
            model.card["evaluation"] = result
            try:
                model.save(model_dir)
            except OSError as exc:
                raise CommandError(f"cannot update the model card in {model_dir}: {exc}") from None
        self.stdout.write(json.dumps(result))

    def _speed(self, model: TextClassifier, model_dir: Path | None, texts: list[str]) -> dict:
        try:
            if model_dir is not None:
                return measure_classify(model_dir, texts)
            with tempfile.TemporaryDirectory(prefix="sejuk-textclass-") as tmp:
                model.save(Path(tmp) / "model")
                return measure_classify(Path(tmp) / "model", texts)
        except RuntimeError as exc:  # the measuring process failed; its stderr is in the message
            raise CommandError(str(exc)) from None


def parse_folds(value: str) -> list[int]:
    if value.strip().lower() == "none":
        return []
    try:
        folds = [int(v) for v in value.split(",") if v.strip()]
    except ValueError:
        raise CommandError(
            f"--folds must be numbers 0-4 separated by commas, got {value!r}"
        ) from None
    if not folds or any(f not in range(5) for f in folds):
        raise CommandError(f"--folds must be numbers 0-4 separated by commas, got {value!r}")
    return folds


def parse_line(raw: bytes, max_chars: int) -> tuple[Any, str | None, str | None]:
    """``(id, text, error)`` for one input line; exactly one of text/error is set."""
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        # Still try to read the id, so the caller can tell which item failed.
        item_id = _salvage_id(raw.decode("utf-8", "replace"))
        return item_id, None, f"not valid UTF-8 (byte {exc.start})"
    stripped = decoded.strip()
    if not stripped:
        return None, None, "empty line"
    try:
        item = json.loads(stripped)
    except json.JSONDecodeError as exc:
        return None, None, f"not JSON: {exc.msg} at column {exc.colno}"
    except ValueError:  # an integer of more than sys.get_int_max_str_digits() digits
        return None, None, "not JSON: a number is too long"
    except RecursionError:
        return None, None, "not JSON: nested too deeply"
    if not isinstance(item, dict):
        return (
            None,
            None,
            f'expected a JSON object {{"id": ..., "text": ...}}, got {type(item).__name__}',
        )
    item_id = item.get("id")
    if "id" not in item:
        return None, None, 'missing field "id"'
    if isinstance(item_id, bool) or not isinstance(item_id, str | int):
        return None, None, f'"id" must be a string or an integer, got {_json_type(item_id)}'
    if "text" not in item:
        return item_id, None, 'missing field "text"'
    text = item["text"]
    if not isinstance(text, str):
        return item_id, None, f'"text" must be a string, got {_json_type(text)}'
    if len(text) > max_chars:
        return item_id, None, f"text is {len(text):,} characters, over the limit of {max_chars:,}"
    return item_id, text, None


_ID_FIELD = re.compile(r'"id"\s*:\s*("(?:[^"\\]|\\.)*"|-?\d+)')


def _salvage_id(text: str) -> Any:
    """The id of a line that is not valid UTF-8 or too long to parse, if it can still be read."""
    match = _ID_FIELD.search(text)
    if not match:
        return None
    try:
        return json.loads(match.group(1))
    except ValueError:  # JSONDecodeError, or an integer too long to convert
        return None


def _json_type(value: Any) -> str:
    names: dict[type, str] = {
        dict: "object",
        list: "array",
        float: "number",
        bool: "boolean",
        str: "string",
        int: "integer",
    }
    return "null" if value is None else names.get(type(value), type(value).__name__)


def targets_met(result: dict[str, Any]) -> dict[str, Any]:
    """Each target with the measured figure and whether it is met (None: not measured)."""
    out: dict[str, Any] = {}
    checks: list[tuple[str, Callable[[], float | None]]] = [
        ("hate_speech_fold_f1_mean", lambda: result.get("folds", {}).get("f1_mean")),
        ("abusive_holdout_macro_f1", lambda: result.get("holdout", {}).get("abusive_macro_f1")),
        ("posts_per_second_one_core", lambda: result.get("speed", {}).get("posts_per_second")),
    ]
    for name, measure in checks:
        value = measure()
        partial = name.startswith("hate") and len(result.get("folds", {}).get("folds", [])) < 5
        out[name] = {
            "target": TARGETS[name],
            "measured": value,
            "met": None
            if value is None or partial or result.get("limit")
            else value >= TARGETS[name],
        }
    return out
