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

// Forms keep what was typed. When the server refuses a form, it sends the browser back to the
// page of the form with the reasons (shown at the top of the page, also without JavaScript).
// Here the values typed before sending are put back (from this tab's sessionStorage, never sent
// anywhere) and each reason is placed beside its field.
(function () {
  "use strict";
  const KEY = "epitrace.form";
  const SKIP = ["password", "file", "hidden", "submit", "button"];
  function pathOf(url) {
    try { return new URL(url, window.location.href).pathname; } catch (e) { return ""; }
  }
  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (!(form instanceof HTMLFormElement)) { return; }
    if ((form.getAttribute("method") || "get").toLowerCase() !== "post") { return; }
    const values = [];
    Array.prototype.forEach.call(form.elements, function (field) {
      if (!field.name || SKIP.indexOf(field.type) >= 0) { return; }
      if ((field.type === "checkbox" || field.type === "radio") && !field.checked) { return; }
      values.push([field.name, field.value]);
    });
    try {
      window.sessionStorage.setItem(KEY, JSON.stringify({ action: pathOf(form.action), values: values, at: Date.now() }));
    } catch (e) { /* storage full or disabled: the reasons are still shown */ }
  });
  function restore(form, saved) {
    const byName = {};
    saved.values.forEach(function (pair) { (byName[pair[0]] = byName[pair[0]] || []).push(pair[1]); });
    Array.prototype.forEach.call(form.elements, function (field) {
      if (!field.name || SKIP.indexOf(field.type) >= 0 || !(field.name in byName)) { return; }
      if (field.type === "checkbox" || field.type === "radio") {
        field.checked = byName[field.name].indexOf(field.value) >= 0;
      } else if (field instanceof HTMLSelectElement && field.multiple) {
        Array.prototype.forEach.call(field.options, function (o) { o.selected = byName[field.name].indexOf(o.value) >= 0; });
      } else {
        field.value = byName[field.name][0];
      }
    });
  }
  function place(form, box) {
    let first = null;
    box.querySelectorAll("[data-field-error]").forEach(function (item) {
      const name = item.dataset.fieldError;
      let field = form.elements.namedItem(name);
      if (field && typeof RadioNodeList !== "undefined" && field instanceof RadioNodeList) { field = field[0]; }
      if (!field || field.type === "hidden") { return; }
      const note = document.createElement("p");
      note.className = "field-error";
      note.id = "error-" + name.replace(/[^A-Za-z0-9_-]/g, "-");
      const message = item.querySelector("[data-message]");
      note.textContent = message ? message.textContent.trim() : item.textContent.trim();
      field.setAttribute("aria-invalid", "true");
      field.setAttribute("aria-describedby", note.id);
      field.insertAdjacentElement("afterend", note);
      item.hidden = true;
      first = first || field;
    });
    return first;
  }
  document.addEventListener("DOMContentLoaded", function () {
    const box = document.querySelector("[data-form-error-for]");
    if (!box) { return; }
    const action = box.dataset.formErrorFor;
    const form = Array.prototype.find.call(document.forms, function (f) {
      return (f.getAttribute("method") || "").toLowerCase() === "post" && pathOf(f.action) === action;
    });
    if (!form) { return; }
    let saved = null;
    try { saved = JSON.parse(window.sessionStorage.getItem(KEY) || "null"); } catch (e) { saved = null; }
    if (saved && saved.action === action && Date.now() - saved.at < 30 * 60 * 1000) { restore(form, saved); }
    form.prepend(box);
    const first = place(form, box);
    if (first) { first.focus(); } else { box.setAttribute("tabindex", "-1"); box.focus(); }
  });
})();
