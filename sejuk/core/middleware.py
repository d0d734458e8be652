"""Indonesian first: the language comes from the user's explicit choice only."""


class IndonesianFirstMiddleware:
    """Ignore the browser's Accept-Language so the UI is in Bahasa Indonesia
    unless the user picked another language (the language cookie set by the
    switcher). Many officers' phones are set to English; the default must not
    depend on that."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)


class RejectNulMiddleware:
    """PostgreSQL text cannot hold NUL characters: refuse requests that carry
    one in the query string, a form or a JSON body with a clear error,
    instead of a database error deep inside (a 500; e.g. a login rate-limit
    key built from the typed username). Uploaded files are binary and are not
    inspected, only the text fields of a form."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "%00" in request.META.get("QUERY_STRING", "") or any(
            "\x00" in v for v in request.GET.values()
        ):
            return self._refuse("query string")
        if request.method in ("POST", "PUT", "PATCH"):
            if request.content_type == "application/json":
                body = request.body
                if b"\\u0000" in body or b"\x00" in body:
                    return self._refuse("body")
            elif request.content_type in (
                "application/x-www-form-urlencoded",
                "multipart/form-data",
            ) and any("\x00" in v for _key, values in request.POST.lists() for v in values):
                return self._refuse("form")
        return self.get_response(request)

    @staticmethod
    def _refuse(where: str):
        from django.http import JsonResponse

        return JsonResponse(
            {
                "detail": "NUL characters (\\u0000) are not allowed",
                "message": f"{where}: NUL character",
            },
            status=422,
        )
