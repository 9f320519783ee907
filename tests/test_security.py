"""Security: production settings pass Django's deployment check, cookies are secure and
HSTS is sent when DEBUG is off, logins are throttled, the Content Security Policy allows
no inline script (and no template relies on one), and error pages speak the user's
language without leaking anything.
"""

import html.parser
import re
import urllib.parse
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import RequestFactory
from django.urls import path, reverse
from django.views.defaults import server_error

from communes.models import Role
from tests.conftest_services import ROOT, gunicorn, http_get, manage, production_env

# --- Django's deployment check ----------------------------------------------------------


def deploy_check(**env):
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_env(ALLOWED_HOSTS="cqtt.bacgiang.gov.vn", **env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_deployment_check_is_clean_with_production_settings():
    # Also shows that the check (and so `migrate`) runs before `collectstatic`: nothing
    # resolves a hashed static name at import time.
    result = deploy_check()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_the_deployment_check_would_catch_a_weak_secret_key():
    result = deploy_check(SECRET_KEY="too-short")
    assert result.returncode != 0
    assert "security.W009" in result.stdout + result.stderr


# --- The portal as `make serve` runs it: DEBUG off, gunicorn, collected static ---------

OPS_PASSWORD = "Ops-pass-2023!x"


@pytest.fixture(scope="module")
def production_portal(collected_static, tmp_path_factory):
    """gunicorn with production settings, collected static files and a migrated database.

    Requests carry ``X-Forwarded-Proto: https`` as the TLS-terminating proxy sets it.
    """
    folder = tmp_path_factory.mktemp("production-portal")
    env = production_env(
        DJANGO_SETTINGS_MODULE=collected_static["DJANGO_SETTINGS_MODULE"],
        PYTHONPATH=collected_static["PYTHONPATH"],
        DATABASE_URL=f"sqlite:///{folder / 'portal.sqlite3'}",
        MEDIA_ROOT=str(folder / "media"),
        DJANGO_SUPERUSER_PASSWORD=OPS_PASSWORD,
    )
    manage("migrate", "--noinput", env=env)
    manage("createsuperuser", "--noinput", "--username", "ops", "--email", "o@x.vn", env=env)
    with gunicorn(env, workers=2) as (base, _log, _process):
        yield base, collected_static["STATIC_ROOT"]


def https_get(base, url_path, **headers):
    return http_get(f"{base}{url_path}", headers={"X-Forwarded-Proto": "https", **headers})


def cookie(headers, name) -> tuple[str, str]:
    """(value, lower-cased attributes) of the Set-Cookie line for ``name``."""
    for line in headers.get_all("Set-Cookie") or []:
        if line.startswith(f"{name}="):
            value, _, attributes = line.partition(";")
            return value.split("=", 1)[1], attributes.lower()
    pytest.fail(f"no {name} cookie was set")


def test_production_pages_send_hsts_and_the_security_headers(production_portal):
    base, _ = production_portal
    status, headers, _ = https_get(base, "/accounts/login/")
    assert status == 200
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in headers["Permissions-Policy"]
    assert "script-src 'self'" in headers["Content-Security-Policy"]


def test_production_redirects_plain_http_to_https_except_the_health_check(production_portal):
    base, _ = production_portal
    status, headers, _ = http_get(f"{base}/accounts/login/")
    assert status == 301
    assert headers["Location"].startswith("https://")
    # The load balancer probes /healthz over plain HTTP.
    assert http_get(f"{base}/healthz")[0] == 200


def test_production_cookies_are_secure_and_the_session_lasts_a_working_day(production_portal):
    base, _ = production_portal
    status, headers, body = https_get(base, "/accounts/login/")
    csrf_token, csrf_attributes = cookie(headers, "csrftoken")
    assert "; secure" in csrf_attributes
    assert "; httponly" in csrf_attributes
    csrf_token_field = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)[1].decode()

    origin = base.replace("http://", "https://")
    status, headers, _ = http_get(
        f"{base}/accounts/login/",
        data=urllib.parse.urlencode(
            {"username": "ops", "password": OPS_PASSWORD, "csrfmiddlewaretoken": csrf_token_field}
        ).encode(),
        headers={
            "X-Forwarded-Proto": "https",
            "Origin": origin,
            "Referer": f"{origin}/accounts/login/",
            "Cookie": f"csrftoken={csrf_token}",
        },
    )

    assert status == 302, "the login should succeed"
    _, session = cookie(headers, "sessionid")
    assert "; secure" in session
    assert "; httponly" in session
    assert "samesite=lax" in session
    assert "max-age=28800" in session  # 8 hours


