// "Turn on notifications on this device" on the notice settings page: asks the browser's
// permission, subscribes this browser to web push with the server's VAPID key and stores the
// subscription for the signed-in account. Once allowed, each visit keeps the subscription
// current (a new key after the server rotated its own subscribes again).
(function () {
  "use strict";
  const button = document.getElementById("push-subscribe");
  const status = document.getElementById("push-status");
  if (!button || !status) { return; }
  function say(name) { status.textContent = button.dataset[name] || ""; }
  const supported = "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
  if (!supported) { say("msgUnsupported"); return; }
  button.hidden = false;

  function decodeKey(text) {
    const base64 = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
    const raw = atob(base64);
    const out = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i += 1) { out[i] = raw.charCodeAt(i); }
    return out;
  }

  function sameKey(buffer, key) {
    if (!buffer) { return false; }
    const bytes = new Uint8Array(buffer);
    if (bytes.length !== key.length) { return false; }
    for (let i = 0; i < key.length; i += 1) {
      if (bytes[i] !== key[i]) { return false; }
    }
    return true;
  }

  function serverKey() {
    return fetch(button.dataset.keyUrl, { headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("key " + response.status); }
        return response.json();
      })
      .then(function (data) { return decodeKey(data.public_key); });
  }

  function store(subscription) {
    return fetch("/api/v1/push/subscriptions", {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-CSRF-Token": button.dataset.csrf || "",
      },
      body: JSON.stringify(subscription.toJSON()),
    }).then(function (response) {
      if (!response.ok) { throw new Error("subscribe " + response.status); }
    });
  }

  function subscribe() {
    const ready = navigator.serviceWorker.register("/sw.js", { scope: "/" })
      .then(function () { return navigator.serviceWorker.ready; });
    return Promise.all([ready, serverKey()]).then(function (results) {
      const registration = results[0];
      const key = results[1];
      return registration.pushManager.getSubscription().then(function (existing) {
        if (existing && sameKey(existing.options.applicationServerKey, key)) { return existing; }
        const dropped = existing ? existing.unsubscribe() : Promise.resolve(true);
        return dropped.then(function () {
          return registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
        });
      });
    }).then(store);
  }

  button.addEventListener("click", function () {
    button.disabled = true;
    say("msgWorking");
    Notification.requestPermission()
      .then(function (permission) {
        if (permission !== "granted") { say("msgBlocked"); return; }
        return subscribe().then(function () { say("msgOn"); });
      })
      .catch(function () { say("msgFailed"); })
      .then(function () { button.disabled = false; });
  });

  if (Notification.permission === "granted") {
    subscribe().then(function () { say("msgOn"); }).catch(function () { /* the button still works */ });
  } else if (Notification.permission === "denied") {
    say("msgBlocked");
  }
})();
