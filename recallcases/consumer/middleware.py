from django.shortcuts import redirect

from recallcases.consumer.languages import same_page_in
from recallcases.recalls.selectors import LanguageNotOffered


class RecallLanguageMiddleware:
    """A recall's page asked for in a language the recall is not offered in (a /es-us/ address of
    a recall offered in English and French) redirects to the same page in the recall's first
    language: its texts exist only in the languages it is offered in. The pages raise
    LanguageNotOffered (recall_language_require) where they load the recall, so no extra query."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, LanguageNotOffered):
            return redirect(same_page_in(request, exception.language))
        return None
