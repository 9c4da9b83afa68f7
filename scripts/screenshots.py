#!/usr/bin/env python3
"""The README's screenshots, from the demo data (issue 12 part 5).

Starts `provisio serve --demo` on a scratch data directory, reads the demo users' passwords
from what it prints, drives headless Chromium through chromedriver's W3C WebDriver HTTP API
(Python's standard library only) and saves PNGs into docs/screenshots/:

  attention.png      what needs attention, the first page after sign-in (signed in as Bo)
  order.png          an order page with lines in several stages (signed in as Bo)
  resend-dialog.png  the same page with the Resend dialog open
  subscriptions.png  the Subscriptions page
  setup.png          the provisioning contact's setup page of a live link (from the demo's .eml)
  setup-sv.png       the setup page of a Swedish line, in Swedish
  order-sv.png       the order page in Swedish (the language selector)
  case-new.png       Open a case (signed in as Bo)
  case.png           a case support answered, beside its line's evidence, as Bo sees it
  case-queue.png     the agents' case queue (signed in as Sam, support)

Usage, in the repository root, after `cargo build --release`:

  python3 scripts/screenshots.py [--binary target/release/provisio] [--out docs/screenshots]

Needs Chromium and chromedriver (Debian: apt-get install -y chromium chromium-driver);
PROVISIO_CHROMIUM / PROVISIO_CHROMEDRIVER (or --chromium / --chromedriver) name other binaries.
"""

import argparse
import base64
import email
import email.policy
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

WIDTH = 1200
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method, url, body=None, timeout=60):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as res:
            return res.status, res.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def wait_until(what, check, seconds=60):
    deadline = time.time() + seconds
    while True:
        got = check()
        if got:
            return got
        if time.time() > deadline:
            sys.exit(f"timed out waiting for {what}")
        time.sleep(0.2)


class Browser:
    """One headless Chromium through its own chromedriver (the W3C WebDriver protocol)."""

    def __init__(self, chromium, chromedriver, lang, profile):
        self.port = free_port()
        self.driver = subprocess.Popen(
            [chromedriver, f"--port={self.port}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.base = f"http://127.0.0.1:{self.port}"
        wait_until("chromedriver", lambda: self._ready())
        caps = {
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "goog:chromeOptions": {
                        "binary": chromium,
                        "args": FLAGS + [f"--lang={lang}", f"--user-data-dir={profile}"],
                        "prefs": {"intl.accept_languages": lang},
                    },
                }
            }
        }
        status, body = http("POST", f"{self.base}/session", caps)
        if status != 200:
            self.driver.kill()
            sys.exit(f"could not start Chromium ({chromium}): {body.decode()}")
        self.session = json.loads(body)["value"]["sessionId"]
        self.size(WIDTH, 900)

    def _ready(self):
        try:
            return http("GET", f"{self.base}/status", timeout=2)[0] == 200
        except OSError:
            return False

    def cmd(self, method, path, body=None):
        status, raw = http(method, f"{self.base}/session/{self.session}{path}", body)
        value = json.loads(raw)["value"] if raw else None
        if status != 200:
            raise RuntimeError(f"{method} {path}: {value}")
        return value

    def size(self, width, height):
        self.cmd("POST", "/window/rect", {"width": width, "height": height})

    def go(self, url):
        self.cmd("POST", "/url", {"url": url})

    def js(self, script, *args):
        return self.cmd("POST", "/execute/sync", {"script": script, "args": list(args)})

    def find(self, css):
        def look():
            found = self.cmd("POST", "/elements", {"using": "css selector", "value": css})
            return found[0] if found else None

        element = wait_until(f"an element {css}", look, 20)
        return next(iter(element.values()))

    def click(self, css):
        self.cmd("POST", f"/element/{self.find(css)}/click", {})

    def type(self, css, text):
        element = self.find(css)
        self.cmd("POST", f"/element/{element}/clear", {})
        self.cmd("POST", f"/element/{element}/value", {"text": text})

    def shot(self, path, full=True):
        """Saves a PNG of the window, first made as tall as the page (at most 1800 px)."""
        if full:
            height = self.js("return document.documentElement.scrollHeight")
            self.size(WIDTH, min(max(int(height) + 40, 600), 1800))
        time.sleep(0.3)
        png = base64.b64decode(self.cmd("GET", "/screenshot"))
        Path(path).write_bytes(png)
        print(f"saved {path} ({len(png) // 1024} KiB)")
        self.size(WIDTH, 900)

    def close(self):
        try:
            self.cmd("DELETE", "")
        finally:
            self.driver.kill()
            self.driver.wait()


def binary(given, env, default, names):
    for candidate in [given, os.environ.get(env), default]:
        if candidate and Path(candidate).is_file():
            return candidate
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    sys.exit(
        f"{names[0]} not found: apt-get install -y chromium chromium-driver, or set {env}"
    )


def setup_links(mail_dir):
    """(path of the setup link, locale) of each demo email, newest first."""
    links = []
    for eml in sorted(Path(mail_dir).glob("*.eml"), reverse=True):
        msg = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
        part = msg.get_body(preferencelist=("plain",))
        text = part.get_content() if part else ""
        found = re.search(r"https?://[^/\s]+(/setup/[A-Za-z0-9_-]+)", text)
        if found:
            links.append((found.group(1), msg.get("Content-Language", "en")))
    return links


