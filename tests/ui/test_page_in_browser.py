"""The controller page in a real browser (headless Chromium), as a person sees it.

The scenario runs `reconciler watch` against a `reconciler sandbox` process (ECS stepping every 2 s, so a
rollout stays visible for several seconds) with a webhook receiver, and looks at the page while it happens:
the web service turning from progressing to healthy, drift corrected after "Sync now", an out-of-sync diff
appearing after drift on a suspended service, a failed rollout with its reason (exit code, stopped reason),
then held. The receiver gets one event per state change and none for a pass that changed nothing.
With RECONCILER_SCREENSHOTS=DIR (scripts/screenshots.sh) the README's screenshots are written there."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from ..conftest import MANIFESTS
from ..receiver import Receiver
from ..sandbox_process import CLI, sandbox_process
from .browser import chromium, emulate_phone

pytestmark = pytest.mark.server
SHOTS = os.environ.get("RECONCILER_SCREENSHOTS")
WEB = 'tr[data-key="Service/demo/web"]'


def until(driver: Any, condition: Callable[[Any], Any], what: str, seconds: float = 150) -> Any:
    """Wait for what a person would see (the page swaps its live part: elements are found again each time)."""
    wait = WebDriverWait(driver, seconds, poll_frequency=0.2,
                         ignored_exceptions=(NoSuchElementException, StaleElementReferenceException))
    return wait.until(condition, message=f"the page never showed {what}")


def text(driver: Any, css: str) -> str:
    return str(driver.find_element(By.CSS_SELECTOR, css).text)


def shoot(driver: Any, name: str, phone: bool = False) -> None:
    """The whole page as a PNG in $RECONCILER_SCREENSHOTS (for the README)."""
    if not SHOTS:
        return
    Path(SHOTS).mkdir(parents=True, exist_ok=True)
    width, before = driver.execute_script("return [window.innerWidth, window.innerHeight]")
    height = min(int(driver.execute_script("return document.documentElement.scrollHeight")) + 40, 3200)
    if phone:
        emulate_phone(driver, width, height)
    else:
        driver.set_window_size(width, height + 140)  # (the window's frame is not part of the viewport)
    time.sleep(0.3)
    driver.save_screenshot(str(Path(SHOTS) / f"{name}.png"))
    if phone:
        emulate_phone(driver, width, before)
    else:
        driver.set_window_size(width, 900)


def edit(path: Path, old: str, new: str) -> None:
    content = path.read_text()
    assert old in content
    tmp = path.with_suffix(".tmp")
    tmp.write_text(content.replace(old, new))
    os.replace(tmp, path)  # one write, as an editor or a checkout makes it


class Watch:
    """`reconciler watch` on the sandbox, as a user starts it; its JSON log lines."""

    def __init__(self, env: dict[str, str], manifests: Path, receiver: Receiver, tmp: Path) -> None:
        argv = [CLI, "watch", manifests.name, "--listen", "127.0.0.1:0", "--resync", "1h", "--requeue", "1s",
                "--debounce", "0.2s", "--ui-allow-sync", "--ui-poll", "0.5s", "--notify", receiver.url + "/hook",
                "--log-format", "json"]
        self.proc = subprocess.Popen(argv, env={**env, "TMPDIR": str(tmp), "NO_COLOR": "1"}, cwd=manifests.parent,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.lines: list[str] = []
        assert self.proc.stderr is not None
        stderr = self.proc.stderr
        threading.Thread(target=lambda: self.lines.extend(stderr), daemon=True).start()

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in list(self.lines) if line.startswith("{")]

    def url(self) -> str:
        deadline = time.monotonic() + 60
        while True:
            found = [e["url"] for e in self.events() if e["event"] == "Serving"]
            if found:
                return str(found[0])
            assert self.proc.poll() is None and time.monotonic() < deadline, "".join(self.lines)
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                assert self.proc.wait(60) == 0, "".join(self.lines)
            finally:
                if self.proc.poll() is None:
                    self.proc.kill()


@pytest.fixture
def scenario(tmp_path: Path) -> Iterator[tuple[dict[str, str], Path, Receiver]]:
    m = tmp_path / "manifests"
    shutil.copytree(MANIFESTS, m)
    (m / "migrate-task.yaml").unlink()  # (a crashing image would fail the migration before the rollout)
    receiver = Receiver()
    with sandbox_process("2.0") as env:
        try:
            yield env, m, receiver
        finally:
            receiver.close()


def sync_now(driver: Any) -> None:
    """Press the button with the keyboard, as a keyboard user does."""
    button = driver.find_element(By.ID, "sync-now")
    button.send_keys(Keys.ENTER)
    until(driver, lambda d: "A pass was requested" in text(d, "#sync-status"), "that a pass was requested")


def passes_with(watch: Watch, trigger: str) -> int:
    return sum(1 for e in watch.events() if e["event"] == "Pass done" and e.get("trigger") == trigger)


def test_a_person_watching_the_page_sees_each_state(scenario: tuple[dict[str, str], Path, Receiver],
                                                    tmp_path: Path) -> None:
    env, m, receiver = scenario
    ecs = boto3.client("ecs", endpoint_url=env["AWS_ENDPOINT_URL"], region_name=env["AWS_REGION"],
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    with chromium() as driver:
        watch = Watch(env, m, receiver, tmp_path)
        try:
            driver.get(watch.url())
            assert driver.title.startswith("reconciler")

            # 1. The first pass creates everything; web rolls out: progressing with live counts, then healthy.
            until(driver, lambda d: d.find_element(By.CSS_SELECTOR, WEB).get_attribute("data-health")
                  == "progressing", "web progressing")
            row = text(driver, WEB)
            assert "progressing" in row and "demo" in row and "web:1" in row
            assert "Service/demo/web" in text(driver, "section.rollouts")
            shoot(driver, "rolling-out")
            until(driver, lambda d: d.find_element(By.CSS_SELECTOR, WEB).get_attribute("data-health") == "healthy",
                  "web healthy")
            assert "2/2" in text(driver, WEB) and "Nothing is rolling out." in text(driver, "section.rollouts")
            assert "rollout.completed" in text(driver, "section.activity")
            assert "success" in text(driver, "section.pass") and "start" in text(driver, "section.pass")

            # 2. Someone scales web by hand; Sync now: the pass corrects the drift, and says so.
            ecs.update_service(cluster="demo", service="web", desiredCount=4)
            sync_now(driver)
            until(driver, lambda d: "drift corrected" in text(d, "section.pass"), "the drift corrected")
            assert "ui" in text(driver, "section.pass")
            until(driver, lambda d: "drift.corrected" in text(d, "section.activity"), "drift.corrected")
            until(driver, lambda d: "Nothing is rolling out." in text(d, "section.rollouts"), "the scale-down done")
            receiver.wait_for(4)  # (its rollout.completed: nothing is followed any more)

            # 3. The service suspended (annotation), scaled by hand again: the diff appears, nothing is changed.
            done = passes_with(watch, "change")
            edit(m / "web-service.yaml", "  name: web\n", '  name: web\n  annotations:\n'
                                                          '    reconciler.io/suspend: "true"\n')
            until(driver, lambda d: passes_with(watch, "change") > done, "the pass of the edit")
            ecs.update_service(cluster="demo", service="web", desiredCount=3)
            sync_now(driver)
            until(driver, lambda d: d.find_element(By.CSS_SELECTOR, WEB).get_attribute("data-sync") == "out-of-sync",
                  "web out of sync")
            diff = driver.find_element(By.CSS_SELECTOR, f"{WEB} table.diff")
            assert diff.is_displayed()
            cells = [c.text for c in diff.find_elements(By.CSS_SELECTOR, ":scope > tbody > tr:first-child > *")]
            assert cells == ["desiredCount", "3", "2"]  # field, in AWS, in git
            shoot(driver, "out-of-sync")

            # 4. The suspension lifted (the drift is corrected), then a revision whose tasks crash: the rollout
            #    fails, ECS rolls it back, and the page says why (stopped reason, exit code).
            done = passes_with(watch, "change")
            edit(m / "web-service.yaml", '  annotations:\n    reconciler.io/suspend: "true"\n', "")
            until(driver, lambda d: d.find_element(By.CSS_SELECTOR, WEB).get_attribute("data-sync") == "in-sync"
                  and "Nothing is rolling out." in text(d, "section.rollouts"), "web back in sync")
            receiver.wait_for(6)  # (the scale-down's rollout.completed: nothing is followed any more)
            edit(m / "web-taskdef.yaml", "IMAGE_TAG:-1.0.0", "IMAGE_TAG:-2.0-crash")
            until(driver, lambda d: "web:1 → web:2" in text(d, "section.rollouts"), "the rollout of web:2")
            until(driver, lambda d: "Service/demo/web" in text(d, "section.attention"), "the failed rollout", 240)
            card = text(driver, "section.attention")
            assert "degraded" in card and "exit code 1" in card and "CannotStartContainerError" in card
            assert "rolled back to web:1" in card
            assert "rollout.rolledBack" in text(driver, "section.activity")
            shoot(driver, "failed-rollout")

            # 5. The next pass holds the failed revision (no retry in a loop): held, with the reason.
            sync_now(driver)
            until(driver, lambda d: d.find_element(By.CSS_SELECTOR, WEB).get_attribute("data-sync") == "held",
                  "web held")
            card = text(driver, "section.attention")
            assert "held" in card and "Why it failed" in card and "exit code 1" in card
            assert "resource.held" in text(driver, "section.activity")
            shoot(driver, "held")

            # 6. A pass that changes nothing says nothing.
            passes = passes_with(watch, "ui")
            sync_now(driver)
            until(driver, lambda d: passes_with(watch, "ui") > passes, "the last pass")
        finally:
            watch.stop()  # (SIGTERM: the notifications queued are delivered first)
    assert receiver.types() == ["sync.applied", "rollout.completed", "drift.corrected", "rollout.completed",
                                "sync.applied", "rollout.completed", "sync.applied", "rollout.rolledBack",
                                "resource.held"]
    assert all(r.path == "/hook" for r in receiver.received)
    assert "Traceback" not in "".join(watch.lines)


def test_on_a_phone_with_the_keyboard(tmp_path: Path) -> None:
    """A narrow screen: no sideways scrolling, one block per row; the keyboard reaches everything in order;
    a filter chosen with the keyboard applies at once (and shows in the address); contrast holds (AA)."""
    from reconciler.controller.http import UiSettings, serve
    from reconciler.controller.metrics import Metrics

    from ..test_ui_page import hostile_state

    state = hostile_state()
    server = serve(state, Metrics(), "127.0.0.1", 0, UiSettings(allow_sync=True, poll_seconds=0.5))
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with chromium(width=390, height=844, phone=True) as driver:
            driver.get(base + "/")
            until(driver, lambda d: d.find_element(By.ID, "live").get_attribute("data-refreshed"), "a refresh")
            assert driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
            # Keyboard: the skip link first, then the button, then the filters.
            body = driver.find_element(By.TAG_NAME, "body")
            body.send_keys(Keys.TAB)
            assert driver.switch_to.active_element.text == "Skip to the resources"
            body.send_keys(Keys.TAB)
            assert driver.switch_to.active_element.get_attribute("id") == "sync-now"
            driver.switch_to.active_element.send_keys(Keys.TAB)
            assert driver.switch_to.active_element.get_attribute("id") == "f-cluster"
            driver.switch_to.active_element.send_keys("o")  # "other", chosen from the keyboard
            until(driver, lambda d: [r.get_attribute("data-key") for r in d.find_elements(By.CSS_SELECTOR,
                                                                                           "tr.resource")]
                  == ["Service/other/api"], "the filtered rows")
            assert driver.current_url.endswith("/?cluster=other")
            shoot(driver, "phone", phone=True)
            # Every badge, chip and link: text against its background at 4.5:1 or more.
            worst = driver.execute_script(CONTRAST)
            assert worst >= 4.5, worst
            driver.execute_cdp_cmd("Emulation.setEmulatedMedia",
                                   {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
            worst = driver.execute_script(CONTRAST)
            assert worst >= 4.5, f"dark mode: {worst}"
            driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
            # The state changes while the page is open: it follows without a reload.
            state.resources = [{**r, "health": "healthy", "sync": "in-sync", "failure": ""}
                               if r["kind"] == "Service" else r for r in state.resources]
            until(driver, lambda d: "Nothing is held or failing." in text(d, "section.attention"), "the change")
            assert driver.execute_script("return performance.getEntriesByType('navigation').length") == 1
            assert not [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    finally:
        server.shutdown()


# The lowest contrast ratio between text and its background among the page's badges, chips, links, buttons.
CONTRAST = """
function rgb(s) { var m = s.match(/[\\d.]+/g).map(Number); return m.length > 3 && m[3] === 0 ? null : m; }
function lum(c) {
  var a = c.slice(0, 3).map(function (v) {
    v /= 255;
    return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
  });
  return 0.2126 * a[0] + 0.7152 * a[1] + 0.0722 * a[2];
}
function background(el) {
  for (; el; el = el.parentElement) { var c = rgb(getComputedStyle(el).backgroundColor); if (c) { return c; } }
  return [255, 255, 255];
}
var worst = 21;
var all = ".badge, .chip, a, button, td.before, td.after, .errors li, caption, footer p, .activity-list .type";
document.querySelectorAll(all).forEach(function (el) {
  var fg = rgb(getComputedStyle(el).color), bg = background(el);
  var l1 = lum(fg), l2 = lum(bg);
  var ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
  if (ratio < worst) { worst = ratio; }
});
return worst;
"""
