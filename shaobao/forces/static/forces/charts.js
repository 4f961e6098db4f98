// Forces reports (ECharts from /static/vendor/echarts): cadres by mode, cadres and presence by street.
(function () {
  var node = document.getElementById("forces-charts");
  if (!node || typeof echarts === "undefined") { return; }
  var data = JSON.parse(node.textContent);
  var charts = [];
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
  make("chart-modes", {
    title: { text: text("chart-modes", "title"), textStyle: { fontSize: 14 } },
    tooltip: { trigger: "item" },
    series: [{ type: "pie", radius: ["35%", "65%"], top: 30, data: data.modes }]
  });
  var count = text("chart-streets", "count"), rate = text("chart-streets", "rate");
  make("chart-streets", {
    title: { text: text("chart-streets", "title"), textStyle: { fontSize: 14 } },
    tooltip: { trigger: "axis" },
    legend: { top: 24, data: [count, rate] },
    grid: { left: 40, right: 40, top: 64, bottom: 70 },
    xAxis: { type: "category", data: data.streets.map(function (s) { return s.name; }), axisLabel: { rotate: 35, interval: 0 } },
    yAxis: [{ type: "value" }, { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } }],
    series: [
      { name: count, type: "bar", data: data.streets.map(function (s) { return s.count; }) },
      { name: rate, type: "line", yAxisIndex: 1, data: data.streets.map(function (s) { return s.rate; }) }
    ]
  });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
