"""rmtlens report: the page is written whole, stands alone, escapes what it
quotes, leaves out (with a note) plots whose inputs are absent, refuses
malformed inputs with one line naming the file, and renders in a real
browser: headless Chromium loads it without console messages, every
declared figure has an svg of non-zero size with drawn data in each
panel, and a screenshot is saved.

Usage: test_report.py PATH/TO/rmtlens. Chromium and gnuplot are required
(scripts/setup installs them): the test fails, not skips, without them.
Set RMTLENS_REPORT_SCREENSHOT=FILE to keep the screenshot."""

import json
import os
import re
import shutil
import struct
import subprocess
import zlib
from html.parser import HTMLParser

from rmtlens_testing import RMTLENS, Checks, make_problem, run, temp_dir

CHECKS = Checks()
CHROMIUM = shutil.which("chromium")
LABEL = "A <b>bold</b> & 'quoted' \"label\""

# The flags the project uses for every headless run: no network of its
# own, no profile shared with anything else.
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
    "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]


def sweep(folder, out):
    run("sweep", "--kernel", f"{folder}/K.npy",
        "--test-kernel", f"{folder}/KT.npy",
        "--labels", f"{folder}/y.npy", "--test-labels", f"{folder}/yt.npy",
        "--sizes", "30,60,120,200", "--ridges", "log:1e-5:1:11", "--loo",
        "--out", out)


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


class Page(HTMLParser):
    """Counts what the checks need: figures, svgs, external references,
    notes of missing plots."""

    def __init__(self):
        super().__init__()
        self.declared = None
        self.figures = []
        self.svgs = 0
        self.missing = []
        self.external = []
        self.scripts = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "body":
            self.declared = int(a.get("data-figures", "-1"))
        if tag == "figure" and "plot" in a.get("class", ""):
            self.figures.append(a.get("data-figure"))
        if tag == "svg":
            self.svgs += 1
        if tag == "script":
            self.scripts += 1
        if "data-missing" in a:
            self.missing.append(a["data-missing"])
        for name in ("src", "href", "xlink:href"):
            value = a.get(name) or ""
            if value and not value.startswith("#"):
                self.external.append(value)


def parse(html):
    page = Page()
    page.feed(html)
    return page


def check_sweep_report(rmtlens_dir, work):
    """A sweep folder: the risk figures and learning curve are drawn; the
    spectrum and alignment are absent, each with a note naming the
    command."""
    _, stdout, _ = run("report", rmtlens_dir)
    path = os.path.join(rmtlens_dir, "report.html")
    CHECKS.check(os.path.isfile(path), "report.html written")
    CHECKS.check("wrote" in stdout, f"stdout says what it wrote: {stdout!r}")
    html = read(path)
    page = parse(html)
    CHECKS.check(page.declared == len(page.figures) >= 3,
                 f"declared {page.declared} figures, found {page.figures}")
    CHECKS.check(page.svgs == len(page.figures),
                 f"one inline svg per figure ({page.svgs})")
    CHECKS.check(page.scripts == 0 and not page.external,
                 f"self-contained: scripts {page.scripts}, "
                 f"references {page.external}")
    CHECKS.check(not re.search(r"<\?xml|<!DOCTYPE svg", html),
                 "svg inlined without its XML prolog")
    CHECKS.check({"spectra", "alignment"} <= set(page.missing),
                 f"notes for absent spectrum outputs: {page.missing}")
    CHECKS.check("rmtlens spectrum" in html,
                 "the note names the command that writes spectrum.csv")
    ids = re.findall(r'\bid="([^"]+)"', html) + \
        re.findall(r"\bid='([^']+)'", html)
    CHECKS.check(len(ids) == len(set(ids)), "ids unique across the page")
    check_gcv_verdicts(rmtlens_dir, html)
    return path


def check_gcv_verdicts(rmtlens_dir, html):
    """The sweep ran with --loo: the choice table gives GCV's verdict at
    its ridge for every size, as summary.json's trust rule says, and the
    count of flagged points is stated."""
    with open(os.path.join(rmtlens_dir, "summary.json")) as f:
        summary = json.load(f)
    rule = summary["uncertainty"]["gcv_rule"]
    flagged = {(row["n"], row["ridge"]) for row in rule["flagged"]}
    expected = ["no: read LOO" if (s["n"], s["gcv_ridge"]) in flagged
                else "yes" for s in summary["sizes"]]
    cells = re.findall(r"<td>(yes|no: read LOO|not assessed)</td>", html)
    CHECKS.check(cells == expected,
                 f"GCV verdicts per size {cells}, expected {expected}")
    sentence = (f"flags {rule['flagged_rows']} of {rule['assessed_rows']} "
                f"(N, λ) points")
    CHECKS.check(sentence in html, f"the page says '{sentence}'")


