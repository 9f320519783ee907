"""The year's certification rule now belongs to communes (communes 0006); the table stays.
targets keeps a proxy of it, so the admin's address and permissions do not change."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("targets", "0006_notification_schedules"),
        ("communes", "0006_certification_rule_moves_here"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="CertificationRule")],
            database_operations=[],
        ),
        migrations.CreateModel(
            name="CertificationRule",
            fields=[],
            options={
                "verbose_name": "quy tắc công nhận",
                "verbose_name_plural": "quy tắc công nhận",
                "proxy": True,
                "indexes": [],
                "constraints": [],
            },
            bases=("communes.certificationrule",),
        ),
    ]
