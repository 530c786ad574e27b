"""Pages and downloads are never kept by the browser or a proxy.

Nearly every page here holds something about a family, and staff work on shared computers: a page
kept in the browser's cache can be read from its history after signing out. So every response
says ``Cache-Control: no-store``, except static files, which hold nothing about anyone and which
WhiteNoise serves (before this middleware runs) with long caching of their own.
"""

from django.utils.cache import patch_cache_control


class NoStoreMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # no-store alone forbids keeping the response anywhere, whatever else the header says; Pragma
        # is for HTTP/1.0 caches that read nothing else.
        patch_cache_control(response, no_store=True)
        response.headers.setdefault("Pragma", "no-cache")
        return response
