"""Content types follow Claim and Match to the exchange app.

The audit log, the ledger's transactions and holds, and permissions refer to
a model through its ContentType row (a foreign key, never a stored label), so
renaming the row's app_label keeps every reference — and the ledger's hashes,
which hold the content type's id — as they were. Backwards it is renamed back.

A row under the new label may already exist if `migrate` created it while the
database stood before the move (its post-migrate step creates rows for the
models in the code). Such a row is a stale duplicate: it is removed with its
permissions, unless something refers to it, in which case the migration stops
rather than lose the reference.
"""

from django.db import migrations

MOVED = (("marketplace", "claim"), ("donors", "match"))


def _referenced(apps, content_type_id):
    TransitionLog = apps.get_model("audit", "TransitionLog")
    Transaction = apps.get_model("ledger", "Transaction")
    Hold = apps.get_model("ledger", "Hold")
    return any(
        model.objects.filter(object_type_id=content_type_id).exists()
        for model in (TransitionLog, Transaction, Hold)
    )


def _move(apps, schema_editor, pairs):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    db = schema_editor.connection.alias
    for old_label, new_label, model in pairs:
        old = ContentType.objects.using(db).filter(app_label=old_label, model=model).first()
        if old is None:
            continue
        stale = ContentType.objects.using(db).filter(app_label=new_label, model=model).first()
        if stale is not None:
            if _referenced(apps, stale.pk):
                raise RuntimeError(
                    f"content types {old_label}.{model} and {new_label}.{model} are both in use"
                )
            Permission.objects.using(db).filter(content_type_id=stale.pk).delete()
            stale.delete()
        old.app_label = new_label
        old.save(update_fields=["app_label"])


def forwards(apps, schema_editor):
    _move(apps, schema_editor, [(old, "exchange", model) for old, model in MOVED])


def backwards(apps, schema_editor):
    _move(apps, schema_editor, [("exchange", old, model) for old, model in MOVED])


class Migration(migrations.Migration):
    dependencies = [
        ("exchange", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("audit", "0004_access_records_append_only"),
        ("ledger", "0002_append_only_triggers"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
