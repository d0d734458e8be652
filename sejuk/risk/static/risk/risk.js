// Draws the risk map from GeoJSON embedded in the page (no network needed):
// kelurahan polygons coloured by level, incidents and forecast hotspots as dots.
// Basemap tiles are optional (SEJUK_TILE_URL).
(function () {
  "use strict";
  var el = document.getElementById("risk-map");
  var dataEl = document.getElementById("risk-geojson");
  if (!el || !dataEl || typeof L === "undefined") return;
  var data = JSON.parse(dataEl.textContent);
  if (!data.features.length) {
    el.classList.add("map-empty");
    el.textContent = el.dataset.emptyText || "";
    return;
  }
  var colours = { tinggi: "#c62828", sedang: "#f0a202", rendah: "#43a047" };
  var map = L.map(el, { zoomSnap: 0.25, attributionControl: !!el.dataset.tileUrl });
  if (el.dataset.tileUrl) {
    L.tileLayer(el.dataset.tileUrl, { maxZoom: 19, attribution: el.dataset.tileAttribution || "" }).addTo(map);
  }
  var layer = L.geoJSON(data, {
    style: function (f) {
      var c = colours[f.properties.level] || "#9aa5a2";
      return { color: "#ffffff", weight: 1, fillColor: c, fillOpacity: f.properties.role === "self" ? 0.35 : 0.7,
               className: "risk-kelurahan risk-" + (f.properties.level || "none") +
                 (f.properties.kode ? " risk-k-" + f.properties.kode.replace(/\./g, "-") : "") };
    },
    pointToLayer: function (f, latlng) {
      var hot = f.properties.role === "hotspot";
      return L.circleMarker(latlng, { radius: hot ? 9 : 6, color: hot ? "#5b3f8c" : "#1d2a2f", weight: 2,
                                      fillColor: hot ? "#b39ddb" : "#ffffff", fillOpacity: 0.9 });
    },
    onEachFeature: function (f, l) {
      var p = f.properties;
      var text = p.nama + (p.score !== undefined && p.score !== null ? " · " + p.score : "") + (p.level_label ? " · " + p.level_label : "");
      l.bindTooltip(text);
      if (p.url) l.on("click", function () { window.location.href = p.url; });
    },
  }).addTo(map);
  map.fitBounds(layer.getBounds(), { padding: [16, 16], maxZoom: 16 });
  el.dataset.ready = "1";
})();
