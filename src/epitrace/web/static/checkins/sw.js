// Service worker: keeps the scanner and its scripts available offline. A venue URL opened
// offline (/c/<token>) gets the cached scanner page, which queues the scan for later upload.
// A community team member's visit page opens offline too, and queues visits the same way.
"use strict";
// On-device mode: the hotspot check shared with the pages (verify, match, notify).
importScripts("/static/ondevice/notices.js");
const CACHE = "epitrace-checkin-v3";
const ASSETS = [
  "/static/app.css",
  "/static/app.js",
  "/static/checkins/checkins.css",
  "/static/checkins/camera.js",
  "/static/checkins/scan.js",
  "/static/checkins/register-sw.js",
  "/static/vendor/jsQR.js",
  "/static/rollout/rollout.css",
  "/static/rollout/visits.js",
  "/static/ondevice/visits.js",
  "/static/ondevice/notices.js",
];
const PAGES = ["/checkins/scan", "/checkins", "/rollout/visits"];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) { return cache.addAll(ASSETS); }));
  self.skipWaiting();
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (n) { return n !== CACHE; }).map(function (n) { return caches.delete(n); }));
    }).then(function () { return self.clients.claim(); })
  );
});

self.addEventListener("fetch", function (event) {
  const request = event.request;
  if (request.method !== "GET") { return; }
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname.startsWith("/api/")) { return; }
  if (request.mode === "navigate") {
    event.respondWith(
      fetch(request).then(function (response) {
        if (response.ok && PAGES.indexOf(url.pathname) >= 0) {
          const copy = response.clone();
          caches.open(CACHE).then(function (cache) { cache.put(url.pathname, copy); });
        }
        return response;
      }).catch(function () {
        return caches.match(url.pathname).then(function (hit) {
          if (hit || url.pathname === "/rollout/visits") { return hit; }
          return caches.match("/checkins/scan");
        });
      })
    );
    return;
  }
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(
      caches.match(request).then(function (hit) {
        return hit || fetch(request).then(function (response) {
          const copy = response.clone();
          caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
          return response;
        });
      })
    );
  }
});

// Web push: show the notice, tell the server it was shown (no SMS fallback is then sent), and
// open its page when tapped. The payload is {title, body, url, key}; the key is also the tag,
// so a second copy of the same message replaces the first instead of showing twice.
function acknowledge(key) {
  if (!key) { return Promise.resolve(); }
  return fetch("/api/v1/push/ack/" + encodeURIComponent(key), { method: "POST", credentials: "omit" })
    .catch(function () { /* offline: the SMS fallback may follow */ });
}

self.addEventListener("push", function (event) {
  let data = {};
  if (event.data) {
    try { data = event.data.json(); } catch (e) { data = { body: event.data.text() }; }
  }
  const options = {
    body: data.body || "",
    data: { url: data.url || "/inbox", key: data.key || null },
    icon: "/static/icon-192.png",
    badge: "/static/icon-192.png",
  };
  if (data.key) { options.tag = data.key; options.renotify = true; }
  event.waitUntil(
    self.registration.showNotification(data.title || "epitrace", options)
      .then(function () { return acknowledge(data.key); })
  );
});

// The page of a tapped notice: a window already showing it is brought forward; else a window
// of the app is taken to it (no new tab piling up); else a new window opens.
function openNotice(data) {
  const url = new URL((data && data.url) || "/inbox", self.location.origin).href;
  return self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (windows) {
    const focus = function (win) {
      return win && "focus" in win ? win.focus().catch(function () { return win; }) : win;
    };
    for (const win of windows) {
      if (win.url === url) { return focus(win); }
    }
    const open = function () {
      return self.clients.openWindow ? self.clients.openWindow(url) : null;
    };
    const app = windows.find(function (win) { return "navigate" in win; });
    if (app) {
      // only a window this worker controls can be navigated; any other gets a new window
      return app.navigate(url).then(function (win) { return win ? focus(win) : open(); }, open);
    }
    return open();
  });
}

self.addEventListener("notificationclick", function (event) {
  const data = event.notification.data || {};
  event.notification.close();
  event.waitUntil(Promise.all([acknowledge(data.key), openNotice(data)]));
});

// On-device mode: the periodic background sync (an installed app, when the browser grants it)
// checks the hotspot notices against the visits kept on the phone; a page may ask the same.
self.addEventListener("periodicsync", function (event) {
  if (event.tag === "hotspot-notices") { event.waitUntil(self.epitrace.hotspots.checkInWorker()); }
});

self.addEventListener("message", function (event) {
  if (!event.data || event.data.type !== "check-hotspots") { return; }
  const reply = event.ports && event.ports[0];
  event.waitUntil(self.epitrace.hotspots.checkInWorker().then(
    function (fresh) { if (reply) { reply.postMessage({ fresh: fresh }); } },
    function () { if (reply) { reply.postMessage({ fresh: -1 }); } }
  ));
});
