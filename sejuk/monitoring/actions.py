"""Writes for monitoring: ingestion (dedupe, placement, classification,
narratives), classification of pending posts, spike detection with alerts and
briefs, alert handling. Views, the API, the webhook, commands and tasks call
these."""

from __future__ import annotations

import datetime as dt
import json
import logging
import string
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

from django.conf import settings as django_settings
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.db.models.functions import TruncHour
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from sejuk.accounts import audit
from sejuk.accounts.models import AuditAction, Role, User
from sejuk.analytics.narratives import (
    MinHasher,
    NarrativeClusterer,
    NarrativeState,
    PostText,
    SpikeRule,
    detect_spikes,
    jaccard,
    normalize,
    shingles,
    surface_forms,
    text_hash,
    top_terms,
    volume_trend,
)
from sejuk.monitoring import archive, classifier, placement
from sejuk.monitoring.ingest import Parsed, PostInput
from sejuk.monitoring.models import (
    Alert,
    AlertKind,
    AlertStatus,
    DedupeKey,
    MonitoringSettings,
    Narrative,
    Post,
)
from sejuk.reports import routing
from sejuk.reports.models import Notification
from sejuk.territory.models import Officer, PoliceUnit, Wilayah

log = logging.getLogger(__name__)

CHUNK = 500
# Near-duplicates are looked for among posts of the week before.
DEDUPE_WINDOW = dt.timedelta(days=7)
HASHER = MinHasher()
TALKING_POINTS_FILE = Path(__file__).with_name("talking_points.json")
TALKING_POINT_CATEGORIES = ("sara", "provocation", "hoax", "general")
SAMPLE_POSTS = 5


class MonitoringError(Exception):
    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


class NotAllowed(Exception):
    pass


def spike_rule(s: MonitoringSettings) -> SpikeRule:
    return SpikeRule(
        window_hours=s.spike_window_hours,
        baseline_days=s.spike_baseline_days,
        min_count=s.spike_min_count,
        ratio=s.spike_ratio,
        alpha=s.spike_alpha,
        min_expected=s.spike_min_expected,
    )


def fallback_scope_kode(unit: PoliceUnit | None = None) -> str:
    """Where unplaced posts are visible: the monitoring unit's territory
    (``SEJUK_TRIAGE_UNIT`` by default, like reports that cannot be located)."""
    unit = unit or routing.triage_unit()
    if unit is None:
        return ""
    codes = PoliceUnit.wilayah.through.objects.filter(policeunit_id=unit.pk).values_list(
        "wilayah_id", flat=True
    )
    return min(codes, default="", key=len)


# --- ingestion ------------------------------------------------------------------


@dataclass
class IngestResult:
    source: str = ""
    lines: int = 0
    received: int = 0
    ingested: int = 0
    duplicates: int = 0
    near_duplicates: int = 0
    placed: int = 0
    classified: int = 0
    narratives_created: int = 0
    narratives_joined: int = 0
    blank_lines: int = 0
    errors: list[dict] = field(default_factory=list)
    post_ids: list[int] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return len(self.errors)

    def as_dict(self) -> dict:
        d = asdict(self)
        d["failed"] = self.failed
        d.pop("post_ids")
        return d


@dataclass
class _New:
    line: int
    data: PostInput
    norm: str
    hash: str
    shingles: set[str]
    keys: list[int]
    canonical_db: dict | None = None  # the earlier stored post this one copies
    canonical_new: int | None = None  # or the earlier post of this chunk
    post: Post | None = None


def ingest(parsed: Parsed, *, source: str, unit: PoliceUnit | None = None) -> IngestResult:
    """Store the good posts of ``parsed``; the result lists the bad lines.

    Each chunk of posts is one transaction, so a failure (or a stop) keeps
    every chunk before it. Re-ingesting the same file changes nothing: posts
    are keyed by (platform, id)."""
    result = IngestResult(
        source=source,
        lines=parsed.lines,
        received=len(parsed.posts),
        blank_lines=parsed.blank,
        errors=[e.as_dict() for e in parsed.errors],
    )
    s = MonitoringSettings.current()
    scope = fallback_scope_kode(unit)
    for start in range(0, len(parsed.posts), CHUNK):
        _ingest_chunk(parsed.posts[start : start + CHUNK], source, scope, s, result)
    audit.log(
        AuditAction.IMPORT,
        object_type="monitoring.post",
        object_repr=f"{result.ingested} posts from {source}"[:300],
        changes={k: v for k, v in result.as_dict().items() if k != "errors"},
    )
    if result.ingested:
        from sejuk.monitoring.tasks import request_detection

        transaction.on_commit(request_detection)
    return result


