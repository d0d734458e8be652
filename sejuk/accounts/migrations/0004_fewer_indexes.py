"""Drop the audit log's single-column indexes on action, object_type and object_id.

The log is read by time, by actor and by object (the composite index on
object_type, object_id, at); the other three indexes (six on PostgreSQL, with
their LIKE twins) only cost every insert. The indexes are dropped by name,
found by introspection, instead of with AlterField: on SQLite AlterField
rebuilds the table, which would drop the triggers that keep the log
append-only (migration 0002).
"""

from django.db import migrations, models

COLUMNS = ("action", "object_type", "object_id")


def _drop(apps, schema_editor):
    model = apps.get_model("accounts", "AuditEntry")
    table = model._meta.db_table
    conn = schema_editor.connection
    with conn.cursor() as cur:
        constraints = conn.introspection.get_constraints(cur, table)
    for name, info in constraints.items():
        if (
            info.get("index")
            and not info.get("unique")
            and not info.get("primary_key")
            and len(info.get("columns") or []) == 1
            and info["columns"][0] in COLUMNS
        ):
            schema_editor.execute(f"DROP INDEX {schema_editor.quote_name(name)}")


def _restore(apps, schema_editor):
    model = apps.get_model("accounts", "AuditEntry")
    for column in COLUMNS:
        field = model._meta.get_field(column)
        schema_editor.execute(schema_editor._create_index_sql(model, fields=[field], suffix=""))


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_ratelimit_unlogged")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="auditentry",
                    name="action",
                    field=models.CharField(
                        choices=[
                            ("create", "create"),
                            ("update", "update"),
                            ("delete", "delete"),
                            ("view", "view personal data"),
                            ("import", "import"),
                            ("export", "export"),
                            ("login", "login"),
                            ("login_failed", "failed login"),
                            ("logout", "logout"),
                        ],
                        max_length=20,
                    ),
                ),
                migrations.AlterField(
                    model_name="auditentry",
                    name="object_type",
                    field=models.CharField(blank=True, max_length=100),
                ),
                migrations.AlterField(
                    model_name="auditentry",
                    name="object_id",
                    field=models.CharField(blank=True, max_length=64),
                ),
            ],
            database_operations=[migrations.RunPython(_drop, _restore)],
        )
    ]
