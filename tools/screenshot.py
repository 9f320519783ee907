"""Screenshot pages of a running portal in headless Chromium, logged in as a demo user.

    python tools/screenshot.py --base http://127.0.0.1:8000 --user tinh \
        --out /tmp/shots / /districts/218/

Each path is saved as a PNG named after it in --out. Uses Debian's /usr/bin/chromium.
"""

import argparse
import re
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--user", help="demo username; anonymous when omitted")
    parser.add_argument("--password", default="demo-pass-2023")
    parser.add_argument("--lang", default="vi")
    parser.add_argument("--width", type=int, default=1360)
    parser.add_argument("--out", default="/tmp/shots")
    parser.add_argument("paths", nargs="+")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": args.width, "height": 900})
        page.context.add_cookies(
            [{"name": "django_language", "value": args.lang, "url": args.base}]
        )
        if args.user:
            page.goto(f"{args.base}/accounts/login/")
            page.fill("input[name=username]", args.user)
            page.fill("input[name=password]", args.password)
            page.click("button[type=submit]")
            page.wait_for_load_state("networkidle")
        for path in args.paths:
            page.goto(f"{args.base}{path}")
            page.wait_for_load_state("networkidle")
            name = re.sub(r"[^A-Za-z0-9]+", "_", path).strip("_") or "root"
            target = out / f"{args.user or 'anon'}_{name}.png"
            page.screenshot(path=str(target), full_page=True)
            print(target)
        browser.close()


if __name__ == "__main__":
    main()
