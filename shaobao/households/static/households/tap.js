/* The phone's tap page: one tap per household and state, queued in localStorage and sent when the network
 * allows. The server is idempotent per (broadcast, household, state), so a tap sent twice (a reply lost in the
 * rain) never counts twice. The queue survives a reload; it is sent on load, when the browser comes back
 * online, and every few seconds. */
(function () {
  "use strict";
  var RANK = { missing: 1, warned: 2, moved: 3 };
  var RETRY_MS = 4000;

  function init() {
    var list = document.getElementById("tap-list");
    if (!list) return;
    var key = "shaobao.taps." + list.getAttribute("data-broadcast");
    var status = document.getElementById("tap-status");
    var sending = false;

    function load() {
      try { return JSON.parse(window.localStorage.getItem(key) || "[]"); } catch (e) { return []; }
    }
    function save(queue) {
      try { window.localStorage.setItem(key, JSON.stringify(queue)); } catch (e) { /* storage full: keep in memory */ }
    }
    function item(household) {
      return list.querySelector('.household[data-household="' + household + '"]');
    }
    function mark(household, state, text, pending) {
      var li = item(household);
      if (!li) return;
      var current = li.getAttribute("data-state") || "";
      if ((RANK[state] || 0) >= (RANK[current] || 0)) li.setAttribute("data-state", state);
      li.classList.toggle("pending", !!pending);
      var result = li.querySelector("[data-result]");
      if (result) result.textContent = text;
    }
    function show() {
      var queue = load();
      var online = navigator.onLine !== false;
      status.classList.toggle("offline", !online);
      status.querySelector("[data-network]").textContent = status.getAttribute(online ? "data-online" : "data-offline");
      status.querySelector("[data-queued]").textContent = String(queue.length);
    }

    function flush() {
      if (sending) return;
      var queue = load();
      show();
      if (!queue.length || navigator.onLine === false) return;
      sending = true;
      var tap = queue[0];
      fetch(list.getAttribute("data-post"), {
        method: "POST",
        credentials: "same-origin",
        redirect: "manual",  // a session that ended answers with the login page: keep the tap
        headers: { "Content-Type": "application/json", "X-CSRFToken": list.getAttribute("data-csrf") },
        body: JSON.stringify({ household: tap.household, state: tap.state, persons: tap.persons, tapped_at: tap.tapped_at })
      }).then(function (response) {
        // Sent (201), already there (200), or refused for good (400, 404): out of the queue. Anything else (the
        // session ended, a CSRF token to renew, the server down) stays queued and is sent again later.
        if ([200, 201, 400, 404].indexOf(response.status) < 0) {
          mark(tap.household, "", list.getAttribute("data-label-refused"), true);
          throw new Error("retry");
        }
        var rest = load().filter(function (t) { return t.id !== tap.id; });
        save(rest);
        var label = response.ok ? list.getAttribute("data-label-sent") : list.getAttribute("data-label-refused");
        var waiting = rest.some(function (t) { return t.household === tap.household; });
        mark(tap.household, response.ok ? tap.state : "", label, waiting);
        sending = false;
        show();
        if (rest.length) flush();
      }).catch(function () {
        sending = false;  // offline or the server did not answer: keep the queue, try again later
        show();
      });
    }

    list.addEventListener("click", function (event) {
      var button = event.target.closest && event.target.closest("button[data-tap]");
      if (!button) return;
      var li = button.closest(".household");
      var household = parseInt(li.getAttribute("data-household"), 10);
      var state = button.getAttribute("data-tap");
      var input = li.querySelector("[data-persons]");
      var persons = input && input.value !== "" ? parseInt(input.value, 10) : null;
      // One entry per household and state: a second tap before sending replaces the first (the latest count).
      var queue = load().filter(function (t) { return !(t.household === household && t.state === state); });
      queue.push({
        id: Date.now().toString(36) + Math.random().toString(36).slice(2),
        household: household, state: state, persons: persons, tapped_at: new Date().toISOString()
      });
      save(queue);
      mark(household, state, list.getAttribute("data-label-queued"), true);
      flush();
    });

    load().forEach(function (t) { mark(t.household, t.state, list.getAttribute("data-label-queued"), true); });
    window.addEventListener("online", flush);
    window.addEventListener("offline", show);
    window.setInterval(flush, RETRY_MS);
    flush();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
