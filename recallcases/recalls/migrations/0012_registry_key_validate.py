from django.db import migrations

# 0011's key (migrations are frozen: the name is written out, not imported).
REGISTRY_PRODUCT_KEY = "registry_entry_product_in_recall"


def registry_key_validate(apps, schema_editor):
    # Checks the entries already there against the key 0011 added NOT VALID, in a transaction of
    # its own: VALIDATE CONSTRAINT locks the registry against other schema changes only, so serial
    # checks and imports go on while it reads the table. A no-op where 0011 added it checked.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"ALTER TABLE recalls_registryentry VALIDATE CONSTRAINT {REGISTRY_PRODUCT_KEY}"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("recalls", "0011_registry_one_foreign_key"),
    ]

    operations = [
        migrations.RunPython(registry_key_validate, migrations.RunPython.noop, elidable=False),
    ]
