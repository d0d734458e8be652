"""Elections and their calendars (campaign, quiet days, voting, counting)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class Phase(models.TextChoices):
    BEFORE = "before", _("before the campaign")
    CAMPAIGN = "campaign", _("campaign period")
    QUIET = "quiet", _("quiet period")
    VOTING = "voting", _("voting day")
    COUNTING = "counting", _("counting and recapitulation")
    AFTER = "after", _("after the election")


class Election(models.Model):
    """One election (e.g. Pilkada serentak 2024) over a territory, with its calendar."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=64, unique=True)
    wilayah = models.ManyToManyField("territory.Wilayah", blank=True, related_name="elections")
    campaign_start = models.DateField()
    campaign_end = models.DateField()
    quiet_start = models.DateField()
    quiet_end = models.DateField()
    voting_day = models.DateField()
    recap_end = models.DateField(help_text=_("Last day of counting and recapitulation."))
    is_demo = models.BooleanField(default=False)

    class Meta:
        ordering = ["-voting_day"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        order = [
            self.campaign_start,
            self.campaign_end,
            self.quiet_start,
            self.quiet_end,
            self.voting_day,
            self.recap_end,
        ]
        if any(a > b for a, b in zip(order, order[1:], strict=False)):
            raise ValidationError(
                _(
                    "The calendar dates must be in order: campaign, quiet days, voting, recapitulation."
                )
            )

    def get_phase(self, day: dt.date) -> Phase:
        if day < self.campaign_start:
            return Phase.BEFORE
        if day <= self.campaign_end:
            return Phase.CAMPAIGN
        if self.quiet_start <= day <= self.quiet_end:
            return Phase.QUIET
        if day == self.voting_day:
            return Phase.VOTING
        if self.voting_day < day <= self.recap_end:
            return Phase.COUNTING
        if day > self.recap_end:
            return Phase.AFTER
        return Phase.CAMPAIGN

    def days_to_vote(self, day: dt.date) -> int:
        return (self.voting_day - day).days
