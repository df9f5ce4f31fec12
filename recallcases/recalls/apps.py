from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save, pre_save


class RecallsConfig(AppConfig):
    name = "recallcases.recalls"

    def ready(self):
        # The public pages read open recalls from the cache (selectors.recall_open_by_slug): any
        # save or delete of a recall, a product or a proof item, from a service or the admin,
        # forgets the copy.
        from recallcases.recalls.models import Product, ProofItem, Recall

        pre_save.connect(_recall_forget_before_save, sender=Recall, dispatch_uid="recall-cache-pre")
        for signal in (post_save, post_delete):
            signal.connect(_recall_forget, sender=Recall, dispatch_uid=f"recall-cache-{signal}")
            signal.connect(_product_forget, sender=Product, dispatch_uid=f"product-cache-{signal}")
            signal.connect(_product_forget, sender=ProofItem, dispatch_uid=f"proof-cache-{signal}")


def _recall_forget_before_save(sender, instance, **kwargs):
    """A recall whose slug changes: its copy under the old slug goes too."""
    from recallcases.recalls.selectors import recall_cache_forget

    if instance.pk is not None:
        recall_cache_forget(
            slugs=list(sender.objects.filter(pk=instance.pk).values_list("slug", flat=True))
        )


def _recall_forget(sender, instance, **kwargs):
    from recallcases.recalls.selectors import recall_cache_forget

    recall_cache_forget(slugs=[instance.slug], pks=[instance.pk])


def _product_forget(sender, instance, **kwargs):
    from recallcases.recalls.models import Recall
    from recallcases.recalls.selectors import recall_cache_forget

    recall_cache_forget(
        slugs=list(Recall.objects.filter(pk=instance.recall_id).values_list("slug", flat=True)),
        pks=[instance.recall_id],
    )
