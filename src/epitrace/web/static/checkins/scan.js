// The citizen's scanner: check in online, or keep the scan on the phone and send it later.
(function () {
  "use strict";
  const QUEUE = "epitrace.scanQueue";
  const DEVICE = "epitrace.deviceId";
  // Escrow privacy mode: the server cannot find this phone's open visits, so the phone keeps
  // each presence it opened with its close token ("self" or a dependent's id) and sends the
  // ones of the people of a scan with it. Central deployments answer no tokens: nothing kept.
  const HELD = "epitrace.held";
  const HELD_MS = 3 * 24 * 3600 * 1000;
  const root = document.getElementById("scanner");
  if (!root) { return; }
  const result = document.getElementById("scan-result");
  const queueStatus = document.getElementById("queue-status");
  const msg = function (name) { return root.dataset[name] || ""; };

  function randomKey() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    const bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.from(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join("");
  }
  function deviceId() {
    let id = window.localStorage.getItem(DEVICE);
    if (!id) { id = randomKey(); window.localStorage.setItem(DEVICE, id); }
    return id;
  }
  function readQueue() {
    try { return JSON.parse(window.localStorage.getItem(QUEUE) || "[]"); } catch (e) { return []; }
  }
  function writeQueue(items) { window.localStorage.setItem(QUEUE, JSON.stringify(items)); }
  function show(text, level) {
    result.hidden = false;
    result.textContent = text;
    result.className = "flash" + (level === "error" ? " flash-error" : "");
  }
  function showQueue() {
    const n = readQueue().length;
    queueStatus.textContent = n ? msg("msgWaiting") + " " + n : "";
    queueStatus.dataset.count = String(n);
  }
  function tokenOf(text) {
    const match = /\/c\/([A-Za-z0-9_-]{20,200})/.exec(text);
    return match ? match[1] : null;
  }
  function readHeld() {
    let items;
    try { items = JSON.parse(window.localStorage.getItem(HELD) || "[]"); } catch (e) { items = []; }
    const now = Date.now();
    return items.filter(function (h) { return now - h.kept < HELD_MS; });
  }
  function heldFor(people) {
    return readHeld().filter(function (h) { return people.indexOf(h.person) >= 0; })
      .map(function (h) { return { presence_id: h.presence_id, close_token: h.close_token }; });
  }
  function keep(people, presenceIds, tokens) {
    if (!tokens || !Object.keys(tokens).length) { return; }
    const items = readHeld().filter(function (h) { return people.indexOf(h.person) < 0; });
    presenceIds.forEach(function (id, i) {
      if (tokens[id] && people[i]) {
        items.push({ person: people[i], presence_id: id, close_token: tokens[id], kept: Date.now() });
      }
    });
    window.localStorage.setItem(HELD, JSON.stringify(items.slice(-40)));
  }
  function dependents() {
    return Array.from(document.querySelectorAll("input.dependent:checked"), function (el) { return el.value; });
  }

  let syncing = false;
  let notBefore = 0;  // the daily budget is spent: wait until the server says it renews
  async function sync() {
    const items = readQueue();
    if (syncing || !items.length || !navigator.onLine || Date.now() < notBefore) { showQueue(); return; }
    syncing = true;
    try {
      const chunk = items.slice(0, 200);
      const body = { device_id: deviceId(), scans: chunk };
      const held = readHeld().map(function (h) { return { presence_id: h.presence_id, close_token: h.close_token }; });
      if (held.length) { body.held = held; }
      const response = await window.epitrace.api("POST", "/api/v1/checkins/batch", body);
      const wait = response.data && response.data.retry_after;
      if (wait) { notBefore = Date.now() + wait * 1000; }
      if (response.status === 429 && response.data && response.data.detail) {
        show(response.data.detail, "error");
      }
      if (response.ok && response.data) {
        // Scans held back by the daily limit stay on the phone and are sent again later.
        const done = new Set(response.data.results
          .filter(function (r) { return r.reason !== "daily_limit"; })
          .map(function (r) { return r.client_key; }));
        writeQueue(readQueue().filter(function (s) { return !done.has(s.client_key); }));
        const sent = new Map(chunk.map(function (s) { return [s.client_key, s]; }));
        response.data.results.slice().sort(function (a, b) {
          return (sent.get(a.client_key) || {}).at < (sent.get(b.client_key) || {}).at ? -1 : 1;
        }).forEach(function (r) {
          if (r.status === "accepted" && r.outcome === "checked_in" && sent.has(r.client_key)) {
            keep(["self"].concat(sent.get(r.client_key).dependent_ids || []), r.presence_ids, response.data.close_tokens);
          }
        });
        const refused = response.data.results.filter(function (r) { return r.status === "refused"; });
        if (refused.length) {
          show(msg("msgRefused") + " " + refused.map(function (r) { return r.message; }).join("; "), "error");
        } else {
          show(msg("msgSynced"));
        }
        root.dataset.synced = String((Number(root.dataset.synced) || 0) + done.size);
      }
    } catch (e) {
      // still offline: keep the queue for the next attempt
    } finally {
      syncing = false;
      showQueue();
    }
  }

  function queue(token) {
    const items = readQueue();
    items.push({ client_key: randomKey(), token: token, at: new Date().toISOString(), dependent_ids: dependents() });
    writeQueue(items);
    show(msg("msgSaved"));
    showQueue();
  }

  // On-device mode: the visit is kept on this phone (ondevice/visits.js); nothing is queued
  // for upload, only an anonymous count is sent.
  const onDevice = root.dataset.onDevice === "1";
  async function keepOnPhone(token) {
    const done = await window.epitrace.visits.record(token, { people: 1 + dependents().length });
    root.dataset.outcome = done.outcome;
    if (done.outcome === "refused") { show(msg("msgNotVenue"), "error"); return; }
    const name = done.visit.venue_name;
    if (!name) { show(msg("msgKept")); } else {
      const text = done.outcome === "checked_out" ? msg("msgCheckedOut") : msg("msgCheckedIn");
      show(text.replace("%(venue)s", name));
    }
  }

  async function handle(text) {
    const token = tokenOf(text);
    if (!token) { show(msg("msgNotVenue"), "error"); return; }
    if (onDevice) { await keepOnPhone(token); return; }
    if (!navigator.onLine) { queue(token); return; }
    let response;
    const chosen = dependents();
    const people = ["self"].concat(chosen);
    const body = { token: token, dependent_ids: chosen, client_key: randomKey(), device_id: deviceId() };
    const held = heldFor(people);
    if (held.length) { body.held = held; }
    try {
      response = await window.epitrace.api("POST", "/api/v1/checkins", body);
    } catch (e) {
      queue(token);
      return;
    }
    if (response.ok) {
      if (response.data.outcome === "checked_in") {
        keep(people, response.data.presences.map(function (p) { return p.id; }), response.data.close_tokens);
      }
      show(response.data.message);
      root.dataset.outcome = response.data.outcome;
    } else {
      show((response.data && response.data.detail) || msg("msgError"), "error");
    }
  }

  // A venue URL opened without a connection shows this page (from the service worker's cache).
  const opened = window.location.pathname.indexOf("/c/") === 0 ? tokenOf(window.location.pathname) : null;
  if (opened && !navigator.onLine) {
    if (onDevice) { keepOnPhone(opened); } else { queue(opened); }
  }

  if (!onDevice) {
    window.addEventListener("online", sync);
    window.setInterval(sync, 3000);
    showQueue();
    sync();
  }
  const video = document.getElementById("camera");
  const canvas = document.getElementById("frame");
  const start = document.getElementById("start-camera");
  start.addEventListener("click", function () {
    start.hidden = true;
    window.epitrace.startQrCamera(video, canvas, handle, {
      once: true, onStop: function () { start.hidden = false; },
    }).catch(function () {
      start.hidden = false;
      show(msg("msgCamera"), "error");
    });
  });
})();
