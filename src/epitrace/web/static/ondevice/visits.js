// On-device mode: the visits this phone keeps (never uploaded) and the anonymous counts it sends.
//
// A visit is {id, token, venue_id, venue_name, entered_at, left_at, until, people}: `until` is
// when the visit ends if nobody checks out (entry + the venue category's dwell time). Visits
// stay in this browser's storage for the retention period, then are deleted here. The server is
// only told "one more visit at this venue in this hour", without cookies or any identifier.
(function () {
  "use strict";
  const VISITS = "epitrace.visits";
  const PENDING = "epitrace.pendingCounts";
  const SAME_VISIT_MS = 60 * 1000;  // a second scan within a minute is the same visit
  const DEFAULT_DWELL_MINUTES = 120;
  window.epitrace = window.epitrace || {};

  function read(key) {
    try { return JSON.parse(window.localStorage.getItem(key) || "[]"); } catch (e) { return []; }
  }
  function write(key, items) {
    window.localStorage.setItem(key, JSON.stringify(items));
    if (key === VISITS) { mirror(items); }
  }
  // A copy for the service worker's background check (it cannot read localStorage).
  function mirror(items) {
    const store = window.epitrace.hotspots;
    if (!store || !store.kvSet) { return; }
    store.kvSet("visits", items.map(function (v) {
      return { token: v.token, venue_name: v.venue_name, entered_at: v.entered_at, left_at: v.left_at, until: v.until };
    }));
  }
  function randomId() {
    const bytes = new Uint8Array(12);
    window.crypto.getRandomValues(bytes);
    return Array.from(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join("");
  }
  function hourOf(date) {
    const hour = new Date(date.getTime());
    hour.setUTCMinutes(0, 0, 0);
    return hour.toISOString();
  }
  function retentionDays() {
    const marked = document.querySelector("[data-retention-days]");
    return marked ? Number(marked.dataset.retentionDays) || 21 : 21;
  }

  function timeZone() {
    const marked = document.querySelector("[data-time-zone]");
    return (marked && marked.dataset.timeZone) || "Asia/Ho_Chi_Minh";
  }

  function prune() {
    const cutoff = Date.now() - retentionDays() * 86400 * 1000;
    const kept = read(VISITS).filter(function (v) { return Date.parse(v.entered_at) >= cutoff; });
    write(VISITS, kept);
    return kept;
  }

  // The anonymous count: no cookie, no token, no device id; the hour, the venue code, how many.
  async function sendCount(item) {
    const response = await fetch("/api/v1/venue-counts", {
      method: "POST",
      credentials: "omit",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify({ token: item.token, hour: item.hour, people: item.people }),
    });
    let data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    return { ok: response.ok, status: response.status, data: data };
  }

  function fillVenue(token, data) {
    const visits = read(VISITS);
    visits.forEach(function (v) {
      if (v.token !== token) { return; }
      v.venue_id = data.venue_id;
      v.venue_name = data.venue_name;
      const dwell = (data.dwell_minutes || DEFAULT_DWELL_MINUTES) * 60 * 1000;
      v.until = new Date(Date.parse(v.entered_at) + dwell).toISOString();
    });
    write(VISITS, visits);
  }

  let flushing = false;
  async function flushCounts() {
    if (flushing || !navigator.onLine) { return; }
    flushing = true;
    try {
      for (const item of read(PENDING)) {
        let reply;
        try { reply = await sendCount(item); } catch (e) { break; }  // offline again
        if (reply.ok && reply.data) { fillVenue(item.token, reply.data); }
        // not a venue code (forged, altered, revoked): the visit it made is dropped
        if (reply.status === 422 && reply.data && reply.data.code === "invalid_venue_code") {
          write(VISITS, read(VISITS).filter(function (v) { return v.token !== item.token || v.venue_name; }));
        }
        // answered (counted, or refused for good): not sent again
        if (reply.ok || (reply.status >= 400 && reply.status < 500 && reply.status !== 429)) {
          write(PENDING, read(PENDING).filter(function (p) { return p.id !== item.id; }));
        } else {
          break;
        }
      }
    } finally {
      flushing = false;
    }
  }

  // Scan of a venue code: check in (closing an open visit elsewhere), or check out when this
  // venue's visit is open. Returns {outcome: "checked_in" | "checked_out" | "same_visit", visit}.
  async function record(token, options) {
    const now = new Date();
    const people = Math.max(1, Math.min(11, (options && options.people) || 1));
    const visits = prune();
    const open = visits.filter(function (v) { return !v.left_at && Date.parse(v.until) > now.getTime(); });
    const here = open.find(function (v) { return v.token === token; });
    if (here && now.getTime() - Date.parse(here.entered_at) < SAME_VISIT_MS) {
      return { outcome: "same_visit", visit: here };
    }
    if (here) {
      here.left_at = now.toISOString();
      write(VISITS, visits);
      return { outcome: "checked_out", visit: here };
    }
    open.forEach(function (v) { v.left_at = now.toISOString(); });
    const dwell = ((options && options.dwellMinutes) || DEFAULT_DWELL_MINUTES) * 60 * 1000;
    const visit = {
      id: randomId(),
      token: token,
      venue_id: (options && options.venueId) || null,
      venue_name: (options && options.venueName) || "",
      entered_at: now.toISOString(),
      left_at: null,
      until: new Date(now.getTime() + dwell).toISOString(),
      people: people,
    };
    visits.push(visit);
    write(VISITS, visits);
    const pending = read(PENDING);
    pending.push({ id: randomId(), token: token, hour: hourOf(now), people: people });
    write(PENDING, pending);
    await flushCounts();
    const stored = read(VISITS).find(function (v) { return v.id === visit.id; });
    if (!stored) {
      // not a venue: the visits this scan closed are open again
      const closedIds = open.map(function (v) { return v.id; });
      const current = read(VISITS);
      current.forEach(function (v) {
        if (closedIds.indexOf(v.id) >= 0 && v.left_at === now.toISOString()) { v.left_at = null; }
      });
      write(VISITS, current);
      return { outcome: "refused", visit: visit };
    }
    return { outcome: "checked_in", visit: stored };
  }

  function checkOut(id) {
    const visits = read(VISITS);
    const visit = visits.find(function (v) { return v.id === id; });
    if (visit && !visit.left_at) { visit.left_at = new Date().toISOString(); }
    write(VISITS, visits);
  }

  window.epitrace.visits = {
    all: function () { return prune(); },
    record: record,
    checkOut: checkOut,
    flushCounts: flushCounts,
  };

  // -- the pages --------------------------------------------------------------------------
  function format(iso) {
    if (!iso) { return ""; }
    const lang = document.documentElement.lang === "en" ? "en-GB" : "vi-VN";
    return new Intl.DateTimeFormat(lang, {
      timeZone: timeZone(), day: "2-digit", month: "2-digit", year: "numeric",
      hour: "2-digit", minute: "2-digit", hour12: false,
    }).format(new Date(iso));
  }
  window.epitrace.formatTime = format;
  function fill(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (_m, name) { return values[name] || ""; });
  }

  // The landing page of a venue code: one tap keeps the visit on this phone.
  function landing() {
    const root = document.getElementById("device-checkin");
    if (!root) { return; }
    const token = root.dataset.token;
    const button = document.getElementById("device-checkin-button");
    const result = document.getElementById("device-checkin-result");
    function label() {
      const open = prune().find(function (v) { return v.token === token && !v.left_at && Date.parse(v.until) > Date.now(); });
      button.textContent = open ? root.dataset.msgCheckOut : root.dataset.msgCheckIn;
      button.classList.toggle("danger", Boolean(open));
    }
    button.addEventListener("click", async function () {
      button.disabled = true;
      try {
        const done = await record(token, {
          venueName: root.dataset.venueName, venueId: root.dataset.venueId,
          dwellMinutes: Number(root.dataset.dwellMinutes) || DEFAULT_DWELL_MINUTES,
        });
        const message = done.outcome === "refused" ? root.dataset.msgRefused
          : done.outcome === "checked_out" ? root.dataset.msgCheckedOut : root.dataset.msgCheckedIn;
        result.textContent = fill(message, { venue: root.dataset.venueName });
        result.hidden = false;
        root.dataset.outcome = done.outcome;
      } finally {
        button.disabled = false;
        label();
      }
    });
    label();
  }

  // "My visits": the visits kept on this phone, newest first, with a check-out button.
  function history() {
    const root = document.getElementById("device-visits");
    if (!root) { return; }
    const body = root.querySelector("tbody");
    const table = root.querySelector("table");
    const empty = root.querySelector(".empty");
    function show() {
      const visits = prune().slice().sort(function (a, b) { return b.entered_at.localeCompare(a.entered_at); });
      body.textContent = "";
      visits.forEach(function (v) {
        const row = document.createElement("tr");
        row.dataset.testid = "visit";
        row.setAttribute("data-testid", "visit");
        const name = document.createElement("td");
        name.textContent = v.venue_name || root.dataset.msgUnknownVenue;
        const entered = document.createElement("td");
        entered.textContent = format(v.entered_at);
        const left = document.createElement("td");
        const action = document.createElement("td");
        const closed = v.left_at || (Date.parse(v.until) <= Date.now() ? v.until : null);
        if (closed) {
          left.textContent = format(closed);
        } else {
          const badge = document.createElement("span");
          badge.className = "badge green";
          badge.textContent = root.dataset.msgInside;
          left.appendChild(badge);
          const button = document.createElement("button");
          button.type = "button";
          button.className = "secondary";
          button.textContent = root.dataset.msgCheckOut;
          button.setAttribute("data-testid", "checkout");
          button.addEventListener("click", function () { checkOut(v.id); show(); });
          action.appendChild(button);
        }
        row.append(name, entered, left, action);
        body.appendChild(row);
      });
      table.hidden = visits.length === 0;
      empty.hidden = visits.length > 0;
    }
    show();
  }

  document.addEventListener("DOMContentLoaded", function () {
    prune();
    landing();
    history();
    flushCounts();
  });
  window.addEventListener("online", flushCounts);
})();
