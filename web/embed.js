// Couvert's booking widget on a restaurant's own site, in one line:
//   <script src="https://book.example.com/embed.js" data-location="<location id>" data-lang="nl" async></script>
// It puts the widget in an iframe where the script tag is (or in the element named by data-target)
// and keeps the iframe as tall as the widget.  Optional: data-party, data-date (the Stripe key is the
// widget site's setting, web/site.js).  docs/embedding.md says more.
(function () {
  "use strict";
  var script = document.currentScript;
  var origin = new URL(script.src).origin;
  var query = new URLSearchParams({embed: "1"});
  var options = {location: "location", lang: "lang", party: "party", date: "date"};
  Object.keys(options).forEach(function (key) {
    if (script.dataset[key]) query.set(options[key], script.dataset[key]);
  });
  var frame = document.createElement("iframe");
  frame.src = origin + "/?" + query.toString();
  frame.title = script.dataset.title || "Reserve a table";
  frame.style.cssText = "width:100%;max-width:40rem;border:0;min-height:32rem;display:block";
  frame.setAttribute("allow", "payment");
  var target = script.dataset.target ? document.querySelector(script.dataset.target) : null;
  if (target) target.appendChild(frame); else script.parentNode.insertBefore(frame, script);
  window.addEventListener("message", function (event) {
    if (event.origin === origin && event.source === frame.contentWindow && event.data && event.data.couvert === "height") {
      frame.style.height = Math.ceil(event.data.value) + "px";
    }
  });
})();
