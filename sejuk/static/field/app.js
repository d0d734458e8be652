/* Sejuk Lapangan: the officer's offline-first field log (see docs/pwa.md).
 *
 * Plain ES2019, no build step. Everything the officer saves goes to the IndexedDB
 * outbox first, even online; a sync loop sends it in order (activity, then its
 * photos) and keeps it queued, with back-off, until the server has it. Each record
 * carries a client_uuid made once, at first save, which the server uses as the
 * idempotency key (docs/fieldwork.md), so a retry can never create a second entry.
 */
(function () {
  "use strict";

  var CONFIG = JSON.parse(document.getElementById("field-config").textContent);
  var USER = CONFIG.user.id;
  var LANG = (document.documentElement.lang || "id").slice(0, 2).toLowerCase();

  // --- strings -------------------------------------------------------------
  // Indonesian first; English as the fallback for any other page language.
  var STRINGS = {
    id: {
      offline: "Offline",
      waiting: "Menunggu: {n}",
      attention: "Perlu perhatian: {n}",
      synced: "Tersinkron",
      syncing: "Mengirim… ({n})",
      lastError: "Galat terakhir: {msg}",
      networkError: "Tidak ada koneksi ke server. Dicoba lagi {when}.",
      retryIn: "dalam {s} detik",
      retrySoon: "sebentar lagi",
      sessionExpired: "Sesi berakhir. Masuk lagi agar catatan terkirim.",
      login: "Masuk",
      forbidden: "Akun ini tidak boleh mencatat kegiatan lapangan.",
      serverError: "Server sedang bermasalah ({status}). Dicoba lagi {when}.",
      notFound: "Di luar wilayah Anda atau tidak ditemukan.",
      rejected: "Ditolak server: {msg}",
      photoRejected: "Foto ditolak: {msg}",
      conflict: "Bentrok dengan perubahan lain: {msg}",
      stateQueued: "Menunggu",
      stateSynced: "Tersinkron",
      stateError: "Perlu perhatian",
      statePhotos: "Foto menunggu",
      photos: "{n} foto",
      titikCount: "{n} titik",
      complaintsCount: "{n} keluhan",
      edit: "Ubah",
      retry: "Coba lagi",
      dropPhotos: "Buang foto yang ditolak",
      savedOffline: "Tersimpan di HP. Dikirim otomatis saat ada sinyal.",
      savedOnline: "Tersimpan. Sedang dikirim…",
      updated: "Perubahan tersimpan di HP.",
      checkin: "Check-in GPS",
      checkinAgain: "Ulangi check-in",
      locating: "Mencari lokasi…",
      checkinDone: "{d} m dari titik · akurasi ±{a} m",
      checkinFar: "⚠ {d} m dari titik (lebih dari 200 m) · akurasi ±{a} m",
      checkinNoPoint: "Lokasi tercatat · akurasi ±{a} m",
      gpsDenied: "Izin lokasi ditolak. Izinkan lokasi untuk aplikasi ini di pengaturan HP.",
      gpsUnavailable: "Lokasi tidak tersedia. Coba di tempat terbuka.",
      gpsTimeout: "GPS terlalu lama. Coba lagi.",
      gpsNone: "HP ini tidak mendukung GPS.",
      complaint: "Keluhan",
      complaintDetails: "Rincian",
      raisedBy: "Disampaikan oleh",
      dueDate: "Batas waktu",
      removeComplaint: "Hapus keluhan ini",
      removePhoto: "Hapus foto",
      photoResizing: "Memperkecil foto…",
      photoReady: "Foto siap: {w}×{h}, {kb} KB.",
      photoFailed: "Foto tidak bisa dibaca: {msg}",
      photoLimit: "Paling banyak {n} foto per catatan.",
      needKelurahan: "Pilih kelurahan.",
      needStart: "Isi waktu mulai.",
      endBeforeStart: "Waktu selesai sebelum waktu mulai.",
      needComplaint: "Isi ringkasan keluhan (atau hapus barisnya).",
      needDue: "Isi batas waktu keluhan.",
      fixErrors: "Periksa isian yang ditandai.",
      dataAge: "Data wilayah: {when}",
      dataAgeCached: "Data wilayah tersimpan: {when} (offline)",
      noData: "Data wilayah belum ada di HP ini. Buka aplikasi sekali saat online.",
      pickKelurahan: "— pilih kelurahan —",
      kept: "Disimpan: «{v}»",
      discarded: "Dibuang: «{v}»",
      conflictEntry: "{kind}, {when}",
      confirmClear: "Hapus semua data aplikasi di HP ini? {n} catatan yang belum terkirim akan HILANG.",
      confirmClearEmpty: "Hapus data wilayah, draf dan riwayat dari HP ini?",
      cleared: "Data di HP ini sudah dihapus.",
      confirmLogout: "{n} catatan belum terkirim. Catatan tetap di HP dan terkirim setelah Anda masuk lagi. Keluar sekarang?",
      flagged: "⚠ Check-in {name}: {d} m dari titik",
      otherUsers: "{n} catatan dari akun lain menunggu akun itu masuk lagi di HP ini.",
      serverRef: "Server #{id} · versi {v}",
      offlineReady: "✓ Siap offline",
      storageError: "Penyimpanan HP tidak tersedia: {msg}. Catatan tidak bisa disimpan offline.",
      none: "(kosong)",
      yes: "ya",
      no: "tidak",
      titikFallback: "Titik #{id}",
      field_kind: "Jenis kegiatan",
      field_started_at: "Mulai",
      field_ended_at: "Selesai",
      field_kelurahan: "Kelurahan",
      field_location_text: "Tempat",
      field_people_met: "Warga yang ditemui",
      field_people_count: "Jumlah orang",
      field_topics_other: "Topik lain",
      field_appeals: "Imbauan",
      field_notes: "Catatan",
      field_follow_up_needed: "Perlu tindak lanjut",
      planLog: "Catat di sini",
      planDone: "selesai",
      planMeta: "{done} dari {n} titik selesai · shift {a}–{b}",
    },
    en: {
      offline: "Offline",
      waiting: "Waiting: {n}",
      attention: "Needs attention: {n}",
      synced: "All synced",
      syncing: "Sending… ({n})",
      lastError: "Last error: {msg}",
      networkError: "Cannot reach the server. Retrying {when}.",
      retryIn: "in {s} s",
      retrySoon: "soon",
      sessionExpired: "Session expired. Log in again so your logs can be sent.",
      login: "Log in",
      forbidden: "This account may not log field work.",
      serverError: "The server has a problem ({status}). Retrying {when}.",
      notFound: "Outside your territory, or not found.",
      rejected: "Rejected by the server: {msg}",
      photoRejected: "Photo rejected: {msg}",
      conflict: "Conflicts with another change: {msg}",
      stateQueued: "Waiting",
      stateSynced: "Synced",
      stateError: "Needs attention",
      statePhotos: "Photos waiting",
      photos: "{n} photo(s)",
      titikCount: "{n} point(s)",
      complaintsCount: "{n} complaint(s)",
      edit: "Edit",
      retry: "Retry",
      dropPhotos: "Discard rejected photos",
      savedOffline: "Saved on this phone. It is sent automatically when online.",
      savedOnline: "Saved. Sending…",
      updated: "Changes saved on this phone.",
      checkin: "GPS check-in",
      checkinAgain: "Check in again",
      locating: "Finding your location…",
      checkinDone: "{d} m from the point · accuracy ±{a} m",
      checkinFar: "⚠ {d} m from the point (over 200 m) · accuracy ±{a} m",
      checkinNoPoint: "Location recorded · accuracy ±{a} m",
      gpsDenied: "Location permission denied. Allow location for this app in the phone settings.",
      gpsUnavailable: "Location unavailable. Try in the open.",
      gpsTimeout: "GPS took too long. Try again.",
      gpsNone: "This phone has no GPS support.",
      complaint: "Complaint",
      complaintDetails: "Details",
      raisedBy: "Raised by",
      dueDate: "Due date",
      removeComplaint: "Remove this complaint",
      removePhoto: "Remove photo",
      photoResizing: "Making the photo smaller…",
      photoReady: "Photo ready: {w}×{h}, {kb} KB.",
      photoFailed: "Cannot read the photo: {msg}",
      photoLimit: "At most {n} photos per log.",
      needKelurahan: "Choose a kelurahan.",
      needStart: "Fill in the start time.",
      endBeforeStart: "The end is before the start.",
      needComplaint: "Write the complaint summary (or remove the row).",
      needDue: "Fill in the complaint's due date.",
      fixErrors: "Check the marked fields.",
      dataAge: "Area data: {when}",
      dataAgeCached: "Area data saved: {when} (offline)",
      noData: "No area data on this phone yet. Open the app once while online.",
      pickKelurahan: "— choose a kelurahan —",
      kept: "Kept: «{v}»",
      discarded: "Discarded: «{v}»",
      conflictEntry: "{kind}, {when}",
      confirmClear: "Delete all app data on this phone? {n} unsent log(s) will be LOST.",
      confirmClearEmpty: "Delete area data, drafts and history from this phone?",
      cleared: "The data on this phone was deleted.",
      confirmLogout: "{n} log(s) not sent yet. They stay on this phone and are sent when you log in again. Log out now?",
      flagged: "⚠ Check-in {name}: {d} m from the point",
      otherUsers: "{n} log(s) from another account wait for that account to log in on this phone.",
      serverRef: "Server #{id} · version {v}",
      offlineReady: "✓ Ready offline",
      storageError: "Phone storage unavailable: {msg}. Logs cannot be kept offline.",
      none: "(empty)",
      yes: "yes",
      no: "no",
      titikFallback: "Point #{id}",
      field_kind: "Kind",
      field_started_at: "Started at",
      field_ended_at: "Ended at",
      field_kelurahan: "Kelurahan",
      field_location_text: "Place",
      field_people_met: "People met",
      field_people_count: "Number of people",
      field_topics_other: "Other topics",
      field_appeals: "Appeals",
      field_notes: "Notes",
      field_follow_up_needed: "Follow-up needed",
      planLog: "Log here",
      planDone: "done",
      planMeta: "{done} of {n} stops done · shift {a}–{b}",
    },
  };

  function t(key, params) {
    var table = STRINGS[LANG] || STRINGS.en;
    var s = table[key] !== undefined ? table[key] : STRINGS.en[key] !== undefined ? STRINGS.en[key] : key;
    if (params) {
      s = s.replace(/\{(\w+)\}/g, function (m, name) {
        return params[name] !== undefined && params[name] !== null ? String(params[name]) : m;
      });
    }
    return s;
  }

  var MAX_SIDE = 1600;
  var JPEG_QUALITY = 0.8;
  var MAX_PHOTOS = 10;
  var FLAG_METRES = 200;
  var TICK_MS = 30000;
  var BACKOFF_BASE_MS = 5000;
  var BACKOFF_MAX_MS = 5 * 60 * 1000;
  var SYNCED_KEEP_MS = 7 * 24 * 3600 * 1000;

  // --- small helpers -------------------------------------------------------
  function $(sel, root) { return (root || document).querySelector(sel); }
  function $all(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }

  function h(tag, attrs, children) {
    var el = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === null || v === undefined || v === false) return;
        if (k === "text") el.textContent = v;
        else if (k === "value") el.value = v;
        else if (k === "on") Object.keys(v).forEach(function (ev) { el.addEventListener(ev, v[ev]); });
        else if (k in el && typeof v !== "string") el[k] = v;
        else el.setAttribute(k, v === true ? "" : v);
      });
    }
    (children || []).forEach(function (c) {
      if (c === null || c === undefined || c === false) return;
      el.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return el;
  }

  function uuid4() {
    var c = window.crypto || window.msCrypto;
    // randomUUID exists only in secure contexts (https or localhost).
    if (c && typeof c.randomUUID === "function") {
      try { return c.randomUUID(); } catch (e) { /* fall through */ }
    }
    var b = new Uint8Array(16);
    c.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function dateValue(d) { return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()); }
  function localInputValue(d) { return dateValue(d) + "T" + pad(d.getHours()) + ":" + pad(d.getMinutes()); }
  function parseLocalInput(v) {
    var m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?/.exec(v || "");
    if (!m) return null;
    return new Date(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +(m[6] || 0));
  }
  // ISO 8601 with the phone's UTC offset, e.g. 2024-11-14T09:00:00+07:00.
  function isoLocal(d) {
    var off = -d.getTimezoneOffset();
    var sign = off >= 0 ? "+" : "-";
    off = Math.abs(off);
    return dateValue(d) + "T" + pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()) +
      sign + pad(Math.floor(off / 60)) + ":" + pad(off % 60);
  }
  function formatWhen(value) {
    var d = value instanceof Date ? value : new Date(value);
    if (isNaN(d.getTime())) return "";
    try {
      return d.toLocaleString(LANG === "id" ? "id-ID" : undefined, { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
    } catch (e) {
      return d.toISOString();
    }
  }
  function addDays(d, n) { var x = new Date(d.getTime()); x.setDate(x.getDate() + n); return x; }

  function distanceMetres(lat1, lon1, lat2, lon2) {
    var R = 6371008.8, rad = Math.PI / 180;
    var dLat = (lat2 - lat1) * rad, dLon = (lon2 - lon1) * rad;
    var a = Math.sin(dLat / 2) * Math.sin(dLat / 2) +
      Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) * Math.sin(dLon / 2);
    return 2 * R * Math.asin(Math.min(1, Math.sqrt(a)));
  }

  function readCookie(name) {
    var parts = document.cookie ? document.cookie.split("; ") : [];
    for (var i = 0; i < parts.length; i++) {
      var eq = parts[i].indexOf("=");
      if (parts[i].slice(0, eq) === name) return decodeURIComponent(parts[i].slice(eq + 1));
    }
    return "";
  }
  function csrfToken() { return readCookie(CONFIG.csrfCookie || "csrftoken"); }

  function display(v) {
    if (v === null || v === undefined || v === "") return t("none");
    if (v === true) return t("yes");
    if (v === false) return t("no");
    if (Array.isArray(v)) return v.length ? v.map(display).join(", ") : t("none");
    if (typeof v === "object") return JSON.stringify(v);
    if (typeof v === "string" && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(v)) return formatWhen(v) || v;
    return String(v);
  }

  // --- IndexedDB -----------------------------------------------------------
  // drafts: the form being filled ("current"); outbox: records to send, in order;
  // photos: resized JPEG blobs with their activity's client_uuid; cache: the
  // bootstrap data, what has synced ("synced:<uuid>") and unacknowledged conflicts.
  var DB_NAME = "sejuk-field";
  var DB_VERSION = 1;
  var dbPromise = null;

  function openDB() {
    if (dbPromise) return dbPromise;
    dbPromise = new Promise(function (resolve, reject) {
      if (!window.indexedDB) { reject(new Error("IndexedDB")); return; }
      var req = indexedDB.open(DB_NAME, DB_VERSION);
      req.onupgradeneeded = function () {
        var db = req.result;
        if (!db.objectStoreNames.contains("drafts")) db.createObjectStore("drafts", { keyPath: "key" });
        if (!db.objectStoreNames.contains("outbox")) {
          var ob = db.createObjectStore("outbox", { keyPath: "seq", autoIncrement: true });
          ob.createIndex("client_uuid", "client_uuid", { unique: true });
        }
        if (!db.objectStoreNames.contains("photos")) {
          var ph = db.createObjectStore("photos", { keyPath: "photo_uuid" });
          ph.createIndex("client_uuid", "client_uuid", { unique: false });
        }
        if (!db.objectStoreNames.contains("cache")) db.createObjectStore("cache", { keyPath: "key" });
      };
      req.onsuccess = function () {
        var db = req.result;
        // Another tab upgrading or "clear data on this phone": let go.
        db.onversionchange = function () { db.close(); dbPromise = null; };
        resolve(db);
      };
      req.onerror = function () { reject(req.error); };
      req.onblocked = function () { reject(new Error("IndexedDB blocked")); };
    });
    dbPromise.catch(function () { dbPromise = null; });
    return dbPromise;
  }

  // Run `fn(tx, out)` in one transaction; resolves with out.value when it commits.
  function txn(stores, mode, fn) {
    return openDB().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(stores, mode);
        var out = {};
        tx.oncomplete = function () { resolve(out.value); };
        tx.onerror = function () { reject(tx.error); };
        tx.onabort = function () { reject(tx.error || new Error("transaction aborted")); };
        fn(tx, out);
      });
    });
  }
  var idb = {
    get: function (store, key) {
      return txn([store], "readonly", function (tx, out) {
        tx.objectStore(store).get(key).onsuccess = function (e) { out.value = e.target.result; };
      });
    },
    put: function (store, value) {
      return txn([store], "readwrite", function (tx) { tx.objectStore(store).put(value); });
    },
    del: function (store, key) {
      return txn([store], "readwrite", function (tx) { tx.objectStore(store).delete(key); });
    },
    all: function (store) {
      return txn([store], "readonly", function (tx, out) {
        tx.objectStore(store).getAll().onsuccess = function (e) { out.value = e.target.result || []; };
      });
    },
    byIndex: function (store, index, key) {
      return txn([store], "readonly", function (tx, out) {
        tx.objectStore(store).index(index).getAll(key).onsuccess = function (e) { out.value = e.target.result || []; };
      });
    },
    prefix: function (store, prefix) {
      return txn([store], "readonly", function (tx, out) {
        var range = IDBKeyRange.bound(prefix, prefix + "\uffff");
        tx.objectStore(store).getAll(range).onsuccess = function (e) { out.value = e.target.result || []; };
      });
    },
  };

  // --- state ---------------------------------------------------------------
  var state = {
    data: null,          // normalised bootstrap data
    dataFetchedAt: null,
    dataSource: "none",  // fresh | cached | none
    visits: {},          // titik id -> {selected, checkin_at, lat, lon, accuracy_m, distance_m}
    editing: null,       // {client_uuid, base_version} while editing a saved log
    draftPhotos: [],     // photo records of the form being filled
    storageOk: true,
    plan: null,          // today's patrol plan as /api/v1/patrol/today answers it
  };
  var sync = {
    running: false, again: false, failures: 0, nextAt: 0, timer: null,
    lastError: "", needsLogin: false, lastOkAt: null,
  };

  // --- bootstrap data ------------------------------------------------------
  function list(x) { return Array.isArray(x) ? x : []; }
  function first() {
    for (var i = 0; i < arguments.length; i++) {
      if (arguments[i] !== undefined && arguments[i] !== null && arguments[i] !== "") return arguments[i];
    }
    return undefined;
  }
  function kodeOf(x) {
    if (!x) return "";
    if (typeof x === "string") return x;
    return first(x.kode, x.code, "");
  }

  // Accept the documented bootstrap shape with some leeway in key names.
  function normalise(d) {
    d = d || {};
    var shellNames = {};
    list(CONFIG.kelurahan).forEach(function (k) { shellNames[k.kode] = k.nama; });
    var categories = CONFIG.categories || {};
    var kel = list(first(d.kelurahan, d.wilayah)).map(function (k) {
      var kode = kodeOf(k);
      // The shell's "Kelurahan Galur" reads better than the bare "Galur".
      return { kode: kode, nama: first(shellNames[kode], k.display, k.nama, k.name, kode) };
    });
    var titik = list(first(d.titik_rawan, d.titik)).map(function (x) {
      var loc = x.location || {};
      return {
        id: first(x.id, x.pk),
        name: first(x.name, x.nama, ""),
        category: first(x.category_label, categories[x.category], x.category, ""),
        kelurahan: kodeOf(first(x.kelurahan, x.kelurahan_kode, x.kelurahan_id)),
        lat: first(x.lat, loc.lat), lon: first(x.lon, x.lng, loc.lon),
        vulnerability: first(x.vulnerability, ""),
        address: first(x.address, x.street, ""),
      };
    });
    var contacts = list(d.contacts).map(function (c) {
      return { id: c.id, name: first(c.name, ""), role: first(c.role_title, c.role, ""), kelurahan: kodeOf(first(c.kelurahan, c.kelurahan_kode)) };
    });
    var topics = list(first(d.topics, d.topic_choices, d.pick_list)).map(function (x) {
      if (Array.isArray(x)) return { key: x[0], label: x[1] };
      if (typeof x === "string") return { key: x, label: x };
      return { key: first(x.key, x.value, x.code), label: first(x.label, x.name, x.key) };
    });
    return {
      officer: d.officer || null,
      kelurahan: kel,
      titik: titik,
      contacts: contacts,
      topics: topics,
      activities: list(d.activities),
    };
  }

  function kelurahanList() {
    var fromData = state.data ? state.data.kelurahan : [];
    return fromData.length ? fromData : list(CONFIG.kelurahan);
  }
  function topicList() {
    var fromData = state.data ? state.data.topics : [];
    return fromData.length ? fromData : list(CONFIG.topics);
  }
  function kindLabel(kind) {
    var k = list(CONFIG.kinds).filter(function (x) { return x.value === kind; })[0];
    return k ? k.label : kind;
  }
  function kelurahanName(kode) {
    var k = kelurahanList().filter(function (x) { return x.kode === kode; })[0];
    return k ? k.nama : kode;
  }
  function titikById(id) {
    if (!state.data) return null;
    return state.data.titik.filter(function (x) { return String(x.id) === String(id); })[0] || null;
  }

  function applyData(raw, fetchedAt, source) {
    state.data = normalise(raw);
    state.dataFetchedAt = fetchedAt;
    state.dataSource = source;
    $("#app").setAttribute("data-bootstrap", source);
    renderDataAge();
    renderKelurahanOptions();
    renderTitik();
    renderContacts();
    renderTopics();
    if (lists.loaded) { renderOutbox(); renderConflicts(); }
  }

  function renderDataAge() {
    var el = $('[data-testid="data-age"]');
    if (!state.data) { el.textContent = t("noData"); return; }
    var when = formatWhen(state.dataFetchedAt);
    el.textContent = t(state.dataSource === "fresh" ? "dataAge" : "dataAgeCached", { when: when });
  }

  function loadCachedData() {
    return idb.get("cache", "bootstrap").then(function (rec) {
      // A phone can be shared: never show one officer's data to another.
      if (rec && rec.user === USER) applyData(rec.data, rec.fetched_at, "cached");
    }).catch(function () {});
  }

  // The bootstrap is audited on the server (it lists contacts): ask for it when
  // it is needed, once at a time, not on every event.
  var dataInFlight = null;
  var dataAskedAt = 0;
  var DATA_MIN_INTERVAL_MS = 60000;
  function fetchData(force) {
    if (dataInFlight) return dataInFlight;
    if (!force && Date.now() - dataAskedAt < DATA_MIN_INTERVAL_MS) return Promise.resolve();
    dataAskedAt = Date.now();
    dataInFlight = fetchDataNow().then(function () { dataInFlight = null; }, function () { dataInFlight = null; });
    return dataInFlight;
  }

  function fetchDataNow() {
    return fetch(CONFIG.urls.bootstrap, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (resp) {
        if (resp.status === 401 || resp.redirected) { sessionExpired(); return; }
        if (!resp.ok) return;
        // The Date header tells how old the copy is, also when the service worker
        // answered from its cache.
        var date = resp.headers.get("Date");
        return resp.json().then(function (raw) {
          // The worker's cache is per URL, not per user: after a change of account
          // on a shared phone it may still hold the previous officer's copy.
          if (raw && raw.user && raw.user.username && raw.user.username !== CONFIG.user.username) return;
          var fetchedAt = new Date(first(raw.generated_at, date) || Date.now()).toISOString();
          var fresh = navigator.onLine && Date.now() - new Date(fetchedAt).getTime() < 120000;
          applyData(raw, fetchedAt, fresh ? "fresh" : "cached");
          return idb.put("cache", { key: "bootstrap", user: USER, data: raw, fetched_at: fetchedAt });
        });
      })
      .catch(function () { /* offline and nothing cached by the worker: the IndexedDB copy stays */ })
      .then(checkOfflineReady);
  }

  // --- today's patrol plan (sejuk.patrol) -------------------------------------
  // The route made the evening before: stops in order with times. "Log here" fills
  // the form for that titik (patrol, kelurahan, ticked, GPS check-in); the saved log
  // goes through the outbox like any other, and the server links its visit to the
  // stop. A stop shows as done once the server says so or a log on this phone
  // today has a visit there, so it works offline too.
  var planBox = $('[data-testid="plan-today"]');
  var PLAN_URL = planBox ? planBox.getAttribute("data-url") : null;

  function todayValue() { return dateValue(new Date()); }

  function loggedTitikToday() {
    var out = {};
    var today = todayValue();
    lists.outbox.concat(lists.synced).forEach(function (i) {
      if (i.user !== USER || !i.payload) return;
      list(i.payload.visits).forEach(function (v) {
        if (String(v.checkin_at || i.payload.started_at || "").slice(0, 10) === today) out[v.titik_id] = true;
      });
    });
    return out;
  }

  function renderPlan() {
    if (!planBox) return;
    var plan = state.plan && state.plan.day === todayValue() ? state.plan.plan : null;
    var stops = plan ? list(plan.stops) : [];
    planBox.hidden = !stops.length;
    if (!stops.length) return;
    var logged = loggedTitikToday();
    var ol = $('[data-testid="plan-stops"]', planBox);
    ol.textContent = "";
    var done = 0;
    stops.forEach(function (s) {
      var isDone = !!(s.done || (s.titik_id && logged[s.titik_id]));
      if (isDone) done += 1;
      ol.appendChild(h("li", {
        class: "plan-stop", "data-testid": "plan-stop", "data-stop-id": String(s.id),
        "data-done": isDone ? "1" : "0", "data-must": s.must_visit ? "1" : "0",
      }, [
        h("span", { class: "plan-seq", text: String(s.sequence) }),
        h("span", { class: "plan-body" }, [
          h("span", { class: "plan-time", text: s.start || "" }),
          h("span", { class: "plan-name", text: s.name }),
        ]),
        isDone
          ? h("span", { class: "plan-done", text: "✓ " + t("planDone") })
          : h("button", { type: "button", class: "secondary", "data-action": "log-stop", "data-stop-id": String(s.id), text: t("planLog") }),
      ]));
    });
    $('[data-testid="plan-meta"]', planBox).textContent = t("planMeta", {
      done: done, n: stops.length, a: plan.shift_start, b: plan.shift_end,
    });
  }

  function applyPlan(raw) {
    if (!raw || (raw.user && raw.user.username !== CONFIG.user.username)) return false;
    state.plan = raw;
    renderPlan();
    return true;
  }

  function loadCachedPlan() {
    if (!PLAN_URL) return Promise.resolve();
    return idb.get("cache", "plan").then(function (rec) {
      if (rec && rec.user === USER) applyPlan(rec.data);
    }).catch(function () {});
  }

  function fetchPlan() {
    if (!PLAN_URL) return Promise.resolve();
    return fetch(PLAN_URL, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (resp) {
        if (!resp.ok || resp.redirected) return;
        return resp.json().then(function (raw) {
          if (applyPlan(raw)) return idb.put("cache", { key: "plan", user: USER, data: raw, fetched_at: new Date().toISOString() });
        });
      })
      .catch(function () { /* offline: the IndexedDB copy stays */ });
  }

  function logStop(id) {
    var plan = state.plan && state.plan.plan;
    var stop = plan ? list(plan.stops).filter(function (s) { return String(s.id) === String(id); })[0] : null;
    if (!stop) return;
    showView("form");
    var x = stop.titik_id ? titikById(stop.titik_id) : null;
    var kind = form.querySelector('input[name="kind"][value="patroli"]');
    if (kind) kind.checked = true;
    setKelurahan(x ? x.kelurahan : plan.kelurahan);
    if (!form.elements.location_text.value) form.elements.location_text.value = stop.name;
    if (stop.titik_id) {
      var cur = state.visits[stop.titik_id] || {};
      cur.selected = true;
      if (!cur.checkin_at) cur.checkin_at = isoLocal(new Date());
      state.visits[stop.titik_id] = cur;
    }
    renderTitik();
    renderContacts();
    var li = stop.titik_id ? $('[data-testid="titik"][data-titik-id="' + stop.titik_id + '"]') : null;
    if (li && li.scrollIntoView) li.scrollIntoView({ block: "center" });
    // Check in where the officer stands now; the form is saved with Save, as always.
    if (li && x) checkin(x, li);
    saveDraftSoon();
  }

  // --- form ----------------------------------------------------------------
  var form = $("#activity-form");

  function renderKelurahanOptions() {
    var sel = form.elements.kelurahan;
    var current = sel.value || (sel.getAttribute("data-want") || "");
    var items = kelurahanList();
    sel.textContent = "";
    if (items.length !== 1) sel.appendChild(h("option", { value: "", text: t("pickKelurahan") }));
    items.forEach(function (k) { sel.appendChild(h("option", { value: k.kode, text: k.nama })); });
    if (current && items.some(function (k) { return k.kode === current; })) sel.value = current;
    else if (items.length === 1) sel.value = items[0].kode;
    sel.removeAttribute("data-want");
  }

  function setKelurahan(kode) {
    var sel = form.elements.kelurahan;
    if (kode && $all("option", sel).some(function (o) { return o.value === kode; })) sel.value = kode;
    else if (kode) sel.setAttribute("data-want", kode);
  }

  function renderTitik() {
    var ul = $('[data-testid="titik-list"]');
    var kode = form.elements.kelurahan.value;
    var items = state.data ? state.data.titik.filter(function (x) { return !kode || x.kelurahan === kode; }) : [];
    ul.textContent = "";
    items.forEach(function (x) { ul.appendChild(titikRow(x)); });
    $('[data-empty="titik"]').hidden = items.length > 0;
  }

  function titikRow(x) {
    var v = state.visits[x.id] || {};
    var box = h("input", { type: "checkbox", name: "titik", value: String(x.id), checked: !!v.selected });
    var result = h("span", { class: "checkin-result", "data-testid": "checkin-result" });
    var btn = h("button", { type: "button", "data-action": "checkin", "data-testid": "checkin", text: t("checkin") });
    var checkinRow = h("div", { class: "checkin", "data-state": v.lat !== undefined && v.lat !== null ? "done" : "none" }, [btn, result]);
    var meta = [x.category, x.address].filter(Boolean).join(" · ");
    var li = h("li", {
      class: "titik", "data-testid": "titik", "data-titik-id": String(x.id),
      "data-selected": v.selected ? "1" : "0", "data-checked-in": v.lat !== undefined && v.lat !== null ? "1" : "0",
    }, [
      h("label", { class: "titik-head" }, [
        box,
        h("span", null, [
          h("span", { class: "titik-name", text: x.name }),
          h("span", { class: "titik-meta" }, [
            x.vulnerability ? h("span", { class: "vuln vuln-" + x.vulnerability, text: x.vulnerability }) : null,
            meta ? " " + meta : null,
          ]),
        ]),
      ]),
      checkinRow,
    ]);
    box.addEventListener("change", function () {
      var cur = state.visits[x.id] || {};
      cur.selected = box.checked;
      if (box.checked && !cur.checkin_at) cur.checkin_at = isoLocal(new Date());
      state.visits[x.id] = cur;
      li.setAttribute("data-selected", box.checked ? "1" : "0");
      saveDraftSoon();
    });
    btn.addEventListener("click", function () { checkin(x, li); });
    paintCheckin(x, li);
    return li;
  }

  function paintCheckin(x, li) {
    var v = state.visits[x.id] || {};
    var row = $(".checkin", li), result = $(".checkin-result", li), btn = $("button", row);
    var done = v.lat !== undefined && v.lat !== null;
    row.setAttribute("data-state", done ? "done" : "none");
    li.setAttribute("data-checked-in", done ? "1" : "0");
    btn.textContent = done ? t("checkinAgain") : t("checkin");
    result.classList.remove("far");
    if (!done) { result.textContent = v.gpsError || ""; return; }
    var a = Math.round(v.accuracy_m || 0);
    if (typeof v.distance_m === "number") {
      var far = v.distance_m > FLAG_METRES;
      result.textContent = t(far ? "checkinFar" : "checkinDone", { d: Math.round(v.distance_m), a: a });
      if (far) result.classList.add("far");
    } else {
      result.textContent = t("checkinNoPoint", { a: a });
    }
  }

  function checkin(x, li) {
    var result = $(".checkin-result", li);
    var cur = state.visits[x.id] || {};
    if (!navigator.geolocation) { cur.gpsError = t("gpsNone"); state.visits[x.id] = cur; paintCheckin(x, li); return; }
    result.textContent = t("locating");
    li.setAttribute("data-checked-in", "pending");
    navigator.geolocation.getCurrentPosition(function (pos) {
      var c = pos.coords;
      var lat = Math.round(c.latitude * 1e6) / 1e6, lon = Math.round(c.longitude * 1e6) / 1e6;
      var v = state.visits[x.id] || {};
      v.selected = true;
      v.checkin_at = isoLocal(new Date(pos.timestamp || Date.now()));
      v.lat = lat; v.lon = lon;
      v.accuracy_m = Math.round((c.accuracy || 0) * 10) / 10;
      v.distance_m = typeof x.lat === "number" && typeof x.lon === "number" ? Math.round(distanceMetres(lat, lon, x.lat, x.lon)) : null;
      v.gpsError = "";
      state.visits[x.id] = v;
      $('input[name="titik"]', li).checked = true;
      li.setAttribute("data-selected", "1");
      paintCheckin(x, li);
      saveDraftSoon();
    }, function (err) {
      var v = state.visits[x.id] || {};
      v.gpsError = err.code === 1 ? t("gpsDenied") : err.code === 3 ? t("gpsTimeout") : t("gpsUnavailable");
      state.visits[x.id] = v;
      paintCheckin(x, li);
    }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 15000 });
  }

  function renderContacts() {
    var box = $('[data-testid="contacts"]');
    var ul = $(".contact-list", box);
    var kode = form.elements.kelurahan.value;
    var chosen = {};
    $all('input[name="contact"]:checked', ul).forEach(function (i) { chosen[i.value] = true; });
    (box.getAttribute("data-want") || "").split(",").forEach(function (id) { if (id) chosen[id] = true; });
    box.removeAttribute("data-want");
    var items = state.data ? state.data.contacts.filter(function (c) { return !kode || !c.kelurahan || c.kelurahan === kode; }) : [];
    ul.textContent = "";
    items.forEach(function (c) {
      ul.appendChild(h("li", null, [h("label", null, [
        h("input", { type: "checkbox", name: "contact", value: String(c.id), checked: !!chosen[String(c.id)] }),
        h("span", { text: c.name + (c.role ? " · " + c.role : "") }),
      ])]));
    });
    box.hidden = items.length === 0;
  }

  function renderTopics() {
    var box = $('[data-testid="topics"]');
    var chosen = {};
    $all('input[name="topics"]:checked', box).forEach(function (i) { chosen[i.value] = true; });
    (box.getAttribute("data-want") || "").split(",").forEach(function (k) { if (k) chosen[k] = true; });
    box.removeAttribute("data-want");
    box.textContent = "";
    topicList().forEach(function (x) {
      box.appendChild(h("label", { class: "choice" }, [
        h("input", { type: "checkbox", name: "topics", value: x.key, checked: !!chosen[x.key] }),
        h("span", { text: x.label }),
      ]));
    });
  }

  function complaintRow(c) {
    c = c || {};
    var uuid = c.client_uuid || uuid4();
    var due = c.due_date || dateValue(addDays(new Date(), 7));
    var n = $all(".complaint", $('[data-testid="complaints"]')).length + 1;
    var id = "c-" + uuid.slice(0, 8);
    return h("li", { class: "complaint", "data-testid": "complaint", "data-uuid": uuid }, [
      h("label", { for: id + "-s", text: t("complaint") + " " + n }),
      h("input", { id: id + "-s", name: "c_summary", maxlength: "300", value: c.summary || "" }),
      h("label", { for: id + "-d", text: t("complaintDetails") }),
      h("textarea", { id: id + "-d", name: "c_details", rows: "2", value: c.details || "" }),
      h("div", { class: "row2" }, [
        h("div", null, [
          h("label", { for: id + "-r", text: t("raisedBy") }),
          h("input", { id: id + "-r", name: "c_raised_by", maxlength: "150", value: c.raised_by || "" }),
        ]),
        h("div", null, [
          h("label", { for: id + "-u", text: t("dueDate") }),
          h("input", { id: id + "-u", name: "c_due_date", type: "date", value: due }),
        ]),
      ]),
      h("p", { class: "field-error", hidden: true }),
      h("button", { type: "button", class: "link remove", "data-action": "remove-complaint", text: t("removeComplaint") }),
    ]);
  }

  function collectForm() {
    var f = form.elements;
    var kind = $('input[name="kind"]:checked', form);
    var complaints = $all(".complaint", form).map(function (row) {
      return {
        client_uuid: row.getAttribute("data-uuid"),
        summary: $('[name="c_summary"]', row).value.trim(),
        details: $('[name="c_details"]', row).value.trim(),
        raised_by: $('[name="c_raised_by"]', row).value.trim(),
        due_date: $('[name="c_due_date"]', row).value,
      };
    });
    var visits = {};
    Object.keys(state.visits).forEach(function (id) { visits[id] = Object.assign({}, state.visits[id]); });
    return {
      kind: kind ? kind.value : "",
      started_at: f.started_at.value,
      ended_at: f.ended_at.value,
      kelurahan: f.kelurahan.value || f.kelurahan.getAttribute("data-want") || "",
      location_text: f.location_text.value.trim(),
      people_met: f.people_met.value.trim(),
      people_count: f.people_count.value,
      contact_ids: $all('input[name="contact"]:checked', form).map(function (i) { return i.value; }),
      topics: $all('input[name="topics"]:checked', form).map(function (i) { return i.value; }),
      topics_other: f.topics_other.value.trim(),
      appeals: f.appeals.value.trim(),
      notes: f.notes.value.trim(),
      follow_up_needed: f.follow_up_needed.checked,
      visits: visits,
      complaints: complaints,
    };
  }

  function fillForm(s) {
    var f = form.elements;
    s = s || {};
    var kind = $('input[name="kind"][value="' + (s.kind || "") + '"]', form) || $('input[name="kind"]', form);
    if (kind) kind.checked = true;
    f.started_at.value = s.started_at || localInputValue(new Date());
    f.ended_at.value = s.ended_at || "";
    setKelurahan(s.kelurahan || "");
    f.location_text.value = s.location_text || "";
    f.people_met.value = s.people_met || "";
    f.people_count.value = s.people_count || "";
    f.topics_other.value = s.topics_other || "";
    f.appeals.value = s.appeals || "";
    f.notes.value = s.notes || "";
    f.follow_up_needed.checked = !!s.follow_up_needed;
    state.visits = {};
    Object.keys(s.visits || {}).forEach(function (id) { state.visits[id] = Object.assign({}, s.visits[id]); });
    $all('input[name="topics"]', form).forEach(function (i) { i.checked = false; });
    $('[data-testid="topics"]').setAttribute("data-want", list(s.topics).join(","));
    $('[data-testid="contacts"]').setAttribute("data-want", list(s.contact_ids).join(","));
    var ol = $('[data-testid="complaints"]');
    ol.textContent = "";
    list(s.complaints).forEach(function (c) { ol.appendChild(complaintRow(c)); });
    renderKelurahanOptions();
    renderTitik();
    renderContacts();
    renderTopics();
    clearErrors();
  }

  function buildPayload(s, clientUuid, baseVersion) {
    var count = parseInt(s.people_count, 10);
    var kel = s.kelurahan;
    var started = parseLocalInput(s.started_at);
    var ended = parseLocalInput(s.ended_at);
    var visits = Object.keys(s.visits).filter(function (id) {
      var x = titikById(id);
      // Only points of the chosen kelurahan (the officer may have switched).
      return s.visits[id].selected && (!x || !x.kelurahan || x.kelurahan === kel);
    }).map(function (id) {
      var v = s.visits[id];
      var hasFix = v.lat !== undefined && v.lat !== null;
      return {
        titik_id: parseInt(id, 10),
        checkin_at: v.checkin_at || isoLocal(started || new Date()),
        lat: hasFix ? v.lat : null,
        lon: hasFix ? v.lon : null,
        accuracy_m: hasFix ? v.accuracy_m : null,
      };
    });
    return {
      client_uuid: clientUuid,
      base_version: baseVersion === undefined ? null : baseVersion,
      client_edited_at: isoLocal(new Date()),
      kind: s.kind,
      started_at: started ? isoLocal(started) : null,
      ended_at: ended ? isoLocal(ended) : null,
      kelurahan: kel,
      location_text: s.location_text,
      people_met: s.people_met,
      people_count: isNaN(count) ? null : count,
      contact_ids: s.contact_ids.map(function (x) { return parseInt(x, 10); }),
      topics: s.topics,
      topics_other: s.topics_other,
      appeals: s.appeals,
      notes: s.notes,
      follow_up_needed: !!s.follow_up_needed,
      visits: visits,
      complaints: s.complaints.filter(function (c) { return c.summary; }).map(function (c) {
        return { client_uuid: c.client_uuid, summary: c.summary, details: c.details, raised_by: c.raised_by, due_date: c.due_date };
      }),
    };
  }

  function clearErrors() {
    $all(".field-error", form).forEach(function (p) { p.hidden = true; p.textContent = ""; });
    $all("[aria-invalid]", form).forEach(function (el) { el.removeAttribute("aria-invalid"); });
    var fe = $('[data-testid="form-error"]');
    fe.hidden = true;
    fe.textContent = "";
  }

  function validate(s) {
    clearErrors();
    var problems = [];
    function mark(el, msg, slot) {
      el.setAttribute("aria-invalid", "true");
      if (slot) { slot.textContent = msg; slot.hidden = false; }
      problems.push({ el: el, msg: msg });
    }
    var f = form.elements;
    if (!s.kelurahan) mark(f.kelurahan, t("needKelurahan"), $('[data-error-for="kelurahan"]'));
    var start = parseLocalInput(s.started_at), end = parseLocalInput(s.ended_at);
    if (!start) mark(f.started_at, t("needStart"));
    if (start && end && end < start) mark(f.ended_at, t("endBeforeStart"));
    $all(".complaint", form).forEach(function (row) {
      var summary = $('[name="c_summary"]', row), due = $('[name="c_due_date"]', row);
      var others = $('[name="c_details"]', row).value.trim() || $('[name="c_raised_by"]', row).value.trim();
      var slot = $(".field-error", row);
      if (!summary.value.trim() && others) mark(summary, t("needComplaint"), slot);
      else if (summary.value.trim() && !due.value) mark(due, t("needDue"), slot);
    });
    if (problems.length) {
      var fe = $('[data-testid="form-error"]');
      fe.textContent = t("fixErrors") + " " + problems.map(function (p) { return p.msg; }).join(" ");
      fe.hidden = false;
      problems[0].el.focus();
    }
    return problems.length === 0;
  }

  // --- drafts --------------------------------------------------------------
  var draftTimer = null;
  function saveDraftSoon() {
    clearTimeout(draftTimer);
    draftTimer = setTimeout(saveDraftNow, 400);
  }
  function saveDraftNow() {
    clearTimeout(draftTimer);
    draftTimer = null;
    if (!state.storageOk) return Promise.resolve();
    return idb.put("drafts", {
      key: "current", user: USER, form: collectForm(), editing: state.editing, updated_at: new Date().toISOString(),
    }).catch(function () {});
  }

  function resetForm() {
    state.editing = null;
    state.visits = {};
    state.draftPhotos = [];
    fillForm({ kind: "", started_at: localInputValue(new Date()) });
    renderThumbs();
    renderEditing();
    $('[data-testid="photo-status"]').textContent = "";
  }

  function renderEditing() {
    $('[data-testid="editing"]').hidden = !state.editing;
  }

  function restoreDraft() {
    return Promise.all([idb.get("drafts", "current"), idb.all("photos")]).then(function (r) {
      var draft = r[0];
      state.draftPhotos = r[1].filter(function (p) { return p.draft && p.user === USER; });
      if (draft && draft.user === USER) {
        fillForm(draft.form);
        state.editing = draft.editing || null;
      } else {
        fillForm({ started_at: localInputValue(new Date()) });
      }
      renderThumbs();
      renderEditing();
    });
  }

  // --- photos --------------------------------------------------------------
  function decodeImage(file) {
    if (window.createImageBitmap) {
      // from-image applies the EXIF rotation, so portrait photos stay upright.
      return createImageBitmap(file, { imageOrientation: "from-image" }).catch(function () {
        return decodeWithImg(file);
      });
    }
    return decodeWithImg(file);
  }
  function decodeWithImg(file) {
    return new Promise(function (resolve, reject) {
      var url = URL.createObjectURL(file);
      var img = new Image();
      img.onload = function () { URL.revokeObjectURL(url); resolve(img); };
      img.onerror = function () { URL.revokeObjectURL(url); reject(new Error("decode")); };
      img.src = url;
    });
  }

  // Longest side at most 1600 px, JPEG at quality 0.8. Re-encoding on a canvas also
  // drops EXIF (and the GPS in it) before the photo ever leaves the phone.
  function resizePhoto(file) {
    return decodeImage(file).then(function (src) {
      var sw = src.naturalWidth || src.width, sh = src.naturalHeight || src.height;
      if (!sw || !sh) throw new Error("empty image");
      var scale = Math.min(1, MAX_SIDE / Math.max(sw, sh));
      var w = Math.max(1, Math.round(sw * scale)), hgt = Math.max(1, Math.round(sh * scale));
      var canvas = document.createElement("canvas");
      canvas.width = w;
      canvas.height = hgt;
      var ctx = canvas.getContext("2d");
      ctx.imageSmoothingEnabled = true;
      ctx.imageSmoothingQuality = "high";
      ctx.fillStyle = "#fff";
      ctx.fillRect(0, 0, w, hgt);
      ctx.drawImage(src, 0, 0, w, hgt);
      if (typeof src.close === "function") src.close();
      return new Promise(function (resolve, reject) {
        canvas.toBlob(function (blob) {
          canvas.width = canvas.height = 0; // free the bitmap memory on small phones
          if (!blob) reject(new Error("encode"));
          else resolve({ blob: blob, width: w, height: hgt });
        }, "image/jpeg", JPEG_QUALITY);
      });
    });
  }

  function onPhotoPicked(ev) {
    var input = ev.target;
    var files = Array.prototype.slice.call(input.files || []);
    var status = $('[data-testid="photo-status"]');
    input.value = "";
    if (!files.length) return;
    var chain = Promise.resolve();
    files.forEach(function (file) {
      chain = chain.then(function () {
        if (state.draftPhotos.length >= MAX_PHOTOS) { status.textContent = t("photoLimit", { n: MAX_PHOTOS }); return; }
        status.textContent = t("photoResizing");
        return resizePhoto(file).then(function (r) {
          var rec = {
            photo_uuid: uuid4(), client_uuid: null, draft: true, user: USER, blob: r.blob,
            width: r.width, height: r.height, size: r.blob.size, caption: "",
            state: "draft", created_at: new Date().toISOString(),
          };
          return idb.put("photos", rec).then(function () {
            state.draftPhotos.push(rec);
            renderThumbs();
            status.textContent = t("photoReady", { w: r.width, h: r.height, kb: Math.round(r.blob.size / 1024) });
          });
        }).catch(function (err) {
          status.textContent = t("photoFailed", { msg: err && err.message ? err.message : String(err) });
        });
      });
    });
    return chain;
  }

  var thumbUrls = [];
  function renderThumbs() {
    var ul = $('[data-testid="photos"]');
    thumbUrls.forEach(function (u) { URL.revokeObjectURL(u); });
    thumbUrls = [];
    ul.textContent = "";
    state.draftPhotos.forEach(function (p) {
      var url = URL.createObjectURL(p.blob);
      thumbUrls.push(url);
      ul.appendChild(h("li", {
        class: "thumb", "data-testid": "photo-thumb", "data-photo-uuid": p.photo_uuid,
        "data-width": String(p.width), "data-height": String(p.height), "data-size": String(p.size),
      }, [
        h("figure", { style: "margin:0" }, [
          h("img", { src: url, alt: "" }),
          h("figcaption", { text: p.width + "×" + p.height + " · " + Math.round(p.size / 1024) + " KB" }),
        ]),
        h("button", { type: "button", "aria-label": t("removePhoto"), title: t("removePhoto"), text: "✕",
          on: { click: function () { removeDraftPhoto(p.photo_uuid); } } }),
      ]));
    });
  }

  function removeDraftPhoto(photoUuid) {
    state.draftPhotos = state.draftPhotos.filter(function (p) { return p.photo_uuid !== photoUuid; });
    renderThumbs();
    idb.del("photos", photoUuid).catch(function () {});
  }

  // --- save: into the outbox, always ----------------------------------------
  var saving = false;

  function summaryOf(payload, photoCount) {
    return {
      kind: payload.kind, started_at: payload.started_at, kelurahan: payload.kelurahan,
      titik: payload.visits.map(function (v) { var x = titikById(v.titik_id); return x ? x.name : t("titikFallback", { id: v.titik_id }); }),
      complaints: payload.complaints.length, photos: photoCount,
    };
  }

  function onSubmit(ev) {
    ev.preventDefault();
    if (saving) return;
    var s = collectForm();
    if (!validate(s)) return;
    saving = true;
    var editing = state.editing;
    var clientUuid = editing ? editing.client_uuid : uuid4();
    var draftPhotoIds = state.draftPhotos.map(function (p) { return p.photo_uuid; });
    var now = new Date().toISOString();
    txn(["outbox", "photos", "drafts", "cache"], "readwrite", function (tx, out) {
      var outbox = tx.objectStore("outbox"), photos = tx.objectStore("photos"), cache = tx.objectStore("cache");
      // The photos of this form now belong to the record.
      draftPhotoIds.forEach(function (id) {
        photos.get(id).onsuccess = function (e) {
          var p = e.target.result;
          if (!p) return;
          p.client_uuid = clientUuid; p.draft = false; p.state = "queued";
          photos.put(p);
        };
      });
      tx.objectStore("drafts").delete("current");
      outbox.index("client_uuid").get(clientUuid).onsuccess = function (e) {
        var item = e.target.result;
        if (item) {
          // One outbox item per record: an edit before it synced replaces the payload.
          var base = item.sent ? item.version : item.payload.base_version;
          item.payload = buildPayload(s, clientUuid, base);
          item.form = s;
          item.rev = (item.rev || 0) + 1;
          item.sent = false;
          item.state = "queued";
          item.error = "";
          item.saved_at = now;
          item.photo_count = (item.photo_count || 0) + draftPhotoIds.length;
          item.summary = summaryOf(item.payload, item.photo_count);
          outbox.put(item);
          out.value = { item: item, updated: true };
          return;
        }
        cache.get("synced:" + clientUuid).onsuccess = function (e2) {
          var synced = e2.target.result;
          var base = editing && editing.base_version !== undefined && editing.base_version !== null
            ? editing.base_version : synced ? synced.version : null;
          var payload = buildPayload(s, clientUuid, base);
          var count = (synced ? synced.photo_count || 0 : 0) + draftPhotoIds.length;
          var rec = {
            client_uuid: clientUuid, user: USER, payload: payload, form: s, rev: 1, sent: false,
            state: "queued", error: "", created_at: now, saved_at: now,
            server_id: synced ? synced.id : null, version: synced ? synced.version : null,
            photo_count: count, summary: summaryOf(payload, count),
          };
          outbox.add(rec).onsuccess = function (e3) { rec.seq = e3.target.result; };
          out.value = { item: rec, updated: !!synced };
        };
      };
    }).then(function (res) {
      clearTimeout(draftTimer);
      askPersistentStorage();
      resetForm();
      toast(res.updated ? t("updated") : navigator.onLine ? t("savedOnline") : t("savedOffline"));
      showView("list", clientUuid);
      return refreshLists().then(function () { requestSync(true); });
    }).catch(function (err) {
      var fe = $('[data-testid="form-error"]');
      fe.textContent = t("storageError", { msg: err && err.message ? err.message : String(err) });
      fe.hidden = false;
    }).then(function () { saving = false; });
  }

  var persistAsked = false;
  function askPersistentStorage() {
    // Ask the browser not to evict the outbox when the phone runs low on space.
    if (persistAsked || !navigator.storage || !navigator.storage.persist) return;
    persistAsked = true;
    navigator.storage.persist().catch(function () {});
  }

  // --- sync ----------------------------------------------------------------
  function NetworkError(message) { this.name = "NetworkError"; this.message = message; }

  function send(url, options, timeoutMs) {
    var ctrl = window.AbortController ? new AbortController() : null;
    var timer = ctrl ? setTimeout(function () { ctrl.abort(); }, timeoutMs) : null;
    options.credentials = "same-origin";
    options.cache = "no-store";
    if (ctrl) options.signal = ctrl.signal;
    options.headers = Object.assign({ "X-CSRFToken": csrfToken(), Accept: "application/json" }, options.headers || {});
    return fetch(url, options).then(function (resp) {
      clearTimeout(timer);
      return resp.text().then(function (text) {
        var body = null;
        try { body = text ? JSON.parse(text) : null; } catch (e) { body = { detail: text.slice(0, 200) }; }
        return { status: resp.status, ok: resp.ok, body: body || {}, redirected: resp.redirected };
      });
    }, function (err) {
      clearTimeout(timer);
      throw new NetworkError(err && err.message ? err.message : "network");
    });
  }

  function messageOf(body) {
    if (!body) return "";
    if (typeof body.message === "string" && body.message) return body.message;
    var d = body.detail;
    if (typeof d === "string") return d;
    if (Array.isArray(d)) {
      return d.map(function (e) {
        if (typeof e === "string") return e;
        var loc = list(e.loc).filter(function (p) { return p !== "body" && p !== "payload"; }).join(".");
        return (loc ? loc + ": " : "") + (e.msg || e.message || JSON.stringify(e));
      }).join("; ");
    }
    if (d && typeof d === "object") {
      return Object.keys(d).map(function (k) { return k + ": " + display(d[k]); }).join("; ");
    }
    if (body.errors) return display(body.errors);
    return "";
  }

  function isCsrfFailure(res) {
    return res.status === 403 && /csrf/i.test(JSON.stringify(res.body || {}));
  }

  // A 403 for CSRF means the cookie is gone or rotated (new login): fetch the shell
  // once to get a fresh one, then retry.
  function refreshCsrf() {
    return fetch(CONFIG.urls.scope, { credentials: "same-origin", cache: "no-store" }).then(function () {}, function () {});
  }

  function backoff(message) {
    sync.failures += 1;
    var delay = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * Math.pow(2, sync.failures - 1));
    delay = Math.round(delay * (0.8 + Math.random() * 0.4));
    sync.nextAt = Date.now() + delay;
    sync.lastError = message.replace("{when}", t("retryIn", { s: Math.round(delay / 1000) }));
    clearTimeout(sync.timer);
    sync.timer = setTimeout(function () { requestSync(false); }, delay);
  }

  function sessionExpired() {
    sync.needsLogin = true;
    sync.lastError = t("sessionExpired");
    renderStatus();
  }

  function requestSync(force) {
    if (force) { sync.failures = 0; sync.nextAt = 0; }
    if (sync.running) { sync.again = true; return Promise.resolve(); }
    return runSync();
  }

  function runSync() {
    if (!navigator.onLine || !state.storageOk) { renderStatus(); return Promise.resolve(); }
    if (Date.now() < sync.nextAt) return Promise.resolve();
    sync.running = true;
    renderStatus();
    var work = function () {
      return idb.all("outbox").then(function (items) {
        items = items.filter(function (i) { return i.user === USER && i.state !== "error"; });
        items.sort(function (a, b) { return a.seq - b.seq; });
        var chain = Promise.resolve("next");
        items.forEach(function (item) {
          chain = chain.then(function (r) { return r === "stop" ? "stop" : sendItem(item); });
        });
        return chain.then(function (r) {
          if (r === "stop") return r;
          return sendAcks().then(function () { return items.length ? "sent" : r; });
        });
      });
    };
    // One tab syncs at a time (two would only cause duplicates the server ignores).
    var locked = navigator.locks && navigator.locks.request
      ? navigator.locks.request("sejuk-field-sync", { ifAvailable: true }, function (lock) { return lock ? work() : "stop"; })
      : work();
    return Promise.resolve(locked).then(function (r) {
      if (r !== "stop") {
        sync.failures = 0;
        sync.nextAt = 0;
        sync.lastOkAt = new Date();
      }
      // New versions and conflicts (with their ids) come with the day's data.
      if (r === "sent") fetchData(true);
    }, function (err) {
      sync.lastError = String(err && err.message ? err.message : err);
    }).then(function () {
      sync.running = false;
      return refreshLists();
    }).then(function () {
      if (sync.again) { sync.again = false; return runSync(); }
    });
  }

  // Sends one record (activity, then its photos). Resolves "next" to go on with
  // the following record, or "stop" to wait (offline, server down, logged out).
  function sendItem(item) {
    var rev = item.rev;
    var step = item.sent ? Promise.resolve("photos") : postActivity(item);
    return step.then(function (r) {
      if (r !== "photos") return r;
      return sendPhotos(item).then(function (pr) {
        if (pr !== "done") return pr;
        return finishItem(item, rev);
      });
    });
  }

  function postActivity(item, csrfRetried) {
    var rev = item.rev;
    return send(CONFIG.urls.sync, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(item.payload),
    }, 30000).then(function (res) {
      if (res.ok) {
        sync.lastError = "";
        sync.needsLogin = false;
        return markSent(item, rev, res.body).then(function (fresh) {
          if (res.body && list(res.body.conflicts).length) return addConflicts(item, res.body.conflicts).then(function () { return fresh; });
          return fresh;
        }).then(function (fresh) {
          if (!fresh) return "next"; // edited meanwhile: the next round sends the new payload
          Object.assign(item, fresh);
          return "photos";
        });
      }
      return handleFailure(item, res, csrfRetried, function () { return postActivity(item, true); });
    }, function (err) {
      if (err instanceof NetworkError) { backoff(t("networkError")); return "stop"; }
      throw err;
    });
  }

  function handleFailure(item, res, csrfRetried, retry) {
    if (res.status === 401 || res.redirected) { sessionExpired(); backoff(t("sessionExpired")); return "stop"; }
    if (isCsrfFailure(res) && !csrfRetried) return refreshCsrf().then(retry);
    if (res.status === 403) { sync.lastError = t("forbidden"); backoff(t("forbidden")); return "stop"; }
    if (res.status === 404) return markError(item, t("notFound") + (messageOf(res.body) ? " (" + messageOf(res.body) + ")" : "")).then(function () { return "next"; });
    if (res.status === 409) {
      var conflicts = list(res.body && res.body.conflicts);
      var p = conflicts.length ? addConflicts(item, conflicts) : Promise.resolve();
      return p.then(function () { return markError(item, t("conflict", { msg: messageOf(res.body) || res.status })); }).then(function () { return "next"; });
    }
    if (res.status === 400 || res.status === 413 || res.status === 422) {
      return markError(item, t("rejected", { msg: messageOf(res.body) || res.status })).then(function () { return "next"; });
    }
    // 429, 5xx and anything unexpected: keep it queued and try again later.
    backoff(t("serverError", { status: res.status }));
    return "stop";
  }

  // Records the server's answer unless the officer edited the record while it
  // was on its way (then the edit is sent next, based on the version just made).
  function markSent(item, rev, body) {
    return txn(["outbox"], "readwrite", function (tx, out) {
      var store = tx.objectStore("outbox");
      store.get(item.seq).onsuccess = function (e) {
        var cur = e.target.result;
        if (!cur) return;
        cur.server_id = body.id;
        cur.version = body.version;
        cur.server_status = body.status;
        cur.visit_results = list(body.visits);
        if (cur.rev === rev) {
          cur.sent = true;
          out.value = cur;
        } else {
          cur.payload.base_version = body.version;
          sync.again = true;
        }
        store.put(cur);
      };
    });
  }

  function markError(item, message) {
    sync.lastError = message;
    return txn(["outbox"], "readwrite", function (tx) {
      var store = tx.objectStore("outbox");
      store.get(item.seq).onsuccess = function (e) {
        var cur = e.target.result;
        if (!cur) return;
        cur.state = "error";
        cur.error = message;
        store.put(cur);
      };
    });
  }

  function sendPhotos(item) {
    return idb.byIndex("photos", "client_uuid", item.client_uuid).then(function (photos) {
      photos = photos.filter(function (p) { return !p.draft; });
      photos.sort(function (a, b) { return a.created_at < b.created_at ? -1 : 1; });
      var chain = Promise.resolve("done");
      var rejected = false;
      photos.forEach(function (p) {
        chain = chain.then(function (r) {
          if (r === "stop" || r === "next") return r;
          if (p.state === "error") { rejected = true; return "done"; }
          return postPhoto(item, p).then(function (pr) {
            if (pr === "rejected") { rejected = true; return "done"; }
            return pr;
          });
        });
      });
      return chain.then(function (r) {
        if (r === "done" && rejected) {
          return markError(item, item.photo_error || t("photoRejected", { msg: "" })).then(function () { return "next"; });
        }
        return r;
      });
    });
  }

  function postPhoto(item, p, csrfRetried) {
    var fd = new FormData();
    fd.append("photo", p.blob, p.photo_uuid + ".jpg");
    fd.append("photo_uuid", p.photo_uuid);
    fd.append("caption", p.caption || "");
    var url = CONFIG.urls.photos.replace("{uuid}", encodeURIComponent(item.client_uuid));
    return send(url, { method: "POST", body: fd }, 120000).then(function (res) {
      if (res.ok) {
        sync.lastError = "";
        return idb.del("photos", p.photo_uuid).then(function () { return "done"; });
      }
      if (res.status === 404) {
        // The server does not know the activity (yet): send it again first.
        return txn(["outbox"], "readwrite", function (tx) {
          var store = tx.objectStore("outbox");
          store.get(item.seq).onsuccess = function (e) { var cur = e.target.result; if (cur) { cur.sent = false; store.put(cur); } };
        }).then(function () { backoff(t("serverError", { status: 404 })); return "stop"; });
      }
      if (res.status === 400 || res.status === 413 || res.status === 415 || res.status === 422) {
        var msg = t("photoRejected", { msg: messageOf(res.body) || res.status });
        item.photo_error = msg;
        p.state = "error";
        p.error = msg;
        return idb.put("photos", p).then(function () { return "rejected"; });
      }
      if (isCsrfFailure(res) && !csrfRetried) return refreshCsrf().then(function () { return postPhoto(item, p, true); });
      return handleFailure(item, res, true, null);
    }, function (err) {
      if (err instanceof NetworkError) { backoff(t("networkError")); return "stop"; }
      throw err;
    });
  }

  // Everything arrived: forget the outbox item, remember what the server made.
  function finishItem(item, rev) {
    return txn(["outbox", "cache", "photos"], "readwrite", function (tx, out) {
      var outbox = tx.objectStore("outbox"), cache = tx.objectStore("cache");
      outbox.get(item.seq).onsuccess = function (e) {
        var cur = e.target.result;
        if (!cur) return;
        if (cur.rev !== rev) { sync.again = true; out.value = "next"; return; }
        tx.objectStore("photos").index("client_uuid").count(item.client_uuid).onsuccess = function (e2) {
          if (e2.target.result > 0) { sync.again = true; out.value = "next"; return; } // new photos arrived meanwhile
          outbox.delete(item.seq);
          cache.put({
            key: "synced:" + item.client_uuid, user: cur.user, client_uuid: cur.client_uuid,
            id: cur.server_id, version: cur.version, status: cur.server_status, payload: cur.payload,
            form: cur.form, summary: cur.summary, photo_count: cur.photo_count || 0,
            visit_results: cur.visit_results || [], synced_at: new Date().toISOString(),
          });
          out.value = "next";
        };
      };
    }).then(function (r) { return r || "next"; });
  }

  function addConflicts(item, conflicts) {
    return idb.get("cache", "conflicts").then(function (rec) {
      rec = rec || { key: "conflicts", items: [] };
      conflicts.forEach(function (c) {
        rec.items.push({
          user: USER, client_uuid: item.client_uuid, kind: item.payload.kind, started_at: item.payload.started_at,
          field: c.field, kept: c.kept, discarded: c.discarded, at: new Date().toISOString(),
        });
      });
      return idb.put("cache", rec);
    });
  }

  // --- rendering: status bar, recent logs, conflicts -----------------------
  var lists = { loaded: false, outbox: [], synced: [], conflicts: [], acked: {} };

  function refreshLists() {
    return Promise.all([idb.all("outbox"), idb.prefix("cache", "synced:"), idb.get("cache", "conflicts"), idb.get("cache", "conflict-acks")])
      .then(function (r) {
        lists.outbox = r[0];
        lists.synced = r[1];
        lists.conflicts = r[2] ? r[2].items.filter(function (c) { return c.user === USER; }) : [];
        lists.acked = r[3] && r[3].user === USER ? r[3].ids : {};
        lists.loaded = true;
        renderStatus();
        renderOutbox();
        renderConflicts();
        renderPlan();
      })
      .catch(function (err) { storageFailed(err); });
  }

  function renderStatus() {
    var bar = $('[data-testid="sync-status"]');
    if (!lists.loaded && state.storageOk) return; // do not claim "synced" before the outbox is read
    var mine = lists.outbox.filter(function (i) { return i.user === USER; });
    var errors = mine.filter(function (i) { return i.state === "error"; }).length;
    var n = mine.length;
    var stateName, text;
    if (!navigator.onLine) {
      stateName = "offline";
      text = t("offline") + (n ? " · " + t("waiting", { n: n }) : "");
    } else if (sync.running && n) {
      stateName = "syncing";
      text = t("syncing", { n: n });
    } else if (errors) {
      stateName = "error";
      text = t("waiting", { n: n }) + " · " + t("attention", { n: errors });
    } else if (n) {
      stateName = "pending";
      text = t("waiting", { n: n });
    } else {
      stateName = "synced";
      text = t("synced");
    }
    if (!navigator.onLine && errors) text += " · " + t("attention", { n: errors });
    bar.setAttribute("data-state", stateName);
    bar.setAttribute("data-pending", String(n));
    bar.setAttribute("data-errors", String(errors));
    $(".sync-text", bar).textContent = text;
    var errEl = $('[data-testid="sync-error"]');
    errEl.textContent = "";
    if (sync.lastError) {
      errEl.appendChild(document.createTextNode(t("lastError", { msg: sync.lastError }) + " "));
      if (sync.needsLogin) errEl.appendChild(h("a", { href: CONFIG.urls.login, text: t("login") }));
    }
    errEl.hidden = !sync.lastError;
    var badge = $('[data-testid="pending-badge"]');
    badge.textContent = String(n);
    badge.hidden = n === 0;
  }

  function entryCard(rec, kind) {
    var sum = rec.summary || {};
    var st = kind === "synced" ? "synced" : rec.state === "error" ? "error" : "queued";
    var stateLabel = st === "synced" ? t("stateSynced") : st === "error" ? t("stateError") : rec.sent ? t("statePhotos") : t("stateQueued");
    var facts = [kelurahanName(sum.kelurahan)];
    if (list(sum.titik).length) facts.push(t("titikCount", { n: sum.titik.length }));
    if (sum.photos) facts.push(t("photos", { n: sum.photos }));
    if (sum.complaints) facts.push(t("complaintsCount", { n: sum.complaints }));
    var flags = list(rec.visit_results).filter(function (v) { return v.flagged; }).map(function (v) {
      var x = titikById(v.titik_id);
      return h("p", { class: "flag small", text: t("flagged", { name: x ? x.name : t("titikFallback", { id: v.titik_id }), d: Math.round(v.distance_m) }) });
    });
    var actions = [];
    if (rec.form) actions.push(h("button", { type: "button", "data-action": "edit", text: t("edit") }));
    if (st === "error") {
      actions.push(h("button", { type: "button", "data-action": "retry", text: t("retry") }));
      if (/foto|photo/i.test(rec.error || "")) actions.push(h("button", { type: "button", "data-action": "drop-photos", text: t("dropPhotos") }));
    }
    return h("li", { class: "entry", "data-testid": "outbox-item", "data-state": st, "data-uuid": rec.client_uuid,
      "data-server-id": rec.server_id || rec.id || "" }, [
      h("div", { class: "entry-head" }, [
        h("span", { text: kindLabel(sum.kind) + " · " + formatWhen(sum.started_at) }),
        h("span", { class: "entry-state", text: stateLabel }),
      ]),
      h("p", { class: "small muted", text: facts.filter(Boolean).join(" · ") }),
      list(sum.titik).length ? h("p", { class: "small", text: sum.titik.join(", ") }) : null,
      rec.error ? h("p", { class: "problem small", "data-testid": "entry-error", text: rec.error }) : null,
    ].concat(flags).concat([
      kind === "synced" ? h("p", { class: "small muted", text: t("serverRef", { id: rec.id, v: rec.version }) }) : null,
      actions.length ? h("div", { class: "entry-actions" }, actions) : null,
    ]));
  }

  var highlight = null;
  function renderOutbox() {
    var ul = $('[data-testid="outbox-list"]');
    var mine = lists.outbox.filter(function (i) { return i.user === USER; });
    var others = lists.outbox.length - mine.length;
    var queuedIds = {};
    mine.forEach(function (i) { queuedIds[i.client_uuid] = true; });
    var synced = lists.synced.filter(function (s) { return s.user === USER && !queuedIds[s.client_uuid]; });
    var known = Object.assign({}, queuedIds);
    synced.forEach(function (s) { known[s.client_uuid] = true; });
    var server = serverActivities().filter(function (a) { return !known[a.client_uuid]; });
    function ms(x) { var v = new Date(x).getTime(); return isNaN(v) ? 0 : v; }
    var rows = mine.map(function (i) { return { at: ms(i.saved_at), el: entryCard(i, "outbox") }; })
      .concat(synced.map(function (s) { return { at: ms(s.synced_at), el: entryCard(withServer(s), "synced") }; }))
      .concat(server.map(function (a) { return { at: ms(a.started_at), el: entryCard(serverRecord(a), "synced") }; }));
    rows.sort(function (a, b) { return b.at - a.at; });
    ul.textContent = "";
    rows.forEach(function (r) { ul.appendChild(r.el); });
    if (others > 0) ul.appendChild(h("li", { class: "muted small", text: t("otherUsers", { n: others }) }));
    $('[data-empty="outbox"]').hidden = rows.length > 0;
    if (highlight) {
      var el = $('[data-uuid="' + highlight + '"]', ul);
      if (el) { el.classList.add("flash"); }
      highlight = null;
    }
  }

  function serverActivities() {
    return state.data ? state.data.activities.filter(function (a) { return a && a.client_uuid; }) : [];
  }

  // Conflicts come back in the sync answer (no id) and, once acknowledged
  // nowhere, in the day's data (with an id to acknowledge on the server).
  function conflictItems() {
    var out = [];
    var covered = {};
    var fetched = state.dataFetchedAt ? new Date(state.dataFetchedAt).getTime() : 0;
    serverActivities().forEach(function (a) {
      covered[a.client_uuid] = true;
      list(a.conflicts).forEach(function (c) {
        if (lists.acked[String(c.id)]) return;
        out.push({ id: c.id, client_uuid: a.client_uuid, kind: a.kind, started_at: a.started_at,
          field: c.field, kept: c.kept, discarded: c.discarded });
      });
    });
    lists.conflicts.forEach(function (c) {
      if (covered[c.client_uuid] && fetched >= new Date(c.at).getTime()) return;
      out.push(c);
    });
    return out;
  }

  function renderConflicts() {
    var box = $('[data-testid="conflicts"]');
    var ul = $(".conflict-list", box);
    var items = conflictItems();
    ul.textContent = "";
    items.forEach(function (c) {
      var label = t("field_" + c.field);
      ul.appendChild(h("li", { "data-testid": "conflict", "data-field": c.field, "data-uuid": c.client_uuid }, [
        h("strong", { text: label === "field_" + c.field ? c.field : label }),
        " — " + t("conflictEntry", { kind: kindLabel(c.kind), when: formatWhen(c.started_at) }),
        h("br"),
        h("span", { class: "kept", "data-testid": "conflict-kept", text: t("kept", { v: display(c.kept) }) }),
        h("br"),
        h("span", { class: "discarded", "data-testid": "conflict-discarded", text: t("discarded", { v: display(c.discarded) }) }),
      ]));
    });
    box.hidden = items.length === 0;
  }

  // An activity from the day's data as a list entry, editable from its server copy.
  function serverRecord(a) {
    return {
      client_uuid: a.client_uuid, id: a.id, version: a.version, server: true,
      summary: {
        kind: a.kind, started_at: a.started_at, kelurahan: a.kelurahan,
        titik: list(a.visits).map(function (v) { return v.titik || t("titikFallback", { id: v.titik_id }); }),
        complaints: list(a.complaints).length, photos: a.photos || 0,
      },
      visit_results: list(a.visits),
      form: formFromServer(a),
    };
  }

  function formFromServer(a) {
    var visits = {};
    // Visits already on the server are kept there (a sync never deletes); sent
    // again without coordinates they change nothing.
    list(a.visits).forEach(function (v) { visits[v.titik_id] = { selected: true, checkin_at: v.checkin_at }; });
    return {
      kind: a.kind,
      started_at: a.started_at ? localInputValue(new Date(a.started_at)) : "",
      ended_at: a.ended_at ? localInputValue(new Date(a.ended_at)) : "",
      kelurahan: a.kelurahan, location_text: a.location_text || "", people_met: a.people_met || "",
      people_count: a.people_count === null || a.people_count === undefined ? "" : String(a.people_count),
      contact_ids: [], topics: list(a.topics), topics_other: a.topics_other || "",
      appeals: a.appeals || "", notes: a.notes || "", follow_up_needed: !!a.follow_up_needed,
      visits: visits, complaints: [],
    };
  }

  // A synced entry, updated from the day's data when the server has a newer version
  // (edited on the desktop or another phone): edits then start from that version.
  function withServer(rec) {
    var a = serverActivities().filter(function (x) { return x.client_uuid === rec.client_uuid; })[0];
    if (!a || !(a.version > (rec.version || 0))) return rec;
    var s = serverRecord(a);
    s.summary.photos = Math.max(s.summary.photos, rec.photo_count || 0);
    return s;
  }

  // --- actions on entries ----------------------------------------------------
  function findEntry(uuid) {
    var q = lists.outbox.filter(function (i) { return i.client_uuid === uuid && i.user === USER; })[0];
    if (q) return q;
    var s = lists.synced.filter(function (x) { return x.client_uuid === uuid && x.user === USER; })[0];
    if (s) return withServer(s);
    var a = serverActivities().filter(function (x) { return x.client_uuid === uuid; })[0];
    return a ? serverRecord(a) : null;
  }

  function editEntry(uuid) {
    var rec = findEntry(uuid);
    if (!rec || !rec.form) return;
    fillForm(rec.form);
    state.editing = { client_uuid: uuid, base_version: rec.version === undefined ? null : rec.version };
    renderThumbs();
    renderEditing();
    saveDraftNow();
    showView("form");
    window.scrollTo(0, 0);
  }

  function retryEntry(uuid) {
    return txn(["outbox"], "readwrite", function (tx) {
      var store = tx.objectStore("outbox");
      store.index("client_uuid").get(uuid).onsuccess = function (e) {
        var cur = e.target.result;
        if (!cur) return;
        cur.state = "queued";
        cur.error = "";
        store.put(cur);
      };
    }).then(function () { sync.lastError = ""; return refreshLists(); }).then(function () { return requestSync(true); });
  }

  function dropRejectedPhotos(uuid) {
    return idb.byIndex("photos", "client_uuid", uuid).then(function (photos) {
      return Promise.all(photos.filter(function (p) { return p.state === "error"; }).map(function (p) { return idb.del("photos", p.photo_uuid); }));
    }).then(function () { return retryEntry(uuid); });
  }

  function ackConflicts() {
    var ids = conflictItems().filter(function (c) { return c.id; }).map(function (c) { return String(c.id); });
    return idb.get("cache", "conflicts").then(function (rec) {
      if (!rec) return;
      rec.items = rec.items.filter(function (c) { return c.user !== USER; });
      return idb.put("cache", rec);
    }).then(function () {
      return idb.get("cache", "conflict-acks");
    }).then(function (rec) {
      if (!rec || rec.user !== USER) rec = { key: "conflict-acks", user: USER, ids: {} };
      // false: not yet told to the server; the sync loop sends it.
      ids.forEach(function (id) { if (!rec.ids[id]) rec.ids[id] = false; });
      return idb.put("cache", rec);
    }).then(refreshLists).then(function () { return requestSync(true); });
  }

  function sendAcks() {
    return idb.get("cache", "conflict-acks").then(function (rec) {
      if (!rec || rec.user !== USER) return;
      var pending = Object.keys(rec.ids).filter(function (id) { return !rec.ids[id]; });
      var chain = Promise.resolve(true);
      pending.forEach(function (id) {
        chain = chain.then(function (go) {
          if (!go) return false;
          return send(CONFIG.urls.ackConflict.replace("{id}", encodeURIComponent(id)), { method: "POST" }, 30000)
            .then(function (res) {
              // 404: gone or acknowledged elsewhere; either way nothing left to do.
              if (res.ok || res.status === 404) { rec.ids[id] = true; return true; }
              return false;
            }, function () { return false; });
        });
      });
      return chain.then(function () { return idb.put("cache", rec); });
    }).catch(function () {});
  }

  function pruneSynced() {
    var cutoff = Date.now() - SYNCED_KEEP_MS;
    return idb.prefix("cache", "synced:").then(function (items) {
      var old = items.filter(function (s) { return new Date(s.synced_at).getTime() < cutoff; });
      return Promise.all(old.map(function (s) { return idb.del("cache", s.key); }));
    }).catch(function () {});
  }

  function clearDevice() {
    var n = lists.outbox.length;
    if (!window.confirm(n ? t("confirmClear", { n: n }) : t("confirmClearEmpty"))) return;
    var jobs = [];
    if (window.caches) {
      jobs.push(caches.keys().then(function (keys) {
        return Promise.all(keys.filter(function (k) { return k.indexOf("sejuk-field-") === 0; }).map(function (k) { return caches.delete(k); }));
      }));
    }
    jobs.push(openDB().then(function (db) { db.close(); dbPromise = null; }).catch(function () {}).then(function () {
      return new Promise(function (resolve) {
        var req = indexedDB.deleteDatabase(DB_NAME);
        req.onsuccess = req.onerror = req.onblocked = function () { resolve(); };
      });
    }));
    Promise.all(jobs).then(function () {
      toast(t("cleared"));
      setTimeout(function () { window.location.reload(); }, 800);
    });
  }

  // --- views, toasts, service worker -----------------------------------------
  function showView(name, flashUuid) {
    $all(".view").forEach(function (v) { v.hidden = v.getAttribute("data-view") !== name; });
    $all("[data-nav]").forEach(function (a) {
      if (a.getAttribute("data-nav") === name) a.setAttribute("aria-current", "page");
      else a.removeAttribute("aria-current");
    });
    var hash = name === "list" ? "#riwayat" : "#catat";
    if (window.location.hash !== hash) history.replaceState(null, "", hash);
    if (flashUuid) highlight = flashUuid;
    window.scrollTo(0, 0);
  }

  var toastTimer = null;
  function toast(msg) {
    var el = $('[data-testid="toast"]');
    el.textContent = msg;
    el.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { el.hidden = true; }, 4000);
  }

  var readyTries = 0;
  function checkOfflineReady() {
    var el = $('[data-testid="offline-ready"]');
    if (!("serviceWorker" in navigator) || !window.caches || !navigator.serviceWorker.controller) return;
    Promise.all([caches.match(CONFIG.urls.scope), caches.match(CONFIG.urls.bootstrap)]).then(function (r) {
      var ready = !!(r[0] && r[1]);
      el.setAttribute("data-ready", ready ? "1" : "0");
      el.textContent = ready ? t("offlineReady") : "";
      // The worker stores the answer just after the page gets it: look again shortly.
      if (!ready && readyTries++ < 20) setTimeout(checkOfflineReady, 500);
    });
  }

  function registerServiceWorker() {
    if (!("serviceWorker" in navigator)) return;
    var hadController = !!navigator.serviceWorker.controller;
    navigator.serviceWorker.addEventListener("controllerchange", function () {
      if (hadController) {
        // A new version took over; the page still runs the old script. The draft
        // is in IndexedDB, so reloading loses nothing.
        $('[data-testid="update-banner"]').hidden = false;
      } else {
        hadController = true;
        // First install: the worker cached today's data while installing; if it
        // could not, fetch it again, now through the worker.
        readyTries = 0;
        caches.match(CONFIG.urls.bootstrap).then(function (hit) {
          if (hit) checkOfflineReady();
          else fetchData(true);
        });
      }
    });
    navigator.serviceWorker.register(CONFIG.urls.sw, { scope: CONFIG.urls.scope }).catch(function () {});
  }

  function storageFailed(err) {
    state.storageOk = false;
    var fe = $('[data-testid="form-error"]');
    fe.textContent = t("storageError", { msg: err && err.message ? err.message : String(err) });
    fe.hidden = false;
  }

  // --- wiring ----------------------------------------------------------------
  form.addEventListener("submit", onSubmit);
  form.addEventListener("input", saveDraftSoon);
  form.addEventListener("change", function (ev) {
    if (ev.target.name === "kelurahan") { renderTitik(); renderContacts(); }
    if (ev.target.name === "photo") { onPhotoPicked(ev); return; }
    saveDraftSoon();
  });
  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest ? ev.target.closest("[data-action]") : null;
    if (!btn) return;
    var action = btn.getAttribute("data-action");
    var entry = btn.closest("[data-uuid]");
    var uuid = entry ? entry.getAttribute("data-uuid") : null;
    if (action === "add-complaint") {
      var row = complaintRow();
      $('[data-testid="complaints"]').appendChild(row);
      $("input", row).focus();
      saveDraftSoon();
    } else if (action === "remove-complaint") {
      btn.closest(".complaint").remove();
      saveDraftSoon();
    } else if (action === "sync-now") {
      requestSync(true);
    } else if (action === "reload") {
      saveDraftNow().then(function () { window.location.reload(); });
    } else if (action === "cancel-edit") {
      idb.del("drafts", "current").catch(function () {});
      state.draftPhotos.forEach(function (p) { idb.del("photos", p.photo_uuid).catch(function () {}); });
      resetForm();
    } else if (action === "edit" && uuid) {
      editEntry(uuid);
    } else if (action === "retry" && uuid) {
      retryEntry(uuid);
    } else if (action === "drop-photos" && uuid) {
      dropRejectedPhotos(uuid);
    } else if (action === "ack-conflicts") {
      ackConflicts();
    } else if (action === "clear-device") {
      clearDevice();
    } else if (action === "log-stop") {
      logStop(btn.getAttribute("data-stop-id"));
    }
  });
  $all("[data-nav]").forEach(function (a) {
    a.addEventListener("click", function (ev) { ev.preventDefault(); showView(a.getAttribute("data-nav")); });
  });
  // Logging out forgets this officer's copies of the day's data and of the shell
  // (names, contacts); unsent records stay, bound to the account, until it is back.
  function forgetPersonalCopies() {
    var jobs = [idb.del("cache", "bootstrap").catch(function () {}), idb.del("cache", "plan").catch(function () {})];
    if (window.caches) {
      jobs.push(caches.keys().then(function (keys) {
        return Promise.all(keys.filter(function (k) { return k.indexOf("sejuk-field-") === 0; }).map(function (k) {
          return caches.open(k).then(function (c) {
            return Promise.all([c.delete(CONFIG.urls.bootstrap), c.delete(CONFIG.urls.scope), PLAN_URL ? c.delete(PLAN_URL) : null]);
          });
        }));
      }).catch(function () {}));
    }
    var timeout = new Promise(function (resolve) { setTimeout(resolve, 1500); });
    return Promise.race([Promise.all(jobs), timeout]);
  }

  var logoutForm = $("form.logout");
  if (logoutForm) {
    logoutForm.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var n = lists.outbox.filter(function (i) { return i.user === USER; }).length;
      if (n && !window.confirm(t("confirmLogout", { n: n }))) return;
      // The token in a cached shell may be stale; the cookie is always current.
      var field = logoutForm.elements.csrfmiddlewaretoken;
      if (field && csrfToken()) field.value = csrfToken();
      forgetPersonalCopies().then(function () { logoutForm.submit(); });
    });
  }

  window.addEventListener("online", function () { renderStatus(); fetchData(); fetchPlan(); requestSync(true); });
  window.addEventListener("offline", renderStatus);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") { if (draftTimer) saveDraftNow(); }
    else requestSync(false);
  });
  window.addEventListener("pagehide", function () { if (draftTimer) saveDraftNow(); });
  setInterval(function () { renderStatus(); requestSync(false); }, TICK_MS);

  // --- start -------------------------------------------------------------------
  showView(window.location.hash === "#riwayat" ? "list" : "form");
  renderStatus();
  registerServiceWorker();
  loadCachedData()
    .then(loadCachedPlan)
    .then(restoreDraft)
    .then(pruneSynced)
    .then(refreshLists)
    .catch(storageFailed)
    .then(function () {
      checkOfflineReady();
      if (navigator.onLine) return Promise.all([fetchData(), fetchPlan()]);
    })
    .then(function () { return requestSync(true); });
})();
