"""Local OTLP/HTTP trace receiver for the integration tests.

Plain HTTP on 127.0.0.1:<port>, POST /v1/traces (any path is accepted and recorded), protobuf or JSON, optional gzip. Bodies are
decoded with classes protoc generated from export/otlp (see conftest.gen_protos) and, for
OTLP/JSON, google.protobuf.json_format after turning hex ids into base64: both protocols are
decoded by code llmtap did not write. Every request is recorded (headers, protocol, raw body
after gunzip, decoded message, arrival time); spans() gives normalized dicts for assertions.

Collector faults for the exporter tests (fault(), fail_next()): answer a status with extra
headers (429 + Retry-After), reset the connection once the request is in, hang (read the
request, never answer), or accept with an OTLP partial success (rejected_spans, error_message)
in the request's encoding. Each faulty answer is recorded like any other request.
"""

import base64
import gzip
import http.server
import json
import socket
import struct
import threading
import time

ID_KEYS = ("traceId", "spanId", "parentSpanId", "trace_id", "span_id", "parent_span_id")


def _pb():
    from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
    return trace_service_pb2


def otlp_json_to_message(text):
    """Parse OTLP/JSON (hex ids) into an ExportTraceServiceRequest."""
    from google.protobuf import json_format

    def fix(o):
        if isinstance(o, dict):
            out = {}
            for k, v in o.items():
                if k in ID_KEYS and isinstance(v, str):
                    out[k] = base64.b64encode(bytes.fromhex(v)).decode() if v else ""
                else:
                    out[k] = fix(v)
            return out
        if isinstance(o, list):
            return [fix(x) for x in o]
        return o

    obj = json.loads(text)
    msg = _pb().ExportTraceServiceRequest()
    json_format.Parse(json.dumps(fix(obj)), msg)
    return msg


def message_to_json_text(msg):
    """Inverse helper (tests): OTLP/JSON text with hex ids from an ExportTraceServiceRequest."""
    from google.protobuf import json_format

    d = json_format.MessageToDict(msg, use_integers_for_enums=True)

    def fix(o):
        if isinstance(o, dict):
            return {k: (base64.b64decode(v).hex() if k in ID_KEYS and isinstance(v, str)
                        else fix(v)) for k, v in o.items()}
        if isinstance(o, list):
            return [fix(x) for x in o]
        return o

    return json.dumps(fix(d))


def any_value(v):
    """AnyValue -> python value."""
    kind = v.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [any_value(x) for x in v.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: any_value(kv.value) for kv in v.kvlist_value.values}
    return getattr(v, kind)


def attrs_dict(kvs):
    return {kv.key: any_value(kv.value) for kv in kvs}


