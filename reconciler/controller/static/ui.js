// The controller page's only script: fetch the live part of the page again every few seconds and swap it
// in when it changed (keeping open or closed details, focus and a text selection), apply the filters at
// once, and send "Sync now" without leaving the page. Without it the page still works: reload to refresh.
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (!live || !window.fetch) { return; }
  var filters = document.getElementById("filters");
  var announce = document.getElementById("announce");
  var freshness = document.getElementById("freshness");
  var pollMs = parseInt(live.getAttribute("data-poll-ms"), 10) || 2000;
  var last = null;
  var timer = null;
  var failures = 0;

  function query() {
    var params = new URLSearchParams();
    if (filters) {
      new FormData(filters).forEach(function (value, name) { if (value) { params.append(name, value); } });
    }
    return params.toString();
  }

  function selecting() {
    var selection = window.getSelection && window.getSelection();
    return selection && !selection.isCollapsed && live.contains(selection.anchorNode);
  }

  function swap(html) {
    var open = {};
    live.querySelectorAll("details[id]").forEach(function (d) { open[d.id] = d.open; });
    var focused = document.activeElement && live.contains(document.activeElement) ? document.activeElement.id : "";
    var before = document.getElementById("live-root");
    var summaryBefore = before ? before.getAttribute("data-summary") : "";
    live.innerHTML = html;
    Object.keys(open).forEach(function (id) {
      var d = document.getElementById(id);
      if (d) { d.open = open[id]; }
    });
    if (focused) {
      var f = document.getElementById(focused);
      if (f) { f.focus(); }
    }
    var root = document.getElementById("live-root");
    if (root) {
      var summary = root.getAttribute("data-summary");
      if (announce && summary && summary !== summaryBefore) { announce.textContent = summary; }
      addClusters(JSON.parse(root.getAttribute("data-clusters") || "[]"));
    }
  }

  function addClusters(clusters) {
    var select = document.getElementById("f-cluster");
    if (!select) { return; }
    var known = {};
    Array.prototype.forEach.call(select.options, function (o) { known[o.value] = true; });
    clusters.forEach(function (c) {
      if (!known[c]) { select.appendChild(new Option(c, c)); }
    });
  }

  function setFreshness(ok) {
    if (!freshness) { return; }
    var text = ok ? "" : " (the controller does not answer: showing what it said last)";
    if (freshness.textContent !== text) { freshness.textContent = text; }
    document.body.classList.toggle("stale", !ok);
  }

  function schedule(ms) {
    clearTimeout(timer);
    timer = setTimeout(refresh, ms);
  }

  function refresh() {
    if (document.hidden) { return; }  // resumed by visibilitychange
    fetch(live.getAttribute("data-live") + "?" + query(), {cache: "no-store", headers: {"Accept": "text/html"}})
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.text();
      })
      .then(function (html) {
        failures = 0;
        setFreshness(true);
        if (html !== last && !selecting()) {
          last = html;
          try { swap(html); } catch (error) { console.error("reconciler page: " + error); }
        }
        live.setAttribute("data-refreshed", String(Date.now()));
      })
      .catch(function () {
        failures += 1;
        setFreshness(false);
      })
      .then(function () { schedule(Math.min(pollMs * Math.pow(2, failures), 30000)); });
  }

  if (filters) {
    filters.addEventListener("change", function () {
      var q = query();
      history.replaceState(null, "", location.pathname + (q ? "?" + q : ""));
      last = null;
      schedule(0);
    });
    filters.addEventListener("submit", function (event) {
      event.preventDefault();
      filters.dispatchEvent(new Event("change"));
    });
  }

  var sync = document.getElementById("sync-form");
  if (sync) {
    sync.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = document.getElementById("sync-now");
      var status = document.getElementById("sync-status");
      button.disabled = true;
      fetch(sync.action, {method: "POST", body: new URLSearchParams(new FormData(sync)),
                          headers: {"Accept": "application/json"}, credentials: "same-origin"})
        .then(function (response) {
          status.textContent = response.ok ? "A pass was requested: the page shows it as soon as it starts."
                                           : "The controller refused: HTTP " + response.status + ".";
          var said = status.textContent;
          setTimeout(function () { if (status.textContent === said) { status.textContent = ""; } }, 15000);
        })
        .catch(function () { status.textContent = "The controller does not answer."; })
        .then(function () {
          button.disabled = false;
          schedule(500);
        });
    });
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) { schedule(0); }
  });
  last = null;
  schedule(pollMs);
}());
