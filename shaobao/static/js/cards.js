/* Phones: list tables (table.list) are shown as cards (see shaobao.css); each cell gets its column's name
 * from the table's header as data-label, unless the template gave one. Runs on load and after htmx swaps. */
(function () {
  function label(root) {
    root.querySelectorAll("table.list").forEach(function (table) {
      var head = table.querySelector("thead tr") || table.querySelector("tr");
      if (!head || !head.querySelector("th")) { return; }
      var names = Array.prototype.map.call(head.children, function (th) { return th.textContent.trim(); });
      table.querySelectorAll("tr").forEach(function (tr) {
        if (tr === head) { return; }
        var col = 0;
        Array.prototype.forEach.call(tr.children, function (td) {
          if (td.tagName === "TD" && !td.hasAttribute("data-label") && td.colSpan === 1) {
            td.setAttribute("data-label", names[col] || "");
          }
          col += td.colSpan || 1;
        });
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { label(document); });
  document.addEventListener("htmx:load", function (evt) { label(evt.target.closest ? (evt.target.closest("table") || evt.target) : document); });
})();
