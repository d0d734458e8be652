"""The index definition: indicators, live signals, calendar, levels (no Django).

An :class:`IndexSpec` is read from a versioned JSON file (Sejuk ships
``sejuk/risk/data/indicators/*.json``); nothing about the indicator set is in
code. The file's shape, with every rule :meth:`IndexSpec.from_dict` checks,
is documented in docs/risk.md.

The score of one kelurahan on one day is::

    base  = sum_j  W_dim(j) * w_j / sum_{k in dim(j)} w_k * a_j / a_max     (assessment)
          + sum_i  W_i * (1 - exp(-x_i / s_i))                              (live signals)
    score = base * m(phase)  =  base  +  (m(phase) - 1) * base              (calendar)

where ``a_j`` is the answer to indicator ``j`` (0..a_max), ``x_i >= 0`` the
value of live signal ``i``, ``W`` the weights in points and ``m >= 1`` the
multiplier of the election phase. The definition is rejected unless the
largest possible score, ``(sum W_dim + sum W_i) * max(m)``, is at most 100,
so every score is in [0, 100]; each term is non-decreasing in its input, so the
score is monotone in every signal; and the calendar term is reported as its
own contribution, so the contributions sum to the score exactly.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import SpecError

__all__ = [
    "LEVELS",
    "PHASES",
    "Dimension",
    "IndexSpec",
    "Indicator",
    "Signal",
    "Stage",
    "text_for",
]

#: Election phases the calendar multiplier is defined for ("none": no election
#: covers the kelurahan). The names match ``sejuk.elections.models.Phase``.
PHASES = ("none", "before", "campaign", "quiet", "voting", "counting", "after")
#: Index levels, lowest first; thresholds give the lower bounds of the last two.
LEVELS = ("rendah", "sedang", "tinggi")
MAX_SCORE = 100.0
_CODE_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
# A little room for floating point when checking the 100-point bound.
_EPS = 1e-9


def text_for(label: Mapping[str, str], lang: str = "en") -> str:
    """The text of a multilingual label in ``lang`` (``id``, ``en``), else English."""
    lang = (lang or "en").split("-")[0].lower()
    return label.get(lang) or label.get("en") or next(iter(label.values()), "")


@dataclass(frozen=True)
class Stage:
    """An IPKP stage (potensi gangguan, ambang gangguan, gangguan nyata)."""

    code: str
    label: Mapping[str, str]


@dataclass(frozen=True)
class Indicator:
    """One question of the assessment form, answered 0..``a_max`` per kelurahan."""

    code: str
    dimension: str
    stage: str
    weight: float
    label: Mapping[str, str]
    help: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Dimension:
    """An IKP dimension worth ``weight`` points, shared by its indicators."""

    code: str
    label: Mapping[str, str]
    weight: float
    indicators: tuple[Indicator, ...]


@dataclass(frozen=True)
class Signal:
    """A live signal worth at most ``weight`` points: ``weight * (1 - exp(-x / scale))``."""

    code: str
    label: Mapping[str, str]
    stage: str
    weight: float
    scale: float
    unit: Mapping[str, str] = field(default_factory=dict)


def _fail(where: str, message: str) -> SpecError:
    return SpecError(f"{where}: {message}")


def _label(value: Any, where: str) -> dict[str, str]:
    if isinstance(value, str) and value.strip():
        return {"en": value}
    if not isinstance(value, dict) or not value:
        raise _fail(where, 'must be a text or an object like {"en": "...", "id": "..."}')
    out = {}
    for lang, text in value.items():
        if not isinstance(text, str) or not text.strip():
            raise _fail(f"{where}.{lang}", "must be a non-empty text")
        out[str(lang)] = text
    if "en" not in out:
        raise _fail(where, "needs an English text under 'en'")
    return out


def _number(value: Any, where: str, *, minimum: float | None = None, above: float | None = None):
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _fail(where, f"must be a number, got {value!r}")
    if minimum is not None and value < minimum:
        raise _fail(where, f"must be >= {minimum:g}, got {value!r}")
    if above is not None and value <= above:
        raise _fail(where, f"must be > {above:g}, got {value!r}")
    return float(value)


def _code(value: Any, where: str) -> str:
    if not isinstance(value, str) or not _CODE_RE.match(value):
        raise _fail(where, f"must be a code like 'money_politics' (a-z, 0-9, _), got {value!r}")
    return value


def _get(data: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in data:
        raise _fail(where, f"missing '{key}'")
    return data[key]


def _list(value: Any, where: str) -> list:
    if not isinstance(value, list) or not value:
        raise _fail(where, "must be a non-empty list")
    return value


def _object(value: Any, where: str) -> dict:
    if not isinstance(value, dict):
        raise _fail(where, "must be an object")
    return value


@dataclass(frozen=True)
class IndexSpec:
    """A complete, validated index definition (see the module docstring).

    Parameters
    ----------
    version : str
        Identifies the definition; stored with every score and assessment.
    name : mapping
        Multilingual title.
    stages : tuple of Stage
        The IPKP stages indicators and signals are tagged with.
    answers : tuple of mapping
        Labels of the answers 0..a_max (so ``a_max = len(answers) - 1``).
    dimensions : tuple of Dimension
        IKP dimensions with their indicators.
    signals : tuple of Signal
        Live signals, in the column order of the signal matrix.
    calendar : mapping
        Multiplier (>= 1) per election phase; every code of :data:`PHASES`.
    thresholds : tuple of float
        Lower bounds of "sedang" and "tinggi": ``0 < sedang < tinggi <= 100``.
    window_days, half_life_days : int, float
        Events count on the day and the ``window_days - 1`` days before, each
        weighted ``0.5 ** (age / half_life_days)``.
    assessment_carry_days : int
        An assessment still counts this many days after its period ends.
    weights : mapping of mapping
        Named tables of non-negative weights used to turn records into signal
        values (report status and category, incident severity, titik
        vulnerability). Their meaning belongs to the caller.
    coverage_cap_days : int
        Days without a visit at which a titik rawan counts fully as a gap.
    source : str
        Where the definition was read from (for messages).

    Raises
    ------
    SpecError
        On any inconsistency, naming the offending path.
    """

    version: str
    name: Mapping[str, str]
    stages: tuple[Stage, ...]
    answers: tuple[Mapping[str, str], ...]
    dimensions: tuple[Dimension, ...]
    signals: tuple[Signal, ...]
    calendar: Mapping[str, float]
    thresholds: tuple[float, float]
    window_days: int = 14
    half_life_days: float = 4.0
    assessment_carry_days: int = 90
    weights: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    coverage_cap_days: int = 14
    source: str = ""

    def __post_init__(self) -> None:
        where = self.source or "index definition"
        if not isinstance(self.version, str) or not self.version.strip():
            raise _fail(where, "version must be a non-empty text")
        if len(self.answers) < 2:
            raise _fail(f"{where}: answers", "needs at least two answers (0 and 1)")
        stage_codes = [s.code for s in self.stages]
        if len(set(stage_codes)) != len(stage_codes):
            raise _fail(f"{where}: stages", "codes must be unique")
        codes: set[str] = set()
        for i, d in enumerate(self.dimensions):
            if d.code in codes:
                raise _fail(f"{where}: dimensions[{i}].code", f"{d.code!r} is used twice")
            codes.add(d.code)
            if not d.indicators:
                raise _fail(f"{where}: dimensions[{i}]", "has no indicators")
            for j, ind in enumerate(d.indicators):
                w = f"{where}: dimensions[{i}].indicators[{j}]"
                if ind.code in codes:
                    raise _fail(f"{w}.code", f"{ind.code!r} is used twice")
                codes.add(ind.code)
                if ind.stage not in stage_codes:
                    raise _fail(f"{w}.stage", f"{ind.stage!r} is not one of {stage_codes}")
                if ind.dimension != d.code:
                    raise _fail(f"{w}.dimension", f"must be {d.code!r}")
                if not (math.isfinite(ind.weight) and ind.weight > 0):
                    raise _fail(f"{w}.weight", f"must be > 0, got {ind.weight!r}")
            if not (math.isfinite(d.weight) and d.weight >= 0):
                raise _fail(f"{where}: dimensions[{i}].weight", f"must be >= 0, got {d.weight!r}")
        for i, s in enumerate(self.signals):
            w = f"{where}: signals[{i}]"
            if s.code in codes or s.code == "calendar":
                raise _fail(f"{w}.code", f"{s.code!r} is used twice (or is reserved)")
            codes.add(s.code)
            if s.stage not in stage_codes:
                raise _fail(f"{w}.stage", f"{s.stage!r} is not one of {stage_codes}")
            if not (math.isfinite(s.scale) and s.scale > 0):
                raise _fail(f"{w}.scale", f"must be > 0, got {s.scale!r}")
            if not (math.isfinite(s.weight) and s.weight >= 0):
                raise _fail(f"{w}.weight", f"must be >= 0, got {s.weight!r}")
        missing = [p for p in PHASES if p not in self.calendar]
        if missing:
            raise _fail(f"{where}: calendar", f"missing phase(s) {', '.join(missing)}")
        extra = [p for p in self.calendar if p not in PHASES]
        if extra:
            raise _fail(f"{where}: calendar", f"unknown phase(s) {', '.join(extra)}")
        for p, m in self.calendar.items():
            if not (math.isfinite(m) and m >= 1.0):
                raise _fail(f"{where}: calendar.{p}", f"multiplier must be >= 1, got {m!r}")
        low, high = self.thresholds
        if not 0 < low < high <= MAX_SCORE:
            raise _fail(
                f"{where}: levels", f"need 0 < sedang < tinggi <= 100, got {low!r}, {high!r}"
            )
        if self.window_days < 1:
            raise _fail(f"{where}: window_days", "must be >= 1")
        if not self.half_life_days > 0:
            raise _fail(f"{where}: half_life_days", "must be > 0")
        if self.assessment_carry_days < 0:
            raise _fail(f"{where}: assessment_carry_days", "must be >= 0")
        if self.coverage_cap_days < 1:
            raise _fail(f"{where}: coverage_cap_days", "must be >= 1")
        top = self.base_max * max(self.calendar.values())
        if top > MAX_SCORE + _EPS:
            raise _fail(
                where,
                f"the weights add up to {self.base_max:g} points and the largest calendar "
                f"multiplier is {max(self.calendar.values()):g}, so a score could reach "
                f"{top:.2f} > 100; lower the weights or the multiplier",
            )

    # --- derived ------------------------------------------------------------

    @property
    def indicators(self) -> tuple[Indicator, ...]:
        return tuple(i for d in self.dimensions for i in d.indicators)

    @property
    def max_answer(self) -> int:
        return len(self.answers) - 1

    @property
    def base_max(self) -> float:
        """The largest score before the calendar multiplier."""
        return sum(d.weight for d in self.dimensions) + sum(s.weight for s in self.signals)

    @property
    def max_score(self) -> float:
        return self.base_max * max(self.calendar.values())

    @property
    def components(self) -> tuple[str, ...]:
        """Column codes of :attr:`IndexResult.contributions`: indicators, signals, calendar."""
        return (
            *(i.code for i in self.indicators),
            *(s.code for s in self.signals),
            "calendar",
        )

    def indicator_points(self) -> dict[str, float]:
        """Points an indicator adds at the highest answer."""
        out = {}
        for d in self.dimensions:
            total = sum(i.weight for i in d.indicators)
            for i in d.indicators:
                out[i.code] = d.weight * i.weight / total
        return out

    def level_of(self, score: float) -> str:
        low, high = self.thresholds
        return LEVELS[2] if score >= high else LEVELS[1] if score >= low else LEVELS[0]

    def stage_of(self, code: str) -> str | None:
        for i in self.indicators:
            if i.code == code:
                return i.stage
        for s in self.signals:
            if s.code == code:
                return s.stage
        return None

    def weight_table(self, name: str) -> Mapping[str, float]:
        try:
            return self.weights[name]
        except KeyError:
            raise _fail(self.source or "index definition", f"weights.{name} is missing") from None

    # --- reading ------------------------------------------------------------

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "") -> IndexSpec:
        """Build and validate a definition from parsed JSON.

        Raises
        ------
        SpecError
            Naming ``source`` and the JSON path of the first problem.
        """
        where = source or "index definition"
        data = _object(data, where)
        version = _get(data, "version", where)
        if not isinstance(version, str) or not version.strip():
            raise _fail(f"{where}: version", "must be a non-empty text")
        stages = tuple(
            Stage(
                code=_code(
                    _get(_object(s, f"{where}: stages[{i}]"), "code", f"{where}: stages[{i}]"),
                    f"{where}: stages[{i}].code",
                ),
                label=_label(
                    _get(s, "label", f"{where}: stages[{i}]"), f"{where}: stages[{i}].label"
                ),
            )
            for i, s in enumerate(_list(_get(data, "stages", where), f"{where}: stages"))
        )
        answers = tuple(
            _label(a, f"{where}: answers[{i}]")
            for i, a in enumerate(_list(_get(data, "answers", where), f"{where}: answers"))
        )
        dimensions = []
        for i, d in enumerate(_list(_get(data, "dimensions", where), f"{where}: dimensions")):
            w = f"{where}: dimensions[{i}]"
            d = _object(d, w)
            dcode = _code(_get(d, "code", w), f"{w}.code")
            indicators = []
            for j, ind in enumerate(_list(_get(d, "indicators", w), f"{w}.indicators")):
                wj = f"{w}.indicators[{j}]"
                ind = _object(ind, wj)
                indicators.append(
                    Indicator(
                        code=_code(_get(ind, "code", wj), f"{wj}.code"),
                        dimension=dcode,
                        stage=str(_get(ind, "stage", wj)),
                        weight=_number(ind.get("weight", 1), f"{wj}.weight", above=0),
                        label=_label(_get(ind, "label", wj), f"{wj}.label"),
                        help=_label(ind["help"], f"{wj}.help") if ind.get("help") else {},
                    )
                )
            dimensions.append(
                Dimension(
                    code=dcode,
                    label=_label(_get(d, "label", w), f"{w}.label"),
                    weight=_number(_get(d, "weight", w), f"{w}.weight", minimum=0),
                    indicators=tuple(indicators),
                )
            )
        signals = []
        for i, s in enumerate(_list(_get(data, "signals", where), f"{where}: signals")):
            w = f"{where}: signals[{i}]"
            s = _object(s, w)
            signals.append(
                Signal(
                    code=_code(_get(s, "code", w), f"{w}.code"),
                    label=_label(_get(s, "label", w), f"{w}.label"),
                    stage=str(_get(s, "stage", w)),
                    weight=_number(_get(s, "weight", w), f"{w}.weight", minimum=0),
                    scale=_number(_get(s, "scale", w), f"{w}.scale", above=0),
                    unit=_label(s["unit"], f"{w}.unit") if s.get("unit") else {},
                )
            )
        calendar_raw = _object(_get(data, "calendar", where), f"{where}: calendar")
        calendar = {
            str(k): _number(v, f"{where}: calendar.{k}", minimum=1.0)
            for k, v in calendar_raw.items()
        }
        levels = _object(_get(data, "levels", where), f"{where}: levels")
        thresholds = (
            _number(_get(levels, "sedang", f"{where}: levels"), f"{where}: levels.sedang"),
            _number(_get(levels, "tinggi", f"{where}: levels"), f"{where}: levels.tinggi"),
        )
        weights: dict[str, dict[str, float]] = {}
        for name, table in _object(data.get("weights", {}), f"{where}: weights").items():
            table = _object(table, f"{where}: weights.{name}")
            weights[str(name)] = {
                str(k): _number(v, f"{where}: weights.{name}.{k}", minimum=0)
                for k, v in table.items()
            }

        def whole(key: str, default: int) -> int:
            value = data.get(key, default)
            if isinstance(value, bool) or not isinstance(value, int):
                raise _fail(f"{where}: {key}", f"must be a whole number, got {value!r}")
            return value

        return cls(
            version=version.strip(),
            name=_label(data.get("name") or version, f"{where}: name"),
            stages=stages,
            answers=answers,
            dimensions=tuple(dimensions),
            signals=tuple(signals),
            calendar=calendar,
            thresholds=thresholds,
            window_days=whole("window_days", 14),
            half_life_days=_number(
                data.get("half_life_days", 4.0), f"{where}: half_life_days", above=0
            ),
            assessment_carry_days=whole("assessment_carry_days", 90),
            weights=weights,
            coverage_cap_days=whole("coverage_cap_days", 14),
            source=source,
        )

    @classmethod
    def load(cls, path: str | Path) -> IndexSpec:
        """Read and validate a JSON definition file.

        Raises
        ------
        SpecError
            For a missing or unreadable file, a JSON syntax error (with its
            ``path:line:column``) or an invalid definition.
        """
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise SpecError(f"{path}: cannot read ({exc.strerror or exc})") from None
        except UnicodeDecodeError:
            raise SpecError(f"{path}: not UTF-8 text") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SpecError(f"{path}:{exc.lineno}:{exc.colno}: invalid JSON ({exc.msg})") from None
        return cls.from_dict(data, source=str(path))

    def fingerprint(self) -> str:
        """A short hash of everything that changes scores (not labels)."""
        numbers = {
            "dimensions": [
                [d.code, d.weight, [[i.code, i.weight] for i in d.indicators]]
                for d in self.dimensions
            ],
            "signals": [[s.code, s.weight, s.scale] for s in self.signals],
            "answers": len(self.answers),
            "calendar": sorted(self.calendar.items()),
            "thresholds": list(self.thresholds),
            "window": [self.window_days, self.half_life_days, self.assessment_carry_days],
            "weights": {k: sorted(v.items()) for k, v in sorted(self.weights.items())},
            "coverage": self.coverage_cap_days,
        }
        blob = json.dumps(numbers, sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:12]