def _ingest_chunk(
    items: list[tuple[int, PostInput]],
    source: str,
    fallback_scope: str,
    s: MonitoringSettings,
    result: IngestResult,
) -> None:
    with transaction.atomic():
        # One ingester at a time updates narratives (their centroids are
        # read-modify-write); SQLite already serialises writers.
        list(MonitoringSettings.objects.select_for_update().filter(pk=1).values_list("pk"))
        fresh = _drop_known_ids(items, result)
        if not fresh:
            return
        new = []
        for line, p in fresh:
            norm = normalize(p.text)
            sh = shingles(norm)
            new.append(_New(line, p, norm, text_hash(p.text), sh, HASHER.keys(sh)))
        _find_duplicates(new)
        for n in new:
            if n.canonical_db is not None or n.canonical_new is not None:
                result.near_duplicates += 1
        _classify_and_cluster(new, s, result)
        _save(new, source, fallback_scope, result)


def _drop_known_ids(items, result: IngestResult) -> list[tuple[int, PostInput]]:
    ids = {p.external_id for _, p in items}
    known = set(Post.objects.filter(external_id__in=ids).values_list("platform", "external_id"))
    fresh, seen = [], set()
    for line, p in items:
        key = (p.platform, p.external_id)
        if key in known or key in seen:
            result.duplicates += 1
            continue
        seen.add(key)
        fresh.append((line, p))
    return fresh


def _find_duplicates(new: list[_New]) -> None:
    since = min(n.data.posted_at for n in new) - DEDUPE_WINDOW
    keys = {k for n in new for k in n.keys}
    by_key: dict[int, set[int]] = defaultdict(set)
    for key, post_id in DedupeKey.objects.filter(key__in=keys, posted_at__gte=since).values_list(
        "key", "post_id"
    ):
        by_key[key].add(post_id)
    by_hash: dict[str, int] = {}
    for pk, h in Post.objects.filter(
        text_hash__in={n.hash for n in new}, posted_at__gte=since, duplicate_of__isnull=True
    ).values_list("pk", "text_hash"):
        by_hash.setdefault(h, pk)
    wanted = {pid for ids in by_key.values() for pid in ids} | set(by_hash.values())
    rows = {
        r["pk"]: r
        for r in Post.objects.filter(pk__in=wanted).values(
            "pk", "text", "author", "duplicate_of_id", "narrative_id", "scores", "labels",
            "provocative", "sara", "classified_at",
        )
    }  # fmt: skip
    row_shingles: dict[int, set[str]] = {}
    new_by_key: dict[int, list[int]] = defaultdict(list)
    new_by_hash: dict[str, int] = {}
    for i, n in enumerate(new):
        hit = by_hash.get(n.hash)
        if hit in rows:
            n.canonical_db = rows[hit]
        else:
            for key in n.keys:
                for pid in by_key.get(key, ()):
                    row = rows.get(pid)
                    if row is None:
                        continue
                    if pid not in row_shingles:
                        row_shingles[pid] = shingles(normalize(row["text"]))
                    if jaccard(n.shingles, row_shingles[pid]) >= HASHER.threshold:
                        n.canonical_db = row
                        break
                if n.canonical_db is not None:
                    break
        if n.canonical_db is not None:
            canonical = n.canonical_db["duplicate_of_id"]
            if canonical and canonical != n.canonical_db["pk"]:
                # Point at the first post of the family, not at a copy.
                first = Post.objects.filter(pk=canonical).values(*n.canonical_db.keys()).first()
                if first:
                    n.canonical_db = first
            continue
        j = new_by_hash.get(n.hash)
        if j is None:
            for key in n.keys:
                for cand in new_by_key.get(key, ()):
                    if jaccard(n.shingles, new[cand].shingles) >= HASHER.threshold:
                        j = cand
                        break
                if j is not None:
                    break
        if j is not None:
            n.canonical_new = j
            continue
        new_by_hash[n.hash] = i
        for key in n.keys:
            new_by_key[key].append(i)


