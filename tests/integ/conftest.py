"""Session fixtures for the llmtap integration tests: protobuf classes generated from the
repo's OTLP protos, a throwaway CA + server certificate, the TLS mock provider, the OTLP
receiver, and run() which starts a client under LD_PRELOAD=build/libllmtap.so."""

import os
import signal
import subprocess
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
# make integ-asan / integ-tsan point LLMTAP_TEST_LIB at a sanitizer build and
# LLMTAP_TEST_SANITIZER at its runtime, which is preloaded first.
LIB = os.environ.get("LLMTAP_TEST_LIB") or os.path.join(REPO, "build", "libllmtap.so")
SANITIZER = os.environ.get("LLMTAP_TEST_SANITIZER", "")
PRELOAD = SANITIZER + ":" + LIB if SANITIZER else LIB
# Sanitizer reports fail the run that printed them. Hosts (Python, curl) are not built with
# the sanitizer: their own leaks at exit are not ours, so leak detection stays off.
SANITIZER_ENV = {
    "ASAN_OPTIONS": "detect_leaks=0:halt_on_error=1:abort_on_error=0:exitcode=86:"
                    "handle_segv=1:allow_user_segv_handler=1:detect_odr_violation=0",
    "UBSAN_OPTIONS": "halt_on_error=1:print_stacktrace=1",
    "TSAN_OPTIONS": "halt_on_error=1:exitcode=86:report_signal_unsafe=0:suppressions="
                    + os.path.join(REPO, "tests", "sanitizer", "tsan.supp"),
}
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "runtime error:", "WARNING: ThreadSanitizer",
                   "ERROR: LeakSanitizer", "ThreadSanitizer: ")
GEN = os.path.join(HERE, "_gen")
PROTO_DIR = os.path.join(REPO, "export", "otlp")
PROTOS = [
    "opentelemetry/proto/common/v1/common.proto",
    "opentelemetry/proto/resource/v1/resource.proto",
    "opentelemetry/proto/trace/v1/trace.proto",
    "opentelemetry/proto/collector/trace/v1/trace_service.proto",
]

sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "clients"))
pytest_plugins = ["replay_fixtures"]


def gen_protos():
    """protoc --python_out=_gen for the repo's OTLP protos; add _gen to sys.path."""
    os.makedirs(GEN, exist_ok=True)
    subprocess.run(["protoc", "--python_out=" + GEN, "--proto_path=" + PROTO_DIR] + PROTOS,
                   check=True)
    if GEN not in sys.path:
        sys.path.insert(0, GEN)


def pytest_configure(config):
    gen_protos()
    config.addinivalue_line("markers", "threads: cases with several threads of the host "
                            "racing through the agent; `make integ-tsan` runs them under TSan")


# Environment variables a run must not inherit from the developer's shell.
_SCRUB_PREFIXES = ("OTEL_", "LLMTAP_")
_SCRUB = {"LD_PRELOAD", "TRACEPARENT", "TRACESTATE", "BAGGAGE", "REQUESTS_CA_BUNDLE",
          "SSL_CERT_FILE", "SSL_CERT_DIR", "CURL_CA_BUNDLE", "http_proxy", "https_proxy",
          "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"}


class Result(tuple):
    """(returncode, stdout bytes, stderr str) with .pid, .duration (s) and the wall-clock
    window .t0_ns/.t1_ns (ns since the epoch) around the process."""

    def __new__(cls, rc, out, err, pid, duration, t0_ns, t1_ns):
        r = super().__new__(cls, (rc, out, err))
        r.pid = pid
        r.duration = duration
        r.t0_ns = t0_ns
        r.t1_ns = t1_ns
        return r

    rc = property(lambda self: self[0])
    out = property(lambda self: self[1])
    err = property(lambda self: self[2])


class SessionLog:
    """What every run produced, for the end-of-session secrets check."""

    def __init__(self):
        self.stderr = []
        self.stdout_agent = []
        self.files = set()
        self.runs = 0


@pytest.fixture(scope="session")
def session_log():
    return SessionLog()


@pytest.fixture(scope="session")
def certs(tmp_path_factory):
    d = tmp_path_factory.mktemp("pki")
    return make_certs(str(d))


