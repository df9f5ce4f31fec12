"""The largest request body the site takes, refused (413) before it is read.

Django reads a body only when something asks for `request.POST` (CSRF's check does, for every
POST), and a multipart body's files are then written to temporary files in full. So a body
declared larger than any form takes is refused from its Content-Length before any of that: public
pages take REQUEST_BODY_MAX_BYTES (a claim with its photos), and only signed-in staff, past the
second factor where it is due, send up to STAFF_REQUEST_BODY_MAX_BYTES to /workspace/ (the CSV
imports). A body of no declared length (chunked) is bounded by BodyLimitUploadHandler as its files
are written. The proxy in front should cap bodies too (README, "Production").
"""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import FileUploadHandler
from django.shortcuts import render
from django.utils import translation

# Staff pages, where the CSV imports take files larger than any public form.
STAFF_PATH_PREFIX = "/workspace/"


def _declared_length(request) -> int:
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


def _is_cleared_staff(request) -> bool:
    # `staff_cleared` is set by the workspace's StaffClearanceMiddleware (this package imports no
    # app); before it has run, nobody is cleared.
    staff_cleared = getattr(request, "staff_cleared", None)
    return bool(staff_cleared and staff_cleared())


def body_limit(request) -> int:
    """The largest body this request may send, in bytes."""
    if request.path_info.startswith(STAFF_PATH_PREFIX) and _is_cleared_staff(request):
        return settings.STAFF_REQUEST_BODY_MAX_BYTES
    return settings.REQUEST_BODY_MAX_BYTES


def request_too_large(request):
    """The 413 page, in the language of the address (or of the browser)."""
    language = translation.get_language_from_request(request, check_path=True)
    with translation.override(language):
        return render(request, "413.html", status=413)


class RequestBodyLimitMiddleware:
    """Refuse a body larger than the request may send before anything reads it (see above)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Before the session is read: the most this address takes from anyone.
        most = settings.REQUEST_BODY_MAX_BYTES
        if request.path_info.startswith(STAFF_PATH_PREFIX):
            most = max(most, settings.STAFF_REQUEST_BODY_MAX_BYTES)
        if _declared_length(request) > most:
            return request_too_large(request)
        response = self.get_response(request)
        if getattr(request, "body_too_large", False):
            # BodyLimitUploadHandler stopped an upload: Django answered 400; say what it was.
            return request_too_large(request)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        # Before CSRF's check reads the body, and once the session tells who is asking.
        length = _declared_length(request)
        if length > settings.REQUEST_BODY_MAX_BYTES and length > body_limit(request):
            return request_too_large(request)
        return None


class BodyLimitUploadHandler(FileUploadHandler):
    """Stop writing a request's uploaded files once they pass its body limit.

    With a Content-Length the middleware has decided already (and WSGI never reads past it); this
    bounds a body of unknown length. Django answers the error with 400, which the middleware
    turns into the 413 page.
    """

    def __init__(self, request=None):
        super().__init__(request)
        self.received = 0
        self.limit = None

    def receive_data_chunk(self, raw_data, start):
        if self.limit is None:
            self.limit = body_limit(self.request)
        self.received += len(raw_data)
        if self.received > self.limit:
            self.request.body_too_large = True
            raise RequestDataTooBig("The uploaded files are larger than the request may send.")
        return raw_data

    def file_complete(self, file_size):
        return None