def normalize(msg):
    """ExportTraceServiceRequest -> list of span dicts."""
    out = []
    for rs in msg.resource_spans:
        res = attrs_dict(rs.resource.attributes)
        for ss in rs.scope_spans:
            for s in ss.spans:
                out.append({
                    "name": s.name,
                    "kind": int(s.kind),
                    "trace_id": s.trace_id.hex(),
                    "span_id": s.span_id.hex(),
                    "parent_span_id": s.parent_span_id.hex(),
                    "flags": s.flags,
                    "trace_state": s.trace_state,
                    "start": s.start_time_unix_nano,
                    "end": s.end_time_unix_nano,
                    "status_code": int(s.status.code),
                    "status_message": s.status.message,
                    "attrs": attrs_dict(s.attributes),
                    "events": [{"name": e.name, "attrs": attrs_dict(e.attributes)}
                               for e in s.events],
                    "resource": res,
                    "scope": ss.scope.name,
                    "scope_version": ss.scope.version,
                })
    return out


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def _body(self):
        n = self.headers.get("Content-Length")
        if n is not None:
            return self.rfile.read(int(n))
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            out = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return out
                out += self.rfile.read(size)
                self.rfile.readline()
        return b""

    def _reply(self, status, ctype, body, extra=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        for k, v in extra:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        rcv = self.server.receiver
        wire = self._body()
        path = self.path.split("?")[0]
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        rec = {
            "path": path,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "content_type": ctype,
            "wire": wire,
            "raw": wire,
            "message": None,
            "error": None,
            "rejected": None,
            "status": 200,
            "t": time.monotonic(),
        }
        try:
            if (self.headers.get("Content-Encoding") or "").lower() == "gzip":
                rec["raw"] = gzip.decompress(wire)
        except Exception as e:  # noqa: BLE001 - recorded for the test to see
            rec["error"] = "gunzip: %r" % e
        if rec["error"] is None:
            try:
                if ctype == "application/x-protobuf":
                    m = _pb().ExportTraceServiceRequest()
                    m.ParseFromString(rec["raw"])
                    rec["message"] = m
                elif ctype == "application/json":
                    rec["message"] = otlp_json_to_message(rec["raw"].decode("utf-8"))
                else:
                    rec["error"] = "unsupported content-type %r" % ctype
            except Exception as e:  # noqa: BLE001
                rec["error"] = "decode: %r" % e
        with rcv.lock:
            rcv.all_raw.append(rec["raw"])
            fail = rcv._fail_left != 0
            mode, extra, partial = rcv._fail_mode, rcv._fail_headers, rcv._partial
            gen = rcv._generation
            if fail:
                if rcv._fail_left > 0:
                    rcv._fail_left -= 1
                if mode == "partial":
                    rec["partial"] = partial
                elif mode == "slow":
                    pass  # accepted: its spans count as received
                else:
                    # Refused on purpose: keep what it held apart from the accepted spans.
                    rec["rejected"], rec["message"] = rec["message"], None
                    rec["status"] = {"reset": "reset", "hang": "hang"}.get(mode,
                                                                           rcv._fail_status)
            elif rec["error"]:
                rec["status"] = 400
            rcv.requests.append(rec)
            rcv.cond.notify_all()
        if fail and mode == "reset":
            # RST instead of FIN: SO_LINGER with a zero timeout, then close.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
            return None
        if fail and mode == "hang":
            with rcv.lock:
                rcv.cond.wait_for(lambda: rcv._generation != gen or rcv._stopping, 60)
            self.close_connection = True
            return None
        if fail and mode == "slow":
            time.sleep(rcv._slow_s)  # then answered as any accepted request
            fail = False
        if fail and mode == "partial":
            body, ptype = rcv.partial_body(ctype, *partial)
            return self._reply(200, ptype, body)
        if fail:
            return self._reply(rec["status"], "application/json", b"{}", extra)
        if rec["error"]:
            return self._reply(400, "text/plain", rec["error"].encode())
        if ctype == "application/json":
            return self._reply(200, "application/json", b"{}")
        return self._reply(200, "application/x-protobuf", b"")


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


class OtlpReceiver:
    """OTLP/HTTP receiver in a daemon thread. reset() between tests; all_raw keeps every body
    received during the whole session (for the secrets check)."""

    def __init__(self, port=0):
        self.lock = threading.Lock()
        self.cond = threading.Condition(self.lock)
        self.requests = []
        self.all_raw = []
        self._fail_left = 0  # > 0: that many more faulty answers; -1: every request
        self._fail_status = 503
        self._fail_mode = "status"
        self._fail_headers = ()
        self._partial = (0, "")
        self._slow_s = 1.0
        self._generation = 0  # bumped by reset()/fault(): releases hanging handlers
        self._stopping = False
        self.server = _Server(("127.0.0.1", port), _Handler)
        self.server.receiver = self
        self.port = self.server.server_address[1]
        self.endpoint = "http://127.0.0.1:%d" % self.port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        with self.lock:
            self._stopping = True
            self.cond.notify_all()
        self.server.shutdown()
        self.server.server_close()

    def reset(self):
        with self.lock:
            self.requests = []
            self._fail_left = 0
            self._fail_mode = "status"
            self._generation += 1
            self.cond.notify_all()

    def fail_next(self, n, status=503, headers=()):
        """Answer the next n requests with `status` and extra (name, value) headers (recorded,
        not decoded)."""
        self.fault("status", n, status=status, headers=headers)

    def fault(self, mode, n=-1, status=503, headers=(), rejected=0, message="", slow_s=1.0):
        """Misbehave for the next n requests (-1: every request until reset()). mode:
        "status" answer `status` with extra `headers`; "reset" read the request, then reset
        the connection (RST); "hang" read the request and never answer (until reset() or
        stop()); "partial" accept it (its spans count as received) with an OTLP partial
        success: ExportTraceServiceResponse.partial_success {rejected, message}; "slow"
        accept it and answer 200 after slow_s seconds."""
        with self.lock:
            self._slow_s = slow_s
            self._generation += 1
            self.cond.notify_all()
            self._fail_mode = mode
            self._fail_left = n
            self._fail_status = status
            self._fail_headers = tuple(headers)
            self._partial = (rejected, message)

    @staticmethod
    def partial_body(ctype, rejected, message):
        """(body, content type) of an ExportTraceServiceResponse carrying partial_success, in
        the request's encoding, produced by the protobuf library (not by llmtap's code)."""
        from google.protobuf import json_format
        m = _pb().ExportTraceServiceResponse()
        m.partial_success.rejected_spans = rejected
        m.partial_success.error_message = message
        if ctype == "application/json":
            return json_format.MessageToJson(m).encode(), "application/json"
        return m.SerializeToString(), "application/x-protobuf"

    def times(self):
        """[(monotonic arrival time, status)] of every request since reset()."""
        with self.lock:
            return [(r["t"], r["status"]) for r in self.requests]

    def span_count(self, kind=None):
        """Spans in accepted requests (of `kind` if given), counted without normalizing."""
        n = 0
        for r in self.ok_requests():
            for rs in r["message"].resource_spans:
                for ss in rs.scope_spans:
                    n += sum(1 for sp in ss.spans if kind is None or sp.kind == kind)
        return n

    def ok_requests(self):
        with self.lock:
            return [r for r in self.requests if r["message"] is not None]

    def errors(self):
        with self.lock:
            return [r["error"] for r in self.requests if r["error"]]

    def spans(self):
        out = []
        for r in self.ok_requests():
            out += normalize(r["message"])
        return out

    def wait_for(self, predicate, timeout=5.0):
        """Wait until predicate(self) is true; returns its last value."""
        deadline = time.monotonic() + timeout
        while True:
            v = predicate(self)
            if v or time.monotonic() >= deadline:
                return v
            time.sleep(0.05)
