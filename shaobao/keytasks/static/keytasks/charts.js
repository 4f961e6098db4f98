// Key-task charts (ECharts from /static/vendor/echarts): a month's most frequent topic candidates against
// the 3 months before, and a topic's demands per month before and after it was picked. Titles and series
// names come translated from the page (data-* attributes of each chart's element).
(function () {
  if (typeof echarts === "undefined") { return; }
  function text(el, key) { return el.dataset[key] || ""; }
  function make(el, option) {
    option.tooltip = { trigger: "axis", renderMode: "richText" }; // HTML tooltips carry inline styles (CSP)
    var chart = echarts.init(el);
    chart.setOption(option);
    window.addEventListener("resize", function () { chart.resize(); });
  }
  var cand = document.getElementById("chart-candidates");
  var candData = document.getElementById("topic-candidates");
  if (cand && candData) {
    var rows = JSON.parse(candData.textContent).frequent;
    if (rows.length) {
      make(cand, {
        title: { text: text(cand, "title"), textStyle: { fontSize: 14 } },
        legend: { top: 24, data: [text(cand, "thisMonth"), text(cand, "average")] },
        grid: { left: 40, right: 16, top: 64, bottom: 110 },
        xAxis: { type: "category", data: rows.map(function (r) { return r.name; }), axisLabel: { rotate: 35, interval: 0, width: 120, overflow: "truncate" } },
        yAxis: { type: "value", minInterval: 1 },
        series: [
          { name: text(cand, "thisMonth"), type: "bar", data: rows.map(function (r) { return r.count; }) },
          { name: text(cand, "average"), type: "bar", data: rows.map(function (r) { return r.avg; }) }
        ]
      });
      cand.classList.add("drawn");
    }
  }
  var ba = document.getElementById("chart-before-after");
  var baData = document.getElementById("topic-series");
  if (ba && baData) {
    var s = JSON.parse(baData.textContent);
    make(ba, {
      title: { text: text(ba, "title"), textStyle: { fontSize: 14 } },
      grid: { left: 40, right: 16, top: 48, bottom: 40 },
      xAxis: { type: "category", data: s.months },
      yAxis: { type: "value", minInterval: 1 },
      series: [{
        name: text(ba, "series"), type: "bar", data: s.counts,
        markLine: { symbol: "none", label: { formatter: text(ba, "marker") }, data: [{ xAxis: s.topic_month }] }
      }]
    });
    ba.classList.add("drawn");
  }
})();
