/* Show every <time datetime="…Z"> in the browser's own time zone; the title keeps the UTC
   instant for hover. Date-time inputs marked data-utc arrive holding UTC: they are shown in the
   browser's zone, and their form's hidden "tz" field tells the server which zone was typed in.
   Without this script the server's UTC text and UTC inputs stay, and the form says "(UTC)". */
(function () {
  "use strict";
  var format = new Intl.DateTimeFormat(undefined, {
    year: "numeric", month: "short", day: "2-digit",
    hour: "2-digit", minute: "2-digit", timeZoneName: "short"
  });
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function localInput(when) {
    return when.getFullYear() + "-" + pad(when.getMonth() + 1) + "-" + pad(when.getDate()) +
      "T" + pad(when.getHours()) + ":" + pad(when.getMinutes());
  }
  function localiseInputs(root) {
    var inputs = root.querySelectorAll("input[type=datetime-local][data-utc]");
    for (var i = 0; i < inputs.length; i++) {
      var input = inputs[i];
      var field = input.parentNode;
      var tz = field.querySelector("input[name=tz]");
      if (!zone || !tz) { continue; }
      if (input.value) {
        var when = new Date(input.value + ":00Z");
        if (!isNaN(when.getTime())) { input.value = localInput(when); }
      }
      tz.value = zone;
      var label = field.querySelector("[data-zone-label]");
      if (label) { label.textContent = "(" + zone + ")"; }
      input.removeAttribute("data-utc");
    }
  }
  function localise(root) {
    var nodes = root.querySelectorAll("time[datetime]");
    for (var i = 0; i < nodes.length; i++) {
      var when = new Date(nodes[i].getAttribute("datetime"));
      if (!isNaN(when.getTime())) {
        nodes[i].textContent = format.format(when);
      }
    }
    localiseInputs(root);
  }
  document.addEventListener("DOMContentLoaded", function () { localise(document); });
})();
