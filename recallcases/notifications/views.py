"""The provider's webhook for consumers' replies to status texts (STOP, START).

Provider-agnostic: the provider (or a small relay) posts the sender's number and the text as a
form (`From` and `Body`, Twilio's names; `from` and `text` are taken too), signed with the
shared secret TEXTS_INBOUND_SECRET: the X-Signature header is the hex HMAC-SHA256 of the body.
Exempt from CSRF (the provider has no cookie of ours); the signature is what authorises it, and
it can only stop or restart texts. Without a secret configured the address does not exist.
"""

import hashlib
import hmac

from django.conf import settings
from django.http import Http404, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from recallcases.core.ratelimits import over_rate_limit
from recallcases.notifications.services import texts_reply

# A reply is a short form; anything larger is not one.
INBOUND_MAX_BYTES = 8192


def texts_signature(body: bytes, *, secret: str) -> str:
    """The X-Signature a post of `body` must carry."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@csrf_exempt
@require_POST
def texts_inbound(request):
    secret = settings.TEXTS_INBOUND_SECRET
    if not secret:
        raise Http404
    if over_rate_limit(request, group="texts-inbound", rates=[settings.TEXTS_INBOUND_RATE]):
        return HttpResponse(status=429)
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > INBOUND_MAX_BYTES:
        return HttpResponse(status=413)
    body = request.body
    if len(body) > INBOUND_MAX_BYTES:
        return HttpResponse(status=413)
    signature = request.headers.get("X-Signature", "")
    if not hmac.compare_digest(signature, texts_signature(body, secret=secret)):
        return HttpResponse(status=403)
    number = request.POST.get("From") or request.POST.get("from") or ""
    text = request.POST.get("Body") or request.POST.get("text") or ""
    if not any(character.isdigit() for character in number):
        return HttpResponse(status=400)
    texts_reply(number=number, body=text)
    return HttpResponse(status=204)
