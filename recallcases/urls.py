from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from recallcases.consumer import views as consumer_views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("workspace/", include("recallcases.workspace.urls")),
    # The text provider's webhook (replies such as STOP): no language, signed (notifications.views).
    path("", include("recallcases.notifications.urls")),
    # Photos are never at a public address: this view checks who asks for each one.
    path(
        "photos/<uuid:photo_id>/<str:variant>/",
        consumer_views.claim_photo,
        name="claim_photo",
    ),
    # Pictures of recalls are public content of open recalls (docs/recall-file.md, "Pictures").
    path(
        "recall-pictures/<str:kind>/<int:pk>/",
        consumer_views.recall_picture,
        name="recall_picture",
    ),
    path("i18n/", include("django.conf.urls.i18n")),
]
# Consumer pages carry their language in the address (/en/..., /fr-ca/...), so a link in an email
# opens in the language the consumer chose.
urlpatterns += i18n_patterns(
    # Incident reports first: their addresses sit under the recall's and the status page's.
    path("", include("recallcases.incidents.urls")),
    # The unsubscribe page of recall notices: public, before the recall pages' <slug>/ addresses.
    path("", include("recallcases.notices.urls")),
    path("", include("recallcases.consumer.urls")),
)
