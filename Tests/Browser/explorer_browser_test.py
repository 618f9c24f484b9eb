#!/usr/bin/env python3
"""Drives gk-explore's page in headless Chromium and checks that its controls work.

Starts `gk-explore CHECKPOINT --port 0`, opens the page in Chromium through the DevTools protocol
(over --remote-debugging-pipe: no extra packages), and uses the page as a person would: waits for
the sample grid, clicks a sample, drags a slider with the mouse, moves another with the keyboard,
picks two samples for an interpolation, switches the class of a conditional model with the
keyboard, and for a VAE reconstructs a test digit and an uploaded picture. Each step asserts that
the picture changed; at the end no error may be on the page or in its console. Writes screenshots
and the latencies the page measured (decode, 64-image grid) as JSON.

Exit status 0 when every check passes; otherwise a message says which one failed.
"""
import argparse
import base64
import fcntl
import json
import os
import select
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zlib


class CheckFailed(Exception):
    pass


def check(condition, message):
    if not condition:
        raise CheckFailed(message)


class Chromium:
    """A headless Chromium spoken to over its DevTools pipe (fd 3 in, fd 4 out, NUL-separated JSON)."""

    def __init__(self, executable, profile):
        to_browser_read, self.to_browser = os.pipe()
        self.from_browser, from_browser_write = os.pipe()
        # Move the child's ends above 10 so that placing them on 3 and 4 cannot overwrite each other.
        child_in = fcntl.fcntl(to_browser_read, fcntl.F_DUPFD, 10)
        child_out = fcntl.fcntl(from_browser_write, fcntl.F_DUPFD, 10)
        os.close(to_browser_read)
        os.close(from_browser_write)

        def place_pipes():
            os.dup2(child_in, 3)
            os.dup2(child_out, 4)

        self.process = subprocess.Popen(
            [executable, "--headless=new", "--remote-debugging-pipe", "--no-sandbox", "--disable-gpu",
             "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--user-data-dir=" + profile,
             "--window-size=1280,1000", "about:blank"],
            pass_fds=(3, 4), preexec_fn=place_pipes, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(child_in)
        os.close(child_out)
        self.buffer = b""
        self.next_id = 0
        self.events = []
        self.session = None

    def send(self, method, params=None, session=True, timeout=30):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            message["sessionId"] = self.session
        os.write(self.to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.time() + timeout
        while True:
            for reply in self._read(deadline - time.time()):
                if reply.get("id") == self.next_id:
                    if "error" in reply:
                        raise CheckFailed(f"{method}: {reply['error'].get('message')}")
                    return reply.get("result", {})
                self.events.append(reply)
            if time.time() > deadline:
                raise CheckFailed(f"{method}: no answer from Chromium within {timeout} s")

    def _read(self, timeout):
        ready, _, _ = select.select([self.from_browser], [], [], max(0.0, timeout))
        if not ready:
            return []
        chunk = os.read(self.from_browser, 1 << 20)
        if not chunk:
            raise CheckFailed("Chromium closed its DevTools pipe (did it start?)")
        self.buffer += chunk
        *complete, self.buffer = self.buffer.split(b"\0")
        return [json.loads(part) for part in complete if part]

    def open(self, url):
        target = self.send("Target.createTarget", {"url": "about:blank"}, session=False)["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True}, session=False)["sessionId"]
        for domain in ("Page", "Runtime", "Log", "DOM"):
            self.send(domain + ".enable")
        self.send("Emulation.setDeviceMetricsOverride", {"width": 1280, "height": 1000, "deviceScaleFactor": 1, "mobile": False})
        self.send("Page.navigate", {"url": url})

    def evaluate(self, expression, timeout=30):
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True},
                           timeout=timeout)
        if "exceptionDetails" in result:
            raise CheckFailed(f"page script failed: {expression[:80]}: {json.dumps(result['exceptionDetails'])[:600]}")
        return result["result"].get("value")

    def wait_for(self, expression, what, timeout=60):
        deadline = time.time() + timeout
        last_error = ""
        while time.time() < deadline:
            try:
                if self.evaluate(expression):
                    return
            except CheckFailed as error:  # the page may still be loading (no body yet)
                last_error = f" (last: {error})"
            time.sleep(0.05)
        raise CheckFailed(f"timed out after {timeout} s waiting for {what}{last_error}")

    def center(self, selector):
        box = self.evaluate(f"(() => {{ const r = document.querySelector({json.dumps(selector)}).getBoundingClientRect();"
                            " return [r.left, r.top, r.width, r.height]; })()")
        check(box is not None and box[2] > 0, f"{selector} is not visible")
        return box

    def mouse(self, kind, x, y, buttons=1):
        params = {"type": kind, "x": x, "y": y, "button": "left", "buttons": buttons, "clickCount": 1}
        self.send("Input.dispatchMouseEvent", params)

    def click(self, selector):
        left, top, width, height = self.center(selector)
        x, y = left + width / 2, top + height / 2
        self.mouse("mouseMoved", x, y, buttons=0)
        self.mouse("mousePressed", x, y)
        self.mouse("mouseReleased", x, y, buttons=0)

    def key(self, name, code):
        for kind in ("rawKeyDown", "keyUp"):
            self.send("Input.dispatchKeyEvent", {"type": kind, "key": name, "code": name,
                                                 "windowsVirtualKeyCode": code, "nativeVirtualKeyCode": code})

    def screenshot(self, path):
        data = self.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})["data"]
        with open(path, "wb") as file:
            file.write(base64.b64decode(data))

    def page_errors(self):
        errors = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                errors.append("exception: " + json.dumps(params.get("exceptionDetails", {}))[:300])
            elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
                errors.append("console.error: " + json.dumps(params.get("args"))[:300])
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                errors.append("log: " + params["entry"].get("text", "")[:300])
        return errors

    def close(self):
        try:
            self.send("Browser.close", session=False, timeout=5)
        except Exception:
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def write_digit_png(path):
    """A 56 x 56 dark '7' on white paper (the page must invert it to MNIST's light-on-dark)."""
    side = 56
    rows = []
    for y in range(side):
        row = bytearray([255] * side)
        for x in range(side):
            if 10 <= y <= 15 and 12 <= x <= 44:
                row[x] = 20
            if y > 15 and abs(x - (44 - (y - 15) * 0.6)) < 3.5 and y < 50:
                row[x] = 20
        rows.append(b"\0" + bytes(row))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    with open(path, "wb") as file:
        file.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"".join(rows)))
                   + chunk(b"IEND", b""))


