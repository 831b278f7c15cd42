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

// Forms keep what was typed. A POST form is sent in the background; when the server refuses a
// value (an error page, 4xx), the reason is shown above the form and beside each field, and
// nothing typed is lost. Anything else is shown as the browser would have shown it. Without
// JavaScript the form posts normally and the error page explains what went wrong.
(function () {
  "use strict";
  function clearErrors(form) {
    form.querySelectorAll("[data-form-error]").forEach(function (node) { node.remove(); });
    form.querySelectorAll("[aria-invalid=true]").forEach(function (node) {
      node.removeAttribute("aria-invalid");
    });
  }
  function fieldNamed(form, name) {
    const field = form.elements.namedItem(name);
    if (!field) { return null; }
    return field instanceof RadioNodeList ? field[0] : field;
  }
  function showErrors(form, page) {
    clearErrors(form);
    const detail = page.querySelector("[data-testid=error-detail]");
    const next = page.querySelector("[data-testid=error-next]");
    const box = document.createElement("div");
    box.className = "flash flash-error";
    box.setAttribute("role", "alert");
    box.dataset.formError = "";
    box.dataset.testid = "form-error";
    box.textContent = detail ? detail.textContent.trim() : "";
    // "go back and correct" is for the error page; here the form is still on the screen
    const nextStep = next && !next.hasAttribute("data-only-page") ? next.textContent.trim() : "";
    if (nextStep) { box.textContent += " " + nextStep; }
    form.prepend(box);
    let first = null;
    const unplaced = [];
    page.querySelectorAll("[data-field-error]").forEach(function (item) {
      const field = fieldNamed(form, item.dataset.fieldError);
      const message = item.querySelector("[data-message]");
      const text = message ? message.textContent.trim() : item.textContent.trim();
      if (!field || field.type === "hidden") { unplaced.push(text); return; }
      const note = document.createElement("p");
      note.className = "field-error";
      note.dataset.formError = "";
      note.id = "error-" + item.dataset.fieldError.replace(/[^A-Za-z0-9_-]/g, "-");
      note.textContent = text;
      field.setAttribute("aria-invalid", "true");
      field.setAttribute("aria-describedby", note.id);
      field.insertAdjacentElement("afterend", note);
      first = first || field;
    });
    if (unplaced.length) { box.textContent += " " + unplaced.join(" "); }
    (first || box).focus({ preventScroll: false });
    if (!first) { box.setAttribute("tabindex", "-1"); box.focus(); }
  }
  document.addEventListener("submit", async function (event) {
    const form = event.target;
    if (event.defaultPrevented || !(form instanceof HTMLFormElement)) { return; }
    if ((form.getAttribute("method") || "get").toLowerCase() !== "post") { return; }
    if (form.hasAttribute("data-native") || form.dataset.sending) { return; }
    event.preventDefault();
    const submitter = event.submitter;
    const action = submitter && submitter.hasAttribute("formaction") ? submitter.formAction : form.action;
    const body = new FormData(form, submitter || undefined);
    form.dataset.sending = "1";
    let response;
    try {
      response = await fetch(action, { method: "POST", body: body, credentials: "same-origin" });
    } catch (e) {
      delete form.dataset.sending;
      form.submit();  // the network failed before the server saw anything: let the browser try
      return;
    }
    delete form.dataset.sending;
    const html = await response.text();
    const page = new DOMParser().parseFromString(html, "text/html");
    if (response.status >= 400 && response.status < 500 && page.querySelector("[data-error-page]")) {
      showErrors(form, page);
      return;
    }
    if (response.redirected) { window.location.assign(response.url); return; }
    // A page answered directly (a result, or a form the server re-rendered with its errors).
    document.open();
    document.write(html);
    document.close();
  });
})();
