// Draws the wilayah and its neighbours from GeoJSON embedded in the page, so
// the map works with no network. Basemap tiles are optional (SEJUK_TILE_URL).
(function () {
  "use strict";
  var el = document.getElementById("map");
  var dataEl = document.getElementById("wilayah-geojson");
  if (!el || !dataEl || typeof L === "undefined") return;
  var data = JSON.parse(dataEl.textContent);
  if (!data.features.length) {
    el.classList.add("map-empty");
    el.textContent = el.dataset.emptyText || "";
    return;
  }
  var map = L.map(el, { zoomSnap: 0.25, attributionControl: !!el.dataset.tileUrl });
  if (el.dataset.tileUrl) {
    L.tileLayer(el.dataset.tileUrl, { maxZoom: 19, attribution: el.dataset.tileAttribution || "" }).addTo(map);
  }
  var layer = L.geoJSON(data, {
    style: function (f) {
      return f.properties.role === "self"
        ? { color: "#0b6e4f", weight: 3, fillOpacity: 0.25, className: "wilayah-self" }
        : { color: "#6c757d", weight: 1, dashArray: "4 3", fillOpacity: 0.05, className: "wilayah-neighbour" };
    },
    onEachFeature: function (f, l) {
      l.bindTooltip(f.properties.nama + " (" + f.properties.kode + ")");
      if (f.properties.role === "neighbour" && f.properties.linkable) {
        l.on("click", function () { window.location.href = "/wilayah/" + f.properties.kode + "/"; });
      }
    },
  }).addTo(map);
  var self = layer.getLayers().filter(function (l) { return l.feature.properties.role === "self"; });
  map.fitBounds((self.length ? L.featureGroup(self) : layer).getBounds(), { padding: [20, 20] });
  el.dataset.ready = "1";
})();
