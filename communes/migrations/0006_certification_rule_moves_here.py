"""The year's certification rule moves from targets to communes (the lowest app), so that
the checklist, the surveys pages and the engine read it through one loader. Only Django's
state changes: the table keeps its name, targets_certificationrule, and its rows."""

from decimal import Decimal

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("communes", "0005_index_evidence_awaiting_review"),
        # The table is created by targets' first migration.
        ("targets", "0005_index_last_computed"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="CertificationRule",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("year", models.PositiveSmallIntegerField(unique=True, verbose_name="năm")),
                        (
                            "satisfaction_threshold",
                            models.DecimalField(
                                decimal_places=2,
                                default=Decimal("85"),
                                max_digits=5,
                                verbose_name="tỷ lệ hài lòng tối thiểu (%)",
                            ),
                        ),
                        (
                            "min_responses",
                            models.PositiveIntegerField(
                                default=30, verbose_name="số phiếu khảo sát tối thiểu"
                            ),
                        ),
                        (
                            "pass_score",
                            models.PositiveIntegerField(
                                default=0, verbose_name="điểm đạt (tiêu chí chấm điểm)"
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "quy tắc công nhận",
                        "verbose_name_plural": "quy tắc công nhận",
                        "db_table": "targets_certificationrule",
                        "ordering": ["year"],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
