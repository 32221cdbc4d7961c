// The live page of trodo.testing's mock server. No dependencies, no build step.
//
// It polls GET /_trodo/requests?since=<cursor> and shows each request once,
// newest first. Everything shown comes from the app under test, so every
// value goes into the page as text (textContent, text nodes), never as HTML.
"use strict";

(function () {
  const POLL_MS = 500;
  const RETRY_MS = 2000;
  const KEEP = 10000; // requests kept in the page, as the dev server keeps
  const SHOW_REQUESTS = 300; // cards drawn at once; the summary says when more match
  const SHOW_ITEMS = 1000; // timeline rows drawn at once in the user view
  const INLINE_JSON = 72; // JSON up to this many characters shows on one line

  const state = {
    epoch: null,
    cursor: 0,
    requests: [], // oldest first, as the server numbered them
    cards: new Map(), // seq -> the request's card, built once
    view: "requests",
    fresh: false, // after the first answer, new cards flash
    knownUsers: new Set(),
    knownNames: new Set(),
    knownPaths: new Set(),
  };

  const $ = (id) => document.getElementById(id);
  const ui = {
    status: $("status"),
    list: $("list"),
    empty: $("empty"),
    summary: $("summary"),
    user: $("filter-user"),
    event: $("filter-event"),
    endpoint: $("filter-endpoint"),
    violations: $("filter-violations"),
    users: $("known-users"),
    names: $("known-names"),
    tabRequests: $("view-requests"),
    tabUsers: $("view-users"),
    clear: $("clear"),
  };

  // Building DOM: every value is text -------------------------------------------------

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function add(parent, tag, className, text) {
    return parent.appendChild(el(tag, className, text));
  }

  function clock(seconds) {
    const d = new Date(seconds * 1000);
    const two = (n) => String(n).padStart(2, "0");
    const ms = String(d.getMilliseconds()).padStart(3, "0");
    return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${ms}`;
  }

  function timeNode(seconds) {
    const node = el("time", "time", clock(seconds));
    node.dateTime = new Date(seconds * 1000).toISOString();
    node.title = node.dateTime;
    return node;
  }

  function statusBadge(status) {
    if (status === null) return el("span", "badge badge-none", "no answer");
    const kind = status < 300 ? "ok" : status < 500 ? "client" : "server";
    return el("span", `badge badge-${kind}`, String(status));
  }

  // JSON, coloured, as text spans: indented, or on one wrapping line when short
  // (or when `compact`, as in the timeline).
  function json(value, compact) {
    const pre = el("pre", compact ? "json json-compact" : "json");
    const length = (JSON.stringify(value) || "").length;
    writeJson(pre, value, 0, compact || length <= INLINE_JSON);
    return pre;
  }

  function writeJson(parent, value, depth, inline) {
    const text = (s) => parent.appendChild(document.createTextNode(s));
    if (value === null || value === undefined) return add(parent, "span", "j-null", "null");
    if (typeof value === "string") return add(parent, "span", "j-str", JSON.stringify(value));
    if (typeof value === "number") return add(parent, "span", "j-num", String(value));
    if (typeof value === "boolean") return add(parent, "span", "j-bool", String(value));
    const isArray = Array.isArray(value);
    const keys = isArray ? null : Object.keys(value);
    const size = isArray ? value.length : keys.length;
    const [open, close] = isArray ? ["[", "]"] : ["{", "}"];
    if (size === 0) return text(open + close);
    const pad = inline ? "" : "  ".repeat(depth + 1);
    text(inline ? open : open + "\n");
    for (let i = 0; i < size; i++) {
      text(pad);
      if (!isArray) {
        add(parent, "span", "j-key", JSON.stringify(keys[i]));
        text(": ");
      }
      writeJson(parent, isArray ? value[i] : value[keys[i]], depth + 1, inline);
      const last = i === size - 1;
      text(inline ? (last ? "" : ", ") : last ? "\n" : ",\n");
    }
    return text(inline ? close : "  ".repeat(depth) + close);
  }

  function violationBox(reason) {
    const box = el("div", "violation-reason");
    add(box, "strong", null, "Violation");
    const list = add(box, "ul");
    // The server joins several schema errors with "; "; one a line reads better.
    for (const part of reason.split(/; (?=body)/)) add(list, "li", null, part);
    return box;
  }

  function faultNote(request) {
    if (!request.fault) return null;
    const verdict = request.accepted ? "accepted" : "not accepted";
    return el("span", "fault", `${request.fault} · ${verdict}`);
  }

  function who(parent, item) {
    if (item.user !== null) {
      const user = add(parent, "span", "who");
      add(user, "span", "label", "user ");
      add(user, "span", "user", item.user);
    }
    if (item.session !== null) {
      const session = add(parent, "span", "who");
      add(session, "span", "label", "session ");
      add(session, "code", "session", item.session);
    }
  }

  function itemName(item) {
    const name = el("span", item.kind === "event" ? "name" : "name name-call", item.name);
    return name;
  }

  function itemKind(parent, item) {
    if (item.kind !== "event") return;
    const type = item.event_type, category = item.event_category;
    if ((type === "custom" && category === "custom") || !(type || category)) return;
    add(parent, "span", "tag", [type, category].filter(Boolean).join(" / "));
  }

  function itemProperties(item, compact) {
    const props = item.properties;
    const emptyObject = props && typeof props === "object" && !Array.isArray(props) &&
      Object.keys(props).length === 0;
    if (props === null || props === undefined || emptyObject) {
      return el("div", "no-props", item.kind === "event" ? "no properties" : "no other fields");
    }
    return json(props, compact || item.kind !== "event");
  }

  // One request's card (built once: a request never changes) ----------------------------

  function buildCard(request) {
    const card = el("article", "req");
    card.dataset.seq = String(request.seq);
    card.dataset.path = request.path;
    if (request.violation !== null) card.classList.add("is-violation");
    else if (!request.accepted) card.classList.add("is-refused");
    if (state.fresh) {
      // Once: the list re-inserts cards as it redraws, which would replay it.
      card.classList.add("is-new");
      card.addEventListener("animationend", () => card.classList.remove("is-new"), { once: true });
    }

    const head = add(card, "header", "req-head");
    head.append(timeNode(request.received_at), statusBadge(request.status));
    const endpoint = add(head, "span", "endpoint");
    add(endpoint, "span", "method", request.method);
    endpoint.appendChild(document.createTextNode(" "));
    add(endpoint, "span", "path", request.path);
    const note = faultNote(request);
    if (note) head.appendChild(note);
    const hidden = add(head, "span", "hidden-count");

    if (request.violation !== null) card.appendChild(violationBox(request.violation));

    const items = [];
    const list = add(card, "ol", "items");
    for (const item of request.items) {
      const row = add(list, "li", "item");
      const line = add(row, "div", "item-head");
      line.appendChild(itemName(item));
      itemKind(line, item);
      who(line, item);
      row.appendChild(itemProperties(item));
      items.push({ row, item });
    }
    if (!request.items.length) list.remove();

    const details = add(card, "details", "body");
    add(details, "summary", null, "Request body");
    if (request.body !== null) details.appendChild(json(request.body));
    else add(details, "pre", "json", request.body_text === null ? "(empty)" : request.body_text);
    add(details, "div", "site", `site id ${request.site_id === null ? "(none)" : request.site_id}`);
    return { card, items, hidden };
  }

  // Filters ----------------------------------------------------------------------------

  function filters() {
    return {
      user: ui.user.value.trim().toLowerCase(),
      event: ui.event.value.trim().toLowerCase(),
      endpoint: ui.endpoint.value,
      violations: ui.violations.checked,
    };
  }

  function requestPasses(request, f) {
    if (f.endpoint && request.path !== f.endpoint) return false;
    if (f.violations && request.violation === null) return false;
    return true;
  }

  function itemPasses(item, f) {
    if (f.user && !(item.user || "").toLowerCase().includes(f.user)) return false;
    if (f.event && !item.name.toLowerCase().includes(f.event)) return false;
    return true;
  }

  const itemFiltered = (f) => Boolean(f.user || f.event);

  // Views ------------------------------------------------------------------------------

  function render() {
    const f = filters();
    const shown = state.view === "requests" ? renderRequests(f) : renderUsers(f);
    ui.empty.hidden = state.requests.length > 0;
    ui.list.hidden = state.requests.length === 0;
    const filtered = f.user || f.event || f.endpoint || f.violations;
    ui.summary.textContent = state.requests.length === 0 ? "" :
      shown.text + (filtered ? " (filtered)" : "");
  }

  function renderRequests(f) {
    const nodes = [];
    let matching = 0;
    for (let i = state.requests.length - 1; i >= 0; i--) {
      const request = state.requests[i];
      if (!requestPasses(request, f)) continue;
      const built = state.cards.get(request.seq);
      let visible = 0;
      for (const { row, item } of built.items) {
        row.hidden = itemFiltered(f) && !itemPasses(item, f);
        if (!row.hidden) visible++;
      }
      if (itemFiltered(f) && visible === 0) continue;
      const total = built.items.length;
      built.hidden.textContent = visible < total ? `${visible} of ${total} items shown` : "";
      matching++;
      if (nodes.length < SHOW_REQUESTS) nodes.push(built.card);
    }
    ui.list.className = "list list-requests";
    ui.list.replaceChildren(...nodes);
    const cut = matching > nodes.length ? `, the latest ${nodes.length} shown` : "";
    return { text: `${matching} of ${state.requests.length} requests${cut}` };
  }

  function renderUsers(f) {
    // user -> session -> rows, each keyed in order of latest activity.
    const users = new Map();
    let rows = 0;
    for (let i = state.requests.length - 1; i >= 0 && rows < SHOW_ITEMS; i--) {
      const request = state.requests[i];
      if (!requestPasses(request, f)) continue;
      const items = request.items.length ? request.items :
        [{ kind: "call", name: request.path, user: null, session: null, properties: request.body }];
      for (const item of items) {
        if (itemFiltered(f) && !itemPasses(item, f)) continue;
        const userKey = item.user === null ? "" : item.user;
        if (!users.has(userKey)) users.set(userKey, new Map());
        const sessions = users.get(userKey);
        const sessionKey = item.session === null ? "" : item.session;
        if (!sessions.has(sessionKey)) sessions.set(sessionKey, []);
        sessions.get(sessionKey).push({ request, item });
        rows++;
      }
    }
    const sections = [];
    // Requests without a user (most violations) last, after every named user.
    const order = [...users.keys()].filter((k) => k !== "");
    if (users.has("")) order.push("");
    for (const userKey of order) sections.push(userSection(userKey, users.get(userKey)));
    ui.list.className = "list list-users";
    ui.list.replaceChildren(...sections);
    const cut = rows >= SHOW_ITEMS ? `, the latest ${SHOW_ITEMS} shown` : "";
    return { text: `${users.size} users, ${rows} items${cut}` };
  }

  function userSection(userKey, sessions) {
    const section = el("section", "user-group");
    section.dataset.user = userKey;
    const head = add(section, "h2", "user-head");
    if (userKey === "") add(head, "span", "user user-none", "no user");
    else add(head, "span", "user", userKey);
    let count = 0, latest = 0;
    for (const rows of sessions.values()) {
      count += rows.length;
      latest = Math.max(latest, rows[0].request.received_at);
    }
    const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;
    add(head, "span", "meta",
      `${plural(sessions.size, "session")} · ${plural(count, "item")} · last ${clock(latest)}`);
    for (const [sessionKey, rows] of sessions) {
      const block = add(section, "div", "session-group");
      block.dataset.session = sessionKey;
      const sessionHead = add(block, "h3", "session-head");
      add(sessionHead, "span", "label", "session ");
      if (sessionKey === "") add(sessionHead, "span", "session session-none", "none");
      else add(sessionHead, "code", "session", sessionKey);
      const first = rows[rows.length - 1].request.received_at;
      const last = rows[0].request.received_at;
      add(sessionHead, "span", "meta",
        `${plural(rows.length, "item")} · ${clock(first)} – ${clock(last)}`);
      const timeline = add(block, "ol", "timeline");
      for (const { request, item } of rows) timeline.appendChild(timelineRow(request, item));
    }
    return section;
  }

  function timelineRow(request, item) {
    const row = el("li", "tl");
    row.dataset.seq = String(request.seq);
    if (request.violation !== null) row.classList.add("is-violation");
    else if (!request.accepted) row.classList.add("is-refused");
    const line = add(row, "div", "tl-head");
    line.append(timeNode(request.received_at), statusBadge(request.status), itemName(item));
    itemKind(line, item);
    add(line, "span", "path", request.path);
    const note = faultNote(request);
    if (note) line.appendChild(note);
    if (request.violation !== null) row.appendChild(violationBox(request.violation));
    row.appendChild(itemProperties(item, true));
    return row;
  }

  // Data -------------------------------------------------------------------------------

  function take(requests) {
    for (const request of requests) {
      state.requests.push(request);
      state.cards.set(request.seq, buildCard(request));
      state.knownPaths.add(request.path);
      for (const item of request.items) {
        if (item.user !== null) state.knownUsers.add(item.user);
        state.knownNames.add(item.name);
      }
    }
    while (state.requests.length > KEEP) state.cards.delete(state.requests.shift().seq);
    fillOptions(ui.users, state.knownUsers);
    fillOptions(ui.names, state.knownNames);
    fillEndpoints();
  }

  function fillOptions(datalist, values) {
    if (datalist.childElementCount === values.size) return;
    const options = [...values].sort().map((value) => {
      const option = el("option");
      option.value = value;
      return option;
    });
    datalist.replaceChildren(...options);
  }

  function fillEndpoints() {
    const select = ui.endpoint;
    if (select.options.length - 1 === state.knownPaths.size) return;
    const chosen = select.value;
    const options = [el("option", null, "all endpoints")];
    options[0].value = "";
    for (const path of [...state.knownPaths].sort()) {
      const option = el("option", null, path);
      option.value = path;
      options.push(option);
    }
    select.replaceChildren(...options);
    select.value = chosen;
  }

  function forget() {
    state.epoch = null;
    state.cursor = 0;
    state.requests = [];
    state.cards.clear();
    state.knownUsers.clear();
    state.knownNames.clear();
    state.knownPaths.clear();
  }

  function showCounts(counts) {
    $("count-requests").textContent = String(counts.requests);
    $("count-events").textContent = String(counts.events_accepted);
    $("count-violations").textContent = String(counts.violations);
    $("count-violations").parentElement.classList.toggle("has-some", counts.violations > 0);
  }

  function setStatus(live) {
    ui.status.dataset.state = live ? "live" : "offline";
    ui.status.textContent = live ? "live" : "server not answering, retrying…";
  }

  let timer = null;

  function schedule(ms) {
    clearTimeout(timer);
    timer = setTimeout(poll, ms);
  }

  async function poll() {
    let next = POLL_MS;
    try {
      const response = await fetch(`/_trodo/requests?since=${state.cursor}`, {
        cache: "no-store",
        headers: { Accept: "application/json" },
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const data = await response.json();
      setStatus(true);
      if (state.epoch !== null && data.epoch !== state.epoch) {
        // Cleared, or another server on this port: start again from its first record.
        forget();
        render();
        next = 0;
      } else {
        state.epoch = data.epoch;
        state.cursor = data.cursor;
        showCounts(data.counts);
        if (data.requests.length || !state.fresh) {
          take(data.requests);
          render();
        }
        state.fresh = true;
        if (data.more) next = 0;
      }
    } catch (error) {
      setStatus(false);
      next = RETRY_MS;
    }
    schedule(next);
  }

  async function clearAll() {
    ui.clear.disabled = true;
    try {
      const response = await fetch("/_trodo/clear", {
        method: "POST",
        headers: { "X-Trodo-Live": "clear" },
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      forget();
      showCounts({ requests: 0, events_accepted: 0, violations: 0 });
      render();
      schedule(0);
    } catch (error) {
      setStatus(false);
    } finally {
      ui.clear.disabled = false;
    }
  }

  function setView(view) {
    state.view = view;
    ui.tabRequests.setAttribute("aria-selected", String(view === "requests"));
    ui.tabUsers.setAttribute("aria-selected", String(view === "users"));
    render();
  }

  ui.tabRequests.addEventListener("click", () => setView("requests"));
  ui.tabUsers.addEventListener("click", () => setView("users"));
  for (const input of [ui.user, ui.event]) input.addEventListener("input", render);
  for (const input of [ui.endpoint, ui.violations]) input.addEventListener("change", render);
  ui.clear.addEventListener("click", clearAll);
  $("empty-hint").textContent =
    `trodo.init("your-site-id", api_base="${location.origin}")`;
  render();
  poll();
})();
