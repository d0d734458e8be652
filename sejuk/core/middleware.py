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


class RejectNulJsonMiddleware:
    """PostgreSQL text cannot hold NUL characters: refuse JSON bodies that
    carry one with a clear 422, instead of a database error deep inside."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            request.method in ("POST", "PUT", "PATCH")
            and request.content_type == "application/json"
        ):
            body = request.body
            if b"\\u0000" in body or b"\x00" in body:
                from django.http import JsonResponse

                return JsonResponse(
                    {
                        "detail": "NUL characters (\\u0000) are not allowed",
                        "message": "body: NUL character",
                    },
                    status=422,
                )
        return self.get_response(request)
