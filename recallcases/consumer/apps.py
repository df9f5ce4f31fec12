from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class ConsumerConfig(AppConfig):
    name = "recallcases.consumer"

    def ready(self):
        # The status page keeps a claim's progress as HTML (consumer.status_cache): any save or
        # delete of the claim, an event, a shipment or a photo of it forgets it.
        from recallcases.claims.models import Claim, ClaimEvent, ClaimPhoto, Shipment

        for signal in (post_save, post_delete):
            signal.connect(_claim_forget, sender=Claim, dispatch_uid=f"claim-status-{signal}")
            for model in (ClaimEvent, ClaimPhoto, Shipment):
                signal.connect(
                    _part_forget, sender=model, dispatch_uid=f"claim-status-{model}-{signal}"
                )


def _claim_forget(sender, instance, created=False, **kwargs):
    if created:  # a new claim has nothing kept yet (a claim's filing saves it in the request)
        return
    from recallcases.consumer.status_cache import claim_progress_forget

    claim_progress_forget(claim_ids=[instance.pk])


def _part_forget(sender, instance, **kwargs):
    from recallcases.consumer.status_cache import claim_progress_forget

    claim_progress_forget(claim_ids=[instance.claim_id])