@pytest.mark.parametrize(
    "asset",
    [
        "vendor/bootstrap/bootstrap.min.css",
        "vendor/bootstrap/bootstrap.bundle.min.js",
        "vendor/chartjs/chart.umd.min.js",
    ],
)
def test_production_serves_hashed_static_files_and_their_source_maps(production_portal, asset):
    import json

    base, static_root = production_portal
    manifest = json.loads((static_root / "staticfiles.json").read_text())["paths"]
    hashed = manifest[asset]
    assert hashed != asset

    status, headers, body = https_get(base, f"/static/{hashed}")
    assert status == 200
    assert "immutable" in headers["Cache-Control"]
    source_map = re.search(rb"sourceMappingURL=(\S+?)(?:\s|\*/|$)", body).group(1).decode()
    assert source_map == Path(manifest[f"{asset}.map"]).name, "the map reference is hashed too"
    map_path = f"/static/{Path(hashed).parent / source_map}"
    assert https_get(base, map_path)[0] == 200


def test_production_pages_link_the_hashed_static_files(production_portal):
    base, _ = production_portal
    _, _, body = https_get(base, "/accounts/login/")
    assert re.search(rb'href="/static/vendor/bootstrap/bootstrap\.min\.[0-9a-f]{12}\.css"', body)


# --- Login throttling (django-axes) -----------------------------------------------------


@pytest.fixture
def login(client):
    def attempt(username, password):
        return client.post(reverse("login"), {"username": username, "password": password})

    return attempt


def test_an_account_is_locked_after_repeated_wrong_passwords(login, make_user, settings):
    make_user(Role.COMMUNE, "7444", username="xa.target")
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit - 1):
        response = login("xa.target", "wrong-password")
        assert response.status_code == 200  # the form again, with its error

    response = login("xa.target", "wrong-password")

    assert response.status_code == 429
    assert "Tài khoản tạm thời bị khóa" in response.content.decode()


def test_a_locked_account_refuses_even_the_right_password(login, make_user, settings, client):
    make_user(Role.COMMUNE, "7444", username="xa.target")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login("xa.target", "wrong-password")

    response = login("xa.target", "pw-123456!")

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_lockout_does_not_lock_other_accounts(login, make_user, settings, client):
    make_user(Role.COMMUNE, "7444", username="xa.target")
    make_user(Role.COMMUNE, "7219", username="xa.other")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login("xa.target", "wrong-password")

    response = login("xa.other", "pw-123456!")

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(
        get_user_model().objects.get(username="xa.other").pk
    )


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
def test_a_login_with_an_absurdly_long_username_is_a_wrong_login_not_an_error(
    client, db, settings, url
):
    # Found by tests/test_fuzz.py on PostgreSQL: django-axes stored the whole username in
    # a 255-character column, and the database refused it (a 500 page).
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post(url, {"username": "ả" * 5000, "password": "x"})
        assert response.status_code == 200  # the form again, with its error
    # Counted like any other wrong login.
    assert client.post(url, {"username": "ả" * 5000, "password": "x"}).status_code == 429

    from axes.models import AccessAttempt

    assert AccessAttempt.objects.get().username == "ả" * 255


# --- Content Security Policy ------------------------------------------------------------