def check_study_report(work, sweep_dir):
    """A study: a label with markup is escaped everywhere; a
    representation with no files gets notes, not an error."""
    study = os.path.join(work, "study")
    os.makedirs(study)
    shutil.copytree(sweep_dir, os.path.join(study, "first"))
    os.makedirs(os.path.join(study, "empty"))
    with open(os.path.join(study, "study.json"), "w") as f:
        json.dump({"title": "test <study>", "representations": [
            {"name": "first", "label": LABEL, "dir": "first"},
            {"name": "empty", "label": "no files yet", "dir": "empty"}]}, f)
    run("report", study)
    html = read(os.path.join(study, "report.html"))
    CHECKS.check("<b>bold</b>" not in html and "<study>" not in html,
                 "labels and title are escaped")
    CHECKS.check("A &lt;b&gt;bold&lt;/b&gt; &amp; &#39;quoted&#39;" in html,
                 "escaped label appears in the page")
    page = parse(html)
    CHECKS.check(page.declared == len(page.figures) >= 3,
                 f"study figures: {page.figures}")
    CHECKS.check(sum(m.startswith("risk-") for m in page.missing) == 2,
                 f"the empty representation's risk plots are notes: "
                 f"{page.missing}")
    return study


def expect_error(args, fragment, what, env=None):
    proc = subprocess.run([RMTLENS, *args],
                          capture_output=True, text=True, env=env)
    lines = proc.stderr.strip().splitlines()
    CHECKS.check(proc.returncode != 0, f"{what}: non-zero exit")
    CHECKS.check(len(lines) == 1 and fragment in proc.stderr,
                 f"{what}: one line naming {fragment!r}: {proc.stderr!r}")


def check_errors(work, sweep_dir):
    """Malformed inputs stop the report before anything is written."""
    bad = os.path.join(work, "bad")
    shutil.copytree(sweep_dir, bad)
    os.remove(os.path.join(bad, "report.html"))
    csv_path = os.path.join(bad, "sweep.csv")
    lines = read(csv_path).splitlines()
    lines[3] = lines[3].replace(",", ",oops,", 1)
    with open(csv_path, "w") as f:
        f.write("\n".join(lines) + "\n")
    expect_error(["report", bad], "sweep.csv: line 4", "extra field")
    lines[3] = lines[3].replace("oops,", "", 1).replace(",", ",x", 1)
    with open(csv_path, "w") as f:
        f.write("\n".join(lines) + "\n")
    expect_error(["report", bad], "not a number", "bad number")
    CHECKS.check(not os.path.exists(os.path.join(bad, "report.html")),
                 "no report written after an error")

    broken = os.path.join(work, "broken-study")
    os.makedirs(broken)
    with open(os.path.join(broken, "study.json"), "w") as f:
        f.write('{"representations": [')
    expect_error(["report", broken], "study.json", "malformed study.json")
    empty = os.path.join(work, "nothing")
    os.makedirs(empty)
    expect_error(["report", empty], "sweep.csv", "folder without results")

    bin_dir = os.path.join(work, "no-gnuplot")
    os.makedirs(bin_dir)
    env = dict(os.environ, PATH=bin_dir)
    expect_error(["report", sweep_dir, "--out", f"{work}/g.html"],
                 "gnuplot", "gnuplot missing", env=env)
    CHECKS.check(not os.path.exists(f"{work}/g.html"),
                 "no report without gnuplot")


