"""Exporter configuration (SPEC.md "Exporter configuration", "OTLP/HTTP", "Resource"):
protocols, compression, headers, JSONL file, console, none, disabled SDK, collector down or
failing, resource attributes."""

import json
import os
import socket
import stat
import time

import pytest

from integ_util import (assert_exchange, curl_cmd, exchange_spans, one_exchange, py_cmd,
                        run_both)
from otlp_receiver import normalize, otlp_json_to_message


def json_keys(o, acc):
    if isinstance(o, dict):
        for k, v in o.items():
            acc.add(k)
            json_keys(v, acc)
    elif isinstance(o, list):
        for x in o:
            json_keys(x, acc)
    return acc


def test_protobuf_default(run, mock, rcv):
    run_both(run, curl_cmd(mock))
    assert_exchange(one_exchange(rcv), "openai", False, "localhost", mock.port)
    for r in rcv.ok_requests():
        assert r["path"] == "/v1/traces"
        assert r["content_type"] == "application/x-protobuf"
        ua = r["headers"].get("user-agent", "")
        assert ua and all(32 <= ord(c) < 127 for c in ua), "User-Agent %r" % ua


@pytest.mark.parametrize("var", ["OTEL_EXPORTER_OTLP_PROTOCOL",
                                 "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"])
def test_json_protocol(run, mock, rcv, var):
    run_both(run, py_cmd("py_http_client", mock, stream=True), env={var: "http/json"})
    span = one_exchange(rcv)
    assert_exchange(span, "openai", True, "localhost", mock.port)
    reqs = rcv.ok_requests()
    assert reqs and all(r["content_type"] == "application/json" for r in reqs)
    for r in reqs:
        keys = json_keys(json.loads(r["raw"]), set())
        assert not [k for k in keys if "_" in k], "OTLP/JSON keys are lowerCamelCase: %s" % keys
        assert "resourceSpans" in keys and "traceId" in keys


def test_gzip_compression(run, mock, rcv):
    run_both(run, curl_cmd(mock), env={"OTEL_EXPORTER_OTLP_COMPRESSION": "gzip"})
    assert_exchange(one_exchange(rcv), "openai", False, "localhost", mock.port)
    for r in rcv.ok_requests():
        assert r["headers"].get("content-encoding") == "gzip"
        assert r["wire"][:2] == b"\x1f\x8b"


def test_gzip_json(run, mock, rcv):
    run_both(run, curl_cmd(mock), env={"OTEL_EXPORTER_OTLP_TRACES_COMPRESSION": "gzip",
                                       "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"})
    assert_exchange(one_exchange(rcv), "openai", False, "localhost", mock.port)
    assert all(r["content_type"] == "application/json" and
               r["headers"].get("content-encoding") == "gzip" for r in rcv.ok_requests())


def test_headers(run, mock, rcv):
    run_both(run, curl_cmd(mock),
             env={"OTEL_EXPORTER_OTLP_HEADERS": "x-tenant=a%20b,x-other=1"})
    one_exchange(rcv)
    for r in rcv.ok_requests():
        assert r["headers"].get("x-tenant") == "a b", r["headers"]
        assert r["headers"].get("x-other") == "1", r["headers"]