def csp_directives(response) -> dict:
    header = response["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (part.split() for part in header.split(";") if part.strip())
    }


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/", "/no-such-page/"])
def test_pages_forbid_inline_scripts_and_other_origins(client, url):
    directives = csp_directives(client.get(url))
    assert directives["script-src"] == ["'self'"]
    assert directives["default-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["base-uri"] == ["'self'"]


def test_signed_in_pages_carry_the_policy_too(client, commune_staff):
    client.force_login(commune_staff)
    response = client.get("/communes/7444/")
    assert response.status_code == 200
    assert "'unsafe-inline'" not in csp_directives(response)["script-src"]
    assert "camera=()" in response["Permissions-Policy"]


class InlineScriptFinder(html.parser.HTMLParser):
    """Collects what the CSP would block: inline <script> bodies, on* handlers, javascript:."""

    DATA_TYPES = {"application/json", "application/ld+json"}

    def __init__(self):
        super().__init__()
        self.problems = []
        self._script = None

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value is None:
                continue  # e.g. the words of a {% if %} inside a tag
            if re.fullmatch(r"on[a-z]+", name):
                self.problems.append(f"line {self.getpos()[0]}: inline handler {name}=")
            if name in ("href", "src", "action", "formaction") and re.match(
                r"\s*javascript:", value, re.I
            ):
                self.problems.append(f"line {self.getpos()[0]}: javascript: URL")
        if tag == "script":
            attributes = dict(attrs)
            self._script = {
                "line": self.getpos()[0],
                "inline": "src" not in attributes
                and (attributes.get("type") or "").lower() not in self.DATA_TYPES,
                "body": "",
            }

    def handle_data(self, data):
        if self._script is not None:
            self._script["body"] += data

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            if self._script["inline"] and self._script["body"].strip():
                self.problems.append(f"line {self._script['line']}: inline <script>")
            self._script = None


def inline_script_problems(text: str) -> list[str]:
    finder = InlineScriptFinder()
    finder.feed(text)
    finder.close()
    return finder.problems


def project_templates() -> list[Path]:
    found = [*ROOT.glob("templates/**/*.html"), *ROOT.glob("*/templates/**/*.html")]
    return sorted(p for p in found if ".venv" not in p.parts)


def test_the_scan_sees_every_kind_of_inline_script():
    bad = """
    <script>document.title = "x";</script>
    <button onclick="go()">Go</button>
    <a href="javascript:go()">Go</a>
    <script>{{ data|safe }}</script>
    """
    assert len(inline_script_problems(bad)) == 4
    good = """
    <script src="{% static 'js/app.js' %}"></script>
    <script type="application/json" id="chart-data">{"a": 1}</script>
    <option value="{{ code }}"{% if code == current %} selected{% endif %}>{{ name }}</option>
    """
    assert inline_script_problems(good) == []


def test_no_template_relies_on_an_inline_script():
    templates = project_templates()
    assert ROOT / "templates" / "base.html" in templates
    problems = {
        str(path.relative_to(ROOT)): found
        for path in templates
        if (found := inline_script_problems(path.read_text(encoding="utf-8")))
    }
    assert problems == {}, "the Content Security Policy blocks these: use static/js/"


# --- Error pages ------------------------------------------------------------------------


def raise_error(request):
    raise RuntimeError("secret detail 4711")


# Only this URL: the 500 page must not reverse any of the portal's URL names.
urlpatterns = [path("boom/", raise_error)]


@pytest.mark.django_db
def test_an_unknown_address_gets_the_portal_s_404_page_in_vietnamese(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Không tìm thấy trang" in html
    assert 'href="/accounts/login/"' in html  # the portal's own navigation bar


@pytest.mark.django_db
def test_the_404_page_is_in_english_after_the_language_switch(client):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    response = client.get("/no-such-page/")
    assert "Page not found" in response.content.decode()


def test_an_out_of_scope_page_gets_the_portal_s_403_page(client, commune_staff):
    client.force_login(commune_staff)
    response = client.get("/communes/7219/")  # Lê Lợi, not Đồi Ngô
    assert response.status_code == 403
    assert "Không có quyền truy cập" in response.content.decode()


@pytest.mark.django_db
def test_a_form_sent_without_its_csrf_token_gets_a_page_that_says_what_to_do():
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(
        reverse("login"), {"username": "x", "password": "y"}
    )
    assert response.status_code == 403
    html = response.content.decode()
    assert "Không gửi được biểu mẫu" in html
    assert "tải lại trang" in html
    assert "CSRF" not in html  # no jargon


@pytest.mark.urls(__name__)
@pytest.mark.django_db
def test_a_server_error_gets_the_portal_s_500_page_without_details(client):
    client.raise_request_exception = False
    response = client.get("/boom/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Lỗi hệ thống" in html
    assert "4711" not in html


def test_the_500_page_renders_without_the_database_or_a_request_context():
    # No django_db mark: any query here would fail the test. The view renders the
    # template with no context at all, as Django does when something broke badly.
    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    html = response.content.decode()
    assert "Lỗi hệ thống" in html
    assert 'href="/"' in html


# --- The dependency audit of CI (tools/audit_dependencies.py) --------------------------


@pytest.fixture
def audit_tool():
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "audit_dependencies", ROOT / "tools" / "audit_dependencies.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def skipped(name):
    return {"name": name, "skip_reason": f"Dependency not found on PyPI: {name}"}


def test_the_audit_fails_on_a_vulnerability_pip_audit_could_not_see(
    audit_tool, monkeypatch, capsys
):
    monkeypatch.setattr(audit_tool, "pip_audit", lambda: ([skipped("django")], 0))
    monkeypatch.setattr(
        audit_tool,
        "latest_release_vulnerabilities",
        lambda name, version: [{"id": "PYSEC-2099-1", "fixed_in": ["99.0"]}],
    )
    assert audit_tool.main() == 1
    assert "VULNERABLE django" in capsys.readouterr().out


def test_the_audit_fails_on_what_pip_audit_reports(audit_tool, monkeypatch, capsys):
    vulns = [{"id": "GHSA-x", "fix_versions": ["5.8"]}]
    vulnerable = {"name": "celery", "version": "5.7.0", "vulns": vulns}
    monkeypatch.setattr(audit_tool, "pip_audit", lambda: ([vulnerable], 1))
    assert audit_tool.main() == 1
    assert "VULNERABLE celery 5.7.0: GHSA-x (fixed in 5.8)" in capsys.readouterr().out


def test_the_audit_names_the_packages_it_could_not_check(audit_tool, monkeypatch, capsys):
    monkeypatch.setattr(audit_tool, "pip_audit", lambda: ([skipped("django")], 0))
    monkeypatch.setattr(audit_tool, "latest_release_vulnerabilities", lambda *a: None)
    assert audit_tool.main() == 0
    assert "Not checked (1" in capsys.readouterr().out

    monkeypatch.setenv("REQUIRE_FULL_AUDIT", "1")
    assert audit_tool.main() == 1