def _classify_and_cluster(new: list[_New], s: MonitoringSettings, result: IngestResult) -> None:
    originals = [i for i, n in enumerate(new) if n.canonical_db is None and n.canonical_new is None]
    classified = classifier.classify_texts(
        [new[i].data.text for i in originals], s.provocation_threshold, s.sara_threshold
    )
    now = timezone.now()
    for n in new:
        n.post = Post(
            platform=n.data.platform,
            external_id=n.data.external_id,
            author=n.data.author,
            text=n.data.text,
            posted_at=n.data.posted_at,
            url=n.data.url,
            lat=n.data.lat,
            lon=n.data.lon,
            location_text=n.data.location_text,
            text_hash=n.hash,
        )
    if classified is not None:
        for i, c in zip(originals, classified, strict=True):
            p = new[i].post
            p.scores, p.labels, p.provocative, p.sara = c.scores, c.labels, c.provocative, c.sara
            p.classified_at = now
    # Copies take the scores of their original (one classification per text).
    for n in new:
        src = None
        if n.canonical_db is not None:
            src = n.canonical_db
            values = (
                src["scores"],
                src["labels"],
                src["provocative"],
                src["sara"],
                src["classified_at"],
            )
        elif n.canonical_new is not None:
            o = new[n.canonical_new].post
            values = (o.scores, o.labels, o.provocative, o.sara, o.classified_at)
        else:
            continue
        n.post.scores, n.post.labels, n.post.provocative, n.post.sara, n.post.classified_at = values
    result.classified += sum(1 for n in new if n.post.classified_at is not None)

    # Narratives: originals go through the clusterer; copies join their original's.
    window = dt.timedelta(hours=s.narrative_window_hours)
    earliest = min(new[i].data.posted_at for i in originals) if originals else None
    states: list[NarrativeState] = []
    if earliest is not None:
        for nar in Narrative.objects.filter(last_seen__gte=earliest - window).only(
            "pk", "centroid", "post_count", "first_seen", "last_seen"
        ):
            states.append(
                NarrativeState(
                    nar.pk,
                    nar.centroid or {},
                    max(1, nar.post_count),
                    nar.first_seen,
                    nar.last_seen,
                )
            )
        clusterer = NarrativeClusterer(threshold=s.narrative_threshold, window=window)
        clusterer.partial_fit(
            [PostText(new[i].data.text, new[i].data.posted_at) for i in originals], states
        )
        surface = surface_forms([new[i].data.text for i in originals])
        touched: dict[int, NarrativeState] = {}
        for i, label in zip(originals, clusterer.labels_, strict=True):
            if label >= 0:
                touched[i] = clusterer.narratives_[label]
        # Give new narratives their rows, and save moved centroids.
        created = [st for st in clusterer.narratives_ if st.new]
        rows = [
            Narrative(
                title=_title(st.centroid, surface),
                terms=top_terms(st.centroid, 8, surface),
                centroid=st.centroid,
                post_count=0,
                first_seen=st.first_seen,
                last_seen=st.last_seen,
            )
            for st in created
        ]
        Narrative.objects.bulk_create(rows)
        for st, row in zip(created, rows, strict=True):
            st.key = row.pk
        result.narratives_created += len(created)
        moved = {st.key for i, st in touched.items() if not st.new}
        result.narratives_joined += len(moved)
        updates = []
        for st in clusterer.narratives_:
            if st.key in moved:
                updates.append(
                    Narrative(
                        pk=st.key,
                        centroid=st.centroid,
                        title=_title(st.centroid, surface),
                        terms=top_terms(st.centroid, 8, surface),
                        last_seen=st.last_seen,
                        first_seen=st.first_seen,
                    )
                )
        Narrative.objects.bulk_update(
            updates, ["centroid", "title", "terms", "last_seen", "first_seen"], batch_size=200
        )
        for i, st in touched.items():
            new[i].post.narrative_id = st.key
    for n in new:
        if n.canonical_db is not None:
            n.post.narrative_id = n.canonical_db["narrative_id"]
        elif n.canonical_new is not None:
            n.post.narrative_id = new[n.canonical_new].post.narrative_id


