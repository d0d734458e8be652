from django.db import migrations


def defaults(apps, schema_editor):
    SlaPolicy = apps.get_model("reports", "SlaPolicy")
    # Urgent: acknowledged within 15 min, someone on scene within 1 h.
    SlaPolicy.objects.get_or_create(
        urgency="urgent", defaults={"ack_minutes": 15, "scene_minutes": 60, "escalate_again_minutes": 15}
    )
    # Normal: acknowledged within 4 h.
    SlaPolicy.objects.get_or_create(
        urgency="normal", defaults={"ack_minutes": 240, "scene_minutes": None, "escalate_again_minutes": 120}
    )


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_initial")]
    operations = [migrations.RunPython(defaults, migrations.RunPython.noop)]