def chromium(work, *args):
    """Runs headless Chromium with a fresh profile; (stdout, stderr)."""
    profile = os.path.join(work, f"profile-{len(os.listdir(work))}")
    proc = subprocess.run(
        [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True, text=True, timeout=120)
    return proc.stdout, proc.stderr


def console_lines(stderr):
    return [l for l in stderr.splitlines() if ":CONSOLE" in l]


# Loads the report in an iframe and measures, per figure, the svg's
# rendered size and the panels (gnuplot_plot_<k><letter> groups, one
# letter per panel) holding a drawn path or point.
MEASURE = """<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>
<pre id="result">pending</pre>
<iframe id="frame" src="REPORT" style="width:1280px;height:4000px"></iframe>
<script>
document.getElementById("frame").addEventListener("load", function () {
  var doc = this.contentDocument;
  var out = {declared: Number(doc.body.dataset.figures), figures: []};
  doc.querySelectorAll("figure.plot").forEach(function (fig) {
    var svg = fig.querySelector("svg");
    var box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
    var letters = {};
    if (svg) svg.querySelectorAll("g[id*='gnuplot_plot_']").forEach(
      function (g) {
        var drawn = Array.prototype.some.call(
          g.querySelectorAll("path, polyline, use"), function (e) {
            var b = e.getBBox();
            return b.width > 0 || b.height > 0;
          });
        if (drawn) letters[g.id.slice(-1)] = true;
      });
    out.figures.push({id: fig.dataset.figure,
                      panels: Number(fig.dataset.panels),
                      width: box.width, height: box.height,
                      drawn_panels: Object.keys(letters).length});
  });
  document.getElementById("result").textContent = JSON.stringify(out);
});
</script></body></html>"""


def png_is_drawn(path):
    """PNG signature, its size, and whether the pixels vary (a blank
    page decompresses to a handful of byte values)."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return False, (0, 0)
    width, height = struct.unpack(">II", data[16:24])
    idat, at = b"", 8
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        if kind == b"IDAT":
            idat += data[at + 8:at + 8 + length]
        at += 12 + length
    pixels = zlib.decompress(idat)
    return len(set(pixels)) > 32, (width, height)


def check_browser(work, report):
    CHECKS.check(CHROMIUM is not None,
                 "chromium on PATH (scripts/setup installs it)")
    if CHROMIUM is None:
        return

    # The console capture must see a message for its silence to count.
    probe = os.path.join(work, "probe.html")
    with open(probe, "w") as f:
        f.write("<!DOCTYPE html><script>console.error('rmtlens-probe')"
                "</script>")
    _, stderr = chromium(work, "--enable-logging=stderr", "--v=0",
                         "--dump-dom", f"file://{probe}")
    CHECKS.check(any("rmtlens-probe" in l for l in console_lines(stderr)),
                 "console capture works on a probe page")

    dom, stderr = chromium(work, "--enable-logging=stderr", "--v=0",
                           "--dump-dom", f"file://{report}")
    CHECKS.check(not console_lines(stderr),
                 f"no console messages: {console_lines(stderr)}")
    CHECKS.check(parse(dom).declared == len(parse(dom).figures) >= 3,
                 "the loaded DOM holds every declared figure")

    measure = os.path.join(os.path.dirname(report), "measure.html")
    with open(measure, "w") as f:
        f.write(MEASURE.replace("REPORT", os.path.basename(report)))
    dom, _ = chromium(work, "--allow-file-access-from-files",
                      "--dump-dom", f"file://{measure}")
    found = re.search(r'<pre id="result">([^<]*)</pre>', dom)
    result = json.loads(found.group(1)) if found else {"figures": []}
    CHECKS.check(result.get("declared") == len(result["figures"]) >= 3,
                 f"measured every declared figure: {result}")
    for fig in result["figures"]:
        CHECKS.check(fig["width"] > 300 and fig["height"] > 200,
                     f"{fig['id']}: rendered at {fig['width']} x "
                     f"{fig['height']}")
        CHECKS.check(fig["drawn_panels"] >= fig["panels"] >= 1,
                     f"{fig['id']}: data drawn in {fig['drawn_panels']} of "
                     f"{fig['panels']} panels")

    shot = os.environ.get("RMTLENS_REPORT_SCREENSHOT") or \
        os.path.join(work, "report.png")
    chromium(work, f"--screenshot={shot}", "--window-size=1280,4000",
             f"file://{report}")
    drawn, size = png_is_drawn(shot) if os.path.isfile(shot) else (False, 0)
    CHECKS.check(drawn and size == (1280, 4000),
                 f"screenshot {shot} saved and not blank ({size})")


def main():
    with temp_dir() as work:
        data = os.path.join(work, "data")
        os.makedirs(data)
        make_problem(data, n=200, m=80)
        sweep_dir = os.path.join(work, "sweep")
        sweep(data, sweep_dir)

        report = check_sweep_report(sweep_dir, work)
        study = check_study_report(work, sweep_dir)
        check_errors(work, sweep_dir)
        check_browser(work, os.path.join(study, "report.html"))
        check_browser(work, report)
    CHECKS.close()


if __name__ == "__main__":
    main()
