// The provocation-volume map: kelurahan polygons from GeoJSON embedded in the
// page (json_script), shaded by post count, so it works with no network.
// Basemap tiles are optional (SEJUK_TILE_URL). Names go through textContent.
(function () {
  "use strict";
  var el = document.getElementById("mon-map");
  var dataEl = document.getElementById("mon-map-data");
  if (!el || !dataEl || typeof L === "undefined") return;
  var data = JSON.parse(dataEl.textContent);
  if (!data.features.length) {
    el.classList.add("map-empty");
    el.textContent = el.dataset.emptyText || "";
    el.dataset.ready = "1";
    return;
  }
  var max = 0;
  data.features.forEach(function (f) { max = Math.max(max, f.properties.n); });
  function color(n) {
    if (!n) return "#f1f3f5";
    var t = Math.sqrt(n / (max || 1)); // sqrt: a few posts remain visible next to many
    var shades = ["#fcbba1", "#fc9272", "#fb6a4a", "#de2d26", "#a50f15"];
    return shades[Math.min(shades.length - 1, Math.floor(t * shades.length))];
  }
  var map = L.map(el, { zoomSnap: 0.25, attributionControl: !!el.dataset.tileUrl });
  if (el.dataset.tileUrl) {
    L.tileLayer(el.dataset.tileUrl, { maxZoom: 19, attribution: el.dataset.tileAttribution || "" }).addTo(map);
  }
  var layer = L.geoJSON(data, {
    style: function (f) {
      return {
        color: "#555", weight: 1, fillOpacity: 0.75, fillColor: color(f.properties.n),
        className: "mon-kel" + (f.properties.n ? " mon-kel-hot" : ""),
      };
    },
    onEachFeature: function (f, l) {
      var box = document.createElement("span");
      box.textContent = f.properties.nama + ": " + f.properties.n + " " + (el.dataset.labelPosts || "");
      l.bindTooltip(box, { sticky: true });
      l.on("click", function () {
        window.location.href = "/monitoring/posts/?area=" + encodeURIComponent(f.properties.kode);
      });
    },
  }).addTo(map);
  map.fitBounds(layer.getBounds(), { padding: [10, 10] });
  el.dataset.ready = "1";
  el.dataset.hot = String(data.features.filter(function (f) { return f.properties.n > 0; }).length);
})();
