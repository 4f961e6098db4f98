// 双报到 report chart (ECharts from /static/vendor/echarts): person-times and hours per community.
(function () {
  var el = document.getElementById("chart-communities");
  var source = document.getElementById("checkin-chart");
  if (!el || !source || typeof echarts === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var names = [el.dataset.personTimes || "", el.dataset.hours || ""];
  var chart = echarts.init(el);
  chart.setOption({
    title: { text: el.dataset.title || "", textStyle: { fontSize: 14 } },
    // Tooltips drawn in the canvas: the HTML ones carry inline style attributes, refused by our CSP.
    tooltip: { trigger: "axis", renderMode: "richText" },
    legend: { top: 24, data: names },
    grid: { left: 44, right: 16, top: 64, bottom: 90 },
    xAxis: { type: "category", data: data.communities, axisLabel: { rotate: 40, interval: 0 } },
    yAxis: { type: "value" },
    series: [
      { name: names[0], type: "bar", data: data.person_times },
      { name: names[1], type: "line", data: data.hours }
    ]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
