// Switchboard coordinator console. No framework, no build step: plain DOM, and every value
// from a server goes into the page through textContent or attributes, never as markup.
"use strict";

(() => {
  const TOKEN_KEY = "switchboard.console.token";
  const REGION_KEY = "switchboard.console.region";
  const PANEL_POLL_MS = 5000;
  const KPI_POLL_MS = 30000;
  const MAX_BACKOFF_MS = 30000;
  const SVG = "http://www.w3.org/2000/svg";
  const PRESENCE_ORDER = ["available", "busy", "wrap_up", "away", "offline"];

  const state = {
    token: null,
    claims: null,
    config: null,
    region: "",
    discovered: new Set(),
    generation: 0,
    escalations: new Map(),
    rows: new Map(),
    timers: [],
    streamAbort: null,
  };

  const $ = (id) => document.getElementById(id);

  class Unauthorized extends Error {}

  class HttpError extends Error {
    constructor(status, detail) {
      super(detail);
      this.status = status;
    }
  }

  // -- elements ------------------------------------------------------------------------

  function el(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "text") node.textContent = String(value);
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    node.append(...children);
    return node;
  }

  function svg(tag, attributes = {}, text = null) {
    const node = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
    if (text !== null) node.textContent = text;
    return node;
  }

  function empty(message) {
    return el("p", { class: "empty", text: message });
  }

  function showIn(containerId, ...nodes) {
    const container = $(containerId);
    container.replaceChildren(...nodes);
    container.removeAttribute("aria-busy");
  }

  function notify(message) {
    $("notice").textContent = message;
  }

  // -- formatting ----------------------------------------------------------------------

  const clock = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  const day = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short" });

  function age(iso) {
    const seconds = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
    if (seconds < 60) return `${Math.round(seconds)} s`;
    if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
    if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
    return `${Math.floor(seconds / 86400)} d`;
  }

  function when(iso) {
    const at = new Date(iso);
    const sameDay = at.toDateString() === new Date().toDateString();
    return `${sameDay ? "" : day.format(at) + " "}${clock.format(at)}`;
  }

  function duration(seconds) {
    if (seconds === null || seconds === undefined) return "—";
    if (seconds < 60) return `${Math.round(seconds)} s`;
    if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
    return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
  }

  function number(value, suffix = "", signed = false) {
    if (value === null || value === undefined) return "—";
    const rounded = Math.round(value * 10) / 10;
    return `${signed && rounded > 0 ? "+" : ""}${rounded}${suffix}`;
  }

  function words(code) {
    const text = String(code || "").replace(/_/g, " ");
    return text.replace(/\bsla\b/i, "SLA").replace(/\bvip\b/i, "VIP");
  }

  // -- signing in and out --------------------------------------------------------------

  function claimsOf(token) {
    const parts = token.split(".");
    if (parts.length !== 3) throw new Error("that is not a JWT (three dot-separated parts)");
    const base64 = parts[1].replace(/-/g, "+").replace(/_/g, "/");
    const padded = base64 + "=".repeat((4 - (base64.length % 4)) % 4);
    let claims;
    try {
      const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
      claims = JSON.parse(new TextDecoder().decode(bytes));
    } catch {
      throw new Error("the token's claims cannot be read");
    }
    if (typeof claims.sub !== "string" || typeof claims.role !== "string") {
      throw new Error("the token has no subject or role");
    }
    if (typeof claims.exp === "number" && claims.exp * 1000 <= Date.now()) {
      throw new Error("the token has expired; get a new one");
    }
    const regions = Array.isArray(claims.regions) ? claims.regions.filter((r) => typeof r === "string") : [];
    return { subject: claims.sub, role: claims.role, regions: regions.sort() };
  }

  function showSignIn(reason) {
    $("console").hidden = true;
    $("who").hidden = true;
    $("sign-in").hidden = false;
    const reasonNode = $("sign-in-reason");
    reasonNode.textContent = reason || "";
    reasonNode.hidden = !reason;
    $("token-input").value = "";
  }

  function signOut(reason) {
    state.generation += 1;
    if (state.streamAbort) state.streamAbort.abort();
    state.timers.forEach(clearTimeout);
    Object.assign(state, { token: null, claims: null, timers: [], streamAbort: null });
    state.escalations.clear();
    state.rows.clear();
    $("escalation-rows").replaceChildren();
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(REGION_KEY);
    showSignIn(reason);
  }

  async function signIn(token) {
    let claims;
    try {
      claims = claimsOf(token.trim());
    } catch (error) {
      signOut(`Could not sign in: ${error.message}.`);
      return;
    }
    state.generation += 1;
    Object.assign(state, { token: token.trim(), claims });
    sessionStorage.setItem(TOKEN_KEY, state.token);
    try {
      const response = await fetch("/console/config.json", { cache: "no-store" });
      if (!response.ok) throw new Error(`console configuration answered ${response.status}`);
      state.config = await response.json();
    } catch (error) {
      signOut(`Could not load the console's configuration: ${error.message}.`);
      return;
    }
    showConsole();
    start(state.generation);
  }

  function showConsole() {
    const { subject, role, regions } = state.claims;
    $("who-name").textContent = subject;
    $("who-role").textContent = role;
    $("who-regions").textContent = regions.length ? regions.join(", ") : role === "admin" ? "all" : "none";
    const stored = sessionStorage.getItem(REGION_KEY);
    state.discovered = new Set();
    state.region = regions.includes(stored) ? stored : regions[0] || "";
    fillPicker();
    $("sign-in").hidden = true;
    $("who").hidden = false;
    $("console").hidden = false;
    notify("");
  }

  // A token without regions (an admin's) sees every region: "" stands for all of them, and
  // the picker offers the regions found in the data.
  function fillPicker() {
    const own = state.claims.regions;
    const options = own.length ? own : ["", ...[...state.discovered].sort()];
    const picker = $("region");
    if (picker.options.length !== options.length) {
      picker.replaceChildren(...options.map((r) => el("option", { value: r, text: r || "All regions" })));
    }
    picker.value = state.region;
    $("region-picker").hidden = options.length < 2;
  }

  function discover(items) {
    if (state.claims.regions.length) return;
    const before = state.discovered.size;
    items.forEach((item) => item.region && state.discovered.add(item.region));
    if (state.discovered.size !== before) fillPicker();
  }

  const regionQuery = () => (state.region ? `?region=${encodeURIComponent(state.region)}` : "");
  const regionName = () => state.region || "all regions";

  // -- HTTP ----------------------------------------------------------------------------

  async function problemDetail(response) {
    try {
      const body = await response.json();
      return body.detail || body.title || response.statusText;
    } catch {
      return response.statusText || `HTTP ${response.status}`;
    }
  }

  async function call(base, path, { method = "GET", body } = {}) {
    const generation = state.generation;
    const headers = { Authorization: `Bearer ${state.token}`, Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(base + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
    });
    if (response.status === 401) {
      const detail = await problemDetail(response);
      if (generation === state.generation) signOut(`Signed out: ${detail}.`);
      throw new Unauthorized(detail);
    }
    if (!response.ok) throw new HttpError(response.status, await problemDetail(response));
    return response.json();
  }

  const escalation = (path, options) => call("", path, options);
  const routing = (path) => call(state.config.routing_url, path);
  const feedback = (path) => call(state.config.feedback_url, path);

  function failure(what, error) {
    if (error instanceof HttpError) return `${what}: ${error.message} (HTTP ${error.status}).`;
    // fetch() says only "Failed to fetch" for a refused connection or a missing CORS grant.
    return `${what}: the service cannot be reached (is it running, and does it allow this origin?).`;
  }

  // -- escalations ---------------------------------------------------------------------

  async function loadEscalations(generation) {
    const lists = await Promise.all(
      ["open", "acknowledged"].map((status) => escalation(`/v1/escalations?status=${status}&limit=500`)),
    );
    if (generation !== state.generation) return;
    state.escalations = new Map(lists.flat().map((e) => [e.escalation_id, e]));
    discover(lists.flat());
    renderEscalations();
  }

  function upsert(item) {
    if (item.status === "resolved") {
      state.escalations.delete(item.escalation_id);
    } else {
      state.escalations.set(item.escalation_id, { ...state.escalations.get(item.escalation_id), ...item });
    }
    renderEscalations();
  }

  async function refetch(id, generation) {
    try {
      const item = await escalation(`/v1/escalations/${encodeURIComponent(id)}`);
      if (generation === state.generation) upsert(item);
    } catch (error) {
      if (!(error instanceof Unauthorized)) notify(failure(`Could not refresh escalation ${id}`, error));
    }
  }

  function applyEvent(type, data, generation) {
    const id = data.escalation_id;
    const known = state.escalations.get(id);
    switch (type.split(".").pop()) {
      case "raised":
        upsert({
          escalation_id: id,
          case_id: data.case_id,
          region: data.region,
          trigger: data.trigger,
          level: data.level,
          reason: data.reason,
          priority: data.priority,
          raised_at: data.raised_at,
          acknowledge_by: data.ack_deadline,
          status: "open",
        });
        discover([data]);
        notify(`New escalation for case ${data.case_id} in ${data.region}.`);
        break;
      case "acknowledged":
        if (known) upsert({ escalation_id: id, status: "acknowledged", level: data.level, acknowledged_by: data.by.id });
        else refetch(id, generation);
        break;
      case "escalated":
        if (known) upsert({ escalation_id: id, status: "open", level: data.to_level });
        refetch(id, generation);
        break;
      case "resolved":
        if (known) notify(`Escalation for case ${data.case_id} resolved by ${data.by.id}.`);
        upsert({ escalation_id: id, status: "resolved" });
        break;
      default:
        break;
    }
  }

  function visibleEscalations() {
    const statusRank = { open: 0, acknowledged: 1 };
    return [...state.escalations.values()]
      .filter((e) => !state.region || e.region === state.region)
      .sort((a, b) => statusRank[a.status] - statusRank[b.status] || Date.parse(b.raised_at) - Date.parse(a.raised_at));
  }

  function renderEscalations() {
    const body = $("escalation-rows");
    const shown = visibleEscalations();
    for (const [id, row] of state.rows) {
      if (!shown.some((e) => e.escalation_id === id)) {
        row.remove();
        state.rows.delete(id);
      }
    }
    const ordered = shown.map((item) => {
      const row = state.rows.get(item.escalation_id) || buildRow(item.escalation_id);
      state.rows.set(item.escalation_id, row);
      fillRow(row, item);
      return row;
    });
    const current = [...body.children];
    if (ordered.length !== current.length || ordered.some((row, i) => row !== current[i])) {
      body.append(...ordered);
    }
    const where = state.region ? ` in ${state.region}` : "";
    $("escalations-empty").textContent = "No open escalations" + where + ".";
    $("escalations-empty").hidden = shown.length > 0;
    body.parentElement.hidden = shown.length === 0;
    $("escalation-list").dataset.loaded = "true";
  }

  function cell(label, className) {
    return el("td", { "data-label": label, class: className });
  }

  function buildRow(id) {
    const row = el("tr", { "data-escalation-id": id });
    const reassignInput = el("input", { type: "text", id: `reassign-${id}`, autocomplete: "off", required: true, maxlength: 128 });
    const reassignForm = el(
      "form",
      { class: "reassign", hidden: true },
      el("label", { for: `reassign-${id}`, text: "Hand over to coordinator" }),
      reassignInput,
      el("button", { type: "submit", text: "Hand over" }),
      el("button", { type: "button", class: "secondary cancel", text: "Cancel" }),
    );
    const buttons = el(
      "div",
      { class: "actions" },
      el("button", { type: "button", class: "acknowledge", text: "Acknowledge" }),
      el("button", { type: "button", class: "secondary reassign-open", text: "Reassign…" }),
      el("button", { type: "button", class: "secondary resolve", text: "Resolve" }),
    );
    const actions = cell("Actions", "actions-cell");
    actions.append(buttons, reassignForm);
    row.append(
      cell("Case", "case"), cell("Region", "region"), cell("Level", "level"), cell("Reason", "reason"),
      cell("Raised", "raised"), cell("Status", "status-cell"), actions,
    );
    buttons.querySelector(".acknowledge").addEventListener("click", () => act(id, "acknowledge", {}));
    buttons.querySelector(".resolve").addEventListener("click", () => act(id, "resolve", {}));
    buttons.querySelector(".reassign-open").addEventListener("click", () => {
      reassignForm.hidden = false;
      buttons.hidden = true;
      reassignInput.focus();
    });
    const closeForm = () => {
      reassignForm.hidden = true;
      buttons.hidden = false;
      reassignInput.value = "";
    };
    reassignForm.querySelector(".cancel").addEventListener("click", closeForm);
    reassignForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const to = reassignInput.value.trim();
      if (!to) {
        reassignInput.focus();
        return;
      }
      if (await act(id, "reassign", { to })) closeForm();
    });
    return row;
  }

  function fillRow(row, item) {
    const text = (selector, value, title) => {
      const node = row.querySelector(selector);
      node.textContent = value;
      if (title) node.title = title;
    };
    text(".case", item.case_id);
    text(".region", item.region);
    text(".level", `L${item.level}`);
    text(".reason", item.reason || words(item.trigger), words(item.trigger));
    const raised = row.querySelector(".raised");
    raised.replaceChildren(
      el("time", { datetime: item.raised_at, text: when(item.raised_at) }),
      el("span", { class: "age", text: ` · ${age(item.raised_at)} ago` }),
    );
    const by = item.status === "acknowledged" ? item.acknowledged_by : item.assignee;
    const statusCell = row.querySelector(".status-cell");
    statusCell.replaceChildren(
      el("span", { class: `status status-${item.status}`, text: item.status }),
      by ? el("span", { class: "by", text: item.status === "acknowledged" ? `by ${by}` : `to ${by}` }) : "",
    );
    row.dataset.status = item.status;
    const busy = row.dataset.busy === "true";
    row.querySelectorAll("button").forEach((button) => (button.disabled = busy));
    row.querySelector(".acknowledge").disabled = busy || item.status !== "open";
  }

  async function act(id, action, body) {
    const row = state.rows.get(id);
    if (row) {
      row.dataset.busy = "true";
      row.querySelectorAll("button").forEach((button) => (button.disabled = true));
    }
    try {
      const item = await escalation(`/v1/escalations/${encodeURIComponent(id)}/${action}`, { method: "POST", body });
      upsert(item);
      notify(`Case ${item.case_id}: ${action === "reassign" ? `handed over to ${body.to}` : item.status}.`);
      return true;
    } catch (error) {
      if (!(error instanceof Unauthorized)) notify(failure(`Could not ${action} the escalation`, error));
      return false;
    } finally {
      if (row) row.dataset.busy = "false";
      const item = state.escalations.get(id);
      if (row && item) fillRow(row, item);
    }
  }

  // -- the live stream (fetch + ReadableStream: EventSource cannot send a bearer token) --

  function setStreamState(name, text) {
    const node = $("stream-state");
    node.dataset.state = name;
    node.textContent = text;
  }

  function parseFrame(frame) {
    const parsed = { event: "message", data: null, retry: null };
    for (const line of frame.split("\n")) {
      if (!line || line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "event") parsed.event = value;
      else if (field === "data") parsed.data = parsed.data === null ? value : `${parsed.data}\n${value}`;
      else if (field === "retry" && /^\d+$/.test(value)) parsed.retry = Number(value);
    }
    return parsed;
  }

  async function readStream(generation, onOpen) {
    const controller = new AbortController();
    state.streamAbort = controller;
    const response = await fetch("/v1/escalations/stream", {
      headers: { Authorization: `Bearer ${state.token}`, Accept: "text/event-stream" },
      cache: "no-store",
      signal: controller.signal,
    });
    if (response.status === 401) {
      const detail = await problemDetail(response);
      if (generation === state.generation) signOut(`Signed out: ${detail}.`);
      throw new Unauthorized(detail);
    }
    if (!response.ok || !response.body) throw new HttpError(response.status, await problemDetail(response));
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    let opened = false;
    for (;;) {
      const { value, done } = await reader.read();
      if (done || generation !== state.generation) return;
      buffer += value;
      const held = buffer.endsWith("\r") ? "\r" : "";
      buffer = buffer.slice(0, buffer.length - held.length).replace(/\r\n?/g, "\n") + held;
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const frame = parseFrame(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
        if (!opened) {
          opened = true;
          await onOpen(frame.retry);
        }
        if (frame.data !== null && generation === state.generation) {
          try {
            applyEvent(frame.event, JSON.parse(frame.data), generation);
          } catch (error) {
            console.warn("skipped an unreadable stream event", error);
          }
        }
      }
    }
  }

  async function followStream(generation) {
    let base = 1000;
    let delay = base;
    while (generation === state.generation) {
      setStreamState("connecting", "Connecting…");
      try {
        await readStream(generation, async (retry) => {
          if (retry) base = retry;
          delay = base;
          setStreamState("live", "Live");
          // Anything raised while we were away: the stream starts from now.
          await loadEscalations(generation).catch((error) => {
            if (!(error instanceof Unauthorized)) notify(failure("Could not load escalations", error));
          });
        });
      } catch (error) {
        if (error instanceof Unauthorized || error.name === "AbortError") return;
        console.warn("escalation stream failed", error);
      }
      if (generation !== state.generation) return;
      setStreamState("reconnecting", `Reconnecting in ${Math.round(delay / 1000)} s…`);
      await new Promise((resolve) => state.timers.push(setTimeout(resolve, delay)));
      delay = Math.min(delay * 2, MAX_BACKOFF_MS);
    }
  }

  // -- queues and agents (routing) -----------------------------------------------------

  function table(headings, rows, caption) {
    return el(
      "table",
      { class: "data" },
      el("caption", { class: "visually-hidden", text: caption }),
      el("thead", {}, el("tr", {}, ...headings.map((h) => el("th", { scope: "col", text: h })))),
      el("tbody", {}, ...rows.map((cells) => el("tr", {}, ...cells.map((c, i) => el("td", { "data-label": headings[i], text: c }))))),
    );
  }

  async function loadQueues(generation) {
    const region = state.region;
    try {
      const queues = await routing(`/v1/queues${regionQuery()}`);
      if (generation !== state.generation || region !== state.region) return;
      discover(queues);
      if (!queues.length) return showIn("queues", empty(`No cases waiting in ${regionName()} right now.`));
      const withAssigned = queues.some((q) => q.assigned !== undefined);
      const all = !region;
      const headings = [
        ...(all ? ["Region"] : []), "Pool", "Waiting", "Offered", ...(withAssigned ? ["Assigned"] : []), "Oldest waiting",
      ];
      const rows = queues.map((q) => [
        ...(all ? [q.region] : []),
        q.pool,
        String(q.waiting),
        String(q.offered),
        ...(withAssigned ? [String(q.assigned ?? "—")] : []),
        q.oldest_waiting_since ? age(q.oldest_waiting_since) : "—",
      ]);
      showIn("queues", table(headings, rows, `Queues of ${regionName()}`));
    } catch (error) {
      if (!(error instanceof Unauthorized)) showIn("queues", empty(failure("Queues unavailable", error)));
    }
  }

  function capacityText(agent) {
    const channels = Object.keys(agent.capacity || {}).sort();
    if (!channels.length) return "—";
    return channels.map((c) => `${c} ${agent.load?.[c] ?? 0}/${agent.capacity[c]}`).join(", ");
  }

  async function loadAgents(generation) {
    const region = state.region;
    try {
      const agents = await routing(`/v1/agents${regionQuery()}`);
      if (generation !== state.generation || region !== state.region) return;
      discover(agents);
      if (!agents.length) return showIn("agents", empty(`No agents in ${regionName()}.`));
      const rank = (p) => (PRESENCE_ORDER.includes(p) ? PRESENCE_ORDER.indexOf(p) : PRESENCE_ORDER.length);
      agents.sort((a, b) => rank(a.presence) - rank(b.presence) || a.id.localeCompare(b.id));
      const counts = new Map();
      agents.forEach((a) => counts.set(a.presence, (counts.get(a.presence) || 0) + 1));
      const summary = el(
        "ul",
        { class: "presence-summary", "aria-label": "Agents by state" },
        ...[...counts].map(([presence, n]) =>
          el("li", { class: `presence presence-${presence}` }, el("strong", { text: String(n) }), ` ${words(presence)}`),
        ),
      );
      const all = !region;
      const rows = agents.map((a) => [
        a.id,
        ...(all ? [a.region] : []),
        a.team || "—",
        words(a.presence),
        capacityText(a),
        a.presence === "available" && a.idle_since ? age(a.idle_since) : "—",
      ]);
      const headings = ["Agent", ...(all ? ["Region"] : []), "Team", "State", "Load", "Idle for"];
      showIn("agents", summary, table(headings, rows, `Agents of ${regionName()}`));
    } catch (error) {
      if (!(error instanceof Unauthorized)) showIn("agents", empty(failure("Agents unavailable", error)));
    }
  }

  // -- KPIs (feedback) -----------------------------------------------------------------

  const TILES = [
    ["CSAT", (k) => number(k.csat_percent, " %")],
    ["NPS", (k) => number(k.nps, "", true)],
    ["SLA attainment", (k) => number(k.sla_attainment_percent, " %")],
    ["Response rate", (k) => number(k.response_rate_percent, " %")],
    ["First response", (k) => duration(k.first_response_seconds)],
    ["Backlog", (k) => number(k.backlog)],
  ];

  async function loadKpis(generation) {
    const region = encodeURIComponent(state.region || "*"); // "*": every region, for admins
    const asked = state.region;
    const [daily, hourly] = await Promise.allSettled([
      feedback(`/kpis?region=${region}&period=day`),
      feedback(`/kpis?region=${region}&period=hour`),
    ]);
    if (generation !== state.generation || asked !== state.region) return;
    $("kpis-title").textContent = `Today's KPIs · ${regionName()}`;
    if (daily.status === "fulfilled") {
      const total = daily.value.total || {};
      const tiles = el(
        "dl",
        { class: "tiles" },
        ...TILES.map(([label, format]) =>
          el("div", { class: "tile" }, el("dt", { text: label }), el("dd", { text: format(total) })),
        ),
      );
      showIn("kpi-totals", tiles);
    } else if (!(daily.reason instanceof Unauthorized)) {
      showIn("kpi-totals", empty(failure("KPIs unavailable", daily.reason)));
    }
    if (hourly.status === "fulfilled") {
      showIn("kpi-chart", ...chart(hourly.value.series || [], { everyRegion: !asked }));
    } else if (!(hourly.reason instanceof Unauthorized)) {
      showIn("kpi-chart", empty(failure("Hourly KPIs unavailable", hourly.reason)));
    }
  }

  const LINES = [
    { key: "csat_percent", label: "CSAT %", className: "line-csat" },
    { key: "sla_attainment_percent", label: "SLA attainment %", className: "line-sla" },
  ];

  // Buckets are the region's local hours (the all-regions view: each region's own local
  // hours); they are placed by their position in the day, labelled by their own clock time.
  function hourOf(bucket) {
    return String(bucket.bucket_start || "").slice(11, 16);
  }

  function zoneOf(series, everyRegion) {
    if (everyRegion) return "each region's local time";
    const offset = series.length ? String(series[0].bucket_start || "").slice(19) : "";
    if (!offset || offset === "Z" || offset === "+00:00") return "UTC";
    return `local time, UTC${offset}`;
  }

  function chart(series, { everyRegion = false } = {}) {
    const width = 640, height = 240;
    const left = 44, right = 16, top = 14, bottom = 40;
    const plotWidth = width - left - right, plotHeight = height - top - bottom;
    const slots = series.length || 24;
    const x = (index) => left + ((index + 0.5) / slots) * plotWidth;
    const y = (v) => top + plotHeight - (Math.max(0, Math.min(100, v)) / 100) * plotHeight;
    const root = svg("svg", {
      viewBox: `0 0 ${width} ${height}`,
      class: "chart-svg",
      role: "img",
      "aria-labelledby": "chart-title",
    });
    for (const value of [0, 25, 50, 75, 100]) {
      root.append(svg("line", { x1: left, x2: width - right, y1: y(value), y2: y(value), class: "grid" }));
      root.append(svg("text", { x: left - 6, y: y(value) + 4, class: "tick", "text-anchor": "end" }, String(value)));
    }
    for (let index = 0; index < slots; index += 3) {
      const label = series.length ? hourOf(series[index]) : `${String(index).padStart(2, "0")}:00`;
      const at = left + (index / slots) * plotWidth;
      root.append(svg("line", { x1: at, x2: at, y1: top + plotHeight, y2: top + plotHeight + 4, class: "axis" }));
      root.append(svg("text", { x: at, y: top + plotHeight + 17, class: "tick", "text-anchor": "middle" }, label));
    }
    root.append(svg("line", { x1: left, x2: left, y1: top, y2: top + plotHeight, class: "axis" }));
    root.append(svg("line", { x1: left, x2: width - right, y1: top + plotHeight, y2: top + plotHeight, class: "axis" }));
    root.append(svg("text", { x: left + plotWidth / 2, y: height - 4, class: "axis-label", "text-anchor": "middle" }, `hour of the day (${zoneOf(series, everyRegion)})`));
    root.append(svg("text", { x: 12, y: top + plotHeight / 2, class: "axis-label", "text-anchor": "middle", transform: `rotate(-90 12 ${top + plotHeight / 2})` }, "percent"));
    let anyValue = false;
    for (const line of LINES) {
      let d = "";
      let previous = null;
      series.forEach((bucket, index) => {
        const v = bucket[line.key];
        if (v === null || v === undefined) {
          previous = null;
          return;
        }
        anyValue = true;
        d += `${previous === null ? "M" : "L"}${x(index).toFixed(1)},${y(v).toFixed(1)} `;
        previous = index;
        const dot = svg("circle", { cx: x(index).toFixed(1), cy: y(v).toFixed(1), r: 3, class: `dot ${line.className}` });
        dot.append(svg("title", {}, `${line.label} ${number(v)} at ${hourOf(bucket)}`));
        root.append(dot);
      });
      if (d) root.append(svg("path", { d: d.trim(), class: `line ${line.className}` }));
    }
    if (!anyValue) {
      root.append(svg("text", { x: left + plotWidth / 2, y: top + plotHeight / 2, class: "no-data", "text-anchor": "middle" }, "No survey answers or SLA results yet today"));
    }
    const legend = el(
      "ul",
      { class: "legend" },
      ...LINES.map((line) => el("li", {}, el("span", { class: `swatch ${line.className}`, "aria-hidden": "true" }), line.label)),
    );
    const rows = series
      .filter((s) => LINES.some((line) => s[line.key] !== null && s[line.key] !== undefined))
      .map((s) => [hourOf(s), ...LINES.map((line) => number(s[line.key], " %"))]);
    const data = el(
      "details",
      { class: "chart-data" },
      el("summary", { text: "Chart data" }),
      rows.length ? table(["Hour", ...LINES.map((l) => l.label)], rows, "CSAT and SLA attainment by hour") : empty("No data yet."),
    );
    return [root, legend, data];
  }

  // -- polling and start-up ------------------------------------------------------------

  function every(generation, milliseconds, task) {
    const tick = async () => {
      if (generation !== state.generation) return;
      try {
        await task(generation);
      } catch (error) {
        if (!(error instanceof Unauthorized)) console.warn(error);
      }
      if (generation === state.generation) state.timers.push(setTimeout(tick, milliseconds));
    };
    tick();
  }

  function start(generation) {
    renderEscalations();
    $("escalations-empty").textContent = "Loading escalations…";
    $("escalation-list").dataset.loaded = "false";
    followStream(generation);
    every(generation, PANEL_POLL_MS, async (g) => {
      await Promise.all([loadQueues(g), loadAgents(g)]);
      renderEscalations(); // keeps the ages fresh
    });
    every(generation, KPI_POLL_MS, loadKpis);
  }

  function tokenFromFragment() {
    const fragment = new URLSearchParams(location.hash.slice(1));
    const token = fragment.get("token");
    if (token !== null) history.replaceState(null, "", location.pathname + location.search);
    return token;
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("sign-in-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const token = $("token-input").value.trim();
      if (token) signIn(token);
      else showSignIn("Paste a token first.");
    });
    $("sign-out").addEventListener("click", () => signOut("You signed out."));
    $("region").addEventListener("change", (event) => {
      state.region = event.target.value;
      sessionStorage.setItem(REGION_KEY, state.region);
      renderEscalations();
      const generation = state.generation;
      loadQueues(generation);
      loadAgents(generation);
      loadKpis(generation).catch(() => {});
    });
    const token = tokenFromFragment() || sessionStorage.getItem(TOKEN_KEY);
    if (token) signIn(token);
    else showSignIn("");
  });
})();
