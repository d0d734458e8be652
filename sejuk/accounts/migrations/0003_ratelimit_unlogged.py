"""Rate-limit counters skip PostgreSQL's write-ahead log.

Every public report upserts the counter of its IP address; many reporters
share one address (mobile carriers' NAT), so that row is hot. In a logged
table each upsert holds the row lock while its commit waits for the WAL
flush, which serialises those requests on the disk. The counters are
throw-away (a crash empties an UNLOGGED table: the limits simply restart), so
they need no durability. SQLite has no such setting: nothing to do there.
"""

from django.db import migrations


def _set(logged: bool):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        model = apps.get_model("accounts", "RateLimitBucket")
        table = schema_editor.quote_name(model._meta.db_table)
        schema_editor.execute(f"ALTER TABLE {table} SET {'LOGGED' if logged else 'UNLOGGED'}")

    return run


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_audit_append_only")]

    operations = [migrations.RunPython(_set(False), _set(True))]
