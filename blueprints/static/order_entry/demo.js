/*
 * The order-entry demo page: reads the order form into the packages POST /api/v1/quotes takes and
 * hands them to the quote widget on every change (the widget debounces).
 *
 * The API key lives in this tab's sessionStorage only. A key passed in the address's fragment
 * (#key=…, which the browser never sends to a server) is taken into that storage and removed from
 * the address bar at once, so it stays out of history and bookmarks. A ?key=… in the query is
 * never read: the server refuses such an address, since it would have logged the key.
 */
(function () {
  "use strict";

  const KEY_STORAGE = "forwarder_insure.demo.api_key";
  const SELLER_STORAGE = "forwarder_insure.demo.seller_id";

  const form = document.getElementById("order-form");
  const keyInput = document.getElementById("api-key");
  const sellerInput = document.getElementById("seller-id");
  const orderInput = document.getElementById("order-reference");

  function stored(name) {
    try {
      return sessionStorage.getItem(name) || "";
    } catch (_) {
      return "";
    }
  }

  function store(name, value) {
    try {
      if (value) sessionStorage.setItem(name, value);
      else sessionStorage.removeItem(name);
    } catch (_) {
      // Storage may be disabled; the field still works for this page view.
    }
  }

  function takeKeyFromAddress() {
    const fragment = new URLSearchParams(window.location.hash.slice(1));
    const key = fragment.get("key");
    if (key === null) return;
    store(KEY_STORAGE, key.trim());
    fragment.delete("key");
    const rest = fragment.toString();
    window.history.replaceState(
      window.history.state,
      "",
      window.location.pathname + window.location.search + (rest ? "#" + rest : ""),
    );
  }

  function packages() {
    return Array.from(form.querySelectorAll("[data-package]"), (fieldset) => {
      const value = (name) => fieldset.querySelector(`[name="${name}"]`).value.trim();
      return {
        reference: value("reference"),
        declared_value: { amount: value("amount"), currency: value("currency") },
        category: value("category"),
        origin_country: value("origin_country").toUpperCase(),
        destination_country: value("destination_country").toUpperCase(),
        carrier: value("carrier"),
        service: value("service") || null,
        weight_kg: value("weight_kg"),
      };
    });
  }

  takeKeyFromAddress();
  keyInput.value = stored(KEY_STORAGE);
  sellerInput.value = stored(SELLER_STORAGE);

  const widget = window.ForwarderInsureQuoteWidget.mount(document.getElementById("quote-widget"), {
    apiBase: window.location.origin,
    apiKey: keyInput.value.trim(),
    sellerId: sellerInput.value.trim(),
    orderReference: orderInput.value.trim(),
    packages: packages(),
  });

  form.addEventListener("input", () => {
    widget.update({ orderReference: orderInput.value.trim(), packages: packages() });
  });
  form.addEventListener("change", () => {
    widget.update({ orderReference: orderInput.value.trim(), packages: packages() });
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault(); // Enter in a field: quote now rather than reload the page
    widget.update({ orderReference: orderInput.value.trim(), packages: packages() });
    widget.requote();
  });

  keyInput.addEventListener("input", () => {
    store(KEY_STORAGE, keyInput.value.trim());
    widget.update({ apiKey: keyInput.value.trim() });
  });
  sellerInput.addEventListener("input", () => {
    store(SELLER_STORAGE, sellerInput.value.trim());
    widget.update({ sellerId: sellerInput.value.trim() });
  });
  document.getElementById("forget-key").addEventListener("click", () => {
    keyInput.value = "";
    store(KEY_STORAGE, "");
    widget.update({ apiKey: "" });
    keyInput.focus();
  });

  window.orderEntryWidget = widget; // for the console and for tests
})();