def test_traces_endpoint_used_as_is(run, mock, rcv):
    run_both(run, curl_cmd(mock), env={
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": rcv.endpoint + "/custom/traces"})
    one_exchange(rcv)
    assert {r["path"] for r in rcv.ok_requests()} == {"/custom/traces"}


def test_jsonl_file(run, mock, rcv, tmp_path):
    path = str(tmp_path / "spans.jsonl")
    run_both(run, py_cmd("py_http_client", mock, extra=["--keepalive", "2"]),
             env={"LLMTAP_FILE": path})
    assert os.path.exists(path), "LLMTAP_FILE not written"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, oct(os.stat(path).st_mode)
    lines = open(path, "rb").read().split(b"\n")
    assert lines[-1] == b"", "the file ends with a newline"
    spans = []
    for line in lines[:-1]:
        obj = json.loads(line)
        assert list(obj) == ["resourceSpans"], list(obj)
        spans += normalize(otlp_json_to_message(line.decode()))
    ex = exchange_spans(spans)
    assert len(ex) == 2
    for s in ex:
        assert_exchange(s, "openai", False, "localhost", mock.port)


def test_jsonl_file_appends(run, mock, rcv, tmp_path):
    path = str(tmp_path / "spans.jsonl")
    for _ in range(2):
        run(curl_cmd(mock), env={"LLMTAP_FILE": path, "OTEL_TRACES_EXPORTER": "none"})
    spans = []
    for line in open(path, "rb").read().splitlines():
        spans += normalize(otlp_json_to_message(line.decode()))
    assert len(exchange_spans(spans)) == 2


def test_exporter_none(run, mock, rcv):
    run_both(run, curl_cmd(mock), env={"OTEL_TRACES_EXPORTER": "none"})
    time.sleep(0.3)
    assert rcv.requests == []


def test_exporter_console(run, mock, rcv):
    r = run_both(run, py_cmd("py_http_client", mock, model="gpt-console-test"),
                 env={"OTEL_TRACES_EXPORTER": "console"})
    assert "chat gpt-console-test" in r.err
    time.sleep(0.3)
    assert rcv.requests == []


def test_exporter_otlp_and_console(run, mock, rcv):
    r = run_both(run, curl_cmd(mock, model="gpt-both"),
                 env={"OTEL_TRACES_EXPORTER": "otlp,console"})
    assert "chat gpt-both" in r.err
    assert one_exchange(rcv)["name"] == "chat gpt-both"


@pytest.mark.parametrize("value", ["true", "TRUE"])
def test_sdk_disabled(run, mock, rcv, tmp_path, value):
    path = str(tmp_path / "spans.jsonl")
    r = run_both(run, curl_cmd(mock), env={"OTEL_SDK_DISABLED": value, "LLMTAP_FILE": path,
                                           "OTEL_TRACES_EXPORTER": "otlp,console"})
    time.sleep(0.3)
    assert rcv.requests == []
    assert not os.path.exists(path)
    assert "chat " not in r.err


def test_sdk_disabled_false_still_exports(run, mock, rcv):
    run_both(run, curl_cmd(mock), env={"OTEL_SDK_DISABLED": "false"})
    one_exchange(rcv)


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.mark.parametrize("client", ["curl", "py_requests"])
def test_collector_down(run, mock, rcv, client):
    cmd = curl_cmd(mock, stream=True) if client == "curl" else \
        py_cmd(client, mock, stream=True)
    r = run_both(run, cmd, timeout=30, env={
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:%d" % closed_port(),
        "OTEL_BSP_EXPORT_TIMEOUT": "1000"})
    assert r.rc == 0
    assert r.duration < 15, "exit took %.1fs with the collector down" % r.duration


def test_no_collector_does_not_hold_exit(run, mock):
    """Nobody listening (connection refused) with the default 30 s OTEL_BSP_EXPORT_TIMEOUT:
    the exit flush gives up on the refusal instead of retrying for the whole budget."""
    r = run_both(run, curl_cmd(mock), timeout=60, env={
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:%d" % closed_port(),
        "OTEL_BSP_EXPORT_TIMEOUT": None})
    assert r.rc == 0
    assert r.duration < 15, "exit took %.1fs with no collector" % r.duration


def test_collector_503_twice_then_ok(run, mock, rcv):
    rcv.fail_next(2)
    run_both(run, curl_cmd(mock), timeout=30)
    rcv.wait_for(lambda rv: exchange_spans(rv.spans()), 10)
    assert len(exchange_spans(rcv.spans())) == 1
    assert [r["status"] for r in rcv.requests][:2] == [503, 503]


def test_collector_400_not_retried(run, mock, rcv):
    rcv.fail_next(1, status=400)
    run_both(run, curl_cmd(mock), timeout=30)
    time.sleep(0.5)
    reqs = list(rcv.requests)
    assert reqs and reqs[0]["status"] == 400 and reqs[0]["rejected"] is not None
    refused = {s["span_id"] for s in normalize(reqs[0]["rejected"])}
    later = {s["span_id"] for r in reqs[1:] if r["message"] for s in normalize(r["message"])}
    assert not refused & later, "a batch refused with 400 was sent again"


def test_resource(run, mock, rcv):
    r = run_both(run, curl_cmd(mock),
                 env={"OTEL_RESOURCE_ATTRIBUTES": "deployment.environment.name=test,team=ml"})
    span = one_exchange(rcv)
    res = span["resource"]
    assert res.get("service.name") == "integ"
    assert res.get("process.pid") == r.pid
    assert res.get("telemetry.sdk.name") == "llmtap"
    assert res.get("telemetry.sdk.language") == "c"
    assert isinstance(res.get("telemetry.sdk.version"), str)
    assert res.get("process.executable.name") == "curl"
    assert res.get("deployment.environment.name") == "test" and res.get("team") == "ml"
    assert "process.command_args" not in res
    assert span["scope"] == "llmtap"


def test_default_service_name(run, mock, rcv):
    run_both(run, curl_cmd(mock), env={"OTEL_SERVICE_NAME": None})
    assert one_exchange(rcv)["resource"].get("service.name") == "unknown_service:curl"


def test_service_name_precedence(run, mock, rcv):
    run_both(run, curl_cmd(mock), env={"OTEL_RESOURCE_ATTRIBUTES": "service.name=fromattrs"})
    assert one_exchange(rcv)["resource"].get("service.name") == "integ"


def test_attribute_value_length_limit(run, mock, rcv):
    run_both(run, py_cmd("py_http_client", mock, provider="anthropic"), env={
        "LLMTAP_PROVIDERS": "localhost:%d=anthropic" % mock.port,
        "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "true",
        "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT": "12"})
    span = one_exchange(rcv)
    assert "gen_ai.input.messages" in span["attrs"]
    for k, v in span["attrs"].items():
        if isinstance(v, str):
            assert len(v.encode()) <= 12, (k, v)
    assert span["attrs"]["gen_ai.usage.input_tokens"] == 132  # numbers are not cut


def test_attribute_count_limit(run, mock, rcv):
    run_both(run, curl_cmd(mock), env={"OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT": "5"})
    span = one_exchange(rcv)
    assert 0 < len(span["attrs"]) <= 5, sorted(span["attrs"])


def test_providers_entry_without_port(run, mock, rcv):
    run_both(run, curl_cmd(mock, provider="anthropic"),
             env={"LLMTAP_PROVIDERS": "example.com=openai,localhost=anthropic"})
    assert_exchange(one_exchange(rcv), "anthropic", False, "localhost", mock.port)
