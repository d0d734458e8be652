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