def make_certs(d):
    """CA + server cert (SANs localhost, 127.0.0.1, api.openai.com, api.anthropic.com)."""
    def sh(*args):
        subprocess.run(["openssl"] + list(args), check=True, cwd=d, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)

    sh("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
       "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=llmtap test CA",
       "-addext", "basicConstraints=critical,CA:TRUE",
       "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    sh("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
       "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost")
    with open(os.path.join(d, "ext.cnf"), "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1,DNS:api.openai.com,"
                "DNS:api.anthropic.com\nbasicConstraints=CA:FALSE\n"
                "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n")
    sh("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
       "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf")
    return {"ca": os.path.join(d, "ca.pem"), "cert": os.path.join(d, "server.pem"),
            "key": os.path.join(d, "server.key"), "dir": d}


@pytest.fixture(scope="session")
def mock(certs):
    from mock_provider import MockProvider

    mp = MockProvider(certs["cert"], certs["key"]).start()
    mp.url = "https://localhost:%d" % mp.port
    mp.ca = certs["ca"]
    yield mp
    mp.stop()


@pytest.fixture(scope="session")
def receiver_server():
    from otlp_receiver import OtlpReceiver

    r = OtlpReceiver().start()
    yield r
    r.stop()


@pytest.fixture
def rcv(receiver_server):
    """The session's receiver, emptied for this test."""
    receiver_server.reset()
    yield receiver_server
    receiver_server.reset()


def have_lib():
    return os.path.exists(LIB)


def base_env():
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(_SCRUB_PREFIXES) and k not in _SCRUB}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONUNBUFFERED"] = "1"
    return env


_baseline_cache = {}


@pytest.fixture
def run(receiver_server, session_log):
    """run(cmd, env=None, timeout=60, agent=True) -> Result(rc, stdout, stderr).

    With agent=True the client runs under LD_PRELOAD=build/libllmtap.so exporting to the
    receiver (skips the test when the library is not built). `env` entries override; a None
    value removes the variable."""

    def _run(cmd, env=None, timeout=60, agent=True, cwd=None, cache=True):
        # Runs without the agent are deterministic: the same command and environment give
        # the same result, so they are made once per session.
        # (llmtap's own variables do not change what a client does without llmtap.)
        key = (tuple(cmd), tuple(sorted((k, v) for k, v in (env or {}).items()
                                        if not k.startswith(_SCRUB_PREFIXES)
                                        and k not in ("TRACEPARENT", "TRACESTATE"))), cwd)
        if not agent and cache and key in _baseline_cache:
            return _baseline_cache[key]
        e = base_env()
        if agent:
            if not have_lib():
                pytest.skip("build/libllmtap.so is not built (make lib)")
            if SANITIZER:
                e.update(SANITIZER_ENV)
            e.update({
                "LD_PRELOAD": PRELOAD,
                "OTEL_EXPORTER_OTLP_ENDPOINT": receiver_server.endpoint,
                "OTEL_BSP_SCHEDULE_DELAY": "200",
                "OTEL_SERVICE_NAME": "integ",
            })
        for k, v in (env or {}).items():
            if v is None:
                e.pop(k, None)
            else:
                e[k] = v
        if agent and e.get("LLMTAP_FILE"):
            session_log.files.add(e["LLMTAP_FILE"])
        t0 = time.monotonic()
        t0_ns = time.time_ns()
        # Own session: on timeout the whole process group goes (grandchildren holding the
        # pipes would otherwise keep communicate() waiting).
        p = subprocess.Popen(cmd, env=e, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             stdin=subprocess.DEVNULL, cwd=cwd, start_new_session=True)
        try:
            out, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            out, err = p.communicate()
            pytest.fail("%s did not finish within %ss\nstderr:\n%s"
                        % (cmd[:3], timeout, err.decode("utf-8", "replace")[-3000:]))
        dur = time.monotonic() - t0
        t1_ns = time.time_ns()
        err_s = err.decode("utf-8", "replace")
        if agent and SANITIZER:
            for mark in SANITIZER_MARKS:
                if mark in err_s:
                    pytest.fail("sanitizer report from %s:\n%s" % (cmd[:3], err_s[-6000:]))
        if agent:
            session_log.runs += 1
            session_log.stderr.append(err_s)
            session_log.stdout_agent.append(out)
        res = Result(p.returncode, out, err_s, p.pid, dur, t0_ns, t1_ns)
        if not agent and cache:
            _baseline_cache[key] = res
        return res

    return _run