def _title(centroid: dict[str, float], surface: dict[str, str]) -> str:
    return " · ".join(top_terms(centroid, 4, surface))[:200] or "—"


def _save(new: list[_New], source: str, fallback_scope: str, result: IngestResult) -> None:
    for n in new:
        p = n.post
        where = placement.place(
            p.lat, p.lon, " ".join(x for x in (n.data.location_text, n.data.text) if x)
        )
        p.kelurahan_id = where.kelurahan
        p.area_kode = where.area
        p.located_by = where.located_by
        p.location_confidence = where.confidence
        p.scope_kode = where.area or fallback_scope
        p.source = source[:100]
        if where.area:
            result.placed += 1
    originals = [n for n in new if n.canonical_db is None and n.canonical_new is None]
    Post.objects.bulk_create([n.post for n in originals], batch_size=500)
    copies = [n for n in new if n not in originals]
    for n in copies:
        if n.canonical_db is not None:
            n.post.duplicate_of_id = n.canonical_db["pk"]
            first_author = n.canonical_db["author"]
        else:
            first = new[n.canonical_new].post
            n.post.duplicate_of_id = first.pk
            first_author = first.author
        # The same account repeating itself adds no reach.
        n.post.counted = n.post.author.casefold() != first_author.casefold()
    Post.objects.bulk_create([n.post for n in copies], batch_size=500)
    DedupeKey.objects.bulk_create(
        [
            DedupeKey(key=k, post_id=n.post.pk, posted_at=n.post.posted_at)
            for n in originals
            for k in n.keys
        ],
        batch_size=1000,
    )
    # Narrative counters: counted posts only.
    delta: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    for n in new:
        if n.post.narrative_id and n.post.counted:
            d = delta[n.post.narrative_id]
            d[0] += 1
            d[1] += int(n.post.provocative)
            d[2] += int(n.post.sara)
    for pk, (posts, prov, sara) in delta.items():
        Narrative.objects.filter(pk=pk).update(
            post_count=F("post_count") + posts,
            provocative_count=F("provocative_count") + prov,
            sara_count=F("sara_count") + sara,
        )
    result.ingested += len(new)
    result.post_ids += [n.post.pk for n in new]


def refresh_narrative_counts(narrative_ids) -> None:
    """Recount a narrative's posts from the posts table (after reclassification)."""
    for row in (
        Post.objects.filter(narrative_id__in=list(narrative_ids), counted=True)
        .values("narrative_id")
        .annotate(n=Count("pk"), prov=Count("pk", filter=Q(provocative=True)),
                  sara=Count("pk", filter=Q(sara=True)))
    ):  # fmt: skip
        Narrative.objects.filter(pk=row["narrative_id"]).update(
            post_count=row["n"], provocative_count=row["prov"], sara_count=row["sara"]
        )


def classify_pending(*, batch: int = 1000, everything: bool = False) -> int:
    """Classify posts stored without a model (or all of them with ``everything``).

    Returns the number of posts classified; 0 when there is still no model."""
    if classifier.get_classifier() is None:
        return 0
    s = MonitoringSettings.current()
    done = 0
    started = timezone.now()
    last_pk = 0
    while True:
        qs = Post.objects.filter(duplicate_of__isnull=True, pk__gt=last_pk)
        qs = (
            qs.filter(Q(classified_at__lt=started) | Q(classified_at__isnull=True))
            if everything
            else qs.filter(classified_at__isnull=True)
        )
        rows = list(qs.order_by("pk").only("pk", "text", "narrative_id")[:batch])
        if not rows:
            break
        last_pk = rows[-1].pk
        results = classifier.classify_texts(
            [r.text for r in rows], s.provocation_threshold, s.sara_threshold
        )
        if results is None:
            break
        now = timezone.now()
        with transaction.atomic():
            for r, c in zip(rows, results, strict=True):
                r.scores, r.labels, r.provocative, r.sara = (
                    c.scores,
                    c.labels,
                    c.provocative,
                    c.sara,
                )
                r.classified_at = now
            Post.objects.bulk_update(
                rows, ["scores", "labels", "provocative", "sara", "classified_at"], batch_size=500
            )
            for r in rows:
                Post.objects.filter(duplicate_of_id=r.pk).update(
                    scores=r.scores, labels=r.labels, provocative=r.provocative, sara=r.sara,
                    classified_at=now,
                )  # fmt: skip
            refresh_narrative_counts({r.narrative_id for r in rows if r.narrative_id})
        done += len(rows)
    return done


