"""Staff roles: Django groups, and the one table of which role holds which permission (ROLES).

A staff member's role decides which buttons they see and which posts the server accepts; the same
permission names ("claims.verify_claim", ...) guard both. `roles_sync` makes the groups hold exactly
what ROLES says: a migration runs it, and so does `python manage.py roles_sync` after a deploy.

To change a role, edit ROLES and add a workspace migration that runs `roles_sync` and depends on
the latest migration of every app ROLES names (as 0004_roles_sync does): a permission that a new
migration creates exists only after it.
"""

from django.apps import apps as django_apps
from django.contrib.auth.management import create_permissions
from django.db import transaction

REVIEWER = "Reviewer"
FULFILMENT = "Fulfilment"
RECALL_MANAGER = "Recall manager"
ADMINISTRATOR = "Administrator"
CALL_CENTRE_AGENT = "Call-centre agent"

# Each role's permissions, as "app_label.codename". Groups not named here are left alone.
ROLES: dict[str, list[str]] = {
    # Decides on photos and serials; sees what an incident was, not who reported it (ADR 0004).
    REVIEWER: [
        "claims.close_claim",
        "claims.review_disposal",
        "claims.verify_claim",
        "claims.view_claim",
        "claims.view_claim_photos",
        "incidents.view_incident",
    ],
    # Ships replacements and records refunds' payments: sees the address, not the photos.
    FULFILMENT: [
        "claims.record_shipment",
        "claims.view_claim",
        "claims.view_shipping_details",
    ],
    # Oversees the recall: every claim step, incidents and their reporters, direct notice, the
    # reports, loading the serial registry, and the audit trail.
    RECALL_MANAGER: [
        "audit.view_auditentry",
        "claims.approve_replacement",
        "claims.change_claim_remedy",
        "claims.close_claim",
        "claims.import_remedy_codes",
        "claims.record_shipment",
        "claims.reopen_claim",
        "claims.review_disposal",
        "claims.verify_claim",
        "claims.view_claim",
        "claims.view_claim_photos",
        "claims.view_shipping_details",
        "incidents.acknowledge_incident",
        "incidents.view_incident",
        "incidents.view_incident_contact",
        "notices.add_purchaser",
        "notices.send_notice",
        "notices.view_purchaser",
        "recalls.add_registryentry",
        "reports.view_reports",
    ],
    # Runs the Django admin: recalls, products, the registry, staff accounts and roles, and staff
    # sign-in: the second-factor policy, lifting a lockout, removing the authenticator of someone
    # who lost their phone (its secret stays hidden: OTP_ADMIN_HIDE_SENSITIVE_DATA). The admin
    # opens only for the role holding workspace.change_staffpolicy (workspace/admin.py), and
    # superusers: give it to no other role.
    ADMINISTRATOR: [
        "audit.view_auditentry",
        "auth.add_group",
        "auth.add_user",
        "auth.change_group",
        "auth.change_user",
        "auth.delete_group",
        "auth.delete_user",
        "auth.view_group",
        "auth.view_user",
        "axes.delete_accessattempt",
        "axes.view_accessattempt",
        "claims.view_claim",
        "otp_totp.delete_totpdevice",
        "otp_totp.view_totpdevice",
        "recalls.add_product",
        "recalls.add_proofitem",
        "recalls.add_recall",
        "recalls.add_registryentry",
        "recalls.change_product",
        "recalls.change_proofitem",
        "recalls.change_recall",
        "recalls.change_registryentry",
        "recalls.delete_product",
        "recalls.delete_proofitem",
        "recalls.delete_recall",
        "recalls.delete_registryentry",
        "recalls.view_product",
        "recalls.view_proofitem",
        "recalls.view_recall",
        "recalls.view_registryentry",
        "workspace.change_staffpolicy",
        "workspace.view_staffpolicy",
    ],
    # Takes consumers' calls: looks a claim up, reads its status, files a claim for a caller, logs
    # the call. Sees the contact details of the one claim opened (each opening audited), never
    # photos, the queue or the reports.
    CALL_CENTRE_AGENT: [
        "claims.take_calls",
    ],
}


@transaction.atomic
def roles_sync(*, apps=django_apps, missing_ok: bool = False) -> list[str]:
    """Give each role's group exactly the permissions ROLES names; return what changed, a line each.

    Creates the groups and the permission rows that are missing, and takes away any permission
    ROLES does not name. Running it again changes nothing. `apps` is the model registry: the real
    one, or a migration's historical one. A permission ROLES names that does not exist raises
    LookupError, unless `missing_ok` (a migration's state may predate it: it is skipped).
    """
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    named = {name for names in ROLES.values() for name in names}
    labels = sorted({name.split(".")[0] for name in named})
    for label in labels:
        try:
            app_config = apps.get_app_config(label)
        except LookupError:
            if missing_ok:
                continue
            raise
        _permissions_create(app_config=app_config, apps=apps)
    known = {
        f"{app_label}.{codename}": pk
        for pk, app_label, codename in Permission.objects.filter(
            content_type__app_label__in=labels
        ).values_list("pk", "content_type__app_label", "codename")
    }
    missing = sorted(named - known.keys())
    if missing and not missing_ok:
        raise LookupError(f"ROLES names permissions that do not exist: {', '.join(missing)}")

    changes = []
    for role, names in ROLES.items():
        group, created = Group.objects.get_or_create(name=role)
        if created:
            changes.append(f"{role}: group created")
        held = {
            f"{app_label}.{codename}"
            for app_label, codename in group.permissions.values_list(
                "content_type__app_label", "codename"
            )
        }
        wanted = set(names) & known.keys()
        changes += [f"{role}: + {name}" for name in sorted(wanted - held)]
        changes += [f"{role}: - {name}" for name in sorted(held - wanted)]
        if held != wanted:
            group.permissions.set([known[name] for name in wanted])
    return changes


def _permissions_create(*, app_config, apps) -> None:
    """Create the app's missing permission rows now, as Django does after every migrate.

    A migration runs before Django's own post_migrate step, so the permissions of models it just
    created do not exist yet. create_permissions skips an app without a models module, which is
    what a historical app config looks like: lend it one for the call.
    """
    models_module = getattr(app_config, "models_module", None)
    app_config.models_module = models_module or True
    try:
        create_permissions(app_config, apps=apps, verbosity=0)
    finally:
        app_config.models_module = models_module
