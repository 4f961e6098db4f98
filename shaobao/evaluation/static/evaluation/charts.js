// Evaluation charts (ECharts, served from /static/vendor/echarts): trend per month, streets, units.
(function () {
  var data = JSON.parse(document.getElementById("eval-charts").textContent);
  if (typeof echarts === "undefined") { return; }
  var pct = function (v) { return v === null || v === undefined ? null : Math.round(v * 1000) / 10; };
  var L = data.trend.labels;
  var charts = [];
  // Titles and legends come translated from the page (data-* attributes of each chart's element).
  function text(id, key) { var el = document.getElementById(id); return el ? el.dataset[key] || "" : ""; }
  function make(id, option) {
    var el = document.getElementById(id);
    if (!el) { return; }
    // Tooltips drawn in the canvas: the HTML ones carry inline style attributes, refused by our CSP.
    if (option.tooltip) { option.tooltip.renderMode = "richText"; }
    var chart = echarts.init(el);
    chart.setOption(option);
    charts.push(chart);
  }
  var codes = ["response_rate", "on_time_rate", "resolution_rate", "satisfaction_rate"];
  make("chart-trend", {
    title: { text: text("chart-trend", "title"), textStyle: { fontSize: 14 } },
    tooltip: { trigger: "axis", valueFormatter: function (v) { return v === null ? "—" : v + "%"; } },
    legend: { top: 24, data: codes.map(function (c) { return L[c]; }) },
    grid: { left: 40, right: 16, top: 64, bottom: 28 },
    xAxis: { type: "category", data: data.trend.months },
    yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
    series: codes.map(function (c) {
      return { name: L[c], type: "line", connectNulls: true, data: data.trend.series[c].map(pct) };
    })
  });
  var s3 = ["response_rate", "resolution_rate", "satisfaction_rate"];
  make("chart-streets", {
    title: { text: text("chart-streets", "title"), textStyle: { fontSize: 14 } },
    tooltip: { trigger: "axis", valueFormatter: function (v) { return v === null ? "—" : v + "%"; } },
    legend: { top: 24, data: s3.map(function (c) { return L[c]; }) },
    grid: { left: 40, right: 16, top: 64, bottom: 60 },
    xAxis: { type: "category", data: data.streets.map(function (s) { return s.name; }), axisLabel: { rotate: 30, interval: 0 } },
    yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
    series: s3.map(function (c) {
      return { name: L[c], type: "bar", data: data.streets.map(function (s) { return pct(s[c]); }) };
    })
  });
  var U = [text("chart-units", "composite"), text("chart-units", "bottomUp"), text("chart-units", "objective")];
  make("chart-units", {
    title: { text: text("chart-units", "title"), textStyle: { fontSize: 14 } },
    tooltip: { trigger: "axis" },
    legend: { top: 24, data: U },
    grid: { left: 40, right: 16, top: 64, bottom: 110 },
    xAxis: { type: "category", data: data.units.map(function (u) { return u.name; }), axisLabel: { rotate: 35, interval: 0 } },
    yAxis: { type: "value", min: 0, max: 100 },
    series: [
      { name: U[0], type: "bar", data: data.units.map(function (u) { return u.composite; }) },
      { name: U[1], type: "line", data: data.units.map(function (u) { return u.bottom_up; }) },
      { name: U[2], type: "line", data: data.units.map(function (u) { return u.objective; }) }
    ]
  });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
