"""The HTML trace report (issue 6): share/llmtap/report.html filled with a real LLMTAP_FILE
(curl plain/stream/429 and Python http.client under the library against the mock, content
capture on, an XSS payload in a prompt and in a model name), checked in headless Chromium:
the page renders without errors, draws one waterfall row per span, keeps every payload as
text, loads nothing from the network, and a screenshot shows the bars in the right colours.

Until `build/llmtap report` exists the page is filled by build_page() below, which does what
the command's contract says (read the JSON lines, build {"source", "generated", "summary",
"traces"}, write < > & as \\u003c \\u003e \\u0026, replace the placeholder); when it exists,
test_real_command checks the command's own output the same way. The screenshot is kept as
build/report/report.png (with the page, build/report/report.html) for humans to look at."""

import datetime
import hashlib
import html.parser
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

import common
import conftest
from integ_util import KIND_CLIENT, anthropic_env, cmd_for, curl_cmd, run_both

CHROMIUM = "/usr/bin/chromium"
# LLMTAP_REPORT_TEMPLATE: another template to check (e.g. a deliberately broken copy).
TEMPLATE = os.environ.get("LLMTAP_REPORT_TEMPLATE") or os.path.join(
    conftest.REPO, "share", "llmtap", "report.html")
LLMTAP_BIN = os.path.join(conftest.REPO, "build", "llmtap")
OUT_DIR = os.path.join(conftest.REPO, "build", "report")
PLACEHOLDER = "/*LLMTAP_DATA*/"
DATA_ELEMENT = '<script id="llmtap-data" type="application/json">%s</script>' % PLACEHOLDER
CSP = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
       "img-src data:")
CONTENT_VAR = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
CHROMIUM_TIMEOUT = 30
WINDOW = (1280, 900)

# Payloads: if any of them were parsed as HTML, its handler or script would run (the CSP
# allows inline script) and set body[data-pwned]; a raw </script> in the data would end the
# data element early and run the <script> that follows it.
XSS_PROMPT = ('Say hi <img src=x onerror="document.body.dataset.pwned=1"></script>'
              '<script>document.body.dataset.pwned=2</script> & <b>bye</b>')
XSS_MODEL = '<img src=y onerror="document.body.dataset.pwned=3">'

# Bar colours of the page (share/llmtap/report.html PROVIDER_COLOUR, ERROR_COLOUR,
# PROCESS_COLOUR); the screenshot is taken with --force-color-profile=srgb, so bars keep them.
COLOURS = {
    "openai": (0x10, 0xa3, 0x7f),
    "anthropic": (0xd9, 0x77, 0x57),
    "error": (0xd3, 0x2f, 0x2f),
    "process": (0x90, 0xa4, 0xae),
}

pytestmark = pytest.mark.skipif(
    not os.access(CHROMIUM, os.X_OK),
    reason="/usr/bin/chromium is not installed (apt-get install chromium; scripts/bootstrap)")


# --------------------------------------------------------------------------- page building
def read_jsonl(path):
    """Every TracesData of a JSON-lines file (blank lines skipped)."""
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                out.append(json.loads(line))
    return out


def all_spans(traces):
    """[(span dict, resource attrs dict)] of every span in a list of TracesData."""
    out = []
    for td in traces:
        for rs in td.get("resourceSpans", []):
            res = attrs_of(rs.get("resource", {}).get("attributes", []))
            for ss in rs.get("scopeSpans", []):
                for sp in ss.get("spans", []):
                    out.append((sp, res))
    return out


def attrs_of(kvs):
    """OTLP JSON attributes -> {key: plain value} (strings, ints, floats, bools, lists)."""
    def val(v):
        if "stringValue" in v:
            return v["stringValue"]
        if "intValue" in v:
            return int(v["intValue"])
        if "doubleValue" in v:
            return float(v["doubleValue"])
        if "boolValue" in v:
            return bool(v["boolValue"])
        if "arrayValue" in v:
            return [val(x) for x in v["arrayValue"].get("values", [])]
        return None
    return {kv["key"]: val(kv.get("value", {})) for kv in kvs}


