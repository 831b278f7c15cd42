// The province dashboard's trend charts (Chart.js, vendored). The figures come from the
// JSON element #dashboard-data and the labels from the canvases' data-* attributes: the
// Content-Security-Policy allows no inline script. The same figures are in a table below.
(function () {
  "use strict";

  function draw() {
    var source = document.getElementById("dashboard-data");
    if (!source || typeof window.Chart === "undefined") {
      return;
    }
    var data = JSON.parse(source.textContent);
    var locale = document.documentElement.lang || "vi";
    var days = data.labels.map(function (iso) {
      var parts = iso.split("-");
      return parts[2] + "/" + parts[1];
    });
    var common = {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      locale: locale,
      interaction: { mode: "index", intersect: false },
      scales: { y: { beginAtZero: true } },
    };

    var activity = document.getElementById("chart-activity");
    if (activity) {
      activity.chart = new window.Chart(activity, {
        type: "bar",
        data: {
          labels: days,
          datasets: [
            { label: activity.dataset.labelCheckins, data: data.checkins, backgroundColor: "#0b6e4f" },
            { label: activity.dataset.labelDeclarations, data: data.declarations, backgroundColor: "#b45000" },
          ],
        },
        options: common,
      });
    }

    var signup = document.getElementById("chart-signup");
    if (signup) {
      signup.chart = new window.Chart(signup, {
        type: "line",
        data: {
          labels: days,
          datasets: [
            { label: signup.dataset.labelCitizens, data: data.citizens, borderColor: "#2b8cbe", backgroundColor: "#2b8cbe", tension: 0.2 },
            { label: signup.dataset.labelTarget, data: data.target, borderColor: "#c62828", backgroundColor: "#c62828", borderDash: [6, 4], pointRadius: 0 },
          ],
        },
        options: common,
      });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
