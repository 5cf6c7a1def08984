"""A fuzz of malformed bodies and paths against one server: at least 1,000 requests from a seeded
generator (the run is the same every time), none answered with a 5xx, every refusal in the one
error shape, and the server still answering, and still clipping, at the end."""

from __future__ import annotations

import http.client
import json
import random
import time
from collections import Counter
from urllib.parse import quote

from tests.api.conftest import Client

REQUESTS = 1500
SEED = 14
ODD_TEXT = ["", " ", "../../etc/passwd", "/etc/passwd", "..", "a\x00b", "x" * 5000, "\u202eexe.mp4", "\u200b",
            "%00", "C:\\Windows\\win.ini", "upl_" + "0" * 12, "job_" + "f" * 12, "😀" * 50, "\ud800", "NUL.mp4",
            "builtin:short-form-karaoke", "preset:../x", "sk_local_" + "0" * 48, "null", "{}", "\n\r"]
ODD_PATH_PARTS = ["..", "%2e%2e", "..%2f..%2f", "%00", "a" * 3000, "%ff%fe", "%e2%80%ae", "upl_000000000000",
                  "job_000000000000", "00000000-0000-0000-0000-000000000000", "builtin:short-form-karaoke",
                  "key_000000000000", "wh_000000000000", "font_0", "-1", "99999999999999999999", "%C2%B2"]


def _value(rng: random.Random, depth: int = 0):
    kind = rng.randrange(12 if depth < 3 else 8)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice([0, -1, 1, 2**63, -(2**70), 10**400, 3.5, -0.0, 1e308])
    if kind == 3:
        return rng.uniform(-1e6, 1e6)
    if kind in (4, 5, 6, 7):
        return rng.choice(ODD_TEXT)
    if kind in (8, 9):
        return [_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {rng.choice(["start", "end", "preset_ref", "part_number", "etag", "x"]): _value(rng, depth + 1)
            for _ in range(rng.randrange(4))}


def _body(rng: random.Random, schema: dict | None) -> bytes:
    pick = rng.randrange(10)
    if pick == 0:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200)))  # not text at all
    if pick == 1:
        return b'{"file_id": "upl_' + b"[" * rng.randrange(1, 50)  # truncated
    if pick == 2:
        return b"[" * 50_000 + b"]" * 50_000  # deeper than any parser's stack
    if pick == 3:
        return json.dumps(_value(rng)).encode()  # JSON, but maybe not an object
    keys = list((schema or {}).get("properties", {})) or ["file_id", "start", "end", "name", "url"]
    obj = {k: _value(rng) for k in rng.sample(keys, rng.randrange(len(keys) + 1))}
    if rng.random() < 0.3:
        obj[rng.choice(ODD_TEXT)] = _value(rng)
    text = json.dumps(obj, ensure_ascii=rng.random() < 0.5)
    return text.encode("utf-8", "surrogatepass")


def _path(rng: random.Random, template: str) -> str:
    out = []
    for part in template.split("/"):
        if part.startswith("{"):
            out.append(rng.choice(ODD_PATH_PARTS) if rng.random() < 0.8 else quote(rng.choice(ODD_TEXT).encode("utf-8", "surrogatepass"), safe=""))
        else:
            out.append(part)
    path = "/".join(out)
    if rng.random() < 0.3:
        path += "?" + rng.choice(["limit=-1", "offset=abc", "limit=10000", "scope=%00", "expires=1&sig=00",
                                  "sig=" + "a" * 64 + "&expires=99999999999", "file_id=../x", "filename=../../a.ttf"])
    return path


def _files_outside(root, home) -> set:
    return {p for p in root.rglob("*") if p.is_file() and home not in p.parents}


def test_a_thousand_malformed_requests_get_no_server_error(api: Client, api_server, ready_file, tmp_path_factory):
    spec = api.ok("GET", "/openapi.json")
    root = tmp_path_factory.getbasetemp()
    before = _files_outside(root, api_server.home)
    routes = [(method.upper(), path, op.get("requestBody", {}).get("content", {}).get("application/json", {})
               .get("schema")) for path, ops in spec["paths"].items() for method, op in ops.items()]
    rng = random.Random(SEED)
    host, port = api_server.url.split("//")[1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    statuses: Counter = Counter()
    problems, slow = [], []
    for i in range(REQUESTS):
        method, template, schema = rng.choice(routes)
        if rng.random() < 0.1:
            method = rng.choice(["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
        path = _path(rng, template)
        body = _body(rng, schema) if method in ("POST", "PUT", "PATCH") or rng.random() < 0.05 else None
        headers = {"Content-Type": rng.choice(["application/json", "text/plain", "multipart/form-data; boundary=x",
                                               "application/octet-stream"])}
        if rng.random() < 0.85:
            headers["Authorization"] = f"Bearer {api_server.key}"
        elif rng.random() < 0.5:
            headers["Authorization"] = rng.choice(["Bearer", "Bearer  ", "bearer x", "Basic Zm9v", "Bearer \u00e9"])
        t0 = time.perf_counter()
        try:
            conn.request(method, path, body=body, headers={k: v.encode("latin-1", "replace").decode("latin-1")
                                                           for k, v in headers.items()})
            resp = conn.getresponse()
            raw = resp.read()
        except (http.client.HTTPException, ConnectionError):
            conn.close()
            conn = http.client.HTTPConnection(host, int(port), timeout=60)
            statuses["closed"] += 1
            continue
        statuses[resp.status] += 1
        slow.append((time.perf_counter() - t0, method, path[:80], resp.status, len(body or b"")))
        if resp.status >= 500:
            problems.append(f"{i}: {method} {path[:120]} -> {resp.status} {raw[:200]!r}")
        elif resp.status >= 400 and resp.status != 416 and method != "HEAD":
            try:
                error = json.loads(raw)["error"]
                assert set(error) == {"code", "message", "field"}
            except (ValueError, KeyError, AssertionError, TypeError):
                problems.append(f"{i}: {method} {path[:120]} -> {resp.status} not the error shape: {raw[:200]!r}")
    conn.close()
    print(f"\nfuzz: {REQUESTS} requests, statuses {dict(sorted(statuses.items(), key=str))}")
    print("slowest:", sorted(slow, reverse=True)[:3])
    assert not problems, "\n".join(problems[:20])
    assert sum(n for s, n in statuses.items() if s != "closed") >= 1000
    assert statuses["closed"] < REQUESTS // 20  # the server answers; it does not hang up
    assert _files_outside(root, api_server.home) == before, "nothing is written outside the library"
    # still answering, and still working
    assert api.ok("GET", "/health", auth=False) == {"status": "ok"}
    job = api.ok("POST", "/v1/clip", {"file_id": ready_file, "start": 0, "end": 1, "mode": "keyframe"})
    assert api.wait(f"/v1/clip/{job['job_id']}")["status"] == "complete"
