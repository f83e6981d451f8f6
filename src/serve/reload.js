// junheng serve: live reload over Server-Sent Events. Injected into HTML responses by the
// preview server only; never part of `junheng build` output.
(function () {
  var build = "__BUILD__";
  if (!window.EventSource) return;
  var es = new EventSource("__EVENTS__?build=" + encodeURIComponent(build));
  var overlay = function () { return document.getElementById("junheng-overlay"); };
  es.addEventListener("build", function (e) {
    var m = JSON.parse(e.data);
    if (m.build === build) return;
    // A stylesheet-only change: swap the stylesheets in place, no navigation.
    if (m.kind === "css" && !overlay()) {
      var links = document.querySelectorAll('link[rel="stylesheet"]');
      for (var i = 0; i < links.length; i++) {
        var href = links[i].getAttribute("href").split("?")[0];
        links[i].setAttribute("href", href + "?v=" + encodeURIComponent(m.build));
      }
      build = m.build;
      return;
    }
    // One county changed and this page did not: show that county's page in this language.
    if (m.kind === "reload" && m.focus && !overlay() && m.changed.indexOf(location.pathname) < 0) {
      var best = null, len = -1;
      for (var p in m.focus) {
        if (location.pathname.indexOf("/" + p) === 0 && p.length > len) { best = m.focus[p]; len = p.length; }
      }
      if (best && best !== location.pathname) { location.href = best; return; }
    }
    location.reload();
  });
})();
