"""Secrets and privilege (issue 4): LLMTAP_REDACT on captured content (an invalid expression
drops all content), setuid/setgid processes left untraced (no span, no file, no exporter
thread), and LLMTAP_FILE opened without following a symlink and created with mode 0600
whatever the umask."""

import os
import pathlib
import shutil
import stat
import subprocess
import tempfile
import time

import pytest

import common
import mock_provider as M
from conftest import REPO, SANITIZER, LIB
from integ_util import (CONTENT_KEYS, check_attrs, cmd_for, exchange_spans, one_exchange,
                        parse_json_attr, run_both, wait_exchanges)

CAPTURE = {"OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "true"}
DRIVER = os.path.join(REPO, "build", "drivers", "secure_dlopen")
# The driver is an ordinary (uninstrumented) program that dlopen()s the library: a
# sanitizer build cannot be loaded that way, so it always gets the plain build.
PLAIN_LIB = os.path.join(REPO, "build", "libllmtap.so")
DRIVER_LIB = PLAIN_LIB if SANITIZER else LIB


# --------------------------------------------------------------------------- LLMTAP_REDACT
def test_redact_openai_tools(run, mock, rcv):
    """Every string leaf of the content attributes is redacted: prompt text, completion tool
    call arguments; keys, ids and non-content attributes are untouched."""
    env = dict(CAPTURE, LLMTAP_REDACT="hello|mock|Paris|terse")
    run_both(run, cmd_for("py_http_client", mock, scenario="tools"), env=env)
    span = one_exchange(rcv)
    assert parse_json_attr(span, "gen_ai.input.messages") == [
        {"role": "system", "parts": [{"type": "text",
                                      "content": "You are a [REDACTED] assistant."}]},
        {"role": "user", "parts": [{"type": "text",
                                    "content": "Say [REDACTED] to the [REDACTED]."}]},
    ]
    out = parse_json_attr(span, "gen_ai.output.messages")
    calls = [p for m in out for p in m["parts"] if p.get("type") == "tool_call"]
    assert calls == [{"type": "tool_call", "id": M.OPENAI_TOOL_CALL_ID, "name": M.TOOL_NAME,
                      "arguments": {"location": "[REDACTED], France", "unit": "celsius"}}], out
    defs = parse_json_attr(span, "gen_ai.tool.definitions")
    assert defs[0]["name"] == "get_weather", defs
    check_attrs(span, {"gen_ai.request.model": common.OPENAI_MODEL,
                       "gen_ai.response.id": M.OPENAI_ID,
                       "gen_ai.response.finish_reasons": ["tool_calls"]})


def test_redact_anthropic_stream(run, mock, rcv):
    """A streamed completion is redacted after assembly (a match spanning two events);
    system instructions too."""
    env = dict(CAPTURE, LLMTAP_REDACT="Bonjour! The|says hel+o|assistant",
               LLMTAP_PROVIDERS="localhost:%d=anthropic" % mock.port)
    run_both(run, cmd_for("curl", mock, provider="anthropic", stream=True), env=env)
    span = one_exchange(rcv)
    assert parse_json_attr(span, "gen_ai.system_instructions") == [
        {"type": "text", "content": "You are a terse [REDACTED]."}]
    out = parse_json_attr(span, "gen_ai.output.messages")
    assert out[0]["parts"] == [{"type": "text",
                                "content": "[REDACTED] mock Claude [REDACTED]."}], out
    inp = parse_json_attr(span, "gen_ai.input.messages")
    assert inp == [{"role": "user", "parts": [{"type": "text", "content": common.USER_TEXT}]}]


@pytest.mark.parametrize("expr", ["(unclosed", "a{2,1}", "[z-a]"])
def test_redact_invalid_fails_closed(run, mock, rcv, expr):
    """An expression that does not compile: no content at all, the rest of the span as usual,
    the client unaffected."""
    env = dict(CAPTURE, LLMTAP_REDACT=expr)
    run_both(run, cmd_for("py_requests", mock, scenario="tools", stream=True), env=env)
    span = one_exchange(rcv)
    for k in CONTENT_KEYS:
        assert k not in span["attrs"], k
    check_attrs(span, {"gen_ai.request.model": common.OPENAI_MODEL,
                       "gen_ai.response.finish_reasons": ["tool_calls"],
                       "gen_ai.request.stream": True})


def test_redact_without_capture(run, mock, rcv):
    """LLMTAP_REDACT does not turn content capture on."""
    run_both(run, cmd_for("py_http_client", mock), env={"LLMTAP_REDACT": "hello"})
    span = one_exchange(rcv)
    for k in CONTENT_KEYS:
        assert k not in span["attrs"], k


# --------------------------------------------------------------------------- setuid/setgid
def _driver_or_skip():
    if not os.path.exists(DRIVER):
        pytest.skip("build/drivers/secure_dlopen is not built (make drivers)")
    if not os.path.exists(DRIVER_LIB):
        pytest.skip("%s is not built" % DRIVER_LIB)


def _parse_driver(out):
    head, _, body = out.decode().partition("\n")
    info = dict(kv.split("=") for kv in head.split())
    return {k: int(v) for k, v in info.items()}, body


@pytest.fixture
def open_dir(certs):
    """A world-writable directory (directly under the system temp dir: pytest's own is 0700)
    holding world-readable copies of the server certificate and key: an unprivileged euid
    could create LLMTAP_FILE there if llmtap tried."""
    d = pathlib.Path(tempfile.mkdtemp(prefix="llmtap-secure-"))
    os.chmod(str(d), 0o777)
    for name in ("cert", "key"):
        shutil.copy(certs[name], str(d / (name + ".pem")))
        os.chmod(str(d / (name + ".pem")), 0o644)
    yield d
    shutil.rmtree(str(d), ignore_errors=True)


def test_driver_traced_when_not_secure(run, rcv, open_dir):
    """Control: the same driver, not setuid, is traced — span, file, exporter thread."""
    _driver_or_skip()
    out_file = open_dir / "spans.jsonl"
    r = run([DRIVER, DRIVER_LIB, str(open_dir / "cert.pem"), str(open_dir / "key.pem")],
            env={"LD_PRELOAD": None, "LLMTAP_FILE": str(out_file)})
    assert r.rc == 0, r.err
    info, body = _parse_driver(r.out)
    assert info["secure"] == 0 and info["threads"] >= 2, info
    assert '"chatcmpl-setuid1"' in body
    span = exchange_spans(wait_exchanges(rcv, 1))[0]
    check_attrs(span, {"server.address": "api.openai.com", "gen_ai.provider.name": "openai",
                       "gen_ai.request.model": "gpt-4o-mini",
                       "gen_ai.response.id": "chatcmpl-setuid1",
                       "gen_ai.usage.input_tokens": 9, "gen_ai.usage.output_tokens": 3})
    assert out_file.exists() and b"chatcmpl-setuid1" in out_file.read_bytes()


@pytest.mark.parametrize("mode", ["setuid", "setgid"])
def test_secure_process_untraced(run, rcv, open_dir, mode):
    """AT_SECURE (ruid != euid, or rgid != egid): dlopen()ing llmtap and calling its
    SSL_write/SSL_read leaves no span, no LLMTAP_FILE and no exporter thread."""
    _driver_or_skip()
    if os.geteuid() != 0:
        pytest.skip("needs root to make a setuid/setgid copy of the driver")
    exe = open_dir / "secure_dlopen"
    shutil.copy(DRIVER, str(exe))
    if mode == "setuid":
        os.chown(str(exe), 65534, -1)  # nobody
        os.chmod(str(exe), 0o4755)
    else:
        os.chown(str(exe), -1, 65534)  # nogroup
        os.chmod(str(exe), 0o2755)
    out_file = open_dir / "spans.jsonl"
    r = run([str(exe), DRIVER_LIB, str(open_dir / "cert.pem"), str(open_dir / "key.pem")],
            env={"LD_PRELOAD": None, "LLMTAP_FILE": str(out_file), "LLMTAP_LOG": "debug",
                 "OTEL_TRACES_EXPORTER": "otlp,console"})
    assert r.rc == 0, r.err
    info, body = _parse_driver(r.out)
    if info["secure"] != 1:
        pytest.skip("the kernel did not apply the %s bit here (nosuid mount?)" % mode)
    assert '"chatcmpl-setuid1"' in body, "the exchange itself must work"
    assert info["threads"] == 1, "an exporter thread was started: %r" % info
    time.sleep(0.5)
    assert rcv.spans() == [] and not rcv.requests, "a secure process exported something"
    assert not out_file.exists(), "a secure process wrote LLMTAP_FILE"
    assert "llmtap" not in r.err, r.err  # not even the console exporter or a log line


# --------------------------------------------------------------------------- LLMTAP_FILE
def test_file_symlink_not_followed(run, mock, rcv, tmp_path):
    """LLMTAP_FILE is a symlink (to an existing file, and dangling): nothing is written
    through it; OTLP export is unaffected."""
    target = tmp_path / "target.jsonl"
    target.write_bytes(b"precious\n")
    link = tmp_path / "link.jsonl"
    link.symlink_to(target)
    missing = tmp_path / "missing.jsonl"
    dangling = tmp_path / "dangling.jsonl"
    dangling.symlink_to(missing)
    for path in (link, dangling):
        rcv.reset()
        run_both(run, cmd_for("py_http_client", mock), env={"LLMTAP_FILE": str(path)})
        one_exchange(rcv)
        assert os.path.islink(str(path))
    assert target.read_bytes() == b"precious\n"
    assert not missing.exists()


def test_file_mode_0600_under_umask_000(run, mock, rcv, tmp_path):
    out_file = tmp_path / "new.jsonl"
    cmd = ["/bin/sh", "-c", 'umask 000 && exec "$0" "$@"'] + cmd_for("py_http_client", mock)
    run_both(run, cmd, env={"LLMTAP_FILE": str(out_file)})
    one_exchange(rcv)
    st = os.lstat(str(out_file))
    assert stat.S_ISREG(st.st_mode)
    assert stat.S_IMODE(st.st_mode) == 0o600, oct(st.st_mode)
    # Proof that the umask really was 000 in the client: a file it creates is 0666.
    probe = tmp_path / "probe"
    subprocess.run(["/bin/sh", "-c", 'umask 000 && : > "$0"', str(probe)], check=True)
    assert stat.S_IMODE(os.stat(str(probe)).st_mode) == 0o666
