"""A bad setting stops the start with a message that names it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def start(**env):
    environment = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DEBUG")}
    environment.update(DJANGO_SETTINGS_MODULE="friendlygov.settings", **env)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"DEBUG": "maybe", "SECRET_KEY": "k"}, "DEBUG"),
        ({"DEBUG": "1", "DATABASE_URL": "mysql://x@y/z"}, "DATABASE_URL"),
        ({"DEBUG": "1", "CONN_MAX_AGE": "soon"}, "CONN_MAX_AGE"),
        ({"DEBUG": "0"}, "SECRET_KEY"),
    ],
)
def test_a_bad_value_stops_the_start_and_names_the_variable(env, named):
    if named == "SECRET_KEY":
        env = {**env, "SECRET_KEY": ""}
    result = start(**env)
    assert result.returncode != 0
    assert named in result.stderr


def test_good_values_start(tmp_path):
    result = start(DEBUG="1", DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite3'}")
    assert result.returncode == 0, result.stderr


def test_postgres_urls_get_persistent_connections_with_health_checks():
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from django.conf import settings as s; d = s.DATABASES['default'];"
            "print(d['ENGINE'], d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'])",
        ],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "friendlygov.settings",
            "DEBUG": "1",
            "DATABASE_URL": "postgres://u@127.0.0.1:5432/x",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.split() == ["django.db.backends.postgresql", "60", "True"]


def test_without_a_broker_tasks_run_in_process_and_with_one_they_are_queued():
    def eager(env):
        out = subprocess.run(
            [
                sys.executable,
                "-c",
                "from friendlygov.celery import app; import django;"
                "django.setup(); print(app.conf.task_always_eager, app.conf.broker_url)",
            ],
            cwd=ROOT,
            env={
                **{k: v for k, v in os.environ.items() if k != "CELERY_BROKER_URL"},
                "DJANGO_SETTINGS_MODULE": "friendlygov.settings",
                "DEBUG": "1",
                **env,
            },
            capture_output=True,
            text=True,
            timeout=60,
        )
        return out.stdout.split()

    assert eager({})[0] == "True"
    assert eager({"CELERY_BROKER_URL": "redis://127.0.0.1:6379/0"}) == [
        "False",
        "redis://127.0.0.1:6379/0",
    ]


def test_email_url_sets_the_smtp_server_and_a_bad_one_stops_the_start():
    script = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_HOST_USER, s.EMAIL_USE_TLS)"
    )
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    environment.update(
        DJANGO_SETTINGS_MODULE="friendlygov.settings",
        DEBUG="1",
        EMAIL_URL="smtp+tls://cqtt:mat-khau@smtp.example.vn:587",
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=environment, capture_output=True, text=True
    )
    assert result.stdout.split() == [
        "django.core.mail.backends.smtp.EmailBackend",
        "smtp.example.vn",
        "587",
        "cqtt",
        "True",
    ]
    assert "EMAIL_URL" in start(DEBUG="1", EMAIL_URL="carrier-pigeon://x").stderr
