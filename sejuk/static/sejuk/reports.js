// Report pages (docs/reports.md): the resident's map picker and form helpers
// (/lapor/), the 110 operator's keyboard entry and kelurahan autocomplete, and
// the map on the report page (/reports/<id>/). Every page works without this
// file; it only makes them faster to use. Map data is embedded in the page
// (json_script), so maps need no network; basemap tiles are optional
// (SEJUK_TILE_URL). Text from people goes through textContent, never HTML.
(function () {
  "use strict";

  var DEFAULT_VIEW = { center: [-6.1754, 106.8272], zoom: 12 }; // Jakarta Pusat
  var OUTLINE = { color: "#0b6e4f", weight: 1.5, dashArray: "4 3", fillOpacity: 0.04, className: "rp-outline" };
  var PICKED = { color: "#0b6e4f", weight: 3, dashArray: "", fillOpacity: 0.18, className: "rp-outline rp-outline-picked" };

  function readJSON(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function debounce(fn, ms) {
    var timer = null;
    return function () {
      var args = arguments, self = this;
      clearTimeout(timer);
      timer = setTimeout(function () { fn.apply(self, args); }, ms);
    };
  }

  // --- maps ------------------------------------------------------------------

  // The map starts at its final view (no zoom animation from a default view),
  // then layers are added: vector layers need a view before they are drawn.
  function baseMap(el, layer, point) {
    el.textContent = "";
    var map = L.map(el, { zoomSnap: 0.25, attributionControl: !!el.dataset.tileUrl });
    var b = layer && layer.getBounds ? layer.getBounds() : null;
    if (b && b.isValid() && (!point || b.contains(point))) {
      map.fitBounds(b, { padding: [16, 16], maxZoom: 17, animate: false });
    } else if (point) {
      map.setView(point, 17, { animate: false });
    } else {
      map.setView(DEFAULT_VIEW.center, DEFAULT_VIEW.zoom, { animate: false });
    }
    if (el.dataset.tileUrl) {
      L.tileLayer(el.dataset.tileUrl, { maxZoom: 19, attribution: el.dataset.tileAttribution || "" }).addTo(map);
    }
    el.leafletMap = map; // for tests and the console
    return map;
  }

  // Ray casting on GeoJSON rings ([lon, lat] pairs); holes subtract.
  function inRing(lat, lon, ring) {
    var inside = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
      if ((yi > lat) !== (yj > lat) && lon < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) inside = !inside;
    }
    return inside;
  }

  function inPolygon(lat, lon, rings) {
    if (!rings.length || !inRing(lat, lon, rings[0])) return false;
    for (var k = 1; k < rings.length; k++) if (inRing(lat, lon, rings[k])) return false;
    return true;
  }

  function containing(fc, lat, lon) {
    if (!fc) return null;
    for (var i = 0; i < fc.features.length; i++) {
      var f = fc.features[i], g = f.geometry;
      if (!g) continue;
      var polys = g.type === "Polygon" ? [g.coordinates] : g.type === "MultiPolygon" ? g.coordinates : [];
      for (var p = 0; p < polys.length; p++) if (inPolygon(lat, lon, polys[p])) return f;
    }
    return null;
  }

  function pointMap(el, data) {
    if (!data.point && !data.outline) {
      el.classList.add("map-empty");
      el.textContent = el.dataset.emptyText || "";
      return;
    }
    var outline = data.outline ? L.geoJSON(data.outline, { interactive: false, style: PICKED }) : null;
    var map = baseMap(el, outline, data.point ? L.latLng(data.point) : null);
    if (outline) outline.addTo(map);
    if (data.point) {
      L.circleMarker(data.point, {
        radius: 9, color: "#fff", weight: 2, fillColor: "#c62828", fillOpacity: 0.95, className: "rp-point",
      }).addTo(map);
    }
    el.dataset.ready = "1";
  }

  function pickMap(el, data) {
    var form = el.closest("form");
    var latInput = form.querySelector("[data-rp-lat]");
    var lonInput = form.querySelector("[data-rp-lon]");
    var placeEl = form.querySelector("[data-rp-place]");
    var fc = data.outlines;
    var byKode = {};
    var outlines = null;
    if (fc && fc.features && fc.features.length) {
      outlines = L.geoJSON(fc, {
        interactive: false,
        style: OUTLINE,
        onEachFeature: function (f, layer) { byKode[f.properties.kode] = layer; },
      });
    }
    var map = baseMap(el, outlines, null);
    if (outlines) outlines.addTo(map);
    var pin = null;
    var picked = null;
    var accuracy = null;

    function describe(lat, lon) {
      if (picked) { picked.setStyle(OUTLINE); picked = null; }
      if (!placeEl) return;
      var f = containing(fc, lat, lon);
      if (f) {
        picked = byKode[f.properties.kode] || null;
        if (picked) { picked.setStyle(PICKED); picked.bringToFront(); }
        placeEl.textContent = el.dataset.in + " " + f.properties.nama + (f.properties.kec ? ", " + el.dataset.kec + " " + f.properties.kec : "");
        placeEl.dataset.kode = f.properties.kode;
        placeEl.classList.remove("warn");
      } else {
        placeEl.textContent = outlines ? el.dataset.outside : "";
        placeEl.dataset.kode = "";
        placeEl.classList.toggle("warn", !!outlines);
      }
    }

    function place(lat, lon, pan) {
      var at = L.latLng(lat, lon);
      if (!pin) {
        pin = L.circleMarker(at, {
          radius: 10, color: "#fff", weight: 3, fillColor: "#c62828", fillOpacity: 1, className: "rp-pin",
        }).addTo(map);
      } else {
        pin.setLatLng(at);
      }
      if (pan) map.setView(at, Math.max(map.getZoom() || 0, 16));
      describe(lat, lon);
    }

    function setInputs(lat, lon) {
      latInput.value = lat.toFixed(6);
      lonInput.value = lon.toFixed(6);
    }

    map.on("click", function (e) {
      setInputs(e.latlng.lat, e.latlng.lng);
      place(e.latlng.lat, e.latlng.lng, false);
    });
    [latInput, lonInput].forEach(function (input) {
      input.addEventListener("input", debounce(function () {
        var lat = parseFloat(latInput.value), lon = parseFloat(lonInput.value);
        if (isFinite(lat) && isFinite(lon) && Math.abs(lat) <= 90 && Math.abs(lon) <= 180) place(lat, lon, true);
      }, 300));
    });
    var lat0 = parseFloat(latInput.value), lon0 = parseFloat(lonInput.value);
    if (isFinite(lat0) && isFinite(lon0)) place(lat0, lon0, true);

    var gps = form.querySelector("[data-rp-gps]");
    var status = form.querySelector("[data-rp-gps-status]");
    if (gps) {
      gps.hidden = false;
      if (!("geolocation" in navigator) || !window.isSecureContext) {
        gps.disabled = true;
        status.textContent = gps.dataset.unsupported;
      }
      gps.addEventListener("click", function () {
        status.textContent = gps.dataset.locating;
        navigator.geolocation.getCurrentPosition(
          function (pos) {
            var c = pos.coords;
            setInputs(c.latitude, c.longitude);
            place(c.latitude, c.longitude, true);
            if (accuracy) map.removeLayer(accuracy);
            accuracy = L.circle([c.latitude, c.longitude], {
              radius: c.accuracy, color: "#1565c0", weight: 1, fillOpacity: 0.08, interactive: false,
            }).addTo(map);
            status.textContent = gps.dataset.found + " " + Math.round(c.accuracy) + " m";
          },
          function (err) { status.textContent = gps.dataset.failed + " " + err.message; },
          { enableHighAccuracy: true, timeout: 20000, maximumAge: 0 }
        );
      });
    }
    el.dataset.ready = "1";
  }

  function maps() {
    var el = document.getElementById("rp-map");
    var data = readJSON("rp-map-data");
    if (!el || !data || typeof L === "undefined") return;
    if (el.dataset.rpMap === "pick") pickMap(el, data);
    else if (el.dataset.rpMap === "point") pointMap(el, data);
  }

  // --- the resident's form -------------------------------------------------------

  var MAX_SIDE = 1600;
  var RESIZE_ABOVE_BYTES = 1024 * 1024;

  // Shrink big photos on the phone before upload (cheap data plans, weak
  // signal). The server still validates and re-encodes whatever arrives.
  function shrink(file) {
    return new Promise(function (resolve) {
      if (file.size <= RESIZE_ABOVE_BYTES || !/^image\/(jpeg|png|webp)$/.test(file.type)) return resolve(file);
      var url = URL.createObjectURL(file);
      var img = new Image();
      img.onerror = function () { URL.revokeObjectURL(url); resolve(file); };
      img.onload = function () {
        URL.revokeObjectURL(url);
        var sw = img.naturalWidth, sh = img.naturalHeight;
        var scale = Math.min(1, MAX_SIDE / Math.max(sw, sh));
        if (!sw || !sh) return resolve(file);
        var canvas = document.createElement("canvas");
        canvas.width = Math.round(sw * scale);
        canvas.height = Math.round(sh * scale);
        var ctx = canvas.getContext("2d");
        ctx.fillStyle = "#fff";
        ctx.fillRect(0, 0, canvas.width, canvas.height);
        ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
        canvas.toBlob(function (blob) {
          canvas.width = canvas.height = 0;
          if (!blob || blob.size >= file.size) return resolve(file);
          resolve(new File([blob], file.name.replace(/\.[^.]*$/, "") + ".jpg", { type: "image/jpeg" }));
        }, "image/jpeg", 0.85);
      };
      img.src = url;
    });
  }

  function publicForm() {
    var form = document.querySelector("[data-rp-public]");
    if (!form) return;
    var anon = form.querySelector('input[name="anonymous"]');
    var identity = form.querySelector("[data-rp-identity]");
    function toggle() { if (identity) identity.hidden = !!(anon && anon.checked); }
    if (anon) anon.addEventListener("change", toggle);
    toggle();

    var button = form.querySelector('button[type="submit"]');
    var sending = false;
    function markSending() {
      sending = true;
      if (button) { button.disabled = true; button.textContent = button.dataset.sending || button.textContent; }
    }
    window.addEventListener("pageshow", function () {
      sending = false;
      if (button) button.disabled = false;
    });
    form.addEventListener("submit", function (ev) {
      if (sending) { ev.preventDefault(); return; }
      var input = form.querySelector('input[type="file"]');
      var files = input && input.files ? Array.prototype.slice.call(input.files) : [];
      var big = files.some(function (f) { return f.size > RESIZE_ABOVE_BYTES; });
      if (!big || typeof DataTransfer === "undefined") { markSending(); return; }
      ev.preventDefault();
      markSending();
      Promise.all(files.map(shrink)).then(function (out) {
        try {
          var dt = new DataTransfer();
          out.forEach(function (f) { dt.items.add(f); });
          input.files = dt.files;
        } catch (e) { /* keep the originals */ }
        HTMLFormElement.prototype.submit.call(form);
      });
    });
  }

  // --- kelurahan autocomplete ------------------------------------------------------

  // input: the text box; url: the search endpoint; onPick(row); wide: any kelurahan.
  function autocomplete(input, list, url, onPick, wide) {
    var rows = [];
    var active = -1;
    var lastQuery = "";
    function close() { list.hidden = true; list.textContent = ""; rows = []; active = -1; input.setAttribute("aria-expanded", "false"); }
    function render() {
      list.textContent = "";
      rows.forEach(function (r, i) {
        var li = document.createElement("li");
        li.setAttribute("role", "option");
        li.id = input.id + "-opt-" + i;
        li.className = i === active ? "rp-ac-active" : "";
        var strong = document.createElement("strong");
        strong.textContent = r.nama;
        li.appendChild(strong);
        li.appendChild(document.createTextNode(" · " + (r.kecamatan ? "Kec. " + r.kecamatan + " · " : "") + r.kode));
        li.addEventListener("mousedown", function (ev) { ev.preventDefault(); pick(i); });
        list.appendChild(li);
      });
      if (!rows.length && list.dataset.none) {
        var none = document.createElement("li");
        none.className = "muted";
        none.textContent = list.dataset.none;
        list.appendChild(none);
      }
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      if (active >= 0) input.setAttribute("aria-activedescendant", input.id + "-opt-" + active);
    }
    function pick(i) {
      var r = rows[i];
      if (!r) return;
      onPick(r);
      close();
    }
    var search = debounce(function () {
      var q = input.value.trim();
      if (q.length < 2) { close(); return; }
      lastQuery = q;
      var u = url + "?q=" + encodeURIComponent(q) + (wide ? "&wide=1" : "");
      fetch(u, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : { results: [] }; })
        .then(function (body) {
          if (q !== lastQuery || document.activeElement !== input) return;
          rows = body.results || [];
          active = rows.length ? 0 : -1;
          render();
        })
        .catch(close);
    }, 200);
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.addEventListener("input", search);
    input.addEventListener("blur", function () { setTimeout(close, 100); });
    input.addEventListener("keydown", function (ev) {
      if (list.hidden || !rows.length) return;
      if (ev.key === "ArrowDown") { active = (active + 1) % rows.length; render(); ev.preventDefault(); }
      else if (ev.key === "ArrowUp") { active = (active - 1 + rows.length) % rows.length; render(); ev.preventDefault(); }
      else if (ev.key === "Enter") { pick(Math.max(0, active)); ev.preventDefault(); ev.stopPropagation(); }
      else if (ev.key === "Escape") { close(); ev.preventDefault(); }
    });
  }

  // --- the 110 operator ------------------------------------------------------------

  function operatorForm() {
    var form = document.querySelector("[data-rp-operator]");
    if (!form) return;
    var select = form.querySelector("[data-rp-category]");
    var chips = Array.prototype.slice.call(form.querySelectorAll("[data-rp-cat]"));
    var values = chips.map(function (c) { return c.dataset.rpCat; });
    var next = form.querySelector('[name="caller_name"]');

    function showCategory() {
      chips.forEach(function (c) { c.classList.toggle("rp-cat-on", c.dataset.rpCat === select.value); });
    }
    function pickCategory(value, advance) {
      select.value = value;
      select.dispatchEvent(new Event("change", { bubbles: true }));
      if (advance && next) next.focus();
    }
    select.addEventListener("change", showCategory);
    chips.forEach(function (c) {
      c.addEventListener("click", function () { pickCategory(c.dataset.rpCat, true); });
    });
    showCategory();

    function typing(t) {
      if (!t) return false;
      if (t.tagName === "TEXTAREA") return true;
      return t.tagName === "INPUT" && !/^(checkbox|radio|button|submit|reset|hidden)$/.test(t.type);
    }
    form.addEventListener("keydown", function (ev) {
      var t = ev.target;
      if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
        ev.preventDefault();
        form.requestSubmit();
        return;
      }
      if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
      if (!typing(t) && /^[1-9]$/.test(ev.key) && values[+ev.key - 1]) {
        ev.preventDefault();
        pickCategory(values[+ev.key - 1], true);
        return;
      }
      if (ev.key === "Enter" && (t.tagName === "SELECT" || t.type === "checkbox")) {
        ev.preventDefault();
        form.requestSubmit();
      }
    });

    var q = form.querySelector("[data-rp-kelurahan-q]");
    var hidden = form.querySelector("[data-rp-kelurahan]");
    var list = form.querySelector("[data-rp-ac-list]");
    var pickedEl = form.querySelector("[data-rp-picked]");
    list.dataset.none = form.dataset.noneText || "";
    function showPicked(r) {
      pickedEl.textContent = r ? "✓ " + r.nama + (r.kecamatan ? " · Kec. " + r.kecamatan : "") + " · " + r.kode : "";
    }
    autocomplete(q, list, form.dataset.searchUrl, function (r) {
      hidden.value = r.kode;
      q.value = r.nama;
      q.dataset.picked = r.nama;
      showPicked(r);
    }, false);
    q.addEventListener("input", function () {
      if (q.value !== q.dataset.picked) { hidden.value = ""; showPicked(null); }
    });
    form.addEventListener("reset", function () {
      hidden.value = "";
      q.dataset.picked = "";
      showPicked(null);
      setTimeout(function () { showCategory(); select.focus(); }, 0);
    });
    var button = form.querySelector('button[type="submit"]');
    form.addEventListener("submit", function () { if (button) button.disabled = true; });
  }

  function rerouteFields() {
    var box = document.querySelector("[data-rp-search-url]");
    if (!box) return;
    box.querySelectorAll("[data-rp-kelurahan-wide]").forEach(function (input) {
      var list = document.createElement("ul");
      list.className = "rp-ac-list";
      list.setAttribute("role", "listbox");
      list.hidden = true;
      input.parentNode.appendChild(list);
      var note = document.createElement("small");
      note.className = "rp-picked";
      input.parentNode.appendChild(note);
      autocomplete(input, list, box.dataset.rpSearchUrl, function (r) {
        input.value = r.kode;
        note.textContent = "✓ " + r.nama + (r.kecamatan ? " · Kec. " + r.kecamatan : "");
      }, true);
    });
  }

  maps();
  publicForm();
  operatorForm();
  rerouteFields();
})();
