"""The public unsubscribe page that every recall notice links to."""

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from recallcases.notices.models import Purchaser
from recallcases.notices.services.purchasers import (
    purchaser_unsubscribe,
)
from recallcases.notices.tokens import purchaser_id_from_token


def _masked(email: str) -> str:
    """j•••@example.com: enough for the owner to recognise their address, no more."""
    local, _at, domain = email.partition("@")
    return f"{local[:1]}•••@{domain}"


# GET only asks: mail scanners and link previews open every link in a message, and must not
# unsubscribe anyone. POST unsubscribes. It is exempt from CSRF because mail clients post here
# themselves for one-click unsubscribing (List-Unsubscribe-Post, RFC 8058), without our cookie;
# the signed token in the address is what authorises it, and it can only stop emails.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    purchaser_id = purchaser_id_from_token(token)
    purchaser = (
        Purchaser.objects.select_related("recall").filter(pk=purchaser_id).first()
        if purchaser_id
        else None
    )
    if purchaser is None:
        raise Http404
    if request.method == "POST":
        purchaser_unsubscribe(purchaser=purchaser)
        purchaser.refresh_from_db(fields=["unsubscribed_at"])
    return render(
        request,
        "notices/unsubscribe.html",
        {
            "recall": purchaser.recall,
            "address": _masked(purchaser.email),
            "unsubscribed": purchaser.unsubscribed_at is not None,
        },
    )
