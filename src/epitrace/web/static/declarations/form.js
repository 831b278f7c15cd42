// Declaration form: province → (district →) ward pickers from the places API; the relative
// picker only when declaring for a relative.
(function () {
  "use strict";
  const box = document.getElementById("ward-pickers");
  const hidden = document.getElementById("ward_code");
  if (box && hidden) {
    const label = function (first) {
      return first ? box.dataset.provinceLabel || "" : box.dataset.wardLabel || "";
    };
    const update = function () {
      const selects = box.querySelectorAll("select.place-picker");
      let code = "";
      selects.forEach(function (s) { if (s.value) { code = s.value; } });
      hidden.value = code;
    };
    const dropBelow = function (level) {
      box.querySelectorAll("select.place-picker").forEach(function (s) {
        if (Number(s.dataset.level) > level) {
          const lab = box.querySelector('label[for="' + s.id + '"]');
          if (lab) { lab.remove(); }
          s.remove();
        }
      });
    };
    const addLevel = function (level, units) {
      const id = "place-" + level;
      const lab = document.createElement("label");
      lab.htmlFor = id;
      lab.textContent = label(false);
      const select = document.createElement("select");
      select.id = id;
      select.className = "place-picker";
      select.dataset.level = String(level);
      const empty = document.createElement("option");
      empty.value = "";
      empty.textContent = "—";
      select.appendChild(empty);
      units.forEach(function (u) {
        const o = document.createElement("option");
        o.value = u.code;
        o.textContent = u.name;
        select.appendChild(o);
      });
      box.appendChild(lab);
      box.appendChild(select);
    };
    box.addEventListener("change", async function (event) {
      const select = event.target;
      if (!select.classList || !select.classList.contains("place-picker")) { return; }
      const level = Number(select.dataset.level);
      dropBelow(level);
      update();
      if (!select.value) { return; }
      const res = await window.epitrace.api("GET", box.dataset.childrenUrl + encodeURIComponent(select.value) + "/children");
      if (res.ok && Array.isArray(res.data) && res.data.length) {
        addLevel(level + 1, res.data);
      }
      update();
    });
  }
  const picker = document.getElementById("dependent-picker");
  if (picker) {
    const sync = function () {
      const chosen = document.querySelector('input[name="subject"]:checked');
      picker.hidden = !(chosen && chosen.value === "dependent");
    };
    document.querySelectorAll('input[name="subject"]').forEach(function (r) {
      r.addEventListener("change", sync);
    });
    sync();
  }
})();