def start_server(server, checkpoint, data_dir):
    command = [server, checkpoint, "--port", "0"] + (["--data-dir", data_dir] if data_dir else [])
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 120
    lines = []
    while time.time() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip())
        if line.startswith("serving http://"):
            return process, line.split()[1]
    process.kill()
    raise CheckFailed("gk-explore did not start:\n" + "\n".join(lines[-20:]))


def http(url, body=None):
    request = urllib.request.Request(url, data=body, method="POST" if body is not None else "GET")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def check_server_refusals(url):
    """Malformed requests to the running server: a 4xx with a JSON sentence, and the server lives on."""
    cases = [
        ("api/decode", b'{"codes": [["slider", 1]]}', 400, "expected a number"),
        ("api/grid", b'{"count": 100000000}', 400, "count must be between"),
        ("api/decode", b"{" * 600_000, 413, "larger than"),
        ("../../../etc/passwd", None, 404, "no such page"),
    ]
    for path, body, status, text in cases:
        code, answer = http(url + path, body)
        check(code == status and text in answer.decode(errors="replace"), f"{path}: expected {status} '{text}', got {code} {answer[:120]!r}")
    code, _ = http(url + "api/info")
    check(code == 200, "the server stopped answering after malformed requests")


def explore(browser, url, shots, name):
    """The checks on one model's page; returns the latencies the page measured."""
    browser.open(url)
    browser.wait_for("document.body.dataset.ready === '1'"
                     " && document.querySelectorAll('#grid img').length === window.explorer.gridCount"
                     " && [...document.querySelectorAll('#grid img')].every(i => i.complete && i.naturalWidth > 0)",
                     "the sample grid")
    info = browser.evaluate("fetch('/api/info').then(r => r.json())")
    browser.wait_for("document.getElementById('selected').complete && document.getElementById('selected').naturalWidth > 0",
                     "the first selected sample")

    # Click a sample: it becomes the selected one.
    browser.click("#grid img:nth-child(11)")
    browser.wait_for("document.querySelector('#grid img.picked')?.dataset.index === '10' && !window.explorerBusy",
                     "sample 10 to be picked")
    browser.wait_for("document.body.dataset.decodes >= '1'", "the selected sample's decode")
    time.sleep(0.3)
    before = browser.evaluate("document.getElementById('selected').src")

    # Drag the first slider to the right with the mouse.
    left, top, width, height = browser.center("#slider-0")
    x, y = left + width / 2, top + height / 2
    browser.mouse("mouseMoved", x, y, buttons=0)
    browser.mouse("mousePressed", x, y)
    for step in range(1, 9):
        browser.mouse("mouseMoved", x + step * width * 0.05, y)
        time.sleep(0.03)
    browser.mouse("mouseReleased", x + width * 0.4, y, buttons=0)
    value = float(browser.evaluate("document.getElementById('slider-0').value"))
    check(value > 1.0, f"dragging slider 1 moved it to {value}, expected above 1")
    browser.wait_for(f"document.getElementById('selected').src !== {json.dumps(before)}", "the picture to change after the drag")
    check(browser.evaluate("document.querySelector('#sliders output').value") == f"{value:.2f}",
          "the slider's number does not show its value")
    time.sleep(0.5)
    after_drag = browser.evaluate("document.getElementById('selected').src")

    # Move the second slider with the keyboard.
    browser.evaluate("document.getElementById('slider-1').focus()")
    for _ in range(20):
        browser.key("ArrowRight", 39)
    check(abs(float(browser.evaluate("document.getElementById('slider-1').value")) - 1.0) < 1e-6,
          "twenty ArrowRight presses did not move slider 2 to 1.00")
    browser.wait_for(f"document.getElementById('selected').src !== {json.dumps(after_drag)}", "the picture to change after the keys")
    time.sleep(0.5)
    browser.screenshot(os.path.join(shots, f"explorer-{name}-sliders.png"))

    # Interpolation between two picked samples.
    browser.click("#set-start")
    browser.click("#grid img:nth-child(30)")
    browser.wait_for("document.querySelector('#grid img.picked')?.dataset.index === '29'", "sample 29 to be picked")
    browser.click("#set-end")
    browser.wait_for("document.querySelectorAll('#strip img').length === 10 && [...document.querySelectorAll('#strip img')]"
                     ".every(i => i.complete && i.naturalWidth > 0)", "the interpolation strip")
    strip = browser.evaluate("[...document.querySelectorAll('#strip img')].map(i => i.src)")
    check(len(set(strip)) > 2, "the interpolation strip shows the same picture throughout")
    browser.screenshot(os.path.join(shots, f"explorer-{name}-interpolation.png"))

    # A conditional model: the class selector, moved with the keyboard, redraws the grid in one class.
    if info.get("classCount"):
        grid_before = browser.evaluate("[...document.querySelectorAll('#grid img')].map(i => i.src).join()")
        browser.evaluate("document.getElementById('class-select').focus()")
        browser.key("ArrowDown", 40)
        browser.key("ArrowDown", 40)
        browser.wait_for("document.body.dataset.gridSeed?.endsWith(':1')"
                         " && document.querySelectorAll('#grid img').length === window.explorer.gridCount", "the grid of class 1")
        browser.wait_for("[...document.querySelectorAll('#grid img')].every(i => i.complete && i.naturalWidth > 0)", "class-1 images")
        check(browser.evaluate("[...document.querySelectorAll('#grid img')].every(i => i.alt.endsWith('of class 1'))"),
              "after choosing class 1 the grid holds other classes")
        check(browser.evaluate("[...document.querySelectorAll('#grid img')].map(i => i.src).join()") != grid_before,
              "choosing class 1 did not change the grid")
        browser.screenshot(os.path.join(shots, f"explorer-{name}-class.png"))

    # A VAE: reconstruct a test digit, then an uploaded picture.
    if info["kind"] == "vae":
        if info["testImages"] > 0:
            browser.click("#test-index")
            browser.evaluate("document.getElementById('test-index').select()")
            browser.send("Input.insertText", {"text": "7"})
            browser.click("#reconstruct-test")
            browser.wait_for("document.getElementById('recon-output').naturalWidth > 0", "the test digit's reconstruction")
        if info.get("classCount", 0) > 7:
            # A conditional VAE reconstructs an upload as the chosen class: choose 7 for the picture of a seven.
            browser.evaluate("document.getElementById('class-select').focus()")
            for _ in range(6):
                browser.key("ArrowDown", 40)
            browser.wait_for("document.body.dataset.gridSeed?.endsWith(':7')", "the class selector at 7")
        before_upload = browser.evaluate("document.getElementById('recon-original').src")
        picture = os.path.join(shots, "upload-seven.png")
        write_digit_png(picture)
        node = browser.send("DOM.querySelector", {"nodeId": browser.send("DOM.getDocument")["root"]["nodeId"], "selector": "#upload"})
        browser.send("DOM.setFileInputFiles", {"files": [os.path.abspath(picture)], "nodeId": node["nodeId"]})
        browser.wait_for(f"document.getElementById('recon-original').src !== {json.dumps(before_upload)}"
                         " && document.getElementById('recon-output').complete", "the upload's reconstruction")
        os.remove(picture)
        browser.screenshot(os.path.join(shots, f"explorer-{name}-reconstruction.png"))

    # Latency as the page sees it: sequential requests, medians.
    timings = browser.evaluate("""(async () => {
      const code = Array.from({length: %d}, (_, i) => Math.sin(i));
      const label = %s;
      const decode = label === null ? {codes: [code]} : {codes: [code], labels: [label]};
      const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
      const run = async (path, body, times) => {
        const ms = [];
        for (let i = 0; i < times; i++) {
          const t = performance.now();
          const r = await fetch(path, {method: 'POST', body: JSON.stringify(body)});
          await r.json();
          ms.push(performance.now() - t);
        }
        return median(ms);
      };
      return {decode1: await run('/api/decode', decode, 30), grid64: await run('/api/grid', {count: 64, seed: 9}, 10)};
    })()""" % (info["latentDimension"], "0" if info.get("classCount") else "null"), timeout=120)

    status = browser.evaluate("[document.getElementById('status').className, document.getElementById('status').textContent]")
    check(status[0] != "error", f"the page shows an error: {status[1]}")
    errors = browser.evaluate("window.explorer.errors") + browser.page_errors()
    check(not errors, "errors on the page: " + "; ".join(errors))
    return timings


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", required=True, help="the gk-explore executable")
    parser.add_argument("--checkpoint", action="append", required=True, help="NAME=PATH of a checkpoint; repeatable")
    parser.add_argument("--data-dir", help="the data folder, for a VAE's test digits")
    parser.add_argument("--chromium", default="chromium")
    parser.add_argument("--screenshots", required=True, help="folder for the screenshots")
    parser.add_argument("--report", help="write the measured latencies here as JSON")
    arguments = parser.parse_args()
    os.makedirs(arguments.screenshots, exist_ok=True)
    report = {}
    for entry in arguments.checkpoint:
        name, path = entry.split("=", 1)
        server, url = start_server(arguments.server, path, arguments.data_dir)
        with tempfile.TemporaryDirectory() as profile:
            browser = Chromium(arguments.chromium, profile)
            try:
                check_server_refusals(url)
                report[name] = explore(browser, url, arguments.screenshots, name)
                print(f"{name}: every check passed; page-measured medians: one decode {report[name]['decode1']:.1f} ms, "
                      f"64-image grid {report[name]['grid64']:.1f} ms")
            except CheckFailed as failure:
                print(f"{name}: FAILED: {failure}", file=sys.stderr)
                try:
                    browser.screenshot(os.path.join(arguments.screenshots, f"failed-{name}.png"))
                except CheckFailed:
                    pass
                sys.exit(1)
            finally:
                browser.close()
                server.terminate()
                server.wait(timeout=10)
    if arguments.report:
        with open(arguments.report, "w") as file:
            json.dump(report, file, indent=2)


if __name__ == "__main__":
    main()
