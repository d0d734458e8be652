from django.conf import settings


def sejuk(request):
    user = getattr(request, "user", None)
    return {
        "SEJUK_TILE_URL": settings.SEJUK_TILE_URL,
        "SEJUK_TILE_ATTRIBUTION": settings.SEJUK_TILE_ATTRIBUTION,
        "sejuk_role": getattr(user, "role", "") if user is not None else "",
    }
