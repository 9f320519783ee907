"""Known vulnerabilities in the installed packages: pip-audit, and an honest count (CI).

    .venv/bin/python tools/audit_dependencies.py

Runs pip-audit on this environment and fails (exit 1) on any known vulnerability.
pip-audit looks each installed release up at https://pypi.org/pypi/NAME/VERSION/json;
where a network lets through only the project pages (https://pypi.org/pypi/NAME/json),
as some sandboxes do, pip-audit skips every package and still prints "No known
vulnerabilities found". So this script then checks what it can from the project pages,
whose vulnerability list is that of the latest release: an installed package that is the
latest release is checked that way; the others are named as not checked. Set
REQUIRE_FULL_AUDIT=1 to fail when any package could not be checked.
"""

import importlib.metadata
import json
import os
import subprocess
import sys
import tempfile
import urllib.request


def pip_audit() -> tuple[list[dict], int]:
    with tempfile.NamedTemporaryFile(suffix=".json") as report:
        result = subprocess.run(  # noqa: S603 (a fixed command line)
            [
                sys.executable, "-m", "pip_audit", "--skip-editable",
                "--progress-spinner", "off", "--format", "json", "--output", report.name,
            ],
            capture_output=True,
            text=True,
        )  # fmt: skip
        if result.returncode not in (0, 1):  # 1: vulnerabilities found
            sys.exit(f"pip-audit failed:\n{result.stderr}")
        return json.load(open(report.name))["dependencies"], result.returncode


def latest_release_vulnerabilities(name: str, version: str) -> list[dict] | None:
    """The vulnerabilities PyPI lists for ``name`` if ``version`` is its latest release.

    None when that cannot be known (not the latest release, or PyPI unreachable).
    """
    url = f"https://pypi.org/pypi/{name}/json"
    try:
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 (fixed https)
            project = json.load(response)
    except OSError:
        return None
    if project["info"]["version"] != version:
        return None
    return [v for v in project.get("vulnerabilities", []) if not v.get("withdrawn")]


def main() -> int:
    dependencies, status = pip_audit()
    # The portal itself (an editable install that pip-audit does not always recognise).
    dependencies = [d for d in dependencies if d["name"] != "friendlygov"]
    audited = [d for d in dependencies if "skip_reason" not in d]
    vulnerable = {f"{d['name']} {d['version']}": d["vulns"] for d in audited if d["vulns"]}
    unchecked = []
    fallback = 0
    for dependency in dependencies:
        if "skip_reason" not in dependency:
            continue
        name = dependency["name"]
        version = importlib.metadata.version(name)
        found = latest_release_vulnerabilities(name, version)
        if found is None:
            unchecked.append(f"{name} {version}")
            continue
        fallback += 1
        if found:
            vulnerable[f"{name} {version}"] = found

    print(
        f"pip-audit checked {len(audited)} of {len(dependencies)} installed packages; "
        f"PyPI's latest-release data checked {fallback} more."
    )
    if unchecked:
        print(
            f"Not checked ({len(unchecked)}: the per-release vulnerability data could not "
            f"be reached and they are not the latest release): {', '.join(unchecked)}"
        )
    for package, vulns in vulnerable.items():
        for vuln in vulns:
            fixed = ", ".join(vuln.get("fix_versions") or vuln.get("fixed_in") or []) or "?"
            print(f"VULNERABLE {package}: {vuln['id']} (fixed in {fixed})")
    if vulnerable or status == 1:
        return 1
    if unchecked and os.environ.get("REQUIRE_FULL_AUDIT") == "1":
        print("REQUIRE_FULL_AUDIT=1: every package must be checked.")
        return 1
    print("No known vulnerabilities in the packages checked.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