# --- talking points -------------------------------------------------------------


def default_talking_points() -> dict[str, list[str]]:
    data = json.loads(TALKING_POINTS_FILE.read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if not k.startswith("_")}


def validate_talking_points(data: object) -> dict[str, list[str]]:
    """The talking points as {category: [text, ...]}; raises MonitoringError."""
    if not isinstance(data, dict):
        raise MonitoringError({"talking_points": _("must be a JSON object of category: [texts]")})
    out: dict[str, list[str]] = {}
    for key, value in data.items():
        if str(key).startswith("_"):
            continue
        if key not in TALKING_POINT_CATEGORIES:
            raise MonitoringError(
                {
                    "talking_points": _("unknown category %(name)s; use %(names)s")
                    % {"name": key, "names": ", ".join(TALKING_POINT_CATEGORIES)}
                }
            )
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise MonitoringError(
                {"talking_points": _("%(name)s must be a list of texts") % {"name": key}}
            )
        for text in value:
            try:
                fields = [f for _lit, *f in string.Formatter().parse(text) if f[0] is not None]
            except ValueError as exc:
                raise MonitoringError(
                    {"talking_points": _("%(text)s: %(error)s") % {"text": text[:60], "error": exc}}
                ) from None
            # Only {name}: attributes, indexes, conversions and widths would
            # fail (or blow up) when the brief fills the template.
            if any(not name.isidentifier() or spec or conv for name, spec, conv in fields):
                raise MonitoringError(
                    {
                        "talking_points": _("%(text)s: placeholders are plain names like {wilayah}")
                        % {"text": text[:60]}
                    }
                )
        out[key] = [v.strip() for v in value]
    return out


class _Fill(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def talking_points(
    s: MonitoringSettings, categories: list[str], values: dict[str, str]
) -> list[dict]:
    table = s.talking_points or default_talking_points()
    out, seen = [], set()
    for cat in categories:
        for text in table.get(cat, []):
            try:
                line = text.format_map(_Fill(values))
            except (ValueError, IndexError, AttributeError, TypeError):
                line = text
            if line not in seen:
                seen.add(line)
                out.append({"category": cat, "text": line})
    return out


# --- spikes, alerts and briefs ---------------------------------------------------------


KIND_FIELD = {AlertKind.PROVOCATION: "provocative", AlertKind.SARA: "sara"}


def hourly_counts(kind: str, since: dt.datetime, until: dt.datetime) -> dict[str, dict]:
    """Flagged, counted posts per area and hour (UTC hour starts)."""
    out: dict[str, dict] = defaultdict(dict)
    rows = (
        Post.objects.filter(
            **{KIND_FIELD[kind]: True}, counted=True, posted_at__gte=since, posted_at__lt=until
        )
        .exclude(area_kode="")
        .annotate(hour=TruncHour("posted_at", tzinfo=dt.UTC))
        .values("area_kode", "hour")
        .annotate(n=Count("pk"))
    )
    for r in rows:
        out[r["area_kode"]][r["hour"]] = r["n"]
    return out


def detection_end(now: dt.datetime) -> dt.datetime:
    """The window ends at the next hour boundary: it holds the current hour."""
    floor = now.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)
    return floor + dt.timedelta(hours=1)


def run_detection(now: dt.datetime | None = None) -> list[Alert]:
    """Find spikes and raise alerts (new ones notify; a continuing spike
    updates its alert silently). Safe to run repeatedly and concurrently."""
    now = now or timezone.now()
    s = MonitoringSettings.current()
    rule = spike_rule(s)
    end = detection_end(now)
    raised: list[Alert] = []
    for kind in (AlertKind.SARA, AlertKind.PROVOCATION):
        counts = hourly_counts(kind, end - rule.window - rule.baseline, end)
        for spike in detect_spikes(counts, end, rule, kind=str(kind)):
            alert = _raise_alert(spike, s, rule, now)
            if alert is not None:
                raised.append(alert)
    return raised


