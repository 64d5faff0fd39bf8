"""Renders a report in Debian's Chromium, headless, and checks what a reader would see:

  check_report_in_chromium.py REPORT.html SCREENSHOT.png [--escaping-case]

- no console message at all (the page has no script) and nothing fetched (--enable-logging=stderr);
- every figure of the source is in the rendered DOM (--dump-dom), and none is empty;
- no <script> element; with --escaping-case, the name '<script>alert(1)</script>' shown as text;
- a screenshot that is not blank.
Prints 'report renders: N figures' or the problems, and exits non-zero on any."""
import html.parser
import struct
import subprocess
import sys
import zlib

CHROMIUM = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--enable-logging=stderr", "--v=0"]


class Figures(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.figures, self.scripts, self.text = [], 0, []
        self.depth = 0

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self.scripts += 1
        if tag == "svg" and ("class", "figure") in attrs:
            self.figures.append(0)
            self.depth = 1
        elif self.depth:
            self.depth += 1
            if tag in ("polyline", "rect", "circle", "line", "text"):
                self.figures[-1] += 1

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if self.depth:
            self.depth -= 1

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1

    def handle_data(self, data):
        self.text.append(data)


def parse(markup):
    parser = Figures()
    parser.feed(markup)
    return parser


def png_is_blank(path):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    offset, idat = 8, b""
    while offset < len(data):
        length, kind = struct.unpack(">I4s", data[offset:offset + 8])
        if kind == b"IDAT":
            idat += data[offset + 8:offset + 8 + length]
        offset += 12 + length
    pixels = zlib.decompress(idat)
    distinct = len(set(pixels[1:200000]))
    return width * height == 0 or distinct < 8, distinct


def main():
    report, screenshot = sys.argv[1], sys.argv[2]
    url = "file://" + report
    problems = []
    dom = subprocess.run(CHROMIUM + ["--dump-dom", url], capture_output=True, text=True, timeout=120)
    if dom.returncode != 0:
        problems.append(f"chromium --dump-dom failed: {dom.stderr[-500:]}")
    for line in dom.stderr.splitlines():
        if "CONSOLE" in line or "Uncaught" in line or "net::ERR" in line:
            problems.append(f"console: {line}")
    source = parse(open(report, encoding="utf-8").read())
    rendered = parse(dom.stdout)
    if len(rendered.figures) != len(source.figures) or not rendered.figures:
        problems.append(f"{len(source.figures)} figures in the file, {len(rendered.figures)} in the rendered page")
    empty = [index for index, count in enumerate(rendered.figures) if count == 0]
    if empty:
        problems.append(f"empty figures: {empty}")
    if rendered.scripts:
        problems.append(f"{rendered.scripts} script elements in the rendered page")
    if "--escaping-case" in sys.argv and "<script>alert(1)</script>" not in "".join(rendered.text):
        problems.append("the name '<script>alert(1)</script>' is not shown as text")
    shot = subprocess.run(CHROMIUM + ["--window-size=1200,2400", f"--screenshot={screenshot}", url], capture_output=True, text=True, timeout=120)
    if shot.returncode != 0:
        problems.append(f"chromium --screenshot failed: {shot.stderr[-500:]}")
    else:
        blank, distinct = png_is_blank(screenshot)
        if blank:
            problems.append(f"the screenshot is blank ({distinct} distinct byte values)")
    for problem in problems:
        print("PROBLEM", problem)
    print(f"report renders: {len(rendered.figures)} figures" if not problems else f"{len(problems)} problems")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
