"""report.html in a real headless Chromium: every image decodes, the decision shows, no JS error.

A checker script, injected first into a copy of the page, records errors (window errors,
resource errors, unhandled rejections, console.error), and on load (synchronously, so the
DOM dump cannot race it) clicks a table header to run the sort code, decodes every image by
drawing it on a canvas, and writes the result into the DOM, which --dump-dom prints.
"""

import importlib.util
import json
import re
import struct
import subprocess
from pathlib import Path

import pytest
from dpdktune.analysis.analyze import FIGURES as ANALYSIS_FIGURES
from dpdktune.baselines.run import GAP_FIGURES

# tests/conftest.py's helper (this directory's own conftest.py shadows the module name)
_spec = importlib.util.spec_from_file_location("_tests_conftest", Path(__file__).parents[1] / "conftest.py")
_shared = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_shared)
require_program = _shared.require_program

pytestmark = [pytest.mark.chromium, pytest.mark.slow]

CHECKER = """
window.__errors = [];
window.addEventListener("error", function (e) {
  window.__errors.push(String(e.message || (e.target && (e.target.src || "").slice(0, 60)) || "error")); }, true);
window.addEventListener("unhandledrejection", function (e) {
  window.__errors.push("unhandled rejection: " + e.reason); });
(function () { var orig = console.error; console.error = function () {
  window.__errors.push("console.error: " + Array.prototype.join.call(arguments, " "));
  return orig.apply(console, arguments); }; })();
window.addEventListener("load", function () {
  var th = document.querySelector("table.sortable th"); if (th) { th.click(); th.click(); }
  // decode each image now, synchronously, by drawing it: a broken one has no size or throws
  var imgs = Array.prototype.slice.call(document.images), decoded = 0;
  var ctx = document.createElement("canvas").getContext("2d");
  imgs.forEach(function (img) {
    try { if (img.complete && img.naturalWidth > 0) { ctx.drawImage(img, 0, 0, 1, 1); decoded += 1; } }
    catch (e) { window.__errors.push("image: " + e); }
  });
  // how much each figure is scaled down on screen (its text shrinks by the same factor)
  var scales = imgs.filter(function (i) { return i.naturalWidth > 0; })
                   .map(function (i) { return i.getBoundingClientRect().width / i.naturalWidth; });
  var summary = document.getElementById("summary");
  var out = document.createElement("pre"); out.id = "__check";
  out.textContent = JSON.stringify({images: imgs.length, decoded: decoded, errors: window.__errors,
    decision: (document.getElementById("decision") || {}).textContent || null,
    width: document.documentElement.scrollWidth, min_scale: Math.min.apply(null, scales.concat([1])),
    summary_bottom: summary ? summary.getBoundingClientRect().bottom : null,
    badge: (document.getElementById("validation-badge") || {}).textContent || null});
  document.body.appendChild(out);
});
"""
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _chromium(tmp_path, *args, window: str = "1280,2000") -> subprocess.CompletedProcess:
    exe = require_program("chromium", "the report test renders report.html headless")
    cmd = [exe, *FLAGS, f"--window-size={window}", f"--user-data-dir={tmp_path / 'profile'}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def _check(page, tmp_path, window: str = "1280,2000") -> dict:
    html = page.read_text()
    checked = tmp_path / f"checked-{page.name}"
    checked.write_text(html.replace("<head>", f"<head><script>{CHECKER}</script>", 1))
    run = _chromium(tmp_path, "--virtual-time-budget=15000", "--dump-dom", checked.as_uri(), window=window)
    found = re.search(r'<pre id="__check">(.*?)</pre>', run.stdout, re.S)
    assert found, f"checker produced no result; chromium rc={run.returncode}, stderr tail: {run.stderr[-2000:]}"
    return json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))


def test_report_loads_cleanly_in_chromium(report_html, stage_outputs, tmp_path):
    result = _check(report_html, tmp_path)
    decision = json.loads(stage_outputs[1].files["decision"].read_text())["decision"]
    assert result["errors"] == []
    n = len(ANALYSIS_FIGURES) + len(GAP_FIGURES) + 1  # + the NDR/PDR figure
    assert result["images"] == n and result["decoded"] == n
    assert result["decision"] == decision
    assert result["width"] <= 1280  # no horizontal scrolling at 1280 px


def test_checker_catches_broken_images_and_script_errors(tmp_path):
    page = tmp_path / "broken.html"
    page.write_text(
        '<!DOCTYPE html><html><head></head><body><div id="decision">GO</div>'
        '<img src="data:image/png;base64,bm90IGEgcG5n"><script>undefinedFunction();</script></body></html>'
    )
    result = _check(page, tmp_path)
    assert result["images"] == 1 and result["decoded"] == 0
    assert any("undefinedFunction" in e for e in result["errors"])


def test_screenshot_at_1280px(report_html, tmp_path):
    shot = tmp_path / "report.png"
    run = _chromium(tmp_path, f"--screenshot={shot}", report_html.as_uri())
    assert shot.exists(), run.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1280, 2000)


def test_summary_fits_one_screen_and_figures_stay_readable_at_1400px(report_html, stage_outputs, tmp_path):
    """At 1400 x 1000 px the executive summary ends within the first screen, and no figure is
    shrunk below 75 % of its pixels (the figures use 11-13 pt text at 96 dpi, so >= 11 px)."""
    result = _check(report_html, tmp_path, window="1400,1000")
    assert result["errors"] == []
    assert result["summary_bottom"] is not None and result["summary_bottom"] <= 1000
    assert result["min_scale"] >= 0.75
    summary = json.loads(stage_outputs[1].files["validation"].read_text())
    want = "passed" if summary["passed"] and not summary["warnings"] else None
    assert result["badge"] == want or f"{summary['warnings']} warnings" in result["badge"]
    shot = tmp_path / "top.png"
    run = _chromium(tmp_path, f"--screenshot={shot}", report_html.as_uri(), window="1400,1000")
    assert shot.exists(), run.stderr[-2000:]
    assert struct.unpack(">II", shot.read_bytes()[16:24]) == (1400, 1000)
