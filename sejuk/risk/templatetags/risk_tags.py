"""``{% risk_home %}``: the index and open alerts on the home page of each role."""

from __future__ import annotations

from django import template

from sejuk.accounts.models import Role
from sejuk.risk import access
from sejuk.risk.models import AlertStatus

register = template.Library()

TOP = 5


@register.inclusion_tag("risk/_home.html", takes_context=True)
def risk_home(context) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not access.can_read(user):
        return {"risk": None}
    from sejuk.risk.views import latest_date

    day = latest_date(user)
    compact = user.role == Role.BHABINKAMTIBMAS
    counts = {"rendah": 0, "sedang": 0, "tinggi": 0}
    top = []
    if day is not None:
        rows = access.visible_daily(user).filter(date=day)
        for lv in rows.values_list("level", flat=True).order_by():
            counts[lv] += 1
        top = list(
            (rows if compact else rows.exclude(level="rendah"))
            .select_related("kelurahan")
            .defer("kelurahan__geometry")
            .order_by("-score", "kelurahan_id")[:TOP]
        )
    return {
        "risk": {
            # The officer's phone home page keeps the field app first: one line only.
            "compact": compact,
            "day": day,
            "counts": counts,
            "top": top,
            "open_alerts": access.visible_alerts(user).filter(status=AlertStatus.OPEN).count(),
        },
        "request": request,
    }
