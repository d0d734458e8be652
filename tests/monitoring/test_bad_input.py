"""Bad input to the monitoring pages, API and command answers a clear error, never a 500."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from sejuk.accounts.models import User
from sejuk.monitoring.actions import talking_points
from sejuk.monitoring.models import MonitoringSettings

HUGE = 10**30
BAD_TEMPLATES = [
    "Jaga {wilayah.nope}",
    "Cek {wilayah[x]}",
    "Jaga {wilayah.upper}",
    "{wilayah!r}",
    "{wilayah:>999}",
]


def test_a_narrative_id_beyond_the_database_range_is_a_form_error(client_for, kapolres):
    c = client_for(kapolres)
    page = c.get("/monitoring/posts/", {"narrative": HUGE})
    assert page.status_code == 200
    assert page.context["form"].errors["narrative"]
    api = c.get("/api/v1/monitoring/posts", {"narrative": HUGE})
    assert api.status_code == 422


@pytest.mark.parametrize("template", BAD_TEMPLATES)
def test_talking_points_take_plain_placeholders_only(client_for, db, template):
    c = client_for(User.objects.get(username="analis.jakpus"))
    form = {
        "spike_window_hours": 12, "spike_baseline_days": 21, "spike_min_count": 4, "spike_ratio": 2.5,
        "spike_alpha": 0.005, "spike_min_expected": 0.5, "provocation_threshold": 0.6,
        "sara_threshold": 0.55, "narrative_threshold": 0.2, "narrative_window_hours": 48,
        "claim_min_score": 0.15, "talking_points_json": json.dumps({"sara": [template]}),
    }  # fmt: skip
    response = c.post("/monitoring/settings/", form)
    assert response.status_code == 422
    assert response.context["form"].errors["talking_points_json"]
    assert MonitoringSettings.current().talking_points is None


def test_the_command_rejects_talking_points_with_attribute_placeholders(db, tmp_path):
    path = tmp_path / "tp.json"
    path.write_text(json.dumps({"general": ["Jaga {wilayah.upper}"]}), encoding="utf-8")
    with pytest.raises(CommandError, match="wilayah"):
        call_command("monitoring", "talking-points", "import", str(path))


def test_a_stored_template_that_cannot_be_filled_is_shown_as_written(db):
    s = MonitoringSettings.current()
    s.talking_points = {"general": ["Jaga {wilayah.nope}", "Cek {wilayah[x]}"]}
    lines = talking_points(s, ["general"], {"wilayah": "Galur"})
    assert [p["text"] for p in lines] == ["Jaga {wilayah.nope}", "Cek {wilayah[x]}"]


def test_a_new_claim_that_repeats_an_archived_one_is_a_form_error(client_for, db):
    from sejuk.monitoring.models import FactCheck

    c = client_for(User.objects.get(username="analis.jakpus"))
    form = {"verdict": "hoax", "source": "Bawaslu DKI", "active": "on",
            "text": "Beredar video surat suara sudah dicoblos di TPS Galur."}  # fmt: skip
    assert c.post("/monitoring/claims/new/", form).status_code == 302
    again = c.post("/monitoring/claims/new/", form)
    assert again.status_code == 422
    assert again.context["form"].non_field_errors()
    assert FactCheck.objects.filter(source="Bawaslu DKI").count() == 1
