// Admission reports: requests by department (ECharts, stacked bars). Labels come translated from the page.
(function () {
  var el = document.getElementById("chart-departments");
  if (!el || typeof echarts === "undefined") { return; }
  var data = JSON.parse(document.getElementById("admission-chart").textContent);
  var names = [el.dataset.approved, el.dataset.refused, el.dataset.pending];
  var chart = echarts.init(el);
  chart.setOption({
    title: { text: el.dataset.title, textStyle: { fontSize: 14 } },
    tooltip: { trigger: "axis", renderMode: "richText" },
    legend: { top: 24, data: names },
    grid: { left: 40, right: 16, top: 64, bottom: 100 },
    xAxis: { type: "category", data: data.units, axisLabel: { rotate: 35, interval: 0 } },
    yAxis: { type: "value", minInterval: 1 },
    series: [
      { name: names[0], type: "bar", stack: "n", color: "#2e8b57", data: data.approved },
      { name: names[1], type: "bar", stack: "n", color: "#c0392b", data: data.refused },
      { name: names[2], type: "bar", stack: "n", color: "#e0a030", data: data.pending }
    ]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
