// Unit fields: as the user types a name, offer the matching units (name with its province) from
// /api/v1/places/suggest; the chosen text is sent as is and the server finds the unit.
(function () {
  "use strict";
  const timers = new WeakMap();
  async function fill(input) {
    const query = input.value.trim();
    const list = document.getElementById(input.getAttribute("list"));
    if (!list || query.length < 2) { return; }
    const url = "/api/v1/places/suggest?kind=" + encodeURIComponent(input.dataset.unitKind || "any") +
      "&q=" + encodeURIComponent(query);
    let response;
    try { response = await window.epitrace.api("GET", url); } catch (e) { return; }
    if (!response.ok || !Array.isArray(response.data) || input.value.trim() !== query) { return; }
    list.replaceChildren.apply(list, response.data.map(function (unit) {
      const option = document.createElement("option");
      option.value = unit.label;
      return option;
    }));
  }
  document.addEventListener("input", function (event) {
    const input = event.target;
    if (!(input instanceof HTMLInputElement) || !input.classList.contains("unit-input")) { return; }
    window.clearTimeout(timers.get(input));
    timers.set(input, window.setTimeout(function () { fill(input); }, 200));
  });
})();
