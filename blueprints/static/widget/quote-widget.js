/*
 * forwarder_insure order-entry quote widget: our insurance offer beside each package of an order.
 *
 * Embeddable and dependency-free (plain modern JavaScript, no build step). Embed it with
 *
 *   <link rel="stylesheet" href="https://insure.example/widget/quote-widget.css">   (optional)
 *   <script src="https://insure.example/widget/quote-widget.js"></script>
 *   <script>
 *     const widget = ForwarderInsureQuoteWidget.mount(document.getElementById("insurance"), {
 *       apiKey: "fik_…",                // a seller or warehouse API key
 *       sellerId: "S-1001",             // only with a warehouse key
 *       orderReference: "ORD-1001",
 *       packages: [{reference: "ORD-1001/1", declared_value: {amount: "250.00", currency: "USD"},
 *                   category: "electronics", origin_country: "CN", destination_country: "US",
 *                   carrier: "usps", service: "priority", weight_kg: "1.20"}],
 *     });
 *     widget.update({packages: [...]});   // on every change of the order; re-quoting is debounced
 *   </script>
 *
 * It calls POST /api/v1/quotes (packages exactly as that endpoint takes them) and shows, per
 * package, the premium and insured value or the decline reason, with a checkbox to accept each
 * offer; "Bind selected" posts each accepted quote token to POST /api/v1/coverages and shows the
 * certificate numbers. The API's problem+json errors are shown as they come.
 *
 * How it treats the server:
 * - Re-quotes as the order changes, debounced (300 ms by default), with at most one request in
 *   flight: a change made while a request is out waits for its answer, and an answer to inputs
 *   that have changed since is dropped.
 * - Every Idempotency-Key is kept per quote token (and order reference), so binding again after a
 *   failure or a lost answer replays the first bind instead of making a second coverage.
 * - Offers are re-quoted before they expire. The countdown runs on the browser's own clock from
 *   the moment the quote was asked for (the quote lifetime comes from GET /api/v1/rates), so a
 *   browser whose clock disagrees with the server's neither loops nor holds dead offers; the
 *   expiry time shown is the server's, in the browser's timezone, with UTC on hover.
 *
 * Events (bubbling, on the mount element): "fiq:quoted" {quotes}, "fiq:bound" {reference, coverage}.
 * Calling the API from another origin needs that origin to be allowed to (CORS) by the server.
 */
