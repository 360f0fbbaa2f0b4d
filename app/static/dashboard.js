// The sales dashboard's charts (Chart.js): data from the page's JSON data island, one chart per
// <canvas data-chart="...">. No inline script (CSP script-src 'self').
(function () {
  "use strict";
  var island = document.getElementById("dashboard-data");
  if (!island || typeof Chart === "undefined") { return; }
  var data = JSON.parse(island.textContent);
  var css = getComputedStyle(document.documentElement);
  var palette = ["primary", "info", "warning", "success", "danger", "secondary"];

  function color(name, fallback) {
    var value = css.getPropertyValue("--bs-" + (name || fallback)).trim();
    return value || "#0d6efd";
  }

  var horizontal = { lost_reasons: true, overdue: true };

  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var id = canvas.getAttribute("data-chart");
    var chart = data[id];
    if (!chart) { return; }
    var twoAxes = chart.series.some(function (s) { return s.axis === "amount"; });
    var datasets = chart.series.map(function (s, i) {
      var c = color(s.color, palette[i % palette.length]);
      return { label: s.label, data: s.data, backgroundColor: c, borderColor: c, maxBarThickness: 40,
               yAxisID: twoAxes ? (s.axis === "amount" ? "amount" : "y") : undefined };
    });
    var scales = {};
    if (horizontal[id]) {
      scales = { x: { beginAtZero: true, ticks: { precision: 0 } } };
    } else {
      scales = { y: { beginAtZero: true, ticks: { precision: 0 } } };
      if (twoAxes) {
        scales.amount = { beginAtZero: true, position: "right", grid: { drawOnChartArea: false } };
      }
    }
    canvas.chart = new Chart(canvas, {
      type: "bar",
      data: { labels: chart.labels, datasets: datasets },
      options: { locale: document.documentElement.lang || undefined, indexAxis: horizontal[id] ? "y" : "x",
                 responsive: true, animation: false, scales: scales,
                 plugins: { legend: { display: datasets.length > 1 } } }
    });
  });
}());