def _raise_alert(spike, s: MonitoringSettings, rule: SpikeRule, now: dt.datetime) -> Alert | None:
    recent = Alert.objects.filter(
        area_kode=spike.area, kind=spike.kind, last_detected_at__gte=now - rule.window
    ).first()
    if recent is not None:
        # The same spike, still going: refresh the figures, alert nobody again.
        Alert.objects.filter(pk=recent.pk).update(
            last_detected_at=now,
            observed=max(recent.observed, spike.observed),
            window_end=spike.window_end,
        )
        return None
    polsek_id = None
    if spike.area.count(".") >= 2:
        polsek_id, _polres, _officer = routing.units_for_kelurahan(spike.area)
    try:
        with transaction.atomic():
            alert = Alert.objects.create(
                area_kode=spike.area,
                kind=spike.kind,
                observed=spike.observed,
                expected=spike.expected,
                p_value=spike.p_value,
                window_start=spike.window_start,
                window_end=spike.window_end,
                first_detected_at=now,
                last_detected_at=now,
                polsek_id=polsek_id,
                dedupe_key=f"{spike.area}:{spike.kind}:{spike.window_end:%Y%m%d%H}",
            )
    except IntegrityError:
        return None  # another worker raised it a moment ago
    brief = build_brief(alert, s)
    sent = _notify(alert, brief)
    Alert.objects.filter(pk=alert.pk).update(brief=brief, notified=sent)
    alert.brief, alert.notified = brief, sent
    return alert


def _area_name(kode: str) -> str:
    w = Wilayah.objects.light().filter(kode=kode).first()
    return w.display if w is not None else kode


def build_brief(alert: Alert, s: MonitoringSettings | None = None) -> dict:
    """What the officer needs: the narratives, sample posts, matched
    fact-checks and talking points (a snapshot kept with the alert)."""
    s = s or MonitoringSettings.current()
    flag = KIND_FIELD[alert.kind]
    posts = list(
        Post.objects.filter(
            area_kode=alert.area_kode,
            posted_at__gte=alert.window_start,
            posted_at__lt=alert.window_end,
            **{flag: True},
        ).values("pk", "platform", "author", "text", "posted_at", "url", "scores",
                 "narrative_id", "duplicate_of_id")[:1000]
    )  # fmt: skip
    score_key = "hate_speech" if alert.kind == AlertKind.PROVOCATION else None

    def strength(p: dict) -> float:
        sc = p["scores"] or {}
        return float(sc.get(score_key, 0.0)) if score_key else classifier.sara_score(sc)

    originals = sorted(
        (p for p in posts if p["duplicate_of_id"] is None), key=lambda p: (-strength(p), -p["pk"])
    )
    samples = originals[:SAMPLE_POSTS]
    by_narrative = Counter(p["narrative_id"] for p in posts if p["narrative_id"])
    narratives = []
    for nar in Narrative.objects.filter(pk__in=[k for k, _n in by_narrative.most_common(3)]):
        narratives.append(
            {"id": nar.pk, "title": nar.title, "terms": nar.terms[:6], "in_window": by_narrative[nar.pk],
             "total": nar.post_count, "trend": narrative_trend(nar.pk, end=alert.window_end)}
        )  # fmt: skip
    narratives.sort(key=lambda n: -n["in_window"])
    best: dict[int, dict] = {}
    for row in archive.match_texts([p["text"] for p in samples], k=2, min_score=s.claim_min_score):
        for m in row:
            if m.id not in best or best[m.id]["score"] < m.score:
                best[m.id] = m.as_dict()
    fact_checks = sorted(best.values(), key=lambda m: -m["score"])[:3]
    categories = [str(alert.kind)]
    if any(m["verdict"] in ("hoax", "misleading") for m in fact_checks):
        categories.append("hoax")
    categories.append("general")
    top_claim = fact_checks[0] if fact_checks else None
    values = {
        "wilayah": _area_name(alert.area_kode),
        "narasi": narratives[0]["title"] if narratives else "",
        "klaim": top_claim["title"] if top_claim else "",
        "putusan": top_claim["verdict"] if top_claim else "",
    }
    if not top_claim:
        categories = [c for c in categories if c != "hoax"]
    return {
        "area": {"kode": alert.area_kode, "name": values["wilayah"]},
        "kind": alert.kind,
        "observed": alert.observed,
        "expected": alert.expected,
        "window": [alert.window_start.isoformat(), alert.window_end.isoformat()],
        "posts_in_window": len(posts),
        "narratives": narratives,
        "samples": [
            {
                "id": p["pk"],
                "platform": p["platform"],
                "author": p["author"],
                "text": p["text"][:600],
                "posted_at": p["posted_at"].isoformat(),
                "url": p["url"],
                "score": round(strength(p), 3),
            }
            for p in samples
        ],  # fmt: skip
        "fact_checks": fact_checks,
        "talking_points": talking_points(s, categories, values),
        "generated_at": timezone.now().isoformat(),
    }


