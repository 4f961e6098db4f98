// Work-team charts (ECharts from /static/vendor): teams by village kind, teams per street, reports.
(function () {
  var el = document.getElementById("wt-chart-data");
  if (!el || typeof echarts === "undefined") { return; }
  var data = JSON.parse(el.textContent);
  var charts = [];
  function text(id, key) { var node = document.getElementById(id); return node ? node.dataset[key] || "" : ""; }
  function make(id, option) {
    var node = document.getElementById(id);
    if (!node) { return; }
    // Tooltips drawn in the canvas: the HTML ones carry inline style attributes, refused by our CSP.
    if (option.tooltip) { option.tooltip.renderMode = "richText"; }
    var chart = echarts.init(node);
    chart.setOption(option);
    charts.push(chart);
  }
  var title = function (id) { return { text: text(id, "title"), textStyle: { fontSize: 14 } }; };
  if (data.kinds) {
    make("chart-kinds", {
      title: title("chart-kinds"),
      tooltip: { trigger: "item" },
      series: [{
        type: "pie", radius: ["35%", "65%"], top: 24,
        data: data.kinds.map(function (k) { return { name: k.label, value: k.teams !== undefined ? k.teams : k.villages }; })
      }]
    });
  }
  if (data.streets && data.streets.length && data.streets[0].teams !== undefined) {
    var T = [text("chart-streets", "teams"), text("chart-streets", "overdue")];
    make("chart-streets", {
      title: title("chart-streets"),
      tooltip: { trigger: "axis" },
      legend: { top: 24, data: T },
      grid: { left: 36, right: 12, top: 60, bottom: 70 },
      xAxis: { type: "category", data: data.streets.map(function (s) { return s.name; }), axisLabel: { rotate: 40, interval: 0 } },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: T[0], type: "bar", data: data.streets.map(function (s) { return s.teams; }) },
        { name: T[1], type: "bar", data: data.streets.map(function (s) { return s.overdue; }) }
      ]
    });
  }
  if (data.streets && data.streets.length && data.streets[0].done !== undefined) {
    var M = [text("chart-measures", "done"), text("chart-measures", "open"), text("chart-measures", "overdue")];
    make("chart-measures", {
      title: title("chart-measures"),
      tooltip: { trigger: "axis" },
      legend: { top: 24, data: M },
      grid: { left: 36, right: 12, top: 60, bottom: 70 },
      xAxis: { type: "category", data: data.streets.map(function (s) { return s.name; }), axisLabel: { rotate: 40, interval: 0 } },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: M[0], type: "bar", stack: "m", data: data.streets.map(function (s) { return s.done; }) },
        { name: M[1], type: "bar", stack: "m", data: data.streets.map(function (s) { return s.open; }) },
        { name: M[2], type: "bar", stack: "m", data: data.streets.map(function (s) { return s.overdue; }) }
      ]
    });
  }
  if (data.cadence) {
    var node = document.getElementById("chart-cadence");
    var bands = node ? JSON.parse(node.dataset.bands || "[]") : [];
    make("chart-cadence", {
      title: title("chart-cadence"),
      tooltip: { trigger: "axis" },
      grid: { left: 36, right: 12, top: 40, bottom: 30 },
      xAxis: { type: "category", data: bands },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ name: text("chart-cadence", "teams"), type: "bar", data: data.cadence }]
    });
  }
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
