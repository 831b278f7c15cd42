// Service worker: keeps the scanner and its scripts available offline. A venue URL opened
// offline (/c/<token>) gets the cached scanner page, which queues the scan for later upload.
// A community team member's visit page opens offline too, and queues visits the same way.
"use strict";
const CACHE = "epitrace-checkin-v2";
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
