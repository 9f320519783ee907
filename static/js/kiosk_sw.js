// The kiosk's service worker (served at /s/sw.js, scope /s/): the kiosk's pages and their
// CSS and scripts come from the network when there is one, and from this cache when the
// desk's network is down, so a citizen can still answer. Answers are kept by the page
// (survey_kiosk.js), not here.
// The page fills the cache itself (survey_kiosk.js): its own address and its assets.
const CACHE = "kiosk-v1";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET" || new URL(request.url).origin !== self.location.origin) return;
  event.respondWith(
    fetch(request)
      .then((response) => {
        if (response.ok && response.type === "basic") {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(request, copy));
        }
        return response;
      })
      .catch(() =>
        caches.match(request, { ignoreSearch: request.mode === "navigate", ignoreVary: true }).then(
          (hit) => hit || new Response("", { status: 503, statusText: "Offline" }),
        ),
      ),
  );
});
