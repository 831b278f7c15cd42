"""In Chromium: the notice settings page turns on device notifications, and the service worker
shows a push and acknowledges it (so no SMS fallback follows).

Headless Chromium cannot subscribe: `pushManager.subscribe` fails with "AbortError:
Registration failed - permission denied" even with the notifications permission granted (it
has no vendor push service to register with). So the test stands in for that one call; the
page's own script runs as it does for a visitor — permission, service worker, the server's
key, storing the subscription — and the stand-in records the key it was given. The push
itself is delivered to the service worker through the DevTools protocol, as the browser's
push service would. `notificationclick` is not exercised: nothing can click a notification
in headless Chromium, and a synthetic event cannot `waitUntil`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Browser, expect

from epitrace.accounts.models import UserAccount
from epitrace.alerts import service as alert_service
from epitrace.alerts import vapid
from epitrace.alerts.models import Channel, OutboxMessage, Status
from epitrace.alerts.service import Recipient
from epitrace.config import Settings
from epitrace.db import Database
from tests.alerts.pushservice import Browser as PushKeys
from tests.e2e.conftest import sign_in_citizen

ENDPOINT = "https://push.example.vn/e2e/device-1"

# Stands in for the browser vendor's push service: subscribe() answers with a subscription
# whose keys were made like a browser's (in the test), and keeps the key it was given.
STAND_IN = """
(() => {
  const keys = %(keys)s;
  let current = null;
  PushManager.prototype.getSubscription = function () { return Promise.resolve(current); };
  PushManager.prototype.subscribe = function (options) {
    const key = new Uint8Array(options.applicationServerKey);
    window.__pushKey = btoa(String.fromCharCode.apply(null, key))
      .replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
    window.__userVisibleOnly = options.userVisibleOnly;
    current = {
      endpoint: %(endpoint)s,
      options: { applicationServerKey: key.buffer, userVisibleOnly: true },
      toJSON: function () { return { endpoint: %(endpoint)s, expirationTime: null, keys: keys }; },
      unsubscribe: function () { current = null; return Promise.resolve(true); },
    };
    return Promise.resolve(current);
  };
})();
"""


def test_turn_on_notifications_and_receive_a_push(
    launch: Callable[..., Browser],
    live_server: str,
    db: Database,
    places: Any,
    sms: Any,
    settings: Settings,
) -> None:
    browser = launch()
    context = browser.new_context(base_url=live_server, locale="vi-VN", service_workers="allow")
    keys = PushKeys()
    context.add_init_script(
        STAND_IN
        % {
            "keys": json.dumps({"p256dh": keys.p256dh, "auth": keys.auth}),
            "endpoint": json.dumps(ENDPOINT),
        }
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in_citizen(page, lambda: sms.messages("+84912345678"), "0912345678")

    page.goto("/inbox/settings")
    button = page.get_by_role("button", name="Bật thông báo trên thiết bị này")
    expect(button).to_be_visible()
    status = page.locator("#push-status")

    # a visitor who has not decided: the click asks, and here the answer is "allow"
    context.grant_permissions(["notifications"], origin=live_server)
    button.click()
    expect(status).to_have_text("Thông báo đã được bật trên thiết bị này.")
    assert page.evaluate("window.__pushKey") == vapid.public_key(settings.keys_dir)
    assert page.evaluate("window.__userVisibleOnly") is True
    with db.sessionmaker() as s:
        user_id = s.query(UserAccount).filter_by(phone="+84912345678").one().id
        [row] = alert_service.push_subscriptions(s, user_id=user_id)
        assert (row.endpoint, row.p256dh, row.auth) == (ENDPOINT, keys.p256dh, keys.auth)
        assert "Chrome" in row.user_agent

    # a message waiting for its SMS fallback, pushed to this browser
    with db.session_scope() as s:
        [key] = alert_service.enqueue(
            s,
            recipients=[Recipient.user(user_id)],
            template="test",
            dedup_key="e2e:push",
            channels=[Channel.PUSH, Channel.SMS],
        ).keys
        s.query(OutboxMessage).filter_by(key=key).update({"status": Status.SENT.value})
    cdp = context.new_cdp_session(page)
    registrations: list[dict[str, Any]] = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda event: registrations.extend(event["registrations"]),
    )
    cdp.send("ServiceWorker.enable")
    page.wait_for_function("navigator.serviceWorker.ready.then(() => true)")
    page.wait_for_timeout(200)
    registration = next(r for r in registrations if not r.get("isDeleted"))
    url = f"{live_server}/inbox/{key}"
    payload = {"title": "Cảnh báo thử", "body": "Nội dung thử", "url": url, "key": str(key)}
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {
            "origin": live_server,
            "registrationId": registration["registrationId"],
            "data": json.dumps(payload),
        },
    )
    shown: list[dict[str, Any]] = []
    for _ in range(50):
        shown = page.evaluate(
            """() => navigator.serviceWorker.ready
                 .then(r => r.getNotifications())
                 .then(list => list.map(n => ({title: n.title, body: n.body, tag: n.tag,
                                               data: n.data})))"""
        )
        if shown:
            break
        page.wait_for_timeout(100)
    assert shown == [
        {
            "title": "Cảnh báo thử",
            "body": "Nội dung thử",
            "tag": str(key),
            "data": {"url": url, "key": str(key)},
        }
    ]

    def acknowledged() -> bool:
        with db.sessionmaker() as s:
            row = s.query(OutboxMessage).filter_by(key=key).one()
            return bool(row.status == Status.DELIVERED.value)

    for _ in range(50):
        if acknowledged():
            break
        page.wait_for_timeout(100)
    assert acknowledged(), "the service worker did not acknowledge the push"

    # on the next visit, with permission already given, the page keeps the subscription
    page.reload()
    expect(status).to_have_text("Thông báo đã được bật trên thiết bị này.")

    # tapping the notice opens its page: the worker's click handler takes the app's window
    # there (headless Chromium has no notification to click; the handler's work is called
    # in the worker itself, with the notice's data)
    [worker] = [w for w in context.service_workers if w.url.endswith("/sw.js")]
    worker.evaluate("data => openNotice(data).then(() => true)", shown[0]["data"])
    expect(page).to_have_url(url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Tin nhắn thử nghiệm")
    context.close()


def test_blocked_notifications_say_so(
    launch: Callable[..., Browser], live_server: str, db: Database, places: Any, sms: Any
) -> None:
    browser = launch()
    context = browser.new_context(base_url=live_server, locale="vi-VN", service_workers="allow")
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in_citizen(page, lambda: sms.messages("+84912345679"), "0912345679")
    page.goto("/inbox/settings")
    button = page.get_by_test_id("push-subscribe")
    expect(button).to_be_visible()
    button.click()  # no permission granted: headless Chromium answers "denied"
    expect(page.locator("#push-status")).to_have_text(
        "Thông báo của trang này đang bị chặn trong cài đặt trình duyệt."
    )
    context.close()
