"""Give the speaker recall, where it exists already, the words its data file now holds."""

from django.db import migrations

SLUG = "anker-speakers-2024"
WORDS = {
    "product_noun_en": "speaker",
    "product_noun_plural_en": "speakers",
    "product_noun_fr": "haut-parleur",
    "product_noun_plural_fr": "haut-parleurs",
    "product_gender_fr": "m",
    "serial_where_en": "on the underside of the speaker after “SN”",
    "serial_where_fr": "sous le haut-parleur, après « SN »",
    "order_number": "optional",
    "order_number_label_en": "Amazon order number",
    "order_number_label_fr": "Numéro de commande Amazon",
    "order_number_help_en": (
        "For example 123-1234567-1234567. You can find it in your Amazon orders."
    ),
    "order_number_help_fr": (
        "Par exemple 123-1234567-1234567. Vous le trouverez dans vos commandes Amazon."
    ),
    "order_number_pattern": r"\d{3}-\d{7}-\d{7}",
    "order_number_example": "123-1234567-1234567",
}


def speaker_words_set(apps, schema_editor):
    apps.get_model("recalls", "Recall").objects.filter(slug=SLUG).update(**WORDS)


class Migration(migrations.Migration):
    dependencies = [("recalls", "0005_recall_words")]

    operations = [migrations.RunPython(speaker_words_set, migrations.RunPython.noop)]