(function () {
  "use strict";

  const script = document.currentScript;
  const DEFAULT_API_BASE =
    script && script.src ? new URL(script.src, document.baseURI).origin : window.location.origin;
  const API_PATH = "/api/v1";
  /** Re-quote this long before the offers expire, so a bind never carries a dying token. */
  const EXPIRY_MARGIN_MS = 5000;
  /** However wrong a clock, never re-quote for expiry more often than this. */
  const MIN_EXPIRY_REQUOTE_MS = 30000;
  /** Bind answers worth one more try with the same Idempotency-Key (both carry Retry-After). */
  const RETRYABLE_BIND_CODES = new Set(["idempotency_key_in_flight", "commit_failed"]);
  const MAX_BIND_ATTEMPTS = 3;

  const DECLINE_TEXT = {
    prohibited_category: "Goods of this category are never insured",
    value_above_maximum: "The declared value is above the most we insure per package",
    unsupported_currency: "This currency is not supported",
    no_underwriter: "No licensed underwriter covers this lane",
  };

  let mounted = 0;

  /** A DOM element; text children are always text nodes, never parsed as HTML. */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "className") el.className = value;
      else if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
      else el.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return el;
  }

  function newIdempotencyKey() {
    if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
    // randomUUID needs a secure context (https or localhost); getRandomValues does not.
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const x = Array.from(b, (n) => n.toString(16).padStart(2, "0")).join("");
    return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
  }

  /** Sum of two non-negative decimal strings, exactly (money never goes through floats here). */
  function addDecimal(a, b) {
    const [ai, af = ""] = String(a).split(".");
    const [bi, bf = ""] = String(b).split(".");
    const scale = Math.max(af.length, bf.length);
    const sum = (BigInt(ai + af.padEnd(scale, "0")) + BigInt(bi + bf.padEnd(scale, "0")))
      .toString()
      .padStart(scale + 1, "0");
    return scale ? `${sum.slice(0, -scale)}.${sum.slice(-scale)}` : sum;
  }

  function isZero(amount) {
    return /^0*(\.0*)?$/.test(String(amount));
  }

  function humanize(slug) {
    const text = String(slug || "").replace(/_/g, " ");
    return text.charAt(0).toUpperCase() + text.slice(1);
  }

  function utcText(date) {
    return date.toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
  }

  function sleep(ms, signal) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(resolve, ms);
      signal.addEventListener("abort", () => {
        clearTimeout(timer);
        reject(new DOMException("aborted", "AbortError"));
      });
    });
  }

  async function readProblem(response) {
    if (!(response.headers.get("Content-Type") || "").includes("json")) return null;
    try {
      return await response.json();
    } catch (_) {
      return null;
    }
  }

  /** "#/packages/2/declared_value/amount" → "Package 3 (ORD-1/3) › declared_value › amount". */
  function describePointer(pointer, packages) {
    const parts = String(pointer || "")
      .replace(/^#\/?/, "")
      .split("/")
      .filter(Boolean)
      .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
    if (parts[0] === "packages" && /^\d+$/.test(parts[1] || "")) {
      const index = Number(parts[1]);
      const reference = packages && packages[index] && packages[index].reference;
      const head = `Package ${index + 1}${reference ? ` (${reference})` : ""}`;
      return [head, ...parts.slice(2)].join(" › ");
    }
    return parts.length ? parts.join(" › ") : "Request";
  }

  /** An RFC 9457 problem (or whatever came instead) as plain text: a summary and field errors. */
  function describeProblem(response, problem, packages) {
    if (problem && typeof problem === "object" && (problem.title || problem.detail)) {
      const title = problem.title || response.statusText || "Error";
      const detail = problem.detail ? `: ${problem.detail}` : "";
      return {
        summary: `${title} (HTTP ${response.status})${detail}`,
        items: (Array.isArray(problem.errors) ? problem.errors : []).map(
          (e) => `${describePointer(e.pointer, packages)}: ${e.detail}`,
        ),
        code: problem.code || null,
      };
    }
    return {
      summary: `The server answered HTTP ${response.status} ${response.statusText || ""}`.trim(),
      items: [],
      code: null,
    };
  }

  function retryAfterMs(response) {
    const seconds = Number(response.headers.get("Retry-After"));
    return Math.min(Math.max(Number.isFinite(seconds) ? seconds * 1000 : 1000, 250), 5000);
  }

  class QuoteWidget {
    constructor(root, options) {
      if (!(root instanceof Element)) throw new TypeError("mount() needs a DOM element");
      this.root = root;
      this.id = `fiq${++mounted}`;
      this.options = {
        apiBase: DEFAULT_API_BASE,
        apiKey: "",
        sellerId: "",
        orderReference: "",
        packages: [],
        debounceMs: 300,
        quoteLifetimeSeconds: null,
        locale: undefined,
      };
      this.setOptions(options);
      this.lifecycle = new AbortController(); // aborted by destroy()
      this.generation = 0; // bumped by every change that needs a new quote
      this.quotedGeneration = -1; // the generation the shown quotes answer
      this.quotes = null; // the last answer: one entry per package
      this.quotedPackages = [];
      this.deadline = null; // browser-clock ms after which the shown offers are dead
      this.lifetimeMs = null;
      this.lifetimeAskedWith = null; // API key the quote lifetime was asked for with
      this.requoteDue = false;
      this.lastExpiryRequote = 0;
      this.accepted = new Set(); // references ticked
      this.bound = new Map(); // reference → coverage
      this.bindErrors = new Map(); // reference → message
      this.idempotencyKeys = new Map(); // quote token + order reference → Idempotency-Key
      this.error = null;
      this.bindNews = "";
      this.summary = "";
      this.inFlight = false;
      this.binding = false;
      this.timer = null;
      this.destroyed = false;
      this.build();
      this.ticker = setInterval(() => this.tick(), 1000);
      this.changed();
    }

    setOptions(changes) {
      for (const [name, value] of Object.entries(changes || {})) {
        if (value !== undefined && name in this.options) this.options[name] = value;
      }
      this.options.packages = Array.isArray(this.options.packages) ? this.options.packages : [];
      const seconds = Number(this.options.quoteLifetimeSeconds);
      if (seconds > 0) this.lifetimeMs = seconds * 1000;
    }

    quoteInputs() {
      const o = this.options;
      return JSON.stringify([o.apiBase, o.apiKey, o.sellerId || null, o.packages]);
    }

    // ---- public interface -------------------------------------------------------------------

    /** New options (packages, apiKey, sellerId, orderReference, …); re-quotes when needed. */
    update(changes) {
      const before = this.quoteInputs();
      this.setOptions(changes);
      if (this.quoteInputs() !== before) this.changed();
      else this.render();
    }

    /** Quote now, without waiting for the debounce. */
    requote() {
      this.generation += 1;
      clearTimeout(this.timer);
      this.timer = null;
      this.pump();
    }

    get state() {
      if (this.destroyed) return "destroyed";
      if (!this.options.apiKey) return "needs-key";
      if (!this.options.packages.length) return "empty";
      if (this.binding) return "binding";
      if (this.inFlight) return "loading";
      if (this.timer || this.stale()) return "pending";
      if (this.error) return "error";
      return "ready";
    }

    destroy() {
      this.destroyed = true;
      clearTimeout(this.timer);
      clearInterval(this.ticker);
      this.lifecycle.abort();
      this.el.remove();
    }

    // ---- quoting ----------------------------------------------------------------------------

    changed() {
      this.generation += 1;
      clearTimeout(this.timer);
      this.timer = null;
      if (this.options.apiKey && this.options.packages.length) {
        this.timer = setTimeout(() => {
          this.timer = null;
          this.pump();
        }, this.options.debounceMs);
      }
      this.render();
    }

    stale() {
      return this.quotedGeneration !== this.generation || this.requoteDue;
    }

    /** Send the one quote request the current inputs need, unless one is already out. */
    async pump() {
      if (this.destroyed || this.inFlight || this.binding || !this.stale()) return;
      if (!this.options.apiKey || !this.options.packages.length) return this.render();
      const generation = this.generation;
      const { apiKey, sellerId, packages } = this.options;
      const signal = this.lifecycle.signal;
      this.inFlight = true;
      this.requoteDue = false;
      this.render();
      try {
        if (this.lifetimeMs === null && this.lifetimeAskedWith !== apiKey) {
          this.lifetimeAskedWith = apiKey;
          this.lifetimeMs = await this.fetchLifetime(apiKey, signal);
        }
        const body = { packages };
        if (sellerId) body.seller_id = sellerId;
        const sentAt = Date.now();
        const response = await fetch(this.url("/quotes"), {
          method: "POST",
          headers: this.headers(apiKey, true),
          body: JSON.stringify(body),
          credentials: "omit",
          cache: "no-store",
          signal,
        });
        const answer = response.ok ? await response.json() : await readProblem(response);
        if (generation !== this.generation) return; // the order changed meanwhile: drop it
        this.quotedGeneration = generation;
        if (!response.ok) {
          this.showQuoteFailure(describeProblem(response, answer, packages));
          return;
        }
        this.quotes = answer.quotes;
        this.quotedPackages = packages;
        this.deadline = this.deadlineOf(answer.quotes, sentAt);
        this.error = null;
        this.bindNews = "";
        for (const quote of answer.quotes) {
          if (quote.status !== "offered") this.accepted.delete(quote.reference);
          this.bindErrors.delete(quote.reference);
        }
        this.emit("fiq:quoted", { quotes: answer.quotes });
      } catch (err) {
        if (err.name === "AbortError" || generation !== this.generation) return;
        this.quotedGeneration = generation;
        this.showQuoteFailure({
          summary: `The insurance service could not be reached (${err.message}).`,
          items: [],
        });
      } finally {
        this.inFlight = false;
        if (!this.destroyed) {
          this.render();
          if (!this.timer) this.pump(); // changes made while the request was out
        }
      }
    }

    showQuoteFailure(described) {
      // Offers priced for other inputs must not stay bindable.
      this.quotes = null;
      this.quotedPackages = [];
      this.deadline = null;
      this.error = described;
    }

    async fetchLifetime(apiKey, signal) {
      try {
        const response = await fetch(this.url("/rates"), {
          headers: this.headers(apiKey, false),
          credentials: "omit",
          cache: "no-store",
          signal,
        });
        if (!response.ok) return null;
        const seconds = Number((await response.json()).quote_lifetime_seconds);
        return seconds > 0 ? seconds * 1000 : null;
      } catch (err) {
        if (err.name === "AbortError") throw err;
        return null;
      }
    }

    deadlineOf(quotes, sentAt) {
      const offered = quotes.find((q) => q.status === "offered" && q.expires_at);
      if (!offered) return null;
      if (this.lifetimeMs !== null) return sentAt + this.lifetimeMs;
      return Date.parse(offered.expires_at); // no lifetime known: trust the clocks agree
    }

    expired() {
      return this.deadline !== null && Date.now() >= this.deadline - EXPIRY_MARGIN_MS;
    }

    tick() {
      if (this.destroyed) return;
      this.renderCountdown();
      const now = Date.now();
      if (
        this.expired() &&
        !this.requoteDue &&
        !this.binding &&
        now - this.lastExpiryRequote >= MIN_EXPIRY_REQUOTE_MS
      ) {
        this.lastExpiryRequote = now;
        this.requoteDue = true;
        this.render();
        this.pump();
      }
    }

    // ---- binding ----------------------------------------------------------------------------

    selection() {
      if (!this.quotes) return [];
      return this.quotes.filter(
        (q) =>
          q.status === "offered" && this.accepted.has(q.reference) && !this.bound.has(q.reference),
      );
    }

    bindBlocker() {
      if (this.binding) return "Binding…";
      if (!this.options.apiKey) return "Enter an API key first.";
      if (!this.quotes) return this.error ? "No offers to bind." : "Waiting for offers…";
      if (this.timer || this.inFlight || this.stale()) return "Updating the offers…";
      if (this.expired()) return "The offers expired; getting new ones…";
      if (!this.selection().length) return "Tick the offers to take.";
      if (!String(this.options.orderReference || "").trim()) return "Enter the order reference.";
      return null;
    }

    /** Bind every ticked offer, one after another; shows a certificate number or an error each. */
    async bindSelected() {
      if (this.bindBlocker()) return;
      const orderReference = String(this.options.orderReference).trim();
      const apiKey = this.options.apiKey;
      const chosen = this.selection();
      // The button is disabled while binding, which drops keyboard focus; give it a place after.
      const hadFocus = document.activeElement === this.bindButton;
      this.binding = true;
      this.bindNews = "";
      this.render();
      const bound = [];
      const failed = [];
      try {
        for (const quote of chosen) {
          const outcome = await this.bindOne(quote, orderReference, apiKey);
          if (outcome.coverage) {
            this.bound.set(quote.reference, outcome.coverage);
            this.accepted.delete(quote.reference);
            this.bindErrors.delete(quote.reference);
            bound.push(`${quote.reference} certificate ${outcome.coverage.certificate_number}`);
            this.emit("fiq:bound", { reference: quote.reference, coverage: outcome.coverage });
          } else {
            this.bindErrors.set(quote.reference, outcome.message);
            failed.push(quote.reference);
            if (outcome.code === "quote_expired") this.requoteDue = true;
          }
          this.render();
        }
      } catch (err) {
        if (err.name === "AbortError") return;
        throw err;
      } finally {
        this.binding = false;
      }
      const news = [];
      if (bound.length) news.push(`Bound ${bound.length} of ${chosen.length}: ${bound.join("; ")}.`);
      if (failed.length) news.push(`Not bound: ${failed.join(", ")}; see the errors in the table.`);
      this.bindNews = news.join(" ");
      this.render();
      if (hadFocus) {
        // Back to the button for a retry, else to the first certificate.
        const target = this.bindButton.disabled
          ? this.el.querySelector("[data-certificate]")
          : this.bindButton;
        if (target) target.focus();
      }
      if (!this.timer) this.pump();
    }

    async bindOne(quote, orderReference, apiKey) {
      const slot = `${quote.quote_token}\n${orderReference}`;
      if (!this.idempotencyKeys.has(slot)) this.idempotencyKeys.set(slot, newIdempotencyKey());
      const headers = { ...this.headers(apiKey, true), "Idempotency-Key": this.idempotencyKeys.get(slot) };
      const body = JSON.stringify({ quote_token: quote.quote_token, order_reference: orderReference });
      for (let attempt = 1; ; attempt += 1) {
        let response;
        try {
          response = await fetch(this.url("/coverages"), {
            method: "POST",
            headers,
            body,
            credentials: "omit",
            cache: "no-store",
            signal: this.lifecycle.signal,
          });
        } catch (err) {
          if (err.name === "AbortError") throw err;
          return {
            message:
              `The insurance service could not be reached (${err.message}). ` +
              "Binding again is safe: it cannot make a second coverage.",
          };
        }
        if (response.ok) return { coverage: await response.json() };
        const described = describeProblem(response, await readProblem(response));
        if (RETRYABLE_BIND_CODES.has(described.code) && attempt < MAX_BIND_ATTEMPTS) {
          await sleep(retryAfterMs(response), this.lifecycle.signal);
          continue;
        }
        const items = described.items.length ? ` ${described.items.join("; ")}` : "";
        return { message: described.summary + items, code: described.code };
      }
    }

    // ---- rendering --------------------------------------------------------------------------

    url(path) {
      return `${String(this.options.apiBase).replace(/\/+$/, "")}${API_PATH}${path}`;
    }

    headers(apiKey, json) {
      const headers = {
        Authorization: `Bearer ${apiKey}`,
        Accept: "application/json, application/problem+json",
      };
      if (json) headers["Content-Type"] = "application/json";
      return headers;
    }

    emit(name, detail) {
      this.root.dispatchEvent(new CustomEvent(name, { detail, bubbles: true }));
    }

    money(value) {
      if (!value) return "—";
      try {
        // A string argument is formatted as the exact decimal it is.
        return new Intl.NumberFormat(this.options.locale, {
          style: "currency",
          currency: value.currency,
        }).format(value.amount);
      } catch (_) {
        return `${value.amount} ${value.currency}`;
      }
    }

    /** A <time> in the browser's timezone, with the UTC instant on hover. */
    time(iso) {
      const date = new Date(iso);
      const sameDay = date.toDateString() === new Date().toDateString();
      const text = new Intl.DateTimeFormat(this.options.locale, {
        ...(sameDay ? {} : { year: "numeric", month: "short", day: "numeric" }),
        hour: "numeric",
        minute: "2-digit",
        timeZoneName: "short",
      }).format(date);
      return h("time", { datetime: iso, title: utcText(date) }, text);
    }

    build() {
      const statusId = `${this.id}-status`;
      this.statusEl = h("p", {
        className: "fiq-status",
        id: statusId,
        role: "status",
        "aria-live": "polite",
        "aria-atomic": "true",
      });
      this.activityEl = h("span", { className: "fiq-activity", "aria-hidden": "true" }, "Updating…");
      this.errorEl = h("div", { className: "fiq-error", role: "alert" });
      this.resultsEl = h("div", { className: "fiq-results" });
      this.expiryEl = h("p", { className: "fiq-expiry" });
      this.hintEl = h("p", { className: "fiq-hint", id: `${this.id}-hint` });
      this.totalEl = h("p", { className: "fiq-total" });
      this.bindButton = h(
        "button",
        {
          type: "button",
          className: "fiq-bind",
          "aria-describedby": `${this.id}-hint`,
          onclick: () => this.bindSelected(),
        },
        "Bind selected",
      );
      this.el = h(
        "div",
        { className: "fiq", "data-state": "needs-key" },
        h("div", { className: "fiq-head" }, this.statusEl, this.activityEl),
        this.errorEl,
        this.resultsEl,
        this.expiryEl,
        h("div", { className: "fiq-actions" }, this.bindButton, this.totalEl, this.hintEl),
      );
      this.root.append(this.el);
    }

    render() {
      if (this.destroyed) return;
      const state = this.state;
      this.el.dataset.state = state;
      this.activityEl.hidden = !(state === "pending" || state === "loading");
      this.setText(this.statusEl, this.statusText(state));
      this.renderError();
      this.renderResults();
      this.renderCountdown();
      this.renderActions();
    }

    setText(el, text) {
      if (el.textContent !== text) el.textContent = text;
    }

    statusText(state) {
      if (state === "needs-key") return "Enter an API key to see insurance offers.";
      if (state === "empty") return "Add a package to see insurance offers.";
      if (this.bindNews) return this.bindNews;
      if (!this.quotes) return this.error ? "No offers: the request failed." : "Getting offers…";
      if (this.stale()) return this.summary; // say nothing new until the answer is in
      const offered = this.quotes.filter((q) => q.status === "offered");
      const declined = this.quotes.filter((q) => q.status === "declined");
      const parts = [`Offers for ${offered.length} of ${this.quotes.length} packages.`];
      if (declined.length) parts.push(`Declined: ${declined.map((q) => q.reference).join(", ")}.`);
      const bound = this.quotes.filter((q) => this.bound.has(q.reference)).length;
      if (bound) parts.push(`${bound} already bound.`);
      this.summary = parts.join(" ");
      return this.summary;
    }

    renderError() {
      const key = this.error ? JSON.stringify(this.error) : "";
      if (this.errorEl.dataset.key === key) return;
      this.errorEl.dataset.key = key;
      this.errorEl.replaceChildren();
      if (!this.error) return;
      this.errorEl.append(h("p", {}, this.error.summary));
      if (this.error.items.length) {
        this.errorEl.append(h("ul", {}, this.error.items.map((item) => h("li", {}, item))));
      }
    }

    renderResults() {
      const focused = this.el.contains(document.activeElement) ? document.activeElement.id : "";
      this.resultsEl.replaceChildren();
      if (!this.quotes) return;
      const stale = this.stale();
      const order = String(this.options.orderReference || "").trim();
      this.resultsEl.append(
        h(
          "table",
          { className: "fiq-table", "aria-busy": stale ? "true" : "false" },
          h("caption", {}, order ? `Insurance for order ${order}` : "Insurance offers"),
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              h("th", { scope: "col" }, "Package"),
              h("th", { scope: "col", className: "fiq-num" }, "Insured value"),
              h("th", { scope: "col", className: "fiq-num" }, "Premium"),
              h("th", { scope: "col" }, "Take it"),
            ),
          ),
          h(
            "tbody",
            {},
            this.quotes.map((quote, index) => this.row(quote, index)),
          ),
        ),
      );
      if (focused) {
        const again = document.getElementById(focused);
        if (again && again !== document.activeElement) again.focus();
      }
    }

    row(quote, index) {
      const pkg = this.quotedPackages[index] || {};
      const reference = quote.reference;
      const coverage = this.bound.get(reference);
      const bindError = this.bindErrors.get(reference);
      const meta = [
        pkg.category && humanize(pkg.category),
        pkg.origin_country && `${pkg.origin_country} → ${pkg.destination_country}`,
        [pkg.carrier, pkg.service].filter(Boolean).join(" "),
      ].filter(Boolean);
      const notes = [];
      if (coverage) {
        notes.push(
          h(
            "span",
            { className: "fiq-note fiq-bound" },
            "Bound: certificate ",
            h(
              "a",
              {
                href: coverage.verification_url,
                target: "_blank",
                rel: "noopener",
                "data-certificate": coverage.certificate_number,
              },
              coverage.certificate_number,
            ),
          ),
        );
      } else if (quote.status === "offered") {
        const uw = quote.underwriter || {};
        notes.push(
          h(
            "span",
            { className: "fiq-note" },
            `Underwritten by ${uw.name} (licence ${uw.licence_number})`,
          ),
        );
        if (quote.carrier_base_cover) {
          notes.push(
            h(
              "span",
              { className: "fiq-note" },
              `The carrier covers the first ${this.money(quote.carrier_base_cover)}; we insure the rest.`,
            ),
          );
        }
        if (quote.deductible && !isZero(quote.deductible.amount)) {
          notes.push(h("span", { className: "fiq-note" }, `Deductible ${this.money(quote.deductible)}`));
        }
      }
      if (bindError) notes.push(h("span", { className: "fiq-note fiq-row-error" }, bindError));
      const head = h(
        "th",
        { scope: "row" },
        h("span", { className: "fiq-ref" }, reference),
        meta.length ? h("span", { className: "fiq-meta" }, meta.join(" · ")) : null,
        notes,
      );
      const attrs = { "data-reference": reference, "data-status": coverage ? "bound" : quote.status };
      if (quote.status !== "offered") {
        const decline = quote.decline || {};
        return h(
          "tr",
          { ...attrs, className: "fiq-declined" },
          head,
          h(
            "td",
            { colspan: 2, className: "fiq-decline" },
            h("strong", {}, "Declined: "),
            DECLINE_TEXT[decline.code] || "This package cannot be insured",
            ".",
            decline.detail ? h("span", { className: "fiq-note" }, decline.detail) : null,
            decline.code ? h("code", { className: "fiq-code" }, decline.code) : null,
          ),
          h("td", {}, h("span", { "aria-hidden": "true" }, "—"), h("span", { className: "fiq-sr" }, "Not insurable")),
        );
      }
      const checkboxId = `${this.id}-accept-${index}`;
      const take = coverage
        ? h("span", { className: "fiq-taken" }, "✓ Bound")
        : h(
            "label",
            { className: "fiq-accept", for: checkboxId },
            h("input", {
              type: "checkbox",
              id: checkboxId,
              checked: this.accepted.has(reference),
              disabled: this.binding,
              onchange: (event) => {
                if (event.target.checked) this.accepted.add(reference);
                else this.accepted.delete(reference);
                this.bindNews = "";
                this.render();
              },
            }),
            " Accept",
            h("span", { className: "fiq-sr" }, ` the offer for ${reference}`),
          );
      return h(
        "tr",
        attrs,
        head,
        h("td", { className: "fiq-num" }, this.money(quote.insured_value)),
        h("td", { className: "fiq-num fiq-premium" }, this.money(quote.premium)),
        h("td", {}, take),
      );
    }

    renderCountdown() {
      const offered = this.quotes && this.quotes.find((q) => q.status === "offered" && !this.bound.has(q.reference));
      if (!offered || this.deadline === null) {
        this.expiryEl.hidden = true;
        this.expiryEl.replaceChildren();
        this.expiryEl.dataset.expiresAt = "";
        return;
      }
      this.expiryEl.hidden = false;
      if (this.expiryEl.dataset.expiresAt !== offered.expires_at) {
        this.expiryEl.dataset.expiresAt = offered.expires_at;
        this.countdownEl = h("span", { className: "fiq-countdown", role: "timer" });
        this.expiryEl.replaceChildren(
          "Offers valid until ",
          this.time(offered.expires_at),
          " (",
          this.countdownEl,
          ")",
        );
      }
      const left = Math.max(0, this.deadline - Date.now());
      const minutes = Math.floor(left / 60000);
      const seconds = Math.floor((left % 60000) / 1000);
      this.setText(
        this.countdownEl,
        left > 0 ? `${minutes}:${String(seconds).padStart(2, "0")} left` : "expired, re-quoting",
      );
    }

    renderActions() {
      const blocker = this.bindBlocker();
      const chosen = this.selection();
      this.bindButton.disabled = Boolean(blocker);
      this.setText(this.bindButton, chosen.length ? `Bind selected (${chosen.length})` : "Bind selected");
      this.setText(this.hintEl, blocker || "Binding issues a certificate for each ticked offer.");
      const totals = new Map();
      for (const quote of chosen) {
        const { amount, currency } = quote.premium;
        totals.set(currency, totals.has(currency) ? addDecimal(totals.get(currency), amount) : amount);
      }
      const total = [...totals].map(([currency, amount]) => this.money({ amount, currency }));
      this.setText(this.totalEl, total.length ? `Premium for the selection: ${total.join(" + ")}` : "");
    }
  }

  window.ForwarderInsureQuoteWidget = Object.freeze({
    /** Mount a widget into `root`; returns it (update, requote, bindSelected, destroy, state). */
    mount(root, options) {
      return new QuoteWidget(root, options);
    },
  });
})();
