"""The `llmtap` command (cli/, issue 6): each option becomes the environment variable the
command sees, option parsing stops at the command, exit status and signals pass through,
LD_PRELOAD keeps what was there, the -s summary adds up the spans, `view` draws the tree,
`report` embeds the escaped data in the page, and `make install` gives a working command."""

import glob
import json
import math
import os
import re
import signal
import subprocess
import sys
import time

import pytest

import conftest
from integ_util import (PY, anthropic_env, curl_cmd, exchange_spans, py_cmd, root_spans,
                        wait_exchanges)

REPO = conftest.REPO
LLMTAP = os.environ.get("LLMTAP_TEST_CLI") or os.path.join(REPO, "build", "llmtap")
LIB = os.path.realpath(conftest.LIB)
SAN = [p for p in conftest.SANITIZER.split(":") if p]


@pytest.fixture(autouse=True)
def _need_cli():
    if not os.path.exists(LLMTAP):
        pytest.skip("build/llmtap is not built (make cli)")


def llmtap(run, args, env=None, timeout=60, cwd=None):
    """Run build/llmtap ARGS; llmtap itself is not preloaded (the sanitizer runtime, when the
    suite runs on a sanitizer build, is: its library needs it first)."""
    e = {"LD_PRELOAD": conftest.SANITIZER or None, "LLMTAP_LIB": LIB}
    e.update(env or {})
    return run([LLMTAP] + list(args), env=e, timeout=timeout, cwd=cwd)


def child_env(out):
    """/usr/bin/env's output as a dict."""
    env = {}
    for line in out.decode().splitlines():
        k, _, v = line.partition("=")
        env[k] = v
    return env


def expected_preload(*others):
    """The library first, except that sanitizer runtimes (lib*san.so*) stay in front."""
    runtimes = [p for p in SAN if re.match(r"lib\w*san\.so", os.path.basename(p))]
    rest = [p for p in SAN if p not in runtimes]
    return ":".join(runtimes + [LIB] + rest + list(others))


# ------------------------------------------------------------------------- options → env

def test_each_option_sets_its_variable(run, tmp_path):
    got = llmtap(run, ["-o", "spans.jsonl", "-e", "http://collector.invalid:4318",
                       "--protocol", "http/json", "--content", "-t", "-q",
                       "--service", "svc-1", "--providers", "gw.local:8443=openai,x=anthropic",
                       "--prices", "/some/prices.json", "/usr/bin/env"],
                 env={"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://other.invalid/v1/traces"},
                 cwd=str(tmp_path))
    assert got.rc == 0, got.err
    env = child_env(got.out)
    cwd = str(tmp_path)
    assert env["LLMTAP_FILE"] == os.path.join(cwd, "spans.jsonl")
    assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://collector.invalid:4318"
    assert "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT" not in env  # -e wins over it
    assert env["OTEL_EXPORTER_OTLP_PROTOCOL"] == "http/json"
    assert env["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"] == "true"
    assert env["OTEL_TRACES_EXPORTER"] == "otlp,console"
    assert env["LLMTAP_LOG"] == "off"
    assert env["OTEL_SERVICE_NAME"] == "svc-1"
    assert env["LLMTAP_PROVIDERS"] == "gw.local:8443=openai,x=anthropic"
    assert env["LLMTAP_PRICES"] == "/some/prices.json"
    assert env["LD_PRELOAD"] == expected_preload()
    assert os.path.getsize(os.path.join(cwd, "spans.jsonl")) == 0  # created, truncated


