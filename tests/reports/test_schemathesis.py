"""Fuzz the public reports API from its own OpenAPI document: no 5xx, ever.

Schemathesis loads ``/api/v1/openapi.json`` from the WSGI application in
process and generates requests for the four public operations (tag
"reports (public)"): ``POST /api/v1/reports``, ``GET /api/v1/reports/status/
{ticket}``, ``POST …/rate`` and ``POST …/reopen``. Its examples, coverage
(boundary and negative values) and fuzzing phases all run, with valid and
invalid data; the only check is ``not_a_server_error``: any answer but a 5xx
passes (a 404, 422 or 429 is a fine answer to a bad request).

Deterministic: a fixed seed, Hypothesis derandomised, no example database.

So that the fuzzer gets past "unknown category", "give both lat and lon",
"not a phone number" and "ticket not found", about half of the intake
examples are mended into acceptable reports (a real category, both
coordinates or neither, a phone number; every other field stays as generated),
and some ticket examples use the real ticket (in several spellings) of a
report in each state: received, resolved (rateable, reopenable), rejected,
merged into another. Intake examples accumulate like real traffic, the rows
and rate-limit counters of earlier examples stay; the ticket operations each
run in a savepoint that is rolled back, so every example starts from the same
states. The rate limits are raised so that 429s don't mask everything (a 429
would still pass the check).
"""

from __future__ import annotations

from collections import Counter

import hypothesis
import pytest
import schemathesis
from django.db import transaction
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig

from sejuk.reports.models import Category, Report
from sejuk.wsgi import application

SEED = 20241127
MAX_EXAMPLES = 100  # per operation, fuzzing phase

# Fixed tickets for the seeded reports (TICKET_ALPHABET only), set after creation.
RECEIVED, RESOLVED, REJECTED, MERGED = "RCVD-3479", "FXED-7373", "REJX-9494", "MRQD-4343"
TICKETS = (RECEIVED, RESOLVED, REJECTED, MERGED)

CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": SEED,
        "generation": {
            "mode": "all",  # valid and invalid data
            "max-examples": MAX_EXAMPLES,
            "deterministic": True,
            "database": "none",
        },
        # Show client_key and the like in reproductions (no secrets here).
        "output": {"sanitization": {"enabled": False}},
        "phases": {
            "examples": {"enabled": True},
            "coverage": {"enabled": True},
            "fuzzing": {"enabled": True},
            "stateful": {"enabled": False},
        },
    }
)

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application, config=CONFIG).include(
    tag="reports (public)"
)

STATUSES: dict[str, Counter] = {}


def _spellings(ticket: str) -> list[str]:
    raw = ticket.replace("-", "")
    return [ticket, ticket.lower(), f"{raw[:4]} {raw[4:]}", raw]


real_ticket = st.one_of(st.none(), st.sampled_from([s for t in TICKETS for s in _spellings(t)]))
mend = st.one_of(st.none(), st.tuples(st.sampled_from(Category.values), st.booleans()))


def _number(value) -> bool:
    return isinstance(value, float | int) and not isinstance(value, bool)


def _mend(body: dict, category: str, with_point: bool) -> None:
    """Make a generated intake body acceptable, keeping the other fields as they are."""
    body["category"] = category
    if with_point:
        lat, lon = body.get("lat"), body.get("lon")
        body["lat"] = lat if _number(lat) and -90 <= lat <= 90 else -6.1762
        body["lon"] = lon if _number(lon) and -180 <= lon <= 180 else 106.8554
    else:
        body.pop("lat", None)
        body.pop("lon", None)
    desc = body.get("description")
    if not isinstance(desc, str) or len(desc.strip()) < 10 or len(desc) > 5000:
        body["description"] = (
            "Ada pembagian amplop di dekat TPS. " + (desc if isinstance(desc, str) else "")[:4000]
        )
    contact = body.get("reporter_contact")
    if (
        isinstance(contact, str)
        and contact
        and "@" not in contact
        and sum(c.isdigit() for c in contact) < 8
    ):
        body["reporter_contact"] = "0812 3456 7890"


@pytest.fixture
def in_process_wsgi():
    """Keep the test's database connection open across WSGI requests.

    The real handler closes the connection when a request finishes, which would
    end the test transaction; Django's own test client disconnects the same
    signal handlers."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def public_reports(make_report, kapolsek_jb, settings, in_process_wsgi):
    """Reports in each state a reporter can meet, under fixed tickets."""
    from sejuk.reports import actions

    settings.SEJUK_PUBLIC_REPORTS_PER_HOUR_IP = 10**9
    settings.SEJUK_PUBLIC_REPORTS_PER_DAY_PHONE = 10**9
    settings.SEJUK_STATUS_LOOKUPS_PER_MINUTE_IP = 10**9

    def seeded(ticket: str, **over) -> Report:
        r = make_report(**over)
        Report.objects.filter(pk=r.pk).update(ticket=ticket)
        r.refresh_from_db()
        return r

    seeded(RECEIVED, category="money_politics", lat=None, lon=None, anonymous=True,
           description="Pembagian amplop di depan pos RW 02, tadi pagi.")  # fmt: skip
    resolved = seeded(RESOLVED, category="vandalism")
    actions.do_verify(kapolsek_jb, resolved)
    actions.do_resolve(kapolsek_jb, resolved, "Spanduk sudah dipasang kembali oleh warga.")
    rejected = seeded(REJECTED, category="other", description="Tes tes tes tes tes tes.")
    actions.do_reject(kapolsek_jb, rejected, "Bukan laporan kejadian.")
    primary = make_report(category="crowd", description="Kerumunan di depan TPS 012 Galur.")
    merged = seeded(MERGED, category="crowd", description="Ramai orang berkumpul di TPS 012.",
                    lat=-6.17625, lon=106.85545)  # fmt: skip
    if merged.merged_into_id is None:
        actions.do_merge(kapolsek_jb, merged, primary)
    return TICKETS


@schema.given(ticket=real_ticket, mended=mend)
@schema.parametrize()
@hypothesis.settings(
    deadline=None,
    suppress_health_check=list(hypothesis.HealthCheck),
    print_blob=True,
)
def test_public_reports_api_never_answers_5xx(case, ticket, mended, public_reports):
    if ticket is not None and "ticket" in (case.path_parameters or {}):
        case.path_parameters["ticket"] = ticket
    if mended is not None and case.path == "/api/v1/reports" and isinstance(case.body, dict):
        _mend(case.body, *mended)
    seen = STATUSES.setdefault(f"{case.method.upper()} {case.path}", Counter())
    if case.path == "/api/v1/reports":
        response = case.call()
    else:
        with transaction.atomic():
            response = case.call()
            transaction.set_rollback(True)
    seen[response.status_code] += 1
    case.validate_response(response, checks=[not_a_server_error])


def test_the_fuzzer_got_past_validation():
    """The run above reached the real handlers, not only 404s and 422s."""
    if not STATUSES:
        pytest.skip("run with test_public_reports_api_never_answers_5xx")
    want = {
        "POST /api/v1/reports": 201,
        "GET /api/v1/reports/status/{ticket}": 200,
        "POST /api/v1/reports/status/{ticket}/rate": 200,
        "POST /api/v1/reports/status/{ticket}/reopen": 200,
    }
    for op, code in want.items():
        if op in STATUSES:
            assert STATUSES[op][code] > 0, f"{op}: {dict(STATUSES[op])}"