def _recipients(area: str) -> list[User]:
    q = Q(pk__in=[])
    polsek_id = routing.units_for_kelurahan(area)[0] if area.count(".") >= 2 else None
    if polsek_id:
        q |= Q(unit_id=polsek_id, role__in=[Role.KAPOLSEK, Role.POLSEK_STAFF])
    if area.count(".") == 3:
        officers = Officer.objects.filter(kelurahan__kode=area, active=True).values("pk")
        q |= Q(officer__in=officers, role=Role.BHABINKAMTIBMAS)
    return list(User.objects.filter(q, is_active=True).distinct())


def _notify(alert: Alert, brief: dict) -> int:
    with translation.override(django_settings.LANGUAGE_CODE):
        kind = str(AlertKind(alert.kind).label)
        text = _(
            "Spike of %(kind)s posts about %(area)s: %(observed)d in %(hours)d hours "
            "(usually %(expected).1f). Brief: %(url)s"
        ) % {
            "kind": kind,
            "area": brief["area"]["name"],
            "observed": alert.observed,
            "hours": int((alert.window_end - alert.window_start).total_seconds() // 3600),
            "expected": alert.expected,
            "url": f"/monitoring/alerts/{alert.pk}/",
        }
    rows = [
        Notification(
            user=u, kind="monitoring_alert", text=text, dedupe_key=f"mon:{alert.pk}:{u.pk}"
        )
        for u in _recipients(alert.area_kode)
    ]
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def narrative_trend(narrative_id: int, *, end: dt.datetime | None = None, days: int = 7) -> dict:
    """Posts per day (Asia/Jakarta days) over the last ``days`` days, and the direction."""
    from django.db.models.functions import TruncDate

    end = end or timezone.now()
    start_day = timezone.localdate(end) - dt.timedelta(days=days - 1)
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(start_day, dt.time(), tzinfo=tz)
    rows = dict(
        Post.objects.filter(
            narrative_id=narrative_id, counted=True, posted_at__gte=start, posted_at__lt=end
        )
        .annotate(day=TruncDate("posted_at", tzinfo=tz))
        .values("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
    )
    days_list = [start_day + dt.timedelta(days=i) for i in range(days)]
    counts = [rows.get(d, 0) for d in days_list]
    return {"days": [d.isoformat() for d in days_list], "counts": counts, **volume_trend(counts)}


# --- alert handling --------------------------------------------------------------------


def do_handle_alert(user: User, alert: Alert, status: str, note: str = "") -> Alert:
    if status not in (AlertStatus.ACKNOWLEDGED, AlertStatus.CLOSED, AlertStatus.OPEN):
        raise MonitoringError({"status": _("unknown status")})
    if status == AlertStatus.CLOSED and not (note or "").strip():
        raise MonitoringError({"note": _("closing an alert needs a note")})
    alert.status = status
    alert.note = (note or "").strip()[:2000]
    alert.handled_by = user
    alert.handled_at = timezone.now()
    alert.save(update_fields=["status", "note", "handled_by", "handled_at"])
    return alert


__all__ = [
    "IngestResult",
    "MonitoringError",
    "NotAllowed",
    "build_brief",
    "classify_pending",
    "default_talking_points",
    "do_handle_alert",
    "ingest",
    "narrative_trend",
    "run_detection",
    "validate_talking_points",
]
