// The door page: scan visitors' personal passes, show their colour and name, record in/out.
(function () {
  "use strict";
  const root = document.getElementById("door");
  if (!root) { return; }
  const venueId = root.dataset.venueId;
  const box = document.getElementById("door-result");
  const colour = document.getElementById("door-colour");
  const name = document.getElementById("door-name");
  const message = document.getElementById("door-message");
    const COLOURS = { green: "Xanh", yellow: "Vàng", red: "Đỏ" };
  const COLOUR_LABELS_EN = { green: "Green", yellow: "Yellow", red: "Red" };

  function direction() {
    const checked = document.querySelector("input[name=direction]:checked");
    return checked ? checked.value : "in";
  }
  function show(colourName, person, text) {
    box.hidden = false;
    colour.className = "badge big-badge" + (colourName ? " " + colourName : "");
    colour.dataset.colour = colourName || "";
    const labels = document.documentElement.lang === "en" ? COLOUR_LABELS_EN : COLOURS;
    colour.textContent = colourName ? labels[colourName] : "";
    name.textContent = person || "";
    message.textContent = text || "";
  }

  // After each scan, the counters and today's log are read again from the page itself, so the
  // operator sees what the server recorded (also scans made at the other doors of the venue).
  async function refresh() {
    try {
      const reply = await fetch(window.location.pathname, { credentials: "same-origin" });
      if (!reply.ok) { return; }
      const fresh = new DOMParser().parseFromString(await reply.text(), "text/html");
      document.querySelectorAll("[data-live]").forEach(function (part) {
        const replacement = fresh.querySelector('[data-live="' + part.dataset.live + '"]');
        if (replacement) { part.replaceWith(document.importNode(replacement, true)); }
      });
      root.dataset.refreshed = String(Number(root.dataset.refreshed || "0") + 1);
    } catch (e) {
      // The scan itself was recorded; the log catches up on the next scan or reload.
    }
  }

  async function handle(text) {
    if (text.indexOf("EPP1.") !== 0) { show("", "", root.dataset.msgNotPass); return; }
    let response;
    try {
      response = await window.epitrace.api("POST", "/api/v1/venues/" + venueId + "/door-scans", { text: text, direction: direction() });
    } catch (e) {
      show("", "", root.dataset.msgError);
      return;
    }
    if (response.ok) {
      show(response.data.colour, response.data.name, response.data.message);
      const occupancy = document.getElementById("occupancy");  // none in on-device mode
      if (occupancy) { occupancy.textContent = String(response.data.occupancy); }
      root.dataset.outcome = response.data.outcome;
      await refresh();
    } else {
      show("", "", (response.data && response.data.detail) || root.dataset.msgError);
    }
  }

  const start = document.getElementById("start-camera");
  start.addEventListener("click", function () {
    start.hidden = true;
    window.epitrace.startQrCamera(document.getElementById("camera"), document.getElementById("frame"), handle)
      .catch(function () { start.hidden = false; show("", "", root.dataset.msgCamera); });
  });
})();
