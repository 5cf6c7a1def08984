"""`fastclip webhooks` as a user runs it: exit codes, what is printed, the JSON, the library it leaves.

Most runs call the CLI's ``main`` in this process (fast); one runs the real command in a child
process. The library is a real SQLite file in a FASTCLIP_HOME of the test's own.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import subprocess
import sys

import pytest

from engine.library import Library
from fastclip_desktop.cli import main
from tests.engine.library import test_webhooks as engine_tests

CLIP_DONE = engine_tests.CLIP_DONE
closed_port, receiver = engine_tests.closed_port, engine_tests.receiver  # the shared fixtures

EVENTS = "clip.complete,clip.failed,upload.ready,upload.failed,clip.expired"


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("FASTCLIP_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture
def fastclip(capsys):
    """Run ``fastclip ARGS...`` in this process: (exit code, stdout, stderr)."""

    def run(*args):
        try:
            code = main([str(a) for a in args])
        except SystemExit as e:  # argparse
            code = e.code
        out, err = capsys.readouterr()
        return code, out, err

    return run


def add(fastclip, url, events="clip.complete", *more):
    code, out, err = fastclip("webhooks", "add", url, "--events", events, "--json", *more)
    assert code == 0, err
    return json.loads(out)


# -- add ----------------------------------------------------------------------------------------------


def test_add_makes_a_secret_and_prints_it_once(fastclip):
    code, out, err = fastclip("webhooks", "add", "https://example.com/hooks", "--events", EVENTS)
    assert code == 0, err
    first, second = out.splitlines()
    webhook_id, url, events = first.split()
    assert webhook_id.startswith("wh_") and url == "https://example.com/hooks" and events == EVENTS
    assert second.startswith("secret: whsec_")
    secret = second.removeprefix("secret: ")
    assert "shown only now" in err
    with Library() as lib:
        assert lib.get_webhook(webhook_id).secret == secret
    for args in (("webhooks", "list"), ("webhooks", "list", "--json")):
        code, out, _ = fastclip(*args)
        assert code == 0 and webhook_id in out and secret not in out


def test_add_json_and_a_given_secret(fastclip):
    hook = add(fastclip, "http://localhost:8080/x", "upload.ready, upload.failed", "--secret", "my-own-secret")
    assert set(hook) == {"webhook_id", "url", "events", "created_at", "secret"}
    assert hook["events"] == ["upload.ready", "upload.failed"] and hook["secret"] == "my-own-secret"
    code, out, _ = fastclip("webhooks", "add", "http://localhost:8080/y", "--events", "clip.expired",
                            "--secret", "my-own-secret")
    assert code == 0 and "my-own-secret" not in out  # the user's own secret is not echoed


@pytest.mark.parametrize("args, field", [
    (("ftp://example.com/h", "--events", "clip.complete"), "url"),
    (("example.com/h", "--events", "clip.complete"), "url"),
    (("https://example.com/h", "--events", "clip.done"), "events"),
    (("https://example.com/h", "--events", "balance.low"), "events"),
    (("https://example.com/h", "--events", ","), "events"),
    (("https://example.com/h", "--events", "clip.complete", "--secret", "short"), "secret"),
])
def test_add_rejects_bad_requests_with_exit_2(fastclip, args, field):
    code, out, err = fastclip("webhooks", "add", *args)
    assert code == 2 and out == ""
    assert err.startswith(f"fastclip: invalid_request [{field}]: ")
    assert fastclip("webhooks", "list", "--json")[1] == "[]\n"


def test_add_without_events_is_a_usage_error(fastclip):
    code, _, err = fastclip("webhooks", "add", "https://example.com/h")
    assert code == 2 and "--events" in err


def test_at_most_10_webhooks(fastclip):
    for i in range(10):
        add(fastclip, f"https://example.com/{i}")
    code, _, err = fastclip("webhooks", "add", "https://example.com/10", "--events", "clip.complete")
    assert code == 2 and "invalid_request" in err and "at most 10" in err
    assert len(json.loads(fastclip("webhooks", "list", "--json")[1])) == 10


# -- list, remove -------------------------------------------------------------------------------------


def test_list_and_remove(fastclip):
    hint = "no webhooks (add one with: fastclip webhooks add URL --events clip.complete)\n"
    assert fastclip("webhooks", "list") == (0, hint, "")
    a = add(fastclip, "https://a.example/h", "clip.complete,clip.failed")
    b = add(fastclip, "https://b.example/h", "upload.ready")
    code, out, _ = fastclip("webhooks", "list", "--json")
    listed = json.loads(out)
    assert code == 0 and [h["webhook_id"] for h in listed] == [a["webhook_id"], b["webhook_id"]]
    assert listed[0] == {k: v for k, v in a.items() if k != "secret"}
    code, out, _ = fastclip("webhooks", "list")
    assert code == 0 and out.splitlines()[1].startswith(f"{b['webhook_id']}  https://b.example/h  upload.ready")
    code, out, _ = fastclip("webhooks", "remove", a["webhook_id"], "--json")
    assert code == 0 and json.loads(out)["webhook_id"] == a["webhook_id"]
    code, out, _ = fastclip("webhooks", "remove", b["webhook_id"])
    assert code == 0 and out == f"removed {b['webhook_id']}  https://b.example/h\n"
    code, out, err = fastclip("webhooks", "remove", a["webhook_id"])
    assert (code, out) == (2, "") and err == f"fastclip: not_found [webhook_id]: no webhook {a['webhook_id']}\n"
    assert fastclip("webhooks", "list", "--json")[1] == "[]\n"


# -- test ---------------------------------------------------------------------------------------------


def test_test_sends_a_signed_event_and_reports_it(fastclip, receiver):
    hook = add(fastclip, receiver.url("/in"), "clip.complete")
    code, out, err = fastclip("webhooks", "test", hook["webhook_id"], "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["delivered"] is True and report["status_code"] == 200 and report["error"] is None
    assert report["event"] == "webhook.test" and report["url"] == receiver.url("/in")
    [got] = receiver.requests
    sig = hmac.new(hook["secret"].encode(), got["body"], hashlib.sha256).hexdigest()
    assert got["headers"]["X-FastClip-Signature"] == f"sha256={sig}"
    assert got["headers"]["X-FastClip-Delivery-ID"] == report["delivery_id"]
    code, out, _ = fastclip("webhooks", "test", hook["webhook_id"])
    assert code == 0 and out.startswith(f"{hook['webhook_id']}: delivered webhook.test to {receiver.url('/in')} "
                                        "(HTTP 200,")


def test_test_of_a_failing_endpoint_exits_1(fastclip, receiver, closed_port):
    receiver.statuses = [503]
    hook = add(fastclip, receiver.url(), "clip.complete")
    code, out, err = fastclip("webhooks", "test", hook["webhook_id"], "--json")
    assert code == 1 and json.loads(out)["status_code"] == 503
    assert "HTTP 503 Service Unavailable" in err
    dead = add(fastclip, f"http://127.0.0.1:{closed_port}/", "clip.complete")
    code, out, err = fastclip("webhooks", "test", dead["webhook_id"])
    assert code == 1 and out == "" and "connection refused" in err


def test_test_rejects_an_unknown_webhook_or_timeout(fastclip):
    code, _, err = fastclip("webhooks", "test", "wh_000000000000")
    assert code == 2 and err.startswith("fastclip: not_found [webhook_id]")
    hook = add(fastclip, "https://example.com/h")
    code, _, err = fastclip("webhooks", "test", hook["webhook_id"], "--timeout", "0")
    assert code == 2 and err.startswith("fastclip: invalid_request [timeout]")


# -- deliveries, flush --------------------------------------------------------------------------------


def test_deliveries_show_each_outcome(fastclip, receiver, closed_port):
    ok = add(fastclip, receiver.url(), "clip.complete")
    dead = add(fastclip, f"http://127.0.0.1:{closed_port}/", "clip.complete,upload.ready")
    assert fastclip("webhooks", "deliveries") == (0, "no deliveries\n", "")
    with Library() as lib:  # what the job runner does when a clip finishes and an import is ready
        lib.queue_event("clip.complete", CLIP_DONE)
        lib.queue_event("upload.ready", {"file_id": "upl_1"})
    code, out, _ = fastclip("webhooks", "deliveries", "--json")
    assert code == 0 and [d["status"] for d in json.loads(out)] == ["pending"] * 3
    code, out, _ = fastclip("webhooks", "flush", "--json")
    assert code == 0 and json.loads(out) == {"attempts": 3, "still_due": 0}
    code, out, _ = fastclip("webhooks", "deliveries", "--json")
    every = json.loads(out)
    assert len(every) == 3 and {d["webhook_id"] for d in every} == {ok["webhook_id"], dead["webhook_id"]}
    code, out, _ = fastclip("webhooks", "deliveries", ok["webhook_id"], "--json")
    [d] = json.loads(out)
    assert (d["event"], d["status"], d["attempts"], d["last_status_code"]) == ("clip.complete", "delivered", 1, 200)
    assert d["payload"] == CLIP_DONE
    code, out, _ = fastclip("webhooks", "deliveries", dead["webhook_id"], "--json")
    failed = json.loads(out)
    assert [x["event"] for x in failed] == ["upload.ready", "clip.complete"]  # newest first
    assert all(x["status"] == "pending" and x["attempts"] == 1 and "connection refused" in x["last_error"]
               for x in failed)
    code, out, _ = fastclip("webhooks", "deliveries", dead["webhook_id"], "--limit", "1")
    [line] = out.splitlines()
    assert code == 0 and line.startswith(f"{failed[0]['delivery_id']}  {dead['webhook_id']}  upload.ready")
    assert "pending    1 attempt  connection refused" in line and "next try" in line
    code, out, _ = fastclip("webhooks", "deliveries", ok["webhook_id"])
    assert "delivered  1 attempt  HTTP 200 at" in out


def test_deliveries_reject_an_unknown_webhook_or_a_bad_page(fastclip):
    code, _, err = fastclip("webhooks", "deliveries", "wh_000000000000")
    assert code == 2 and "not_found" in err
    for args in (("--limit", "0"), ("--limit", "101"), ("--offset", "-1")):
        code, _, err = fastclip("webhooks", "deliveries", *args)
        assert code == 2 and "invalid_request" in err, args
    code, _, err = fastclip("webhooks", "flush", "--timeout", "-1")
    assert code == 2 and "invalid_request [timeout]" in err


def test_the_installed_command(home):
    """The real `fastclip` entry point, in a child process."""
    env = {**os.environ, "FASTCLIP_HOME": str(home)}

    def run(*args):
        return subprocess.run([sys.executable, "-m", "fastclip_desktop.cli", "webhooks", *args],
                              capture_output=True, text=True, env=env, timeout=60, check=False)

    r = run("add", "https://example.com/h", "--events", "upload.ready", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["secret"].startswith("whsec_")
    r = run("list", "--json")
    assert r.returncode == 0 and len(json.loads(r.stdout)) == 1
    r = run("add", "gopher://example.com/h", "--events", "upload.ready")
    assert r.returncode == 2 and "invalid_request" in r.stderr
