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
