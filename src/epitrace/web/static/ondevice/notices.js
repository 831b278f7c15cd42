// On-device mode: fetch the signed hotspot notices, verify them, match them with the visits
// this phone keeps, and warn (a banner on the page; a notification when they are allowed).
//
// A notice is {id, kid, payload, signature}: the payload is the signed canonical JSON
// (base64url). Only a payload whose Ed25519 signature verifies with a published key is parsed.
// Its `venue` is HMAC-SHA256(SHA-256(label ‖ venue code), label ‖ notice id) cut to 16 bytes:
// only a phone holding the venue's code can recompute it (see epitrace/ondevice/notices.py).
//
// The same file runs in the service worker (importScripts): its periodic background sync checks
// the notices against the copy of the visits kept in IndexedDB (written by visits.js) and shows
// a notification for a new match; the pages and the worker share the "seen" list there too.
(function () {
  "use strict";
  const NOTICES = "epitrace.hotspotNotices";  // verified fields by notice id
  const SINCE = "epitrace.hotspotSince";
  const SEEN = "epitrace.hotspotSeen";  // ids of matched notices already shown as new
  const SECRET_LABEL = "epitrace/venue-secret/v1\n";
  const TAG_LABEL = "epitrace/hotspot-tag/v1\n";
  const encoder = new TextEncoder();
  function readJson(key, fallback) {
    try { return JSON.parse(self.localStorage.getItem(key) || "null") || fallback; } catch (e) { return fallback; }
  }
  function fromB64url(text) {
    const base = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
    const raw = self.atob(base);
    return Uint8Array.from(raw, function (c) { return c.charCodeAt(0); });
  }
  function toB64url(bytes) {
    let raw = "";
    new Uint8Array(bytes).forEach(function (b) { raw += String.fromCharCode(b); });
    return self.btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function concat(a, b) {
    const out = new Uint8Array(a.length + b.length);
    out.set(a, 0);
    out.set(b, a.length);
    return out;
  }

  // A tiny key-value store in IndexedDB, readable by the pages and the service worker.
  function kvOpen() {
    return new Promise(function (resolve, reject) {
      const request = self.indexedDB.open("epitrace-ondevice", 1);
      request.onupgradeneeded = function () { request.result.createObjectStore("kv"); };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }
  async function kvGet(key, fallback) {
    try {
      const db = await kvOpen();
      return await new Promise(function (resolve) {
        const request = db.transaction("kv").objectStore("kv").get(key);
        request.onsuccess = function () { resolve(request.result === undefined ? fallback : request.result); };
        request.onerror = function () { resolve(fallback); };
      });
    } catch (e) { return fallback; }
  }
  async function kvSet(key, value) {
    try {
      const db = await kvOpen();
      await new Promise(function (resolve) {
        const tx = db.transaction("kv", "readwrite");
        tx.objectStore("kv").put(value, key);
        tx.oncomplete = resolve;
        tx.onerror = resolve;
      });
    } catch (e) { /* no IndexedDB: the pages still warn */ }
  }

  // The fields of a notice whose signature verifies with one of `keys` ({kid: CryptoKey}),
  // or null (unknown key, forged or altered payload, malformed).
  async function verify(notice, keys) {
    try {
      const key = keys[notice.kid];
      if (!key) { return null; }
      const payload = fromB64url(notice.payload);
      const ok = await self.crypto.subtle.verify({ name: "Ed25519" }, key, fromB64url(notice.signature), payload);
      if (!ok) { return null; }
      const fields = JSON.parse(new TextDecoder().decode(payload));
      return fields.v === 1 && fields.id === notice.id ? fields : null;
    } catch (e) {
      return null;
    }
  }

  async function importKeys(list) {
    const keys = {};
    for (const item of list) {
      try {
        keys[item.kid] = await self.crypto.subtle.importKey("raw", fromB64url(item.public_key), { name: "Ed25519" }, false, ["verify"]);
      } catch (e) { /* a key this browser cannot use */ }
    }
    return keys;
  }

  async function tagFor(token, noticeId) {
    const secret = await self.crypto.subtle.digest("SHA-256", encoder.encode(SECRET_LABEL + token));
    const key = await self.crypto.subtle.importKey("raw", secret, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    const mac = await self.crypto.subtle.sign("HMAC", key, concat(encoder.encode(TAG_LABEL), encoder.encode(noticeId)));
    return toB64url(new Uint8Array(mac).slice(0, 16));
  }

  function overlaps(visit, fields) {
    const start = Date.parse(visit.entered_at);
    const end = Date.parse(visit.left_at || visit.until);
    return start < Date.parse(fields.end) && end > Date.parse(fields.start);
  }

  // The (notice, visit) pairs of active notices that match a stored visit.
  async function match(notices, visits) {
    const found = [];
    for (const fields of notices) {
      if (fields.status !== "active" || Date.parse(fields.expires) <= Date.now()) { continue; }
      for (const visit of visits) {
        if (!overlaps(visit, fields)) { continue; }
        if (await tagFor(visit.token, fields.id) === fields.venue) {
          found.push({ notice: fields, visit: visit });
          break;
        }
      }
    }
    return found;
  }

  // Fetch what changed since the last time, keep the verified notices, drop expired ones.
  async function refresh() {
    // no-cache: revalidated each time (an unchanged list is a 304 with the ETag)
    const options = { credentials: "omit", cache: "no-cache", headers: { "Accept": "application/json" } };
    const keyReply = await fetch("/api/v1/hotspot-notices/keys", options);
    if (!keyReply.ok) { return null; }
    const keys = await importKeys((await keyReply.json()).keys || []);
    const since = self.localStorage.getItem(SINCE);
    const url = "/api/v1/hotspot-notices" + (since ? "?since=" + encodeURIComponent(since) : "");
    const reply = await fetch(url, options);
    if (!reply.ok) { return null; }
    const data = await reply.json();
    const stored = readJson(NOTICES, {});
    for (const notice of data.notices || []) {
      const fields = await verify(notice, keys);
      if (fields) { stored[fields.id] = fields; }
    }
    const now = Date.now();
    Object.keys(stored).forEach(function (id) {
      if (Date.parse(stored[id].expires) <= now) { delete stored[id]; }
    });
    self.localStorage.setItem(NOTICES, JSON.stringify(stored));
    if (data.next_since) { self.localStorage.setItem(SINCE, data.next_since); }
    return stored;
  }

  function text(root, name) { return root.dataset[name] || ""; }

  function banner(root, matches, fresh) {
    const list = root.querySelector("ul");
    list.textContent = "";
    const english = document.documentElement.lang === "en";
    const format = self.epitrace.formatTime || function (iso) { return iso; };
    matches.forEach(function (m) {
      const item = document.createElement("li");
      item.setAttribute("data-testid", "hotspot-warning");
      item.dataset.noticeId = m.notice.id;
      const what = document.createElement("p");
      const strong = document.createElement("strong");
      strong.textContent = m.notice.severity === "get_tested" ? text(root, "msgGetTested") : text(root, "msgMonitor");
      what.appendChild(strong);
      if (fresh.indexOf(m.notice.id) >= 0) {
        const badge = document.createElement("span");
        badge.className = "badge";
        badge.textContent = " " + text(root, "msgNew");
        what.appendChild(badge);
      }
      const where = document.createElement("p");
      where.textContent = text(root, "msgVisit")
        .replace("%(venue)s", m.visit.venue_name || text(root, "msgUnknownVenue"))
        .replace("%(start)s", format(m.notice.start))
        .replace("%(end)s", format(m.notice.end));
      const instructions = document.createElement("p");
      instructions.setAttribute("data-testid", "hotspot-instructions");
      instructions.textContent = (english && m.notice.instructions.en) || m.notice.instructions.vi;
      item.append(what, where, instructions);
      list.appendChild(item);
    });
    root.hidden = matches.length === 0;
  }

  function notify(root, matches) {
    if (!("Notification" in window) || self.Notification.permission !== "granted") { return; }
    matches.forEach(function (m) {
      const body = (document.documentElement.lang === "en" && m.notice.instructions.en) || m.notice.instructions.vi;
      const options = { body: body, tag: "hotspot-" + m.notice.id, icon: "/static/icon-192.png", data: { url: "/me" } };
      // phones (Android) show notifications only through the service worker
      const worker = navigator.serviceWorker && navigator.serviceWorker.controller ? navigator.serviceWorker.ready : null;
      if (worker) {
        worker.then(function (registration) { return registration.showNotification(text(root, "msgTitle"), options); })
          .catch(function () { /* the banner is still there */ });
        return;
      }
      try { new self.Notification(text(root, "msgTitle"), options); } catch (e) { /* the banner is still there */ }
    });
  }

  async function run() {
    const root = document.getElementById("hotspot-warnings");
    if (!root || !self.crypto || !self.crypto.subtle || !self.epitrace.visits) { return; }
    const visits = self.epitrace.visits.all();
    if (!visits.length) { root.dataset.checked = "no-visits"; return; }
    let stored;
    try { stored = await refresh(); } catch (e) { stored = null; }
    stored = stored || readJson(NOTICES, {});
    const matches = await match(Object.values(stored), visits);
    const seen = readJson(SEEN, []).concat(await kvGet("seen", []));
    const fresh = matches.map(function (m) { return m.notice.id; }).filter(function (id) { return seen.indexOf(id) < 0; });
    banner(root, matches, fresh);
    notify(root, matches.filter(function (m) { return fresh.indexOf(m.notice.id) >= 0; }));
    self.localStorage.setItem(SEEN, JSON.stringify(seen.concat(fresh)));
    await kvSet("seen", seen.concat(fresh));
    root.dataset.checked = String(matches.length);
  }

  // The service worker's check (no page open): the whole list, the visits' copy, a
  // notification for each match not seen before. Returns how many were new.
  async function checkInWorker() {
    const visits = await kvGet("visits", []);
    if (!visits.length) { return 0; }
    const options = { credentials: "omit", cache: "no-cache", headers: { "Accept": "application/json" } };
    const keyReply = await fetch("/api/v1/hotspot-notices/keys", options);
    const listReply = await fetch("/api/v1/hotspot-notices", options);
    if (!keyReply.ok || !listReply.ok) { return 0; }
    const keys = await importKeys((await keyReply.json()).keys || []);
    const verified = [];
    for (const notice of (await listReply.json()).notices || []) {
      const fields = await verify(notice, keys);
      if (fields) { verified.push(fields); }
    }
    const matches = await match(verified, visits);
    const seen = await kvGet("seen", []);
    const fresh = matches.filter(function (m) { return seen.indexOf(m.notice.id) < 0; });
    const texts = await kvGet("texts", { title: "epitrace" });
    for (const m of fresh) {
      await self.registration.showNotification(texts.title, {
        body: (texts.lang === "en" && m.notice.instructions.en) || m.notice.instructions.vi,
        tag: "hotspot-" + m.notice.id, icon: "/static/icon-192.png", data: { url: "/me" },
      });
    }
    await kvSet("seen", seen.concat(fresh.map(function (m) { return m.notice.id; })));
    return fresh.length;
  }

  self.epitrace = self.epitrace || {};
  self.epitrace.hotspots = {
    verify: verify, importKeys: importKeys, tagFor: tagFor, match: match, run: run,
    checkInWorker: checkInWorker, kvGet: kvGet, kvSet: kvSet,
  };
  if (typeof document !== "undefined") {
    document.addEventListener("DOMContentLoaded", function () {
      const root = document.getElementById("hotspot-warnings");
      // the worker's notification speaks the page's language
      if (root) { kvSet("texts", { title: root.dataset.msgTitle, lang: document.documentElement.lang }); }
      run();
    });
  }
})();
