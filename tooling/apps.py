from django.apps import AppConfig


class ToolingConfig(AppConfig):
    """What is not the product: demo data, national-scale data, benchmarks, load tests.

    Installed so that its management commands exist (seed_demo, generate_scale_data,
    bench, bench_survey_import); no model, no URL, nothing the portal imports.
    """

    name = "tooling"
    verbose_name = "Tooling"
