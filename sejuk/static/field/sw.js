/* Sejuk Lapangan service worker: serves the app shell and today's data offline.
 *
 * Served as /field/sw.js by sejuk.fieldwork.pwa, which replaces the CONFIG block
 * below with the real precache list and a version hash of those files, so the
 * cache name changes whenever the app changes. See docs/pwa.md.
 *
 *  - app shell (/field/): network first (short timeout), cached copy offline;
 *  - GET /api/v1/field/bootstrap: network first, cached copy offline;
 *  - GET /api/v1/patrol/today (today's patrol plan): the same;
 *  - static files: cache first;
 *  - everything else, and every POST: straight to the network, never cached.
 */
"use strict";

var CONFIG = /*SEJUK_CONFIG*/ {
  "version": "dev",
  "scope": "/field/",
  "precache": ["/field/", "/field/manifest.webmanifest", "/static/field/app.js", "/static/field/field.css",
               "/static/field/icons/icon-192.png", "/static/field/icons/icon-512.png"],
  "bootstrap": "/api/v1/field/bootstrap",
  "staticPrefix": "/static/"
} /*END_SEJUK_CONFIG*/;

// Today's patrol plan (sejuk.patrol), cached like the bootstrap.
var PLAN = "/api/v1/patrol/today";
var PREFIX = "sejuk-field-";
var CACHE = PREFIX + CONFIG.version;
// On a weak signal, fall back to the cached shell or data after this long; the
// network answer still refreshes the cache when it arrives.
var NAV_TIMEOUT_MS = 6000;
var DATA_TIMEOUT_MS = 8000;

function cacheable(response) {
  // Never keep redirects (an expired session redirects to the login page),
  // errors or opaque answers under the app's URLs.
  return response && response.ok && response.type === "basic" && !response.redirected;
}

function put(request, response) {
  if (!cacheable(response)) return Promise.resolve();
  var copy = response.clone();
  return caches.open(CACHE).then(function (cache) { return cache.put(request, copy); });
}

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(CACHE).then(function (cache) {
      var jobs = CONFIG.precache.map(function (url) {
        // "reload" skips the HTTP cache so a new version never stores old files.
        return fetch(new Request(url, { cache: "reload", credentials: "same-origin" })).then(function (resp) {
          if (!cacheable(resp)) {
            // The shell needs a session; without one, install anyway and cache it later.
            if (url === CONFIG.scope) return;
            throw new Error("precache failed: " + url + " (" + resp.status + ")");
          }
          return cache.put(url, resp);
        });
      });
      // Today's data, best effort: the page refetches it once this worker controls it.
      [CONFIG.bootstrap, PLAN].forEach(function (url) {
        jobs.push(
          fetch(url, { credentials: "same-origin", cache: "no-store" })
            .then(function (resp) { if (cacheable(resp)) return cache.put(url, resp); })
            .catch(function () {})
        );
      });
      return Promise.all(jobs);
    }).then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (keys) {
      return Promise.all(keys.map(function (key) {
        if (key.indexOf(PREFIX) === 0 && key !== CACHE) {
          // Carry today's data (and plan) over so an update while offline keeps them.
          return caches.open(key).then(function (old) {
            return Promise.all([CONFIG.bootstrap, PLAN].map(function (url) {
              return old.match(url).then(function (resp) {
                if (!resp) return;
                return caches.open(CACHE).then(function (cache) {
                  return cache.match(url).then(function (mine) {
                    if (!mine) return cache.put(url, resp);
                  });
                });
              });
            }));
          }).then(function () { return caches.delete(key); });
        }
      }));
    }).then(function () { return self.clients.claim(); })
  );
});

self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type === "clear-cache") {
    event.waitUntil(caches.keys().then(function (keys) {
      return Promise.all(keys.filter(function (k) { return k.indexOf(PREFIX) === 0; })
        .map(function (k) { return caches.delete(k); }));
    }));
  } else if (data.type === "version" && event.ports && event.ports[0]) {
    event.ports[0].postMessage({ version: CONFIG.version });
  }
});

// Network first; after `timeoutMs` (or on failure) answer from the cache if it
// has a copy, otherwise keep waiting for the network.
function networkFirst(event, cacheKey, timeoutMs) {
  var request = event.request;
  var network = fetch(request).then(function (resp) {
    event.waitUntil(put(cacheKey, resp));
    return resp;
  });
  // Keep the worker alive until the network answer is cached.
  event.waitUntil(network.catch(function () {}));
  var cached = caches.open(CACHE).then(function (cache) { return cache.match(cacheKey); });
  return new Promise(function (resolve, reject) {
    var settled = false;
    function fromCache(orError) {
      cached.then(function (hit) {
        if (settled) return;
        if (hit) { settled = true; resolve(hit); }
        else if (orError) { settled = true; reject(orError); }
      });
    }
    var timer = setTimeout(function () { fromCache(null); }, timeoutMs);
    network.then(function (resp) {
      clearTimeout(timer);
      if (settled) return;
      if (resp.status >= 500) {
        // A broken server is no better than no server: prefer the cached copy.
        cached.then(function (hit) { settled = true; resolve(hit || resp); });
        return;
      }
      settled = true;
      resolve(resp);
    }, function (err) {
      clearTimeout(timer);
      fromCache(err);
    });
  });
}

function cacheFirst(event) {
  return caches.open(CACHE).then(function (cache) {
    return cache.match(event.request).then(function (hit) {
      if (hit) return hit;
      return fetch(event.request).then(function (resp) {
        event.waitUntil(put(event.request, resp));
        return resp;
      });
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  // Never touch writes: the app's outbox owns retries.
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;

  if (request.mode === "navigate") {
    if (url.pathname === CONFIG.scope) {
      event.respondWith(networkFirst(event, CONFIG.scope, NAV_TIMEOUT_MS));
    }
    return;
  }
  if (url.pathname === CONFIG.bootstrap) {
    event.respondWith(networkFirst(event, CONFIG.bootstrap, DATA_TIMEOUT_MS));
    return;
  }
  if (url.pathname === PLAN && !url.search) {
    event.respondWith(networkFirst(event, PLAN, DATA_TIMEOUT_MS));
    return;
  }
  if (url.pathname === new URL(CONFIG.scope + "manifest.webmanifest", self.location).pathname ||
      url.pathname.indexOf(CONFIG.staticPrefix) === 0) {
    event.respondWith(cacheFirst(event));
  }
});
