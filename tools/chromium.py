# SPDX-License-Identifier: MIT
"""Headless Chromium driven over the DevTools protocol, for the HTML page's
test (tests/html/run.py) and the pictures (tools/flamegraph.py,
tools/screenshot.py). Standard library only.

Chromium reads the protocol on fd 3 and writes on fd 4
(--remote-debugging-pipe): JSON messages, each ending in a NUL byte.
"""
import base64
import json
import os
import shutil
import subprocess
import tempfile
import time

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--hide-scrollbars", "--remote-debugging-pipe"]


class Browser:
    """One Chromium process with a throw-away profile; close() ends it."""

    def __init__(self, extra_flags=()):
        if not shutil.which("chromium"):
            raise RuntimeError("chromium is not installed (apt-get install chromium)")
        self.profile = tempfile.mkdtemp(prefix="etltrace-chromium-")
        to_r, self.to_w = os.pipe()
        self.from_r, from_w = os.pipe()

        def child_fds():
            a, b = os.dup(to_r), os.dup(from_w)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.log = open(os.path.join(self.profile, "stderr.log"), "w")
        self.proc = subprocess.Popen(["chromium"] + FLAGS + list(extra_flags) +
                                     ["--user-data-dir=" + self.profile, "about:blank"],
                                     pass_fds=(3, 4), preexec_fn=child_fds, stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=self.log)
        os.close(to_r)
        os.close(from_w)
        self.buf = b""
        self.next_id = 0
        self.events = []

    def send(self, method, params=None, session=None):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        data = json.dumps(msg).encode() + b"\0"
        while data:
            data = data[os.write(self.to_w, data):]
        return self.next_id

    def recv(self):
        while b"\0" not in self.buf:
            chunk = os.read(self.from_r, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None, session=None):
        """Sends a command and returns its result; events seen meanwhile are
        kept in self.events."""
        want = self.send(method, params, session)
        while True:
            msg = self.recv()
            if msg.get("id") == want:
                if "error" in msg:
                    raise RuntimeError("%s: %s" % (method, msg["error"]))
                return msg.get("result", {})
            self.events.append(msg)

    def evaluate(self, session, expr):
        r = self.call("Runtime.evaluate", {"expression": expr, "returnByValue": True, "awaitPromise": True}, session)
        if "exceptionDetails" in r:
            raise RuntimeError("page evaluation failed: %s" % json.dumps(r["exceptionDetails"])[:500])
        return r["result"].get("value")

    def open(self, url, width=1400, height=2000, ready="document.readyState === 'complete'", timeout=60):
        """Loads url in a new tab of width x height CSS pixels and waits until
        the expression ready is true; returns (target, session, seconds)."""
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Network", "Runtime", "Log", "Page"):
            self.call(domain + ".enable", None, session)
        self.call("Emulation.setDeviceMetricsOverride", {"width": width, "height": height, "deviceScaleFactor": 1,
                                                         "mobile": False}, session)
        self.events = []
        started = time.monotonic()
        self.call("Page.navigate", {"url": url}, session)
        while not self.evaluate(session, ready):
            if time.monotonic() - started > timeout:
                raise RuntimeError("%s not ready after %d s" % (url, timeout))
            time.sleep(0.05)
        return target, session, time.monotonic() - started

    def screenshot(self, session, path, clip=None):
        """Writes a PNG of the viewport, or of clip {x, y, width, height}
        (CSS pixels, beyond the viewport too)."""
        params = {"format": "png"}
        if clip:
            params.update(captureBeyondViewport=True, clip=dict(clip, scale=1))
        data = self.call("Page.captureScreenshot", params, session)["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def close(self):
        try:
            self.call("Browser.close")
        except (RuntimeError, OSError):
            pass
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        shutil.rmtree(self.profile, ignore_errors=True)