def summary_text(traces):
    """A small plain-text table (per provider and model: calls, errors, tokens), standing in
    for the command's summary."""
    rows = {}
    for sp, _ in all_spans(traces):
        a = attrs_of(sp.get("attributes", []))
        if "gen_ai.operation.name" not in a:
            continue
        k = (a.get("gen_ai.provider.name", "?"), a.get("gen_ai.request.model", "?"))
        r = rows.setdefault(k, [0, 0, 0, 0])
        r[0] += 1
        r[1] += 1 if sp.get("status", {}).get("code") == 2 else 0
        r[2] += a.get("gen_ai.usage.input_tokens", 0)
        r[3] += a.get("gen_ai.usage.output_tokens", 0)
    lines = ["%-10s %-50s %5s %6s %6s %6s" % ("provider", "model", "calls", "errors", "in",
                                              "out")]
    for (p, m), r in sorted(rows.items()):
        lines.append("%-10s %-50s %5d %6d %6d %6d" % (p, m, r[0], r[1], r[2], r[3]))
    return "\n".join(lines) + "\n"


def fill(template, obj):
    """The command's substitution: JSON with < > & escaped, in place of the placeholder."""
    data = json.dumps(obj, ensure_ascii=False)
    data = data.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    assert template.count(PLACEHOLDER) == 1
    return template.replace(PLACEHOLDER, data)


def build_page(jsonl, out, traces=None, summary=None):
    """Stand-in for `llmtap report JSONL -o OUT`. Returns the data object it embedded."""
    traces = read_jsonl(jsonl) if traces is None else traces
    obj = {"source": jsonl,
           "generated": datetime.datetime.now(datetime.timezone.utc).isoformat(),
           "summary": summary_text(traces) if summary is None else summary,
           "traces": traces}
    with open(TEMPLATE, encoding="utf-8") as f:
        page = fill(f.read(), obj)
    with open(out, "w", encoding="utf-8") as f:
        f.write(page)
    return obj