def test_long_and_short_forms_agree(run, tmp_path):
    f = str(tmp_path / "a.jsonl")
    short = child_env(llmtap(run, ["-o", f, "-e", "http://h:1", "-t", "-q", "env"]).out)
    long_ = child_env(llmtap(run, ["--output", f, "--endpoint", "http://h:1", "--tree",
                                   "--quiet", "env"]).out)
    for k in ("LLMTAP_FILE", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_TRACES_EXPORTER", "LLMTAP_LOG"):
        assert short[k] == long_[k], k
    assert short["LLMTAP_FILE"] == f


@pytest.mark.parametrize("args,env,want", [
    ([], {}, "none"),                                   # no collector known: no warning
    (["-t"], {}, "console"),
    ([], {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://h:4318"}, "otlp"),
    ([], {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://h:4318/v1/traces"}, "otlp"),
    (["-t"], {"OTEL_TRACES_EXPORTER": "otlp"}, "otlp,console"),
    (["-e", "http://h:1"], {"OTEL_TRACES_EXPORTER": "none"}, "otlp"),
    ([], {"OTEL_TRACES_EXPORTER": "console"}, "console"),
])
def test_exporter_defaults(run, args, env, want):
    e = {"OTEL_EXPORTER_OTLP_ENDPOINT": None}
    e.update(env)
    got = llmtap(run, args + ["env"], env=e)
    assert got.rc == 0, got.err
    assert child_env(got.out)["OTEL_TRACES_EXPORTER"] == want


def test_no_options_leave_environment_alone(run):
    got = llmtap(run, ["env"], env={"OTEL_SERVICE_NAME": None})
    env = child_env(got.out)
    for k in ("LLMTAP_FILE", "OTEL_SERVICE_NAME", "LLMTAP_PROVIDERS", "LLMTAP_LOG",
              "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"):
        assert k not in env, k


def test_ld_preload_library_first_then_existing(run):
    other = sorted(glob.glob("/usr/lib/*/libz.so.1") + glob.glob("/lib/*/libz.so.1"))[0]
    got = llmtap(run, ["env"], env={"LD_PRELOAD": ":".join(SAN + [other])})
    assert got.rc == 0, got.err
    assert child_env(got.out)["LD_PRELOAD"] == expected_preload(other)
    # Already preloaded (a nested llmtap): not twice.
    got = llmtap(run, ["env"], env={"LD_PRELOAD": ":".join(SAN + [LIB, other])})
    assert child_env(got.out)["LD_PRELOAD"] == expected_preload(other)


def test_llmtap_itself_is_not_preloaded(run):
    # The command runs `cat /proc/<llmtap pid>/environ`: llmtap's own environment has no
    # LD_PRELOAD with the library.
    got = llmtap(run, ["sh", "-c", "tr '\\0' '\\n' < /proc/$PPID/environ"])
    assert got.rc == 0, got.err
    env = child_env(got.out)
    assert LIB not in env.get("LD_PRELOAD", "")


def test_options_stop_at_the_command(run, tmp_path):
    got = llmtap(run, ["sh", "-c", 'echo "$@"', "sh", "-s", "-o", "x", "--help"],
                 cwd=str(tmp_path))
    assert got.rc == 0, got.err
    assert got.out == b"-s -o x --help\n"
    assert "LLM call" not in got.err  # -s went to the command, not to llmtap
    assert os.listdir(tmp_path) == []


def test_double_dash(run):
    got = llmtap(run, ["--", "sh", "-c", 'echo "$0" "$1"', "--", "-t"])
    assert got.rc == 0 and got.out == b"-- -t\n", (got.out, got.err)
    # `--` lets a command named like a subcommand run.
    got = llmtap(run, ["-s", "--", "env"])
    assert got.rc == 0 and b"LD_PRELOAD=" in got.out
    assert "llmtap: 0 LLM calls, 0 errors" in got.err


@pytest.mark.parametrize("args", [["--bogus", "true"], ["-x", "true"], [],
                                  ["--protocol", "grpc", "true"], ["-o"]])
def test_usage_errors_exit_2(run, args):
    got = llmtap(run, args)
    assert got.rc == 2
    assert got.out == b""
    assert got.err


def test_help_and_version(run):
    got = llmtap(run, ["--help"])
    assert got.rc == 0
    text = got.out.decode()
    for var in ("LLMTAP_FILE", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL",
                "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "OTEL_TRACES_EXPORTER",
                "LLMTAP_LOG", "OTEL_SERVICE_NAME", "LLMTAP_PROVIDERS", "LLMTAP_PRICES",
                "--summary-file", "view", "report"):
        assert var in text, var
    assert llmtap(run, ["-h"]).out == got.out
    version = re.search(r"^VERSION\s*:=\s*(\S+)", open(os.path.join(REPO, "Makefile")).read(),
                        re.M).group(1)
    for flag in ("-V", "--version"):
        v = llmtap(run, [flag])
        assert v.rc == 0 and v.out == ("llmtap %s\n" % version).encode()


def test_library_not_found(run):
    got = llmtap(run, ["true"], env={"LLMTAP_LIB": "/nonexistent/libllmtap.so"})
    assert got.rc == 125
    assert "LLMTAP_LIB" in got.err


# ------------------------------------------------------------------- exit status, signals

@pytest.mark.parametrize("code", [0, 1, 3, 42, 255])
def test_exit_status_passes_through(run, code):
    assert llmtap(run, ["sh", "-c", "exit %d" % code]).rc == code


def test_command_not_found_or_not_executable(run, tmp_path):
    got = llmtap(run, ["no-such-command-llmtap"])
    assert got.rc == 127 and "no-such-command-llmtap" in got.err
    assert llmtap(run, [str(tmp_path / "missing")]).rc == 127
    f = tmp_path / "script"
    f.write_text("#!/bin/sh\necho hi\n")
    f.chmod(0o644)
    got = llmtap(run, [str(f)])
    assert got.rc == 126 and got.out == b""
    assert llmtap(run, [str(tmp_path)]).rc == 126  # a directory
    f.chmod(0o755)
    assert llmtap(run, [str(f)]).out == b"hi\n"


def test_child_killed_by_signal_kills_llmtap_the_same_way(run):
    got = llmtap(run, ["-s", "sh", "-c", "kill -TERM $$"])
    assert got.rc == -signal.SIGTERM
    assert "llmtap: 0 LLM calls" in got.err  # the summary came first
    got = llmtap(run, ["sh", "-c", "kill -USR1 $$"])
    assert got.rc == -signal.SIGUSR1


SIGNAL_CHILD = r"""
import os, signal, sys, time
def on(sig, frame):
    print("got", sig, flush=True)
    sys.exit(40 + sig)
for s in (signal.SIGINT, signal.SIGHUP, signal.SIGUSR2):
    signal.signal(s, on)
print("ready", flush=True)
time.sleep(20)
sys.exit(1)
"""


def start_llmtap(args):
    e = conftest.base_env()
    e.update({"LLMTAP_LIB": LIB})
    if conftest.SANITIZER:
        e["LD_PRELOAD"] = conftest.SANITIZER
        e.update(conftest.SANITIZER_ENV)
    p = subprocess.Popen([LLMTAP] + args, env=e, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         stdin=subprocess.DEVNULL, start_new_session=True,
                         preexec_fn=_default_signals)
    return p


def _default_signals():
    # llmtap leaves a signal it inherits ignored ignored (as nohup wants); a suite started
    # under nohup would otherwise ignore the SIGHUP these tests send.
    for s in (signal.SIGINT, signal.SIGHUP, signal.SIGUSR2):
        signal.signal(s, signal.SIG_DFL)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGHUP, signal.SIGUSR2])
def test_signal_sent_to_llmtap_reaches_the_child(sig):
    p = start_llmtap([PY, "-c", SIGNAL_CHILD])
    try:
        assert p.stdout.readline() == b"ready\n"
        os.kill(p.pid, sig)
        out, err = p.communicate(timeout=10)
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
    assert out == b"got %d\n" % sig, err
    assert p.returncode == 40 + sig


def test_sigterm_to_llmtap_ends_child_and_llmtap_by_sigterm():
    p = start_llmtap(["-s", PY, "-c", "import time; print('ready', flush=True); time.sleep(20)"])
    try:
        assert p.stdout.readline() == b"ready\n"
        t0 = time.monotonic()
        os.kill(p.pid, signal.SIGTERM)
        out, err = p.communicate(timeout=10)
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
    assert time.monotonic() - t0 < 5
    assert p.returncode == -signal.SIGTERM
    assert b"LLM calls" in err


# ------------------------------------------------------------------------------ summary

def fmt_count(n):
    if n < 100000:
        return str(n)
    v, u = float(n), -1
    while v >= 999.5 and u < 5:
        v /= 1000.0
        u += 1
    return ("%.1f%s" if v < 9.95 else "%.0f%s") % (v, "kMGTPE"[u])


def fmt_dur(ns):
    ms = ns / 1e6
    if ms < 9.95:
        return "%.1fms" % ms
    if ms < 999.5:
        return "%.0fms" % ms
    if ms < 9995:
        return "%.2fs" % (ms / 1e3)
    if ms < 99950:
        return "%.1fs" % (ms / 1e3)
    return "%.0fs" % (ms / 1e3)


def fmt_cost(usd):
    if usd == 0:
        return "0"
    if 0 < usd < 0.000005:
        return "<1e-5"
    if usd < 0.999995:
        return "%.5f" % usd
    if usd < 9.99995:
        return "%.4f" % usd
    return "%.2f" % usd


def abbrev(s, width):
    """Names longer than the column keep width - 1 characters and end in '~'."""
    return s if len(s) <= width else s[:width - 1] + "~"


def rank(values, p):
    v = sorted(values)
    return v[max(1, min(len(v), math.ceil(p / 100.0 * len(v)))) - 1]


def expected_row(calls):
    a = [c["attrs"] for c in calls]
    lat = [c["end"] - c["start"] for c in calls]
    ttfc = [x["gen_ai.response.time_to_first_chunk"] for x in a
            if "gen_ai.response.time_to_first_chunk" in x]
    costs = [x["llmtap.cost.usd"] for x in a if "llmtap.cost.usd" in x]
    errors = sum(1 for c in calls if c["status_code"] == 2 or "error.type" in c["attrs"])
    return [fmt_count(len(calls)), fmt_count(errors),
            fmt_count(sum(x.get("gen_ai.usage.input_tokens", 0) for x in a)),
            fmt_count(sum(x.get("gen_ai.usage.output_tokens", 0) for x in a)),
            fmt_count(sum(x.get("gen_ai.usage.cache_read.input_tokens", 0) for x in a)),
            fmt_count(sum(x.get("gen_ai.usage.reasoning.output_tokens", 0) for x in a)),
            fmt_cost(sum(costs)) if costs else "-",
            fmt_dur(rank(lat, 50)), fmt_dur(rank(lat, 95)),
            fmt_dur(int(rank(ttfc, 50) * 1e9)) if ttfc else "-"]


def file_spans(path):
    """The JSONL file's spans, shaped like the receiver's."""
    import otlp_receiver
    out = []
    for line in open(path):
        out += otlp_receiver.normalize(otlp_receiver.otlp_json_to_message(line))
    return out


PRICES = {
    "date": "2025-01-01", "currency": "USD", "unit": "per 1M tokens",
    "sources": {"test": "https://example.invalid/"},
    "models": {
        "gpt-4o-mini": {"provider": "openai", "input": 1, "cached_input": 0.5, "output": 2,
                        "reasoning": 4},
        "claude-sonnet-4-5": {"provider": "anthropic", "input": 3, "cached_input": 0.25,
                              "cache_write": 5, "output": 10},
    },
}


OPENAI = "api.openai.com"  # a name in the mock's certificate; --providers maps localhost only


@pytest.fixture(scope="module")
def traced_run(tmp_path_factory, mock, receiver_server):
    """One llmtap -s -o run of a shell that makes four calls (curl: OpenAI plain, streamed
    and a 429; Python: an Anthropic message), exporting to the receiver as well."""
    d = tmp_path_factory.mktemp("cli")
    prices = d / "prices.json"
    prices.write_text(json.dumps(PRICES))
    spans = str(d / "spans.jsonl")
    script = " && ".join(
        " ".join("'%s'" % a for a in c) + " >/dev/null" for c in (
            curl_cmd(mock, resolve_host=OPENAI), curl_cmd(mock, stream=True, resolve_host=OPENAI),
            py_cmd("py_http_client", mock, provider="anthropic"))) + \
        " && { " + " ".join("'%s'" % a for a in curl_cmd(mock, scenario="error-429",
                                                          resolve_host=OPENAI)) + \
        " >/dev/null; true; }"
    receiver_server.reset()
    e = conftest.base_env()
    e.update({"LLMTAP_LIB": LIB, "OTEL_BSP_SCHEDULE_DELAY": "200"})
    if conftest.SANITIZER:
        e["LD_PRELOAD"] = conftest.SANITIZER
        e.update(conftest.SANITIZER_ENV)
    p = subprocess.run([LLMTAP, "-s", "-o", spans, "-e", receiver_server.endpoint,
                        "--providers", anthropic_env(mock)["LLMTAP_PROVIDERS"],
                        "--prices", str(prices), "--service", "cli-test", "sh", "-c", script],
                       env=e, capture_output=True, timeout=60)
    err = p.stderr.decode()
    for mark in conftest.SANITIZER_MARKS:
        assert mark not in err, err[-4000:]
    received = wait_exchanges(receiver_server, 4)
    return {"rc": p.returncode, "err": err, "file": spans, "received": received, "dir": d}


def summary_rows(text):
    """{label: [columns]} for the table in text."""
    rows, provider = {}, None
    lines = text.splitlines()
    start = next(i for i, l in enumerate(lines) if l.startswith("provider/model"))
    for line in lines[start + 1:]:
        if line.startswith("trace ") or line.startswith("(") or line.startswith("spans:"):
            break
        if not line.startswith(" ") and not line.startswith("total"):
            provider = line.strip()
            continue
        label = line[:17].strip()
        rows[label if label == "total" else provider + "/" + label] = line[17:].split()
    return rows


def test_summary_matches_the_spans(traced_run):
    assert traced_run["rc"] == 0, traced_run["err"]
    err = traced_run["err"]
    got = [s for s in traced_run["received"]]
    from_file = file_spans(traced_run["file"])
    # The file and the receiver saw the same spans.
    assert sorted(s["span_id"] for s in exchange_spans(got)) == \
        sorted(s["span_id"] for s in exchange_spans(from_file))
    calls = exchange_spans(from_file)
    assert len(calls) == 4
    assert all(s["resource"]["service.name"] == "cli-test" for s in calls)
    rows = summary_rows(err)
    assert "4 LLM calls, 1 error" in err
    assert rows["total"] == expected_row(calls), err
    by = {}
    for c in calls:
        by.setdefault(c["attrs"]["gen_ai.provider.name"] + "/" +
                      abbrev(c["attrs"]["gen_ai.request.model"], 15), []).append(c)
    assert set(rows) == set(by) | {"total"}, err
    for k, cs in by.items():
        assert rows[k] == expected_row(cs), (k, err)
    assert rows["openai/gpt-4o-mini"][:2] == ["3", "1"]
    # Trace ids: every trace of the run, one line each.
    traces = {s["trace_id"] for s in from_file}
    assert set(re.findall(r"^trace ([0-9a-f]{32})$", err, re.M)) == traces
    assert "spans: %s" % traced_run["file"] in err
    for line in err.splitlines():
        assert len(line) <= 80, line


def test_summary_cost_is_the_sum_of_span_costs(traced_run):
    calls = exchange_spans(file_spans(traced_run["file"]))
    costs = [c["attrs"]["llmtap.cost.usd"] for c in calls if "llmtap.cost.usd" in c["attrs"]]
    if not costs:
        pytest.skip("the library does not set llmtap.cost.usd yet")
    total = summary_rows(traced_run["err"])["total"]
    assert total[6] == fmt_cost(sum(costs))
    # The mock's usage at the test prices (see test_cost.py): each successful OpenAI call
    # 80e-6, the Anthropic call 445e-6.
    assert math.isclose(sum(costs), 2 * 80e-6 + 445e-6, rel_tol=1e-9)


def test_summary_with_temp_file_and_summary_file(run, mock, tmp_path):
    out = tmp_path / "summary.txt"
    got = llmtap(run, ["--summary-file", str(out)] + curl_cmd(mock),
                 env={"OTEL_EXPORTER_OTLP_ENDPOINT": None, "TMPDIR": str(tmp_path)})
    assert got.rc == 0, got.err
    text = out.read_text()
    assert "llmtap: 1 LLM call, 0 errors" in text
    assert summary_rows(text)["openai/gpt-4o-mini"][:4] == ["1", "0", "42", "17"]
    assert "LLM call" not in got.err
    # The private temporary directory is gone.
    assert sorted(os.listdir(tmp_path)) == ["summary.txt"]
    base = run(curl_cmd(mock), agent=False)
    assert got.out == base.out


def test_summary_of_inherited_llmtap_file_counts_only_this_run(run, mock, tmp_path):
    f = str(tmp_path / "keep.jsonl")
    env = {"LLMTAP_FILE": f, "OTEL_EXPORTER_OTLP_ENDPOINT": None}
    first = llmtap(run, ["-s"] + curl_cmd(mock), env=env)
    second = llmtap(run, ["-s"] + curl_cmd(mock), env=env)
    assert "1 LLM call," in first.err and "1 LLM call," in second.err, second.err
    assert len(exchange_spans(file_spans(f))) == 2


def test_quiet_and_tree(run, mock):
    got = llmtap(run, ["-t"] + curl_cmd(mock), env={"OTEL_EXPORTER_OTLP_ENDPOINT": None})
    assert got.rc == 0
    assert "chat gpt-4o-mini" in got.err  # the library's console tree
    # -q: no llmtap warning even with an unreachable collector.
    got = llmtap(run, ["-q", "-e", "http://127.0.0.1:9"] + curl_cmd(mock))
    assert got.rc == 0
    assert "llmtap" not in got.err, got.err


# --------------------------------------------------------------------------------- view

def test_view_tree(run, traced_run):
    got = llmtap(run, ["view", traced_run["file"]], env={"NO_COLOR": None})
    assert got.rc == 0, got.err
    text = got.out.decode()
    assert "\033[" not in text  # not a terminal: no colour
    spans = file_spans(traced_run["file"])
    for t in {s["trace_id"] for s in spans}:
        assert "trace " + t in text
    lines = text.splitlines()
    calls = [l for l in lines if "chat gpt-4o-mini" in l]
    assert len(calls) == 3
    for l in calls:
        assert l.startswith("  chat")  # under its process span
        assert re.search(r"\[[ =]{16}\]", l)
    assert sum("in 42 out 17" in l and l.rstrip().endswith(" ok") for l in calls) == 2
    assert sum("ERROR 429" in l for l in calls) == 1
    assert sum(l.startswith("curl ") and re.search(r" pid \d+$", l) is not None
               for l in lines) == 3
    assert "anthropic/claude-sonnet-~" in set(summary_rows(traced_run["err"]))
    anth = [l for l in lines if "claude-sonnet-4-5" in l]
    assert len(anth) == 1 and "anthropic in 132 out 31" in anth[0]
    # --color forces colour; --summary appends the table.
    col = llmtap(run, ["view", "--color", "--summary", traced_run["file"]]).out.decode()
    assert "\033[" in col and "provider/model" in col
    assert summary_rows(col)["total"] == summary_rows(traced_run["err"])["total"]
    # NO_COLOR wins over nothing, --color wins over NO_COLOR.
    assert "\033[" in llmtap(run, ["view", "--color", traced_run["file"]],
                             env={"NO_COLOR": "1"}).out.decode()


def test_view_errors(run, tmp_path):
    assert llmtap(run, ["view"]).rc == 2
    assert llmtap(run, ["view", str(tmp_path / "missing.jsonl")]).rc == 1
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b"not json\n{\"resourceSpans\": 5}\n\xff\xfe\n[1,2]\n")
    got = llmtap(run, ["view", str(bad)])
    assert got.rc == 0 and got.out == b"no spans\n"


# ------------------------------------------------------------------------------- report

def report_data(html):
    m = re.search(r'<script id="llmtap-data" type="application/json">(.*?)</script>', html,
                  re.S)
    assert m, "no data element"
    return m.group(1)


def test_report_embeds_the_escaped_data(run, tmp_path):
    template = open(os.path.join(REPO, "share", "llmtap", "report.html")).read()
    line = {"resourceSpans": [{"resource": {}, "scopeSpans": [{"scope": {}, "spans": [{
        "traceId": "0af7651916cd43dd8448eb211c80319c", "spanId": "b7ad6b7169203331",
        "name": "</script><script>alert(1)</script> & <!--", "kind": 3,
        "startTimeUnixNano": "1000000000", "endTimeUnixNano": "1250000000",
        "attributes": [{"key": "gen_ai.provider.name", "value": {"stringValue": "openai"}},
                       {"key": "gen_ai.request.model", "value": {"stringValue": "m<1>"}},
                       {"key": "gen_ai.usage.input_tokens", "value": {"intValue": "7"}}]}]}]}]}
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps(line) + "\n" + json.dumps({"resourceSpans": []}) + "\n")
    out = tmp_path / "trace.html"
    got = llmtap(run, ["report", str(src), "-o", str(out)])
    assert got.rc == 0, got.err
    html = out.read_text()
    before, _, after = template.partition("/*LLMTAP_DATA*/")
    assert html.startswith(before) and html.endswith(after)
    raw = html[len(before):len(html) - len(after)]
    assert raw == report_data(html)
    assert not set("<>&") & set(raw)
    assert "\\u003c/script\\u003e" in raw and "\\u0026" in raw
    data = json.loads(raw)
    assert data["source"] == "in.jsonl"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", data["generated"])
    assert data["traces"] == [line, {"resourceSpans": []}]
    assert "llmtap: 1 LLM call, 0 errors" in data["summary"]
    assert "m<1>" in data["summary"] and "250ms" in data["summary"]
    # Options before the file, and stdout without -o.
    got2 = llmtap(run, ["report", "-o", "-", str(src)])
    assert got2.rc == 0 and got2.out.decode().startswith(before)


def test_report_of_a_traced_run(run, traced_run, tmp_path):
    out = tmp_path / "t.html"
    got = llmtap(run, ["report", traced_run["file"], "-o", str(out)])
    assert got.rc == 0, got.err
    data = json.loads(report_data(out.read_text()))
    lines = [json.loads(l) for l in open(traced_run["file"]) if l.strip()]
    assert data["traces"] == lines
    assert summary_rows(data["summary"])["total"] == summary_rows(traced_run["err"])["total"]
    assert llmtap(run, ["report"]).rc == 2
    assert llmtap(run, ["report", str(tmp_path / "missing")]).rc == 1


# ------------------------------------------------------------------------------ install

def test_make_install_into_destdir(run, mock, rcv, tmp_path):
    dest = tmp_path / "root"
    p = subprocess.run(["make", "--no-print-directory", "-C", REPO, "install",
                        "DESTDIR=" + str(dest), "PREFIX=/opt/llmtap"],
                       capture_output=True, timeout=600)
    assert p.returncode == 0, p.stderr.decode()[-3000:]
    root = dest / "opt" / "llmtap"
    for f in ("bin/llmtap", "lib/libllmtap.so", "share/llmtap/report.html",
              "share/man/man1/llmtap.1"):
        assert (root / f).is_file(), f
    assert os.access(root / "bin" / "llmtap", os.X_OK)
    # The installed command finds the installed library and traces curl.
    base = run(curl_cmd(mock), agent=False)
    got = run([str(root / "bin" / "llmtap"), "-e", rcv.endpoint] + curl_cmd(mock),
              env={"LD_PRELOAD": None, "LLMTAP_LIB": None}, agent=False, cache=False)
    assert got.rc == base.rc == 0, got.err
    assert got.out == base.out
    ex = exchange_spans(wait_exchanges(rcv, 1))
    assert len(ex) == 1 and ex[0]["name"] == "chat gpt-4o-mini"
    env = child_env(run([str(root / "bin" / "llmtap"), "env"], env={"LD_PRELOAD": None,
                        "LLMTAP_LIB": None}, agent=False, cache=False).out)
    assert env["LD_PRELOAD"] == str(root / "lib" / "libllmtap.so")


def test_man_page_renders_cleanly():
    page = os.path.join(REPO, "share", "man", "man1", "llmtap.1")
    p = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z", page], capture_output=True)
    assert p.returncode == 0 and p.stderr == b"", p.stderr.decode()
    p = subprocess.run(["man", "-l", page], capture_output=True,
                       env=dict(os.environ, MANWIDTH="80", MANPAGER="cat", PAGER="cat"))
    assert p.returncode == 0, p.stderr.decode()
    text = p.stdout.decode()
    for word in ("SYNOPSIS", "OPTIONS", "ENVIRONMENT", "EXIT STATUS", "EXAMPLES", "FILES",
                 "LLMTAP_FILE", "view", "report"):
        assert word in text, word


COUNT_CHILD = r"""
import signal, sys, time
n = []
signal.signal(signal.SIGINT, lambda s, f: n.append(s))
print("ready", flush=True)
t = time.monotonic() + 10
while not n and time.monotonic() < t:
    time.sleep(0.01)
time.sleep(0.3)  # a second (forwarded) SIGINT would arrive in this window
print("sigint x%d" % len(n), flush=True)
"""


def test_terminal_ctrl_c_reaches_the_child_once():
    """^C on the terminal signals the whole foreground group: llmtap must not send it again."""
    import pty
    import select
    e = conftest.base_env()
    e["LLMTAP_LIB"] = LIB
    if conftest.SANITIZER:
        e["LD_PRELOAD"] = conftest.SANITIZER
        e.update(conftest.SANITIZER_ENV)
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(LLMTAP, [LLMTAP, PY, "-c", COUNT_CHILD], e)
    out = b""
    try:
        deadline = time.monotonic() + 15
        sent = False
        while time.monotonic() < deadline and b"sigint x" not in out:
            r, _, _ = select.select([fd], [], [], 0.2)
            if r:
                try:
                    chunk = os.read(fd, 1024)
                except OSError:
                    break
                if not chunk:
                    break
                out += chunk
            if b"ready" in out and not sent:
                os.write(fd, b"\x03")  # the terminal's VINTR
                sent = True
        _, status = os.waitpid(pid, 0)
    finally:
        os.close(fd)
    assert b"sigint x1" in out, out
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
