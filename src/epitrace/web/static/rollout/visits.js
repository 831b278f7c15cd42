// A team member's household visits: sent at once when online, otherwise kept on the phone
// (localStorage) with the key made for the visit, and sent again until the server has it.
// The server stores each key once, so a resend after a lost answer never doubles a visit.
(function () {
  "use strict";
  const QUEUE = "epitrace.visitQueue";
  const root = document.getElementById("visits");
  const form = document.getElementById("visit-form");
  if (!root || !form) { return; }
  const result = document.getElementById("visit-result");
  const queueStatus = document.getElementById("visit-queue");
  const msg = function (name) { return root.dataset[name] || ""; };

  function randomKey() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    const bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.from(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join("");
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
  function markVisited(householdId) {
    const item = root.querySelector('[data-household="' + householdId + '"] .visit-state');
    if (item) { item.textContent = msg("msgVisited"); item.className = "visit-state yes"; }
  }
  function problem(response) {
    const data = response.data || {};
    const fields = data.errors ? Object.values(data.errors) : [];
    return [data.detail || msg("msgError")].concat(fields).join(" ");
  }
  function send(item) {
    return window.epitrace.api("POST", "/api/v1/rollout/households/" + item.household_id + "/visits", item.visit);
  }

  let syncing = false;
  async function sync() {
    if (syncing || !readQueue().length || !navigator.onLine) { showQueue(); return; }
    syncing = true;
    let sent = 0;
    try {
      for (const item of readQueue()) {
        const response = await send(item);  // a network failure throws: try again later
        if (response.status >= 500 || response.status === 429) { break; }
        writeQueue(readQueue().filter(function (q) { return q.visit.client_key !== item.visit.client_key; }));
        if (response.ok) {
          sent += 1;
          if (item.visit.visited) { markVisited(item.household_id); }
        } else {
          show(problem(response), "error");  // refused for good (e.g. no longer assigned)
        }
      }
      if (sent) {
        show(msg("msgSynced"));
        root.dataset.synced = String((Number(root.dataset.synced) || 0) + sent);
      }
    } catch (e) {
      // still offline: the queue waits for the next attempt
    } finally {
      syncing = false;
      showQueue();
    }
  }

  function number(id) { return Number(document.getElementById(id).value) || 0; }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    const visited = document.getElementById("visit-visited").checked;
    const item = {
      household_id: document.getElementById("visit-household").value,
      visit: {
        client_key: randomKey(),
        visited: visited,
        leaflet: document.getElementById("visit-leaflet").checked,
        smartphones: visited ? number("visit-smartphones") : 0,
        installed: visited ? number("visit-installed") : 0,
        helped: visited ? number("visit-helped") : 0,
        notes: document.getElementById("visit-notes").value.slice(0, 500),
        visited_at: new Date().toISOString(),
      },
    };
    function keep() {
      writeQueue(readQueue().concat([item]));
      show(msg("msgQueued"));
      showQueue();
      form.reset();
    }
    if (!navigator.onLine) { keep(); return; }
    let response;
    try {
      response = await send(item);
    } catch (e) {
      keep();
      return;
    }
    if (response.status >= 500) { keep(); return; }
    if (response.ok) {
      show(msg("msgSaved"));
      if (visited) { markVisited(item.household_id); }
      form.reset();
    } else {
      show(problem(response), "error");
    }
  });

  window.addEventListener("online", sync);
  window.setInterval(sync, 3000);
  showQueue();
  sync();
})();
