// The patrol plan map: numbered stops in route order, the route as a line from
// the start point back to the end, done stops in green. Data comes from JSON in
// the page (json_script), so it works with no network; tiles are optional
// (SEJUK_TILE_URL). Point names are typed by people: textContent only.
(function () {
  "use strict";
  var el = document.getElementById("pt-map");
  var dataEl = document.getElementById("pt-map-data");
  if (!el || !dataEl || typeof L === "undefined") return;
  var data = JSON.parse(dataEl.textContent);

  var map = L.map(el, { zoomSnap: 0.25, attributionControl: !!el.dataset.tileUrl });
  map.setView([data.start.lat, data.start.lon], 15);
  if (el.dataset.tileUrl) {
    L.tileLayer(el.dataset.tileUrl, { maxZoom: 19, attribution: el.dataset.tileAttribution || "" }).addTo(map);
  }

  function label(text) {
    var span = document.createElement("span");
    span.textContent = text;
    return span;
  }

  var layers = [];
  var home = L.circleMarker([data.start.lat, data.start.lon], {
    radius: 7, color: "#fff", weight: 2, fillColor: "#37474f", fillOpacity: 1, className: "pt-home",
  }).bindTooltip(label(el.dataset.labelStart + (data.start.label ? ": " + data.start.label : "")));
  layers.push(home.addTo(map));

  var routed = data.stops.filter(function (s) { return s.seq; }).sort(function (a, b) { return a.seq - b.seq; });
  var line = [[data.start.lat, data.start.lon]];
  routed.forEach(function (s) {
    line.push([s.lat, s.lon]);
    var icon = L.divIcon({
      className: "pt-pin" + (s.done ? " pt-pin-done" : "") + (s.must ? " pt-pin-must" : ""),
      html: "<span>" + String(s.seq) + "</span>",
      iconSize: [26, 26],
      iconAnchor: [13, 13],
    });
    var m = L.marker([s.lat, s.lon], { icon: icon, keyboard: true, title: s.name });
    m.bindTooltip(label(s.seq + ". " + (s.start || "") + " " + s.name + (s.done ? " (" + el.dataset.labelDone + ")" : "")));
    layers.push(m.addTo(map));
  });
  line.push([data.end.lat, data.end.lon]);
  if (routed.length) {
    layers.push(L.polyline(line, { color: "#0b6e4f", weight: 3, opacity: 0.8, dashArray: "6 4", className: "pt-route" }).addTo(map));
  }
  data.stops.filter(function (s) { return !s.seq; }).forEach(function (s) {
    var m = L.circleMarker([s.lat, s.lon], {
      radius: 5, color: "#6c757d", weight: 1, fillColor: s.removed ? "#fff" : "#adb5bd", fillOpacity: 0.9, className: "pt-other",
    }).bindTooltip(label(s.name));
    layers.push(m.addTo(map));
  });
  var bounds = L.featureGroup(layers).getBounds();
  if (bounds.isValid() && !bounds.getNorthEast().equals(bounds.getSouthWest())) {
    map.fitBounds(bounds, { padding: [24, 24], maxZoom: 17 });
  }
  el.dataset.ready = "1";
  el.dataset.stops = String(routed.length);
})();
