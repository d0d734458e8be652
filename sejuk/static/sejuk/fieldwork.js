// Field-work desktop pages: the titik rawan map (list, detail, location picker)
// and small form helpers. Data comes from JSON embedded in the page
// (json_script), so maps work with no network; basemap tiles are optional
// (SEJUK_TILE_URL). Every user-supplied text goes through textContent, never
// HTML, because titik names are typed by people.
(function () {
  "use strict";

  var COLORS = { tinggi: "#c62828", sedang: "#e08a00", rendah: "#2e7d32" };
  var DEFAULT_VIEW = { center: [-6.1754, 106.8272], zoom: 12 }; // Jakarta Pusat

  function readJSON(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function baseMap(el) {
    var map = L.map(el, { zoomSnap: 0.25, attributionControl: !!el.dataset.tileUrl });
    // Vector layers need a view before they are added; fit() refines it.
    map.setView(DEFAULT_VIEW.center, DEFAULT_VIEW.zoom);
    if (el.dataset.tileUrl) {
      L.tileLayer(el.dataset.tileUrl, {
        maxZoom: 19,
        attribution: el.dataset.tileAttribution || "",
      }).addTo(map);
    }
    return map;
  }

  function boundaries(map, fc) {
    if (!fc || !fc.features || !fc.features.length) return null;
    return L.geoJSON(fc, {
      interactive: false,
      style: { color: "#0b6e4f", weight: 2, dashArray: "4 3", fillOpacity: 0.06, className: "fw-boundary" },
    }).addTo(map);
  }

  // Leaflet treats string content as HTML; an element is inserted as is.
  function textNode(text) {
    var span = document.createElement("span");
    span.textContent = text || "";
    return span;
  }

  function marker(p) {
    var color = COLORS[p.v] || "#6c757d";
    return L.circleMarker([p.lat, p.lon], {
      radius: 8,
      color: "#fff",
      weight: 2,
      fillColor: color,
      fillOpacity: 0.95,
      className: "fw-marker fw-marker-" + (p.v || "none"),
    });
  }

  function popup(el, p, base) {
    var box = document.createElement("div");
    var link = document.createElement("a");
    link.href = base + p.id + "/";
    link.textContent = p.name;
    box.appendChild(link);
    var info = document.createElement("div");
    var parts = [];
    if (p.kel) parts.push(p.kel);
    var visit = el.dataset.labelLastVisit + ": ";
    if (p.days === null || p.days === undefined) visit += el.dataset.labelNever;
    else if (p.days === 0) visit += el.dataset.labelToday;
    else visit += p.days + " " + (p.days === 1 ? el.dataset.labelDay : el.dataset.labelDays);
    parts.push(visit);
    info.textContent = parts.join(" · ");
    box.appendChild(info);
    return box;
  }

  function fit(map, layers) {
    var group = L.featureGroup(layers.filter(Boolean));
    var bounds = group.getLayers().length ? group.getBounds() : null;
    if (bounds && bounds.isValid()) {
      if (bounds.getNorthEast().equals(bounds.getSouthWest())) map.setView(bounds.getCenter(), 17);
      else map.fitBounds(bounds, { padding: [20, 20], maxZoom: 17 });
    } else {
      map.setView(DEFAULT_VIEW.center, DEFAULT_VIEW.zoom);
    }
  }

  function listMap(el, data) {
    if (!data.points.length && !data.boundaries) {
      el.classList.add("map-empty");
      el.textContent = el.dataset.emptyText || "";
      return;
    }
    var map = baseMap(el);
    var outline = boundaries(map, data.boundaries);
    var points = L.featureGroup();
    data.points.forEach(function (p) {
      var m = marker(p);
      m.bindTooltip(textNode(p.name), { sticky: true });
      m.bindPopup(function () { return popup(el, p, data.detail_base); });
      points.addLayer(m);
    });
    points.addTo(map);
    fit(map, data.points.length ? [points] : [outline]);
    el.dataset.ready = "1";
    el.dataset.points = String(data.points.length);
  }

  function pointMap(el, data) {
    var map = baseMap(el);
    var outline = boundaries(map, data.boundaries);
    var layers = data.points.map(function (p) { return marker(p).addTo(map); });
    fit(map, layers.length ? layers : [outline]);
    el.dataset.ready = "1";
  }

  function pickMap(el, data) {
    var form = el.closest("form");
    var latInput = form.querySelector("[data-fw-lat]");
    var lonInput = form.querySelector("[data-fw-lon]");
    var kelInput = form.querySelector("[data-fw-kelurahan]");
    var map = baseMap(el);
    var outline = boundaries(map, data.boundaries);
    var pin = null;
    var accuracy = null;

    function place(lat, lon, pan) {
      var at = L.latLng(lat, lon);
      if (!pin) {
        pin = L.marker(at, { draggable: true, keyboard: true }).addTo(map);
        pin.on("dragend", function () {
          var ll = pin.getLatLng();
          setInputs(ll.lat, ll.lng);
        });
      } else {
        pin.setLatLng(at);
      }
      if (pan) map.setView(at, Math.max(map.getZoom() || 0, 17));
    }

    function setInputs(lat, lon) {
      latInput.value = lat.toFixed(6);
      lonInput.value = lon.toFixed(6);
      latInput.dispatchEvent(new Event("change", { bubbles: true }));
    }

    function fromInputs(pan) {
      var lat = parseFloat(latInput.value);
      var lon = parseFloat(lonInput.value);
      if (isFinite(lat) && isFinite(lon)) place(lat, lon, pan);
    }

    function fitKelurahan() {
      if (!outline || !kelInput) return false;
      var kode = kelInput.value;
      var hit = outline.getLayers().filter(function (l) { return l.feature.properties.kode === kode; });
      if (!hit.length) return false;
      map.fitBounds(L.featureGroup(hit).getBounds(), { padding: [20, 20] });
      return true;
    }

    map.on("click", function (e) {
      place(e.latlng.lat, e.latlng.lng, false);
      setInputs(e.latlng.lat, e.latlng.lng);
    });
    [latInput, lonInput].forEach(function (i) {
      i.addEventListener("input", function () { fromInputs(true); });
    });
    if (kelInput) kelInput.addEventListener("change", function () { if (!pin) fitKelurahan(); });

    if (isFinite(parseFloat(latInput.value)) && isFinite(parseFloat(lonInput.value))) {
      fromInputs(false);
      map.setView(pin.getLatLng(), 17);
    } else if (!fitKelurahan()) {
      fit(map, [outline]);
    }

    var gps = form.querySelector("[data-fw-gps]");
    var status = form.querySelector("[data-fw-gps-status]");
    if (gps) {
      if (!("geolocation" in navigator) || !window.isSecureContext) {
        gps.disabled = true;
        status.textContent = gps.dataset.unsupported;
      }
      gps.addEventListener("click", function () {
        status.textContent = gps.dataset.locating;
        navigator.geolocation.getCurrentPosition(
          function (pos) {
            var c = pos.coords;
            place(c.latitude, c.longitude, true);
            setInputs(c.latitude, c.longitude);
            if (accuracy) map.removeLayer(accuracy);
            accuracy = L.circle([c.latitude, c.longitude], {
              radius: c.accuracy,
              color: "#1565c0",
              weight: 1,
              fillOpacity: 0.1,
              interactive: false,
            }).addTo(map);
            status.textContent = gps.dataset.found + " " + Math.round(c.accuracy) + " m";
          },
          function (err) {
            status.textContent = gps.dataset.failed + " " + err.message;
          },
          { enableHighAccuracy: true, timeout: 20000, maximumAge: 0 }
        );
      });
    }
    el.dataset.ready = "1";
  }

  function maps() {
    var el = document.getElementById("fw-map");
    var data = readJSON("fw-map-data");
    if (!el || !data || typeof L === "undefined") return;
    var mode = el.dataset.fwMap;
    if (mode === "list") listMap(el, data);
    else if (mode === "point") pointMap(el, data);
    else if (mode === "pick") pickMap(el, data);
  }

  // Complaint transition: show "handed to" only for handed_over and the
  // resolution only for resolved. Without JavaScript every field shows.
  function statusFields() {
    document.querySelectorAll("[data-fw-status]").forEach(function (select) {
      var form = select.closest("form");
      var dependants = form.querySelectorAll("[data-fw-show-for]");
      function update() {
        dependants.forEach(function (input) {
          var box = input.closest(".fw-field") || input;
          var show = input.dataset.fwShowFor === select.value || input.value;
          box.hidden = !show;
        });
      }
      select.addEventListener("change", update);
      update();
    });
  }

  maps();
  statusFields();
})();
