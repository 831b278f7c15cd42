// The delivery dashboard's chart (Chart.js, vendored): messages by channel, stacked by status.
// The figures come from #delivery-data and the labels from the canvas' data-* attributes (the
// Content-Security-Policy allows no inline script); the same figures are in the table below.
(function () {
  "use strict";
  var COLOURS = {
    queued: "#6b7280", held: "#a16207", sent: "#2b8cbe", delivered: "#0b6e4f",
    failed: "#c62828", expired: "#7c3aed", skipped: "#9ca3af",
  };
  function draw() {
    var source = document.getElementById("delivery-data");
    var canvas = document.getElementById("delivery-chart");
    if (!source || !canvas || typeof window.Chart === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    canvas.chart = new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.channels.map(function (ch) { return canvas.getAttribute("data-channel-" + ch) || ch; }),
        datasets: data.statuses.map(function (s) {
          return { label: canvas.getAttribute("data-label-" + s) || s, data: data.counts[s], backgroundColor: COLOURS[s] || "#333" };
        }),
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        locale: document.documentElement.lang || "vi",
        scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } },
      },
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
