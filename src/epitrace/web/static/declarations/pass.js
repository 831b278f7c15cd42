// Personal QR passes: fetch a fresh signed pass before the shown one expires, so that a
// screenshot is useless a few minutes later.
(function () {
  "use strict";
  const root = document.getElementById("passes");
  if (!root) { return; }
  const seconds = Math.max(10, Number(root.dataset.refreshSeconds) || 180);
  const refresh = async function (card) {
    const res = await window.epitrace.api("GET", "/api/v1/passes/" + card.dataset.person);
    if (!res.ok || !res.data) {
      card.classList.add("expired");
      return;
    }
    const p = res.data;
    card.querySelector(".pass-qr").src = p.qr_svg;
    card.querySelector(".pass-text").textContent = p.text;
    card.querySelector(".pass-reason").textContent = p.reason;
    const colour = card.querySelector(".pass-colour");
    colour.dataset.colour = p.colour;
    colour.textContent = root.dataset["label" + p.colour.charAt(0).toUpperCase() + p.colour.slice(1)] || p.colour;
    colour.className = "pass-colour status-" + p.colour;
    card.className = "card pass-card status-border-" + p.colour;  // also clears "expired"
    const expiry = card.querySelector("time");
    expiry.setAttribute("datetime", p.expires_at);
    expiry.textContent = new Date(p.expires_at).toLocaleTimeString("vi-VN");
  };
  const tick = function () {
    root.querySelectorAll(".pass-card").forEach(function (card) { refresh(card); });
  };
  window.setInterval(tick, seconds * 1000);
  // A pass the page could not renew (offline, signed out) is dimmed once it expires.
  window.setInterval(function () {
    root.querySelectorAll(".pass-card").forEach(function (card) {
      const expiry = Date.parse(card.querySelector("time").getAttribute("datetime"));
      card.classList.toggle("expired", Number.isFinite(expiry) && Date.now() > expiry);
    });
  }, 1000);
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) { tick(); }
  });
})();