# --------------------------------------------------------------------------- chromium
def chromium(page, *args, fragment=""):
    """Run headless Chromium on file://page (fresh profile, 30 s time box).
    Returns (stdout str, stderr log str)."""
    with tempfile.TemporaryDirectory(prefix="llmtap-chromium-") as prof:
        cmd = [CHROMIUM, "--headless", "--disable-gpu", "--no-sandbox",
               "--user-data-dir=" + prof, "--no-first-run", "--no-default-browser-check",
               "--disable-extensions", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--force-color-profile=srgb",
               "--hide-scrollbars", "--window-size=%d,%d" % WINDOW,
               "--enable-logging=stderr", "--v=0"] + list(args) + [
               "file://" + os.path.abspath(page) + fragment]
        env = conftest.base_env()
        env["HOME"] = prof
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             stdin=subprocess.DEVNULL, env=env, start_new_session=True)
        try:
            out, err = p.communicate(timeout=CHROMIUM_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.communicate()
            pytest.fail("chromium did not finish within %d s on %s" % (CHROMIUM_TIMEOUT, page))
        # Renderer and GPU helpers share the session; none may outlive the run.
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    out_s = out.decode("utf-8", "replace")
    err_s = err.decode("utf-8", "replace")
    assert p.returncode == 0, "chromium exited %d:\n%s" % (p.returncode, err_s[-3000:])
    return out_s, err_s


def console_problems(log, page):
    """Console lines that are errors of the page: uncaught exceptions, CSP refusals, anything
    the page itself logged (it logs nothing when all is well)."""
    bad = []
    for line in log.splitlines():
        if ":CONSOLE" not in line and "Uncaught" not in line:
            continue
        if ("Uncaught" in line or "Refused" in line or "Content Security Policy" in line
                or os.path.basename(page) in line):
            bad.append(line)
    return bad


class Dom(html.parser.HTMLParser):
    """The dumped DOM as a flat list of (tag, attrs dict) plus the text outside scripts and
    styles, with the text of each element id and of each row kept apart."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
            "source", "track", "wbr"}

    def __init__(self, markup):
        super().__init__(convert_charrefs=True)
        self.elements = []
        self.text = []
        self.by_id = {}
        self.stack = []  # [(tag, id or None, text list or None)]
        self.in_raw = 0
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.elements.append((tag, a))
        if tag in self.VOID:
            return
        if tag in ("script", "style"):
            self.in_raw += 1
        buf = None
        if a.get("id"):
            buf = self.by_id.setdefault(a["id"], [])
        self.stack.append((tag, buf))

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        while self.stack:
            t, _ = self.stack.pop()
            if t in ("script", "style"):
                self.in_raw -= 1
            if t == tag:
                break

    def handle_data(self, data):
        if self.in_raw:
            return
        self.text.append(data)
        for _, buf in self.stack:
            if buf is not None:
                buf.append(data)

    def find(self, tag=None, cls=None):
        return [a for t, a in self.elements if (tag is None or t == tag)
                and (cls is None or cls in a.get("class", "").split())]

    def body(self):
        return self.find("body")[0]

    def id_text(self, ident):
        return "".join(self.by_id.get(ident, []))

    def all_text(self):
        return "".join(self.text)


def dump(page, fragment=""):
    """--dump-dom of the page -> (Dom, raw DOM str); fails on console errors."""
    out, log = chromium(page, "--dump-dom", fragment=fragment)
    bad = console_problems(log, page)
    assert not bad, "console errors:\n" + "\n".join(bad)
    return Dom(out), out


def assert_rendered(dom):
    body = dom.body()
    assert body.get("data-rendered") == "ok", "data-rendered=%r, error box: %r" % (
        body.get("data-rendered"), dom.id_text("error"))
    assert "data-pwned" not in body, "a payload ran: data-pwned=%r" % body["data-pwned"]


def no_network(dom, raw):
    """No element refers to anything over http(s), and nothing is loaded from outside."""
    for tag, a in dom.elements:
        for k in ("src", "href", "action", "srcset", "poster", "data"):
            v = a.get(k)
            assert v is None or not re.match(r"\s*(https?:)?//", v, re.I), (tag, k, v)
    assert not dom.find("link") and not dom.find("iframe") and not dom.find("img")
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", raw, re.I)


# --------------------------------------------------------------------------- the real file
_generated = {}


def curl_xss_cmd(mock, tmpdir):
    """curl --http1.1, OpenAI chat, the XSS payloads as model and user prompt."""
    body = json.dumps({"model": XSS_MODEL,
                       "messages": [{"role": "system", "content": common.SYSTEM_TEXT},
                                    {"role": "user", "content": XSS_PROMPT}]}).encode()
    path = os.path.join(tmpdir, "xss-%s.json" % hashlib.sha256(body).hexdigest()[:12])
    with open(path, "wb") as f:
        f.write(body)
    return ["curl", "--http1.1", "-sS", "--cacert", mock.ca, "-X", "POST",
            "-H", "Content-Type: application/json",
            "-H", "Authorization: Bearer " + common.OPENAI_KEY,
            "--data-binary", "@" + path,
            "https://localhost:%d/v1/chat/completions" % mock.port]


@pytest.fixture
def real(run, mock, tmp_path_factory):
    """(jsonl path, traces) from four processes under llmtap, made once per module: curl
    with the XSS payloads, curl streamed, curl answered 429, Python http.client (Anthropic
    shape). Each run's output and exit status equal the run without llmtap."""
    if "jsonl" not in _generated:
        d = str(tmp_path_factory.mktemp("report"))
        jsonl = os.path.join(d, "spans.jsonl")
        env = {"LLMTAP_FILE": jsonl, CONTENT_VAR: "true", "OTEL_TRACES_EXPORTER": "none"}
        cmds = [
            (curl_xss_cmd(mock, d), {}),
            (curl_cmd(mock, provider="openai", stream=True), {}),
            (curl_cmd(mock, provider="openai", scenario="error-429"), {}),
            (cmd_for("py_http_client", mock, provider="anthropic"), anthropic_env(mock)),
        ]
        for cmd, extra in cmds:
            e = dict(env)
            e.update(extra)
            run_both(run, cmd, env=e)
        # Each process writes its batch at exit, before it returns.
        traces = read_jsonl(jsonl)
        spans = all_spans(traces)
        assert len([s for s, _ in spans if s.get("kind") == KIND_CLIENT]) == 4, spans
        assert len(spans) == 8, [s["name"] for s, _ in spans]
        _generated.update(jsonl=jsonl, traces=traces, dir=d)
    return _generated["jsonl"], _generated["traces"]


def expected_colour(span):
    a = attrs_of(span.get("attributes", []))
    if span.get("status", {}).get("code") == 2 or "error.type" in a:
        return "error"
    if "gen_ai.provider.name" in a:
        return a["gen_ai.provider.name"]
    return "process"


def span_by(traces, pred):
    found = [s for s, _ in all_spans(traces) if pred(s, attrs_of(s.get("attributes", [])))]
    assert len(found) == 1, [s["name"] for s in found]
    return found[0]


def check_page(page, traces):
    """The DOM checks every filled page must pass (stand-in or real command)."""
    dom, raw = dump(page)
    assert_rendered(dom)
    no_network(dom, raw)
    spans = all_spans(traces)
    rows = dom.find("div", "row")
    assert len(rows) == len(spans), "%d rows for %d spans" % (len(rows), len(spans))
    assert sorted(r["data-span-id"] for r in rows) == sorted(s["spanId"] for s, _ in spans)
    # Process spans are groups, each exchange right under its process span.
    by_id = {s["spanId"]: s for s, _ in spans}
    for i, r in enumerate(rows):
        s = by_id[r["data-span-id"]]
        if s.get("kind") == KIND_CLIENT:
            assert r["data-depth"] == "1" and rows[i - 1]["data-span-id"] == s["parentSpanId"]
        else:
            assert r["data-depth"] == "0" and "group" in r["class"].split()
    # Exactly the two scripts of the template: no payload became an element.
    scripts = dom.find("script")
    assert len(scripts) == 2 and scripts[0].get("id") == "llmtap-data", scripts
    text = dom.all_text()
    # The model payload is the label of its row, as text.
    assert XSS_MODEL in dom.id_text("waterfall"), dom.id_text("waterfall")[:2000]
    for s, _ in spans:
        assert s["traceId"] in dom.id_text("h-traces")
    assert "spans: 8" in text and "LLM calls: 4" in text and "errors: 1" in text, text[:1500]
    return dom, raw


# --------------------------------------------------------------------------- tests
def test_template_contract():
    """The fixed contract with the command, a strict CSP, and nothing that loads from outside."""
    with open(TEMPLATE, encoding="utf-8") as f:
        t = f.read()
    assert t.count(PLACEHOLDER) == 1 and t.count(DATA_ELEMENT) == 1
    csp = re.findall(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', t)
    assert csp == [CSP], csp
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", t, re.I)
    assert not re.search(r"<(link|img|iframe|object|embed)\b", t, re.I)
    assert "innerHTML" not in t and "outerHTML" not in t and "insertAdjacentHTML" not in t
    assert "document.write" not in t and "eval(" not in t
    assert 'JSON.parse' in t and "getElementById('llmtap-data')" in t


def test_page_renders_real_spans(real, tmp_path):
    jsonl, traces = real
    page = str(tmp_path / "report.html")
    obj = build_page(jsonl, page)
    dom, _ = check_page(page, traces)
    assert dom.id_text("h-source") == jsonl
    assert dom.id_text("summary") == obj["summary"]
    assert XSS_MODEL in obj["summary"]  # the summary's copy of the payload is text too
    # Streamed call: time to first chunk marked on its bar at ttfc / duration.
    stream = span_by(traces, lambda s, a: a.get("gen_ai.request.stream") is True)
    a = attrs_of(stream["attributes"])
    dur = int(stream["endTimeUnixNano"]) - int(stream["startTimeUnixNano"])
    want = 100 * a["gen_ai.response.time_to_first_chunk"] * 1e9 / dur
    marks = dom.find("div", "ttfc")
    assert len(marks) == 1, marks
    got = float(re.search(r"left:\s*calc\(([0-9.e+-]+)%", marks[0]["style"]).group(1))
    assert abs(got - want) < 0.01, (got, want)  # the style keeps ~6 significant digits
    # Tokens and duration in the row's text; error row marked.
    assert "42\u219217 tok" in dom.id_text("waterfall")
    err_rows = [r for r in dom.find("div", "row") if "err" in r["class"].split()]
    assert len(err_rows) == 1


def test_payload_stays_text_in_detail(real, tmp_path):
    """#span=<id> opens the detail panel of the span with the payload in its prompt: the
    prompt, the model and the attributes are shown as text; nothing of them ran."""
    jsonl, traces = real
    page = str(tmp_path / "report.html")
    build_page(jsonl, page)
    xss = span_by(traces, lambda s, a: a.get("gen_ai.request.model") == XSS_MODEL)
    dom, raw = dump(page, fragment="#span=" + xss["spanId"])
    assert_rendered(dom)
    detail = dom.id_text("detail")
    assert XSS_PROMPT in detail, detail[:3000]
    assert XSS_MODEL in detail
    assert common.SYSTEM_TEXT in detail
    for key in ("gen_ai.input.messages", "gen_ai.output.messages", "server.address",
                "gen_ai.provider.name", "http.response.status_code"):
        assert key in detail, key
    assert xss["spanId"] in detail and xss["traceId"] in detail
    sel = [r for r in dom.find("div", "row") if "sel" in r["class"].split()]
    assert [r["data-span-id"] for r in sel] == [xss["spanId"]]
    assert not dom.find("img") and len(dom.find("script")) == 2
    assert "<img src=x" not in raw and "&lt;img src=x onerror" in raw
    no_network(dom, raw)


def bands(img, colour, x0, x1, min_height=8):
    """Horizontal bars of exactly `colour` between x0 and x1: [(y0, y1, xmin, xmax)] for each
    run of >= min_height consecutive pixel rows holding a pixel of it (a 3 px bar may keep
    only one beside its time-to-first-chunk mark). Only bars use the exact colours: labels
    are other colours and legend swatches are translucent."""
    px = img.load()
    w, h = img.size
    found, cur = [], None
    for y in range(h):
        xs = [x for x in range(x0, min(x1, w)) if px[x, y] == colour]
        if xs:
            cur = [y, y, min(xs), max(xs)] if cur is None else \
                [cur[0], y, min(cur[2], min(xs)), max(cur[3], max(xs))]
        elif cur is not None:
            found.append(tuple(cur))
            cur = None
    if cur is not None:
        found.append(tuple(cur))
    return [b for b in found if b[1] - b[0] + 1 >= min_height]


def test_screenshot_shows_waterfall(real, tmp_path):
    """In a 1280x900 screenshot each span has a bar of its colour (provider, red for the
    429, grey for process spans), top to bottom in the rows' order, each exchange's bar
    inside its process's bar."""
    Image = pytest.importorskip("PIL.Image", reason="python3-pil is not installed")
    jsonl, traces = real
    os.makedirs(OUT_DIR, exist_ok=True)
    page = os.path.join(OUT_DIR, "report.html")
    build_page(jsonl, page)
    shot = str(tmp_path / "report.png")
    _, log = chromium(page, "--screenshot=" + shot)
    assert not console_problems(log, page), console_problems(log, page)
    shutil.copyfile(shot, os.path.join(OUT_DIR, "report.png"))
    img = Image.open(shot).convert("RGB")
    assert img.size == WINDOW
    dom, _ = dump(page)
    order = [r["data-span-id"] for r in dom.find("div", "row")]
    by_id = {s["spanId"]: s for s, _ in all_spans(traces)}
    want = [expected_colour(by_id[i]) for i in order]
    assert sorted(set(want)) == sorted(COLOURS), want
    # Bars live in the track column: right of the 340 px labels, left of the 250 px meta.
    found = []
    for name, rgb in COLOURS.items():
        for b in bands(img, rgb, 340, WINDOW[0] - 250):
            found.append((b[0], name, b))
    found.sort()
    got = [name for _, name, _ in found]
    assert got == want, "bars top to bottom %s, rows %s" % (got, want)
    for i, (_, name, b) in enumerate(found):
        assert 10 <= b[1] - b[0] + 1 <= 12, b  # 12 px bars
        if by_id[order[i]].get("kind") == KIND_CLIENT:
            parent = found[i - 1][2]
            assert parent[2] - 2 <= b[2] and b[3] <= parent[3] + 2, (parent, b)


def test_unfilled_template_reports_error(tmp_path):
    """The bare template is not a report: the page says so and records the error."""
    page = str(tmp_path / "bare.html")
    shutil.copyfile(TEMPLATE, page)
    out, _ = chromium(page, "--dump-dom")
    dom = Dom(out)
    state = dom.body().get("data-rendered", "")
    assert state.startswith("error: ") and "template not filled" in state, state
    assert "template not filled" in dom.id_text("error")


def test_empty_trace_list(tmp_path):
    jsonl = str(tmp_path / "empty.jsonl")
    open(jsonl, "w").close()
    page = str(tmp_path / "empty.html")
    build_page(jsonl, page, summary="")
    dom, raw = dump(page)
    assert_rendered(dom)
    assert not dom.find("div", "row")
    assert "No spans in this file." in dom.id_text("waterfall")
    assert "spans: 0" in dom.all_text()
    no_network(dom, raw)


def synthetic(n, t0=1_795_000_000_000_000_000):
    """One trace: a process span and n-1 exchanges under it (openai/anthropic/gemini, every
    tenth an error, streams with ttfc), 1 ms apart, 5 ms long."""
    tid = "0af7651916cd43dd8448eb211c80319c"
    root = "b7ad6b7169203331"
    spans = [{"traceId": tid, "spanId": root, "name": "agent", "kind": 1,
              "startTimeUnixNano": str(t0), "endTimeUnixNano": str(t0 + (n + 10) * 10**6),
              "attributes": [{"key": "process.pid", "value": {"intValue": "4242"}}]}]
    provs = ["openai", "anthropic", "gcp.gemini"]
    for i in range(1, n):
        s = t0 + i * 10**6
        attrs = [{"key": "gen_ai.operation.name", "value": {"stringValue": "chat"}},
                 {"key": "gen_ai.provider.name", "value": {"stringValue": provs[i % 3]}},
                 {"key": "gen_ai.request.model", "value": {"stringValue": "m-%d" % i}},
                 {"key": "gen_ai.usage.input_tokens", "value": {"intValue": str(i)}},
                 {"key": "gen_ai.usage.output_tokens", "value": {"intValue": "7"}},
                 {"key": "gen_ai.response.time_to_first_chunk",
                  "value": {"doubleValue": 0.001}}]
        sp = {"traceId": tid, "spanId": "%016x" % (0x1000 + i), "parentSpanId": root,
              "name": "chat m-%d" % i, "kind": 3, "startTimeUnixNano": str(s),
              "endTimeUnixNano": str(s + 5 * 10**6), "attributes": attrs}
        if i % 10 == 0:
            sp["status"] = {"code": 2, "message": "boom"}
        spans.append(sp)
    return [{"resourceSpans": [{"resource": {"attributes": []},
                                "scopeSpans": [{"scope": {"name": "llmtap"}, "spans": spans}]}]}]


def test_thousands_of_spans(tmp_path):
    """3000 spans render, one row each, well inside the time box."""
    n = 3000
    traces = synthetic(n)
    jsonl = str(tmp_path / "many.jsonl")
    with open(jsonl, "w") as f:
        f.write(json.dumps(traces[0]) + "\n")
    page = str(tmp_path / "many.html")
    build_page(jsonl, page)
    t = time.monotonic()
    dom, _ = dump(page)
    took = time.monotonic() - t
    assert_rendered(dom)
    rows = dom.find("div", "row")
    assert len(rows) == n
    assert [r["data-depth"] for r in rows[:3]] == ["0", "1", "1"]
    # siblings sorted by start: the synthetic ids increase with start time
    assert [int(r["data-span-id"], 16) for r in rows[1:]] == list(range(0x1001, 0x1000 + n))
    assert len([r for r in rows if "err" in r["class"].split()]) == (n - 1) // 10
    assert took < 20, "rendering 3000 spans took %.1f s" % took


def test_malformed_and_parentless_spans(tmp_path):
    """Broken pieces never stop the page: spans without parents in the file, a parent cycle,
    missing or bad times, odd attribute values, events, garbage entries, duplicate ids,
    another trace. Every span with an id still gets a row."""
    tid = "1" * 32
    spans = [
        {"traceId": tid, "spanId": "a" * 16, "parentSpanId": "f" * 16, "name": "orphan",
         "startTimeUnixNano": "1000000000", "endTimeUnixNano": "3000000000",
         "events": [{"timeUnixNano": "1500000000", "name": "gen_ai.client.inference.operation.details",
                     "attributes": [{"key": "k", "value": {"stringValue": "<i>v</i>"}}]},
                    "junk"],
         "attributes": [
             {"key": "big", "value": {"intValue": "18446744073709551615"}},
             {"key": "kv", "value": {"kvlistValue": {"values": [
                 {"key": "x", "value": {"boolValue": True}}]}}},
             {"key": "bytes", "value": {"bytesValue": "AAEC"}},
             {"key": "nan", "value": {"doubleValue": "NaN"}},
             {"key": "empty", "value": {}},
             {"key": "gen_ai.input.messages", "value": {"stringValue": "not json <img src=z>"}},
             {"key": "gen_ai.output.messages", "value": {"stringValue": "[1, {\"parts\": 3}]"}},
             {"key": "gen_ai.response.time_to_first_chunk", "value": {"stringValue": "soon"}},
             "garbage", {"value": {"stringValue": "no key"}}]},
        {"traceId": tid, "spanId": "b" * 16, "parentSpanId": "c" * 16, "name": "cycle-b",
         "startTimeUnixNano": "2000000000", "endTimeUnixNano": "1000000000"},
        {"traceId": tid, "spanId": "c" * 16, "parentSpanId": "b" * 16, "name": "cycle-c",
         "startTimeUnixNano": "yesterday"},
        {"traceId": tid, "spanId": "d" * 16, "parentSpanId": "d" * 16, "name": "self-parent",
         "kind": "weird", "status": "bad", "attributes": {"not": "a list"}},
        {"traceId": tid, "spanId": "a" * 16, "name": "duplicate of orphan"},
        {"traceId": "2" * 32, "spanId": "e" * 16, "name": "lone",
         "startTimeUnixNano": 5, "endTimeUnixNano": 5},
        None, 7, "x",
    ]
    traces = [{"resourceSpans": [
        {"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "s"}}]},
         "scopeSpans": [{"spans": spans}, None, {"spans": "nope"}]},
        {"resource": None, "scopeSpans": None}, 3]},
        {"resourceSpans": "bad"}, {}]
    page = str(tmp_path / "odd.html")
    jsonl = str(tmp_path / "odd.jsonl")
    with open(jsonl, "w") as f:
        for td in traces:
            f.write(json.dumps(td) + "\n")
    build_page(jsonl, page, summary="<script>document.body.dataset.pwned=9</script>")
    for frag in ("", "#span=" + "a" * 16, "#span=" + "d" * 16):
        dom, raw = dump(page, fragment=frag)
        assert_rendered(dom)
        rows = dom.find("div", "row")
        assert sorted(r["data-span-id"] for r in rows) == sorted(
            c * 16 for c in "abcde"), rows
        assert "<script>document.body" in dom.id_text("summary")
        assert len(dom.find("script")) == 2 and not dom.find("img") and not dom.find("i")
    detail = dom.id_text("detail")
    assert "self-parent" in detail
    dom, _ = dump(page, fragment="#span=" + "a" * 16)
    detail = dom.id_text("detail")
    for text in ("not json <img src=z>", "18446744073709551615", '{"x":true}',
                 "base64:AAEC", "gen_ai.client.inference.operation.details", "<i>v</i>"):
        assert text in detail, (text, detail[:3000])


def test_real_command(real, tmp_path):
    """`build/llmtap report FILE.jsonl -o trace.html`, when the command is built, gives a
    page that passes the same checks as the stand-in's."""
    if not os.access(LLMTAP_BIN, os.X_OK):
        pytest.skip("build/llmtap is not built yet (the report command)")
    jsonl, traces = real
    page = str(tmp_path / "trace.html")
    p = subprocess.run([LLMTAP_BIN, "report", jsonl, "-o", page], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=conftest.base_env(), timeout=30,
                       cwd=str(tmp_path))
    assert p.returncode == 0, p.stderr.decode("utf-8", "replace")[-3000:]
    with open(page, encoding="utf-8") as f:
        html_text = f.read()
    assert PLACEHOLDER not in html_text
    m = re.search(r'<script id="llmtap-data" type="application/json">(.*?)</script>',
                  html_text, re.S)
    assert m and "<" not in m.group(1) and ">" not in m.group(1), "data not escaped"
    data = json.loads(m.group(1))
    assert len(data["traces"]) == len(traces) and isinstance(data["summary"], str)
    dom, _ = check_page(page, traces)
    assert dom.id_text("summary") == data["summary"]
    xss = span_by(traces, lambda s, a: a.get("gen_ai.request.model") == XSS_MODEL)
    dom, _ = dump(page, fragment="#span=" + xss["spanId"])
    assert_rendered(dom)
    assert XSS_PROMPT in dom.id_text("detail")
