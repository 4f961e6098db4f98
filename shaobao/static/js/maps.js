/* Small Leaflet maps of the demand pages, started for the page and for every htmx swap (htmx.onLoad).
 * [data-pick-map]: click to set the #id_lat / #id_lng inputs of the form.
 * [data-show-map]: show data-point ([lat, lng]) and data-geometry (the grid's GeoJSON polygon).
 * data-tiles: the tile URL template; empty = no tiles (offline), the shapes are drawn anyway. */
(function () {
  function base(el, options) {
    var map = L.map(el, options || {});
    if (el.dataset.tiles) {
      L.tileLayer(el.dataset.tiles, {maxZoom: 19, attribution: "&copy; OpenStreetMap"}).addTo(map);
    }
    return map;
  }

  function pick(el) {
    var form = el.closest("form") || document;
    var lat = form.querySelector("[name=lat]"), lng = form.querySelector("[name=lng]");
    var out = form.querySelector("[data-pick-coords]"), clear = form.querySelector("[data-pick-clear]");
    var map = base(el).setView([parseFloat(el.dataset.lat), parseFloat(el.dataset.lng)], 13);
    var marker = null;
    function show(p) {
      if (marker) { marker.setLatLng(p); } else { marker = L.marker(p).addTo(map); }
      lat.value = p.lat.toFixed(6); lng.value = p.lng.toFixed(6);
      if (out) { out.textContent = lat.value + ", " + lng.value; }
    }
    if (lat.value && lng.value) {
      show(L.latLng(parseFloat(lat.value), parseFloat(lng.value)));
      map.setView(marker.getLatLng(), 15);
    }
    map.on("click", function (e) { show(e.latlng); });
    if (clear) {
      clear.addEventListener("click", function () {
        if (marker) { map.removeLayer(marker); marker = null; }
        lat.value = ""; lng.value = ""; if (out) { out.textContent = ""; }
      });
    }
  }

  function showPlace(el) {
    var map = base(el, {scrollWheelZoom: false});
    var point = el.dataset.point ? JSON.parse(el.dataset.point) : null;
    var geometry = el.dataset.geometry ? JSON.parse(el.dataset.geometry) : null;
    var bounds = null;
    if (geometry) {
      var layer = L.geoJSON(geometry, {style: {color: "#c0392b", weight: 2, fillOpacity: 0.08}}).addTo(map);
      bounds = layer.getBounds();
    }
    if (point) {
      L.marker(point).addTo(map);
      bounds = bounds ? bounds.extend(point) : L.latLngBounds([point, point]);
    }
    if (bounds) { map.fitBounds(bounds, {maxZoom: 16, padding: [20, 20]}); }
  }

  function start(root) {
    if (typeof L === "undefined") { return; }
    root.querySelectorAll("[data-pick-map]").forEach(function (el) { if (!el._leaflet_id) { pick(el); } });
    root.querySelectorAll("[data-show-map]").forEach(function (el) { if (!el._leaflet_id) { showPlace(el); } });
  }

  // The page itself, then every piece of content htmx swaps in (htmx:load bubbles up to the document).
  document.addEventListener("DOMContentLoaded", function () { start(document); });
  document.addEventListener("htmx:load", function (evt) { start(evt.target); });
})();
