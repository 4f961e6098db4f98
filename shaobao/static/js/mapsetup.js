/* Every Leaflet map of the site (loaded after leaflet.js, before the scripts that make the maps):
 * - the zoom buttons' titles in the page's language (data-zoom-in / data-zoom-out of <html>), no "Leaflet" link;
 * - the district's street, community/village and grid boundaries from our own data (<html data-boundaries>,
 *   org:boundaries), drawn under everything else and not clickable, with a switch per layer; no tile server
 *   is needed (tiles are added by the page only when settings.MAP_TILE_URL is set). */
(function () {
  if (typeof L === "undefined") { return; }
  var root = document.documentElement.dataset;
  L.Control.Zoom.mergeOptions({ zoomInTitle: root.zoomIn || "+", zoomOutTitle: root.zoomOut || "-" });
  L.Control.Attribution.mergeOptions({ prefix: false });
  var STYLES = {
    street: { color: "#7a1f14", weight: 2.5, fill: false, interactive: false },
    community: { color: "#1f5fa8", weight: 1.2, dashArray: "4 3", fill: false, interactive: false },
    grid: { color: "#888", weight: 0.6, fillColor: "#dfe7ef", fillOpacity: 0.35, interactive: false }
  };
  var pending = null;
  function load() {
    if (!pending) {
      pending = fetch(root.boundaries, { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); });
    }
    return pending;
  }
  L.Map.addInitHook(function () {
    var map = this;
    if (!root.boundaries || map.options.boundaries === false) { return; }
    map.getContainer().setAttribute("data-boundaries-state", "loading");
    load().then(function (data) {
      if (!map.getPane("boundaries")) {
        map.createPane("boundaries");
        map.getPane("boundaries").style.zIndex = 350; // above tiles (200), under shapes and markers (400+)
      }
      var overlays = {};
      ["grid", "community", "street"].forEach(function (level) {
        var layer = L.geoJSON(data, {
          pane: "boundaries",
          style: STYLES[level],
          filter: function (f) { return f.properties.level === level; }
        }).addTo(map);
        overlays[(data.names && data.names[level]) || level] = layer;
      });
      var control = L.control.layers(null, overlays, { collapsed: true, position: "topright" }).addTo(map);
      var toggle = control.getContainer().querySelector(".leaflet-control-layers-toggle");
      if (toggle) { toggle.title = root.layers || ""; toggle.setAttribute("aria-label", root.layers || ""); }
      map.getContainer().setAttribute("data-boundaries-state", "drawn");
    }).catch(function () { map.getContainer().setAttribute("data-boundaries-state", "failed"); });
  });
})();
