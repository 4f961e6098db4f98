/* The board's live map: open demands from data-src (platform:map.json), reloaded every data-refresh seconds
 * (30) without a page reload. Markers are circles coloured by urgency; a click opens a popup linking to the demand page.
 * data-tiles: the tile URL template (settings.MAP_TILE_URL); empty = no tiles (offline). */
(function () {
  var COLORS = { normal: "#1f5fa8", urgent: "#f39c12", critical: "#c0392b" };

  function esc(s) {
    return String(s === null || s === undefined ? "" : s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function start(el) {
    if (typeof L === "undefined" || el._leaflet_id) { return; }
    var map = L.map(el).setView([parseFloat(el.dataset.lat), parseFloat(el.dataset.lng)], 12);
    if (el.dataset.tiles) {
      L.tileLayer(el.dataset.tiles, { maxZoom: 19, attribution: "&copy; OpenStreetMap" }).addTo(map);
    }
    var layer = L.layerGroup().addTo(map);
    var status = el.closest("section").querySelector("[data-map-status]");
    var base = status ? status.textContent : "";
    var fitted = false;

    function draw(data) {
      layer.clearLayers();
      var bounds = [];
      data.demands.forEach(function (d) {
        var url = el.dataset.demandUrl.replace(/\/0\/$/, "/" + d.id + "/");
        L.circleMarker([d.lat, d.lng], {
          radius: d.urgency === "normal" ? 5 : 7, weight: 1, color: "#fff",
          fillColor: COLORS[d.urgency] || COLORS.normal, fillOpacity: 0.85
        }).bindPopup(
          '<a href="' + esc(url) + '">' + esc(d.code) + "</a><br>" + esc(d.matter) + "<br>" +
          esc(d.street) + " " + esc(d.community) + "<br>" + esc(d.state_label) + " · " + esc(d.received_at.slice(0, 16).replace("T", " "))
        ).addTo(layer);
        bounds.push([d.lat, d.lng]);
      });
      if (!fitted && bounds.length) { map.fitBounds(bounds, { maxZoom: 15, padding: [20, 20], animate: false }); fitted = true; }
      if (status) {
        status.textContent = base + " · " + data.count + " " + el.dataset.labelCount +
          (data.capped ? " (" + el.dataset.labelCapped + ")" : "");
      }
    }

    function refresh() {
      fetch(el.dataset.src, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) {
          if (r.redirected || !r.ok) { throw new Error(r.status); }
          return r.json();
        })
        .then(draw)
        .catch(function () { if (status) { status.textContent = base + " · " + el.dataset.labelError; } });
    }

    refresh();
    setInterval(function () { if (!document.hidden) { refresh(); } }, 1000 * (parseFloat(el.dataset.refresh) || 30));
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-board-map]").forEach(start);
  });
})();
