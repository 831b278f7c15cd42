// Shared page helpers: CSRF header for same-origin fetch calls.
(function () {
  "use strict";
  const meta = document.querySelector('meta[name="csrf-token"]');
  window.epitrace = window.epitrace || {};
  window.epitrace.csrfToken = meta ? meta.content : "";
  window.epitrace.api = async function (method, url, body) {
    const headers = { "Accept": "application/json", "X-CSRF-Token": window.epitrace.csrfToken };
    const init = { method: method, headers: headers, credentials: "same-origin" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(url, init);
    let data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    return { ok: response.ok, status: response.status, data: data };
  };
})();

// A table wider than the screen scrolls inside its box; keyboard users reach it with Tab.
(function () {
  "use strict";
  function mark() {
    document.querySelectorAll(".table-scroll").forEach(function (box) {
      if (box.scrollWidth > box.clientWidth + 1) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        const heading = box.querySelector("caption") || box.previousElementSibling;
        const label = heading && heading.textContent ? heading.textContent.trim() : "";
        if (label && !box.hasAttribute("aria-label")) { box.setAttribute("aria-label", label.slice(0, 80)); }
      } else if (box.getAttribute("tabindex") === "0") {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
      }
    });
  }
  document.addEventListener("DOMContentLoaded", mark);
  window.addEventListener("resize", mark);
})();
