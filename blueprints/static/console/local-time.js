/* Show every <time datetime="…Z"> in the browser's own time zone; the title keeps the UTC
   instant for hover. Without this script the server's UTC text stays. */
(function () {
  "use strict";
  var format = new Intl.DateTimeFormat(undefined, {
    year: "numeric", month: "short", day: "2-digit",
    hour: "2-digit", minute: "2-digit", timeZoneName: "short"
  });
  function localise(root) {
    var nodes = root.querySelectorAll("time[datetime]");
    for (var i = 0; i < nodes.length; i++) {
      var when = new Date(nodes[i].getAttribute("datetime"));
      if (!isNaN(when.getTime())) {
        nodes[i].textContent = format.format(when);
      }
    }
  }
  document.addEventListener("DOMContentLoaded", function () { localise(document); });
})();