def main():
    args = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    args.add_argument("--binary", default="target/release/provisio")
    args.add_argument("--out", default="docs/screenshots")
    args.add_argument("--chromium")
    args.add_argument("--chromedriver")
    opts = args.parse_args()
    if not Path(opts.binary).is_file():
        sys.exit(f"{opts.binary} not found: cargo build --release (or --binary PATH)")
    chromium = binary(opts.chromium, "PROVISIO_CHROMIUM", "/usr/bin/chromium", ["chromium"])
    chromedriver = binary(
        opts.chromedriver, "PROVISIO_CHROMEDRIVER", "/usr/bin/chromedriver", ["chromedriver"]
    )
    out = Path(opts.out)
    out.mkdir(parents=True, exist_ok=True)

    scratch = Path(tempfile.mkdtemp(prefix="provisio-shots-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(scratch / "server.log", "w")
    server = subprocess.Popen(
        [opts.binary, "--data-dir", str(scratch / "data"), "serve", "--demo",
         "--listen", f"127.0.0.1:{port}"],
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    browsers = []
    try:
        passwords = {}
        for line in server.stdout:
            user = re.match(r"\s+(\S+@\S+\.example)\s+(\S+)\s", line)
            if user:
                passwords[user.group(1)] = user.group(2)
            if line.startswith("Mail is written to"):
                break
        if "bo@partner.example" not in passwords:
            sys.exit(f"the demo printed no password for bo@partner.example (log: {log.name})")

        def healthy():
            try:
                return http("GET", f"{base}/healthz", timeout=2)[0] == 200
            except OSError:
                return False

        wait_until("the server", healthy)

        english = Browser(chromium, chromedriver, "en-US", scratch / "profile-en")
        browsers.append(english)
        b = english
        b.go(f"{base}/")
        b.type("#email", "bo@partner.example")
        b.type("#password", passwords["bo@partner.example"])
        b.click("form[action='/sign-in'] button[type=submit]")
        b.find("form[action='/sign-out']")

        # The first page after sign-in: what needs attention.
        b.find("h1")
        b.shot(out / "attention.png")

        # The order whose lines are in the most stages.
        b.go(f"{base}/orders")
        b.find("h1")
        orders = b.js(
            "return [...document.querySelectorAll('tbody tr')].map(r => "
            "[r.querySelector('th a').textContent, r.querySelectorAll('.tag').length]);"
        )
        order = max(orders, key=lambda o: o[1])[0]
        b.go(f"{base}/orders/{order}")
        b.find("table.lines")
        b.shot(out / "order.png")

        # The Resend dialog of the first line that opens it.
        opened = b.js(
            "const f = document.querySelector(\"form[data-dialog='resend'] button:not([disabled])\");"
            "if (!f) { return false; } window.scrollTo(0, 0); f.click(); return true;"
        )
        if not opened:
            sys.exit(f"no line of order {order} opens the Resend dialog")
        b.find("dialog[open]")
        b.shot(out / "resend-dialog.png", full=False)
        b.js("document.querySelector('dialog[open]').close()")

        b.go(f"{base}/subscriptions")
        b.find("h1")
        b.shot(out / "subscriptions.png")

        # Support cases: the form from a line's row, and the case support answered (the line's
        # mail server refused the address) as its opener sees it.
        b.go(f"{base}/cases/new?request_type=resend_provisioning_email")
        b.find("h1")
        b.shot(out / "case-new.png")
        b.go(f"{base}/cases")
        waiting = b.js(
            "const r = [...document.querySelectorAll('tbody tr')].find(r => "
            "r.querySelector('.case-waiting')); return r && r.querySelector('th a').href;"
        )
        if not waiting:
            sys.exit("no waiting case in the demo")
        b.go(waiting)
        b.find("h1")
        b.shot(out / "case.png")

        # Setup pages: the newest live link (its page has the form), in English and in Swedish.
        done = set()
        for path, locale in setup_links(scratch / "data" / "mail"):
            if locale in done:
                continue
            status, page = http("GET", f"{base}{path}")
            if status == 200 and b"organization_name" in page:
                name = "setup.png" if locale == "en" else f"setup-{locale}.png"
                b.go(f"{base}{path}")
                b.find("h1")
                b.shot(out / name)
                done.add(locale)
        if "en" not in done:
            print("note: no live English setup link in the demo mail", file=sys.stderr)

        # The order page in Swedish, chosen with the language selector.
        b.go(f"{base}/orders/{order}")
        b.js(
            "const s = document.getElementById('language'); s.value = 'sv';"
            "s.form.submit();"
        )
        wait_until("the Swedish page", lambda: b.js("return document.documentElement.lang") == "sv")
        b.find("table.lines")
        b.shot(out / "order-sv.png")

        # The agents' queue, signed in as Sam (support).
        support = Browser(chromium, chromedriver, "en-US", scratch / "profile-sam")
        browsers.append(support)
        support.go(f"{base}/")
        support.type("#email", "sam@operator.example")
        support.type("#password", passwords["sam@operator.example"])
        support.click("form[action='/sign-in'] button[type=submit]")
        support.find("form[action='/sign-out']")
        support.go(f"{base}/cases")
        support.find("h1")
        support.shot(out / "case-queue.png")
    finally:
        for browser in browsers:
            browser.close()
        server.terminate()
        server.wait(10)
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
