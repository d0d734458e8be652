"""Serve field photos to the people allowed to see them (never as public media)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest
from django.urls import reverse

from sejuk.fieldwork.access import visible_activities
from sejuk.fieldwork.models import ActivityPhoto


def photo_url(photo: ActivityPhoto) -> str:
    return reverse("field-photo", args=[photo.pk])


@login_required
def photo(request: HttpRequest, pk: int) -> FileResponse:
    p = (
        ActivityPhoto.objects.filter(
            pk=pk, activity__in=visible_activities(request.user).values("pk")
        )
        .only("image")
        .first()
    )
    if p is None or not p.image:
        raise Http404("No such photo in your territory")
    try:
        handle = p.image.open("rb")
    except FileNotFoundError:
        raise Http404("Photo file missing") from None
    response = FileResponse(handle, content_type="image/jpeg")
    # Private to the logged-in user: shared caches must not keep it.
    response["Cache-Control"] = "private, max-age=86400"
    response["X-Content-Type-Options"] = "nosniff"
    return response
