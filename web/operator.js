// The host's console: the evening on a timeline per table (or as a list), the shifts' covers against
// pacing, one-tap moves with undo, a reservation drawer with the guest's card, walk-in and phone
// bookings, who may not come, the waitlist and the messages that failed.  Refreshes every 30 s.
// The same API the Lambda functions serve; the status machine decides every move.
"use strict";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const REFRESH_SECONDS = 30;
const PX_PER_MINUTE = 1.6;
const STATUS_CLASS = {confirmed: "s-confirmed", seated: "s-seated", completed: "s-completed", no_show: "s-no_show",
                      pending_payment: "s-pending", option: "s-pending", draft: "s-pending"};
// The moves a host makes from each status (the status machine allows them; it still decides).
const MOVES = {confirmed: [["seated", "Seat"], ["no_show", "No-show"], ["cancelled", "Cancel"]],
               seated: [["completed", "Complete"], ["confirmed", "Unseat"]],
               option: [["confirmed", "Confirm"], ["cancelled", "Cancel"]],
               pending_payment: [["cancelled", "Cancel"]], no_show: [["seated", "Arrived after all: seat"]]};
// What takes a move back: seating is undone by unseating; a no-show by seating (the guest came).
const UNDO = {"confirmed>seated": "confirmed", "confirmed>no_show": "seated"};
const HOLDING = new Set(["draft", "pending_payment", "option", "confirmed", "seated", "completed"]);

const state = {locationId: params.get("location"), evening: null, risk: [], openId: null, lastMove: null, timer: null};

// ---- sign-in: `make dev` prints a link carrying the token in the fragment (never sent to a server) ----
const linked = new URLSearchParams(location.hash.slice(1)).get("token");
if (linked) {
  sessionStorage.setItem("couvert-token", linked);
  history.replaceState(null, "", location.pathname + location.search);
}
const token = () => sessionStorage.getItem("couvert-token") || "";
localStorage.removeItem("couvert-token");  // where earlier versions kept it, for good

async function api(method, path, body, headers = {}) {
  const response = await fetch(path, {method, body: body ? JSON.stringify(body) : undefined,
    headers: {"Content-Type": "application/json", "Authorization": `Bearer ${token()}`, ...headers}});
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    // Ours are {"error": {...}}; API Gateway answers its refusals itself: {"message": "Unauthorized"}.
    const error = new Error(data.error ? `${data.error.message} (${data.error.code})`
      : response.status === 401 ? "Your sign-in has expired or is not valid: sign in again."
      : response.status === 429 ? "Too many requests just now: wait a moment and try again."
      : data.message || `HTTP ${response.status}`);
    error.status = response.status;
    error.code = data.error && data.error.code;
    error.fields = (data.error && data.error.details && data.error.details.fields) || {};
    throw error;
  }
  return data;
}

function say(text, kind = "", action = null) {
  const box = $("message");
  box.textContent = text;
  box.className = kind;
  if (action) box.append(" ", action);
}
const fail = (e, reload = true) => {
  if (e.status === 401) { sessionStorage.removeItem("couvert-token"); $("signin").hidden = false; }
  say(e.message, "error");
  if (e.status === 409 && reload) load();  // someone changed it meanwhile: show the evening as it is now
};

const minutes = (hhmm) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
const guestName = (r) => `${r.customer.first_name || ""} ${r.customer.last_name || ""}`.trim() || r.reference;
const money = (amount, currency) => new Intl.NumberFormat(undefined, {style: "currency", currency}).format(Number(amount));
const localIso = (d) => new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 10);

// ---- loading and refreshing ---------------------------------------------------------------------------
async function load() {
  if (!token()) { $("signin").hidden = false; return; }
  try {
    if (!state.locationId) state.locationId = (await (await fetch("/health")).json()).location_id;
    const date = $("date").value;
    const base = `/v1/locations/${state.locationId}`;
    const [evening, risk, waitlist, outbox] = await Promise.all([
      api("GET", `${base}/reservations?date=${date}`), api("GET", `${base}/shift-risk?date=${date}`),
      api("GET", `${base}/waitlist?date=${date}`), api("GET", `${base}/outbox?status=failed`)]);
    $("signin").hidden = true;
    state.evening = evening;
    state.risk = risk.shifts;
    renderShifts();
    renderTimeline();
    renderList();
    renderRisk(risk.shifts);
    renderWaitlist(waitlist.entries);
    renderOutbox(outbox.events);
    applySearch();
    $("updated").textContent = `updated ${new Date().toLocaleTimeString([], {hour: "2-digit", minute: "2-digit", second: "2-digit"})}`;
  } catch (e) { fail(e, false); }
  clearTimeout(state.timer);
  state.timer = setTimeout(load, REFRESH_SECONDS * 1000);
}

function tableName(r) {
  if (r.table_id) return (state.evening.tables.find((t) => t.id === r.table_id) || {}).name || "?";
  if (r.table_group_id) {
    return state.evening.tables.filter((t) => t.group_ids.includes(r.table_group_id)).map((t) => t.name).join("+");
  }
  return "—";
}

// ---- the shift summary: covers arriving per interval against the tickets' pacing ------------------------
function renderShifts() {
  const box = $("shifts");
  box.innerHTML = "";
  const live = state.evening.reservations.filter((r) => HOLDING.has(r.status));
  for (const shift of state.evening.shifts) {
    const section = el("div", null, {class: "shift"});
    const ofShift = live.filter((r) => r.shift_id === shift.shift_id);
    const covers = ofShift.reduce((n, r) => n + r.party_size, 0);
    const risk = state.risk.find((s) => s.shift_id === shift.shift_id);
    const limits = shift.tickets.map((t) => t.pacing_covers_limit).filter((n) => n !== null);
    const pacing = limits.length ? limits.reduce((a, b) => a + b, 0) : null;
    section.append(el("h3", `${shift.name} ${shift.start_time}–${shift.end_time}` + (shift.closed ? " · closed" : "") +
      ` · ${covers} covers in ${ofShift.length} reservations` +
      (pacing ? ` · pacing ${pacing} per ${shift.arrival_interval_minutes} min` : "") +
      (risk ? ` · expected no-shows ${risk.suggested_overbook_covers ?? 0} covers` : "")));
    if (!shift.closed) {
      const bars = el("div", null, {class: "intervals", role: "img",
        "aria-label": `${shift.name}: covers arriving per ${shift.arrival_interval_minutes} minutes`});
      const times = el("div", null, {class: "interval-times", "aria-hidden": "true"});
      let end = minutes(shift.end_time);
      if (end <= minutes(shift.start_time)) end += 1440;
      for (let m = minutes(shift.start_time); m < end; m += shift.arrival_interval_minutes) {
        const arriving = ofShift.filter((r) => { const s = minutes(r.start_time); return s >= m && s < m + shift.arrival_interval_minutes; })
          .reduce((n, r) => n + r.party_size, 0);
        const bar = el("div", null, {class: `interval${pacing && arriving > pacing ? " over" : ""}`,
          title: `${String(Math.floor(m / 60) % 24).padStart(2, "0")}:${String(m % 60).padStart(2, "0")} · ${arriving}${pacing ? `/${pacing}` : ""} covers`});
        const fill = el("div", null, {class: "fill"});
        fill.style.height = `${Math.min(100, pacing ? (arriving / pacing) * 100 : arriving * 8)}%`;
        bar.append(fill, el("span", arriving ? (pacing ? `${arriving}/${pacing}` : arriving) : ""));
        bars.appendChild(bar);
        times.appendChild(el("span", m % 60 === 0 ? String(Math.floor(m / 60) % 24) : ""));
      }
      section.append(bars, times);
    }
    box.appendChild(section);
  }
}

// ---- the timeline: rows are tables, columns are time, blocks are reservations --------------------------
function renderTimeline() {
  const box = $("timeline");
  box.innerHTML = "";
  const {reservations, tables, shifts} = state.evening;
  const shown = reservations.filter((r) => r.status !== "cancelled");
  const starts = [...shifts.map((s) => minutes(s.start_time)), ...shown.map((r) => minutes(r.start_time))];
  const ends = [...shifts.map((s) => { const e = minutes(s.end_time); return e <= minutes(s.start_time) ? e + 1440 : e; }),
                ...shown.map((r) => { const e = minutes(r.end_time); return e <= minutes(r.start_time) ? e + 1440 : e; })];
  const from = Math.floor((starts.length ? Math.min(...starts) : 11 * 60) / 60) * 60;
  const to = Math.ceil((ends.length ? Math.max(...ends) : 23 * 60) / 60) * 60;
  const width = (to - from) * PX_PER_MINUTE;
  const x = (m) => (m - from) * PX_PER_MINUTE;

  const head = el("div", null, {class: "tl-row", "aria-hidden": "true"});
  head.appendChild(el("div", "Table", {class: "tl-label"}));
  const hours = el("div", null, {class: "tl-lane tl-hours"});
  hours.style.width = `${width}px`;
  for (let m = from; m <= to; m += 60) {
    const label = el("span", `${String(Math.floor(m / 60) % 24).padStart(2, "0")}:00`, {class: "tl-hour-label"});
    label.style.left = `${x(m)}px`;
    hours.appendChild(label);
  }
  head.appendChild(hours);
  box.appendChild(head);

  const rows = [...tables.map((t) => ({key: t.id, label: t.name, sub: `${t.area} · ${t.min_capacity}–${t.max_capacity}`,
                                       fits: (r) => r.table_id === t.id || (r.table_group_id && t.group_ids.includes(r.table_group_id))})),
                {key: "none", label: "No table", sub: "overbooked / unassigned", fits: (r) => !r.table_id && !r.table_group_id}];
  const now = new Date();
  const nowMinutes = $("date").value === localIso(now) ? now.getHours() * 60 + now.getMinutes() : null;
  for (const row of rows) {
    const mine = shown.filter(row.fits);
    if (row.key === "none" && !mine.length) continue;
    const line = el("div", null, {class: "tl-row", role: "group", "aria-label": `table ${row.label}`});
    const label = el("div", null, {class: "tl-label"});
    label.append(row.label, el("small", row.sub));
    const lane = el("div", null, {class: "tl-lane"});
    lane.style.width = `${width}px`;
    for (let m = from; m <= to; m += 60) {
      const hour = el("span", null, {class: "tl-hour", "aria-hidden": "true"});
      hour.style.left = `${x(m)}px`;
      lane.appendChild(hour);
    }
    if (nowMinutes !== null && nowMinutes >= from && nowMinutes <= to) {
      const mark = el("span", null, {class: "tl-now", "aria-hidden": "true"});
      mark.style.left = `${x(nowMinutes)}px`;
      lane.appendChild(mark);
    }
    for (const r of mine) {
      let start = minutes(r.start_time), end = minutes(r.end_time);
      if (end <= start) end += 1440;
      const block = el("button", null, {type: "button", "data-id": r.id, "data-search": searchText(r),
        class: `block ${STATUS_CLASS[r.status] || ""}${r.is_squeeze ? " squeeze" : ""}${row.key === "none" ? " overbooked" : ""}`,
        title: `${r.start_time}–${r.end_time} ${guestName(r)} (${r.party_size}) · ${r.status.replace("_", " ")}` +
               `${r.is_squeeze ? " · squeeze" : ""}${(r.alerts || []).map((a) => ` · ⚠ ${a.note}`).join("")}`,
        "aria-label": `${r.start_time} ${guestName(r)}, ${r.party_size} guests, ${r.status.replace("_", " ")}` +
                      `${r.is_squeeze ? ", squeeze" : ""}${row.key === "none" ? ", no table" : ""}`});
      block.style.left = `${x(start)}px`;
      block.style.width = `${Math.max(28, (end - start) * PX_PER_MINUTE - 2)}px`;
      if ((r.alerts || []).length) block.append(el("span", "⚠ ", {class: "alert-dot", "aria-hidden": "true"}));
      block.append(`${r.start_time} ${guestName(r)} · ${r.party_size}`);
      block.onclick = () => openDrawer(r.id);
      lane.appendChild(block);
    }
    line.append(label, lane);
    box.appendChild(line);
  }
}

// ---- the list ---------------------------------------------------------------------------------------------
function riskBadge(score, factors) {
  if (score === null || score === undefined) return el("span", "–");
  const level = score > 0.6 ? "high" : score >= 0.15 ? "medium" : "low";
  const top = (factors || []).slice().sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution)).slice(0, 3)
    .map((f) => `${f.factor.replaceAll("_", " ")}: ${typeof f.value === "object" ? JSON.stringify(f.value) : f.value}`
               + ` (${f.contribution > 0 ? "+" : ""}${Number(f.contribution).toFixed(2)})`);
  return el("span", `${Math.round(score * 100)}%`, {class: `risk ${level}`, tabindex: "0", title: top.join("\n"),
    "aria-label": `no-show risk ${Math.round(score * 100)} percent, ${level}. ${top.join("; ")}`});
}

function moveButtons(r) {
  return (MOVES[r.status] || []).map(([to, label]) => {
    const b = el("button", label, {type: "button", class: to === "cancelled" ? "danger" : null});
    b.onclick = () => (to === "cancelled" ? openDrawer(r.id, true) : move(r, to));
    return b;
  });
}

function renderList() {
  const rows = $("rows");
  rows.innerHTML = "";
  for (const r of state.evening.reservations) {
    const tr = el("tr", null, {"data-search": searchText(r)});
    tr.append(el("td", r.start_time), el("td", r.reference));
    const guest = el("td");
    const name = el("button", guestName(r), {class: "link", type: "button"});
    name.onclick = () => openDrawer(r.id);
    guest.appendChild(name);
    for (const a of r.alerts || []) guest.appendChild(el("div", `⚠ ${a.note}`, {class: "alert"}));
    tr.append(guest, el("td", r.party_size), el("td", tableName(r)), el("td", r.status.replace("_", " ")));
    const risk = el("td");
    risk.appendChild(riskBadge(r.no_show_risk_score, r.risk_factors && r.risk_factors.factors));
    const actions = el("td");
    actions.append(...moveButtons(r));
    tr.append(risk, actions);
    rows.appendChild(tr);
  }
}

// ---- search: name, reference or phone; the rest fades (timeline) or hides (list) --------------------------
function searchText(r) {
  return [guestName(r), r.reference, r.customer.phone_number, r.contact && r.contact.phone_number, r.customer.email]
    .filter(Boolean).join(" ").toLowerCase();
}

function applySearch() {
  const wanted = $("search").value.trim().toLowerCase();
  const digits = wanted.replace(/\D/g, "");
  for (const node of document.querySelectorAll("[data-search]")) {
    const text = node.dataset.search;
    const hit = !wanted || text.includes(wanted) || (digits.length >= 3 && text.replace(/\D/g, "").includes(digits));
    node.classList.toggle("hidden-by-search", !hit);
  }
}

// ---- moves and undo ---------------------------------------------------------------------------------------
async function move(r, to) {
  try {
    const answer = await api("POST", `/v1/reservations/${r.id}/transitions`, {to, from: r.status});
    const undoTo = UNDO[`${r.status}>${to}`];
    state.lastMove = undoTo ? {id: r.id, from: to, to: undoTo, name: guestName(r)} : null;
    const refund = answer.refund && Number(answer.refund.amount) > 0 ? ` · refund ${money(answer.refund.amount, answer.refund.currency)}` : "";
    const undo = state.lastMove ? el("button", "Undo (u)", {type: "button", id: "undo"}) : null;
    if (undo) undo.onclick = undoLast;
    say(`${guestName(r)}: ${to.replace("_", " ")}${refund}`, "", undo);
    await load();
    if (state.openId === r.id) openDrawer(r.id);
  } catch (e) { fail(e); }
}

async function undoLast() {
  const last = state.lastMove;
  if (!last) return;
  state.lastMove = null;
  try {
    await api("POST", `/v1/reservations/${last.id}/transitions`, {to: last.to, from: last.from});
    say(`${last.name}: back to ${last.to.replace("_", " ")}`);
    await load();
    if (state.openId === last.id) openDrawer(last.id);
  } catch (e) { fail(e); }
}

// ---- the reservation drawer -----------------------------------------------------------------------------
async function openDrawer(id, askCancel = false) {
  state.openId = id;
  const asked = state.drawerAsked = (state.drawerAsked || 0) + 1;
  let r;
  try { r = await api("GET", `/v1/reservations/${id}`); } catch (e) { fail(e); return; }
  if (asked !== state.drawerAsked) return;  // the host opened another one meanwhile: the last asked wins
  $("drawer").hidden = false;
  document.body.classList.add("drawer-open");
  $("drawer-title").textContent = `${r.start_time} ${guestName(r)} · ${r.party_size}`;
  const body = $("drawer-body");
  body.innerHTML = "";
  const facts = el("dl");
  const add = (term, value) => { if (value !== null && value !== undefined && value !== "") facts.append(el("dt", term), el("dd", value)); };
  add("Reference", r.reference);
  add("Status", r.status.replace("_", " "));
  add("Time", `${r.date} ${r.start_time}–${r.end_time}${r.is_squeeze ? " (squeeze)" : ""}`);
  add("Table", tableName(r));
  add("Channel", r.channel.replace("_", " "));
  add("Phone", r.contact.phone_number || r.customer.phone_number);
  add("E-mail", r.contact.email || r.customer.email);
  add("Deposit", r.payment_amount ? `${r.payment_amount} · ${r.payment_status}` : null);
  add("Guest notes", r.guest_notes);
  add("Team notes", r.internal_notes);
  body.appendChild(facts);
  for (const a of r.alerts || []) body.appendChild(el("p", `⚠ ${a.note_type}: ${a.note}`, {class: "alert"}));
  const riskLine = el("p", "No-show risk ");
  riskLine.appendChild(riskBadge(r.no_show_risk_score, r.risk_factors && r.risk_factors.factors));
  body.appendChild(riskLine);
  const actions = el("div", null, {class: "actions"});
  for (const [to, label] of MOVES[r.status] || []) {
    const b = el("button", label, {type: "button", class: to === "cancelled" ? "danger" : null, "data-move": to});
    b.onclick = () => (to === "cancelled" ? askToCancel(r) : move(r, to));
    actions.appendChild(b);
  }
  body.appendChild(actions);
  $("drawer-title").focus();
  if (askCancel) askToCancel(r);
  if (r.customer.id) showCustomer(r.customer.id, asked); else $("customer").hidden = true;
}

// A cancellation shows what the policy refunds (for this host or manager) before it is made.
function askToCancel(r) {
  const box = el("div", null, {class: "confirm-box", id: "cancel-confirm", role: "group", "aria-label": "confirm the cancellation"});
  const refund = r.cancellation && r.cancellation.refund;
  const words = !refund ? "This reservation cannot be cancelled now."
    : Number(refund.amount) > 0 ? `The guest gets ${money(refund.amount, refund.currency)} back.`
    : r.payment_status === "paid" ? "No refund: the policy keeps the deposit." : "Nothing was paid.";
  box.appendChild(el("p", words, {id: "refund-preview"}));
  if (refund) {
    const yes = el("button", "Cancel reservation", {type: "button", class: "danger"});
    yes.onclick = () => move(r, "cancelled");
    const no = el("button", "Keep", {type: "button"});
    no.onclick = () => box.remove();
    box.append(yes, " ", no);
  }
  const old = $("cancel-confirm");
  if (old) old.remove();
  $("drawer-body").appendChild(box);
  box.querySelector("button")?.focus();
}

function closeDrawer() {
  $("drawer").hidden = true;
  document.body.classList.remove("drawer-open");
  state.openId = null;
  state.drawerAsked = (state.drawerAsked || 0) + 1;  // closing is the last ask: a refresh on its way stays shut
}

async function showCustomer(customerId, asked = state.drawerAsked) {
  try {
    const c = await api("GET", `/v1/locations/${state.locationId}/customers/${customerId}`);
    if (asked !== state.drawerAsked) return;  // another reservation's drawer is open by now
    const card = $("customer");
    card.innerHTML = "";
    card.hidden = false;
    card.appendChild(el("h3", `${c.first_name} ${c.last_name}`));
    card.appendChild(el("p", `${c.total_visits} visits · ${c.no_show_count} no-shows · ${c.cancel_count} late cancellations`
                               + (c.phone_number ? ` · ${c.phone_number}` : "")));
    const tags = el("p", null, {class: "tags"});
    for (const t of c.tags) tags.appendChild(el("span", t));
    card.appendChild(tags);
    for (const a of c.alerts) card.appendChild(el("p", `⚠ ${a.note_type}: ${a.note}`, {class: "alert"}));
    const notes = el("ul");
    for (const n of c.notes_log) notes.appendChild(el("li", `${n.created_at.slice(0, 10)} ${n.note_type}: ${n.note}`));
    card.appendChild(notes);
    const form = el("form");
    const input = el("input", null, {id: "note", required: "", maxlength: "2000"});
    const alertBox = el("input", null, {type: "checkbox", id: "note-alert"});
    form.append(el("label", "Note ", {for: "note"}), input, " ", alertBox, el("label", " show with every booking", {for: "note-alert"}),
                " ", el("button", "Add note", {type: "submit"}));
    form.onsubmit = async (event) => {
      event.preventDefault();
      try {
        await api("POST", `/v1/locations/${state.locationId}/customers/${customerId}/notes`,
                  {note: input.value, is_alert: alertBox.checked, note_type: alertBox.checked ? "allergy" : "general"});
        showCustomer(customerId, asked);
      } catch (e) { fail(e); }
    };
    card.appendChild(form);
  } catch (e) { fail(e); }
}

// ---- risk, waitlist, failed messages ------------------------------------------------------------------
function renderRisk(shifts) {
  const box = $("risk");
  box.innerHTML = "";
  if (!shifts.length) box.appendChild(el("p", "No reservations to weigh yet."));
  for (const s of shifts) {
    box.appendChild(el("h3", s.shift_name));
    const setting = s.overbooking.map((o) => `${o.ticket_name}: ${o.overbooking_covers}`).join(", ") || "none";
    box.appendChild(el("p", `${s.reservation_count} reservations, ${s.total_covers} covers; average risk `
      + `${s.avg_risk_score === null ? "–" : Math.round(s.avg_risk_score * 100) + "%"}; `
      + `${s.high_risk_count} high-risk. Expected empty seats: ${s.suggested_overbook_covers ?? 0} `
      + `(overbooking set: ${setting}).`));
    if (s.to_reconfirm.length) {
      const list = el("ul", null, {"aria-label": `call list for ${s.shift_name}`});
      for (const c of s.to_reconfirm) {
        const item = el("li", `${c.start_at.slice(11, 16)} ${c.guest_name}, ${c.party_size}p, `);
        if (c.phone) item.appendChild(el("a", c.phone, {href: `tel:${c.phone}`}));
        item.append(" ", riskBadge(c.no_show_risk_score, c.top_factors));
        list.appendChild(item);
      }
      box.appendChild(list);
    }
  }
}

function renderWaitlist(entries) {
  const rows = $("waitlist");
  rows.innerHTML = "";
  for (const w of entries) {
    const tr = el("tr");
    tr.append(el("td", w.created_at.slice(11, 16)), el("td", `${w.time_from}–${w.time_to}`), el("td", w.party_size),
              el("td", w.status === "notified" ? "offered" : w.status),
              el("td", w.offer_expires_at ? new Date(w.offer_expires_at).toLocaleTimeString([], {hour: "2-digit", minute: "2-digit"}) : ""));
    rows.appendChild(tr);
  }
}

function renderOutbox(events) {
  const list = $("outbox");
  list.innerHTML = "";
  if (!events.length) list.appendChild(el("li", "None.", {class: "muted"}));
  for (const e of events) {
    const item = el("li", `${e.kind.replace("message.", "")} · ${e.attempts} attempts · ${e.last_error || ""} `);
    const retry = el("button", "Retry", {type: "button"});
    retry.onclick = async () => {
      try { await api("POST", `/v1/locations/${state.locationId}/outbox/${e.id}/retry`); load(); } catch (err) { fail(err); }
    };
    item.appendChild(retry);
    list.appendChild(item);
  }
}

// ---- walk-in and phone bookings ---------------------------------------------------------------------------
const form = $("booking-form");

function openBooking() {
  const tickets = new Map();
  for (const s of state.evening.shifts) for (const t of s.tickets) tickets.set(t.ticket_id, t.ticket_name);
  form.elements.ticket_id.innerHTML = "";
  for (const [id, name] of tickets) form.elements.ticket_id.appendChild(el("option", name, {value: id}));
  form.elements.table_id.length = 1;
  for (const t of state.evening.tables) form.elements.table_id.appendChild(el("option", `${t.name} (${t.area}, ${t.min_capacity}–${t.max_capacity})`, {value: t.id}));
  $("booking-message").textContent = "";
  state.bookingKey = crypto.randomUUID();  // one booking per dialog, however often Book is pressed
  $("booking-dialog").showModal();
  fillTimes();
}

async function fillTimes() {
  const select = form.elements.time;
  select.innerHTML = "";
  const asked = state.timesAsked = (state.timesAsked || 0) + 1;
  try {
    const day = await api("GET", `/v1/locations/${state.locationId}/availability?date=${$("date").value}` +
      `&party_size=${form.elements.party_size.value}&channel=${form.elements.channel.value}&ticket_id=${form.elements.ticket_id.value}`);
    if (asked !== state.timesAsked) return;  // the form changed meanwhile: its own answer fills the times
    for (const ticket of day.tickets) for (const shift of ticket.shifts) for (const slot of shift.slots) {
      if (!slot.available) continue;
      select.appendChild(el("option", `${slot.time}${slot.slot_type === "squeeze" ? ` (squeeze ${slot.duration_minutes} min)` : ""}`,
                            {value: slot.time, "data-squeeze": slot.slot_type === "squeeze" ? "1" : null}));
    }
    if (!select.length) $("booking-message").textContent = "No time is free for this party and ticket.";
  } catch (e) { $("booking-message").textContent = e.message; }
}

async function submitBooking(event) {
  event.preventDefault();
  const f = form.elements;
  const chosen = f.time.selectedOptions[0];
  const body = {ticket_id: f.ticket_id.value, date: $("date").value, time: f.time.value, party_size: Number(f.party_size.value),
    channel: f.channel.value, allow_squeeze: Boolean(chosen && chosen.dataset.squeeze), internal_notes: f.internal_notes.value || null,
    table_id: f.table_id.value || null,
    guest: {first_name: f.first_name.value, last_name: f.last_name.value, email: f.email.value, phone: f.phone.value || null}};
  let data;
  $("booking-submit").disabled = true;
  try {
    data = await api("POST", `/v1/locations/${state.locationId}/reservations`, body,
                     {"Idempotency-Key": state.bookingKey});
  } catch (e) {
    if (e.status === 401) { $("booking-dialog").close(); fail(e); return; }
    if (e.code === "idempotency_conflict") {  // this dialog's booking was made, its answer lost
      $("booking-dialog").close();
      say("That booking was already made: it is on the timeline.");
      await load();
      return;
    }
    const fields = Object.entries(e.fields || {}).map(([k, v]) => `${k}: ${v}`).join("; ");
    $("booking-message").textContent = `${e.message}${fields ? `: ${fields}` : ""}`;
    return;
  } finally {
    $("booking-submit").disabled = false;
  }
  $("booking-dialog").close();
  form.reset();
  say(`Booked ${data.reservation.reference} at ${data.reservation.start_time}`);
  await load();
  openDrawer(data.reservation.id);
}

// ---- keyboard -----------------------------------------------------------------------------------------
function shiftDay(days) {
  const d = new Date(`${$("date").value}T12:00:00`);
  d.setDate(d.getDate() + days);
  $("date").value = localIso(d);
  load();
}

function setView(list) {
  $("list-view").hidden = !list;
  $("timeline-view").hidden = list;
  $("view-list").setAttribute("aria-pressed", String(list));
  $("view-timeline").setAttribute("aria-pressed", String(!list));
}

document.addEventListener("keydown", (event) => {
  if (event.key === "Escape") { if (!$("drawer").hidden) closeDrawer(); return; }
  const typing = ["INPUT", "SELECT", "TEXTAREA"].includes(event.target.tagName) || event.target.isContentEditable;
  if (typing || event.ctrlKey || event.metaKey || event.altKey || document.querySelector("dialog[open]")) return;
  const open = state.openId && state.evening && state.evening.reservations.find((r) => r.id === state.openId);
  const drawerMove = (to) => { if (open && (MOVES[open.status] || []).some(([t]) => t === to)) move(open, to); };
  const keys = {"/": () => $("search").focus(), n: openBooking, "[": () => shiftDay(-1), "]": () => shiftDay(1),
    t: () => { $("date").value = localIso(new Date()); load(); }, l: () => setView($("list-view").hidden), r: load,
    s: () => drawerMove("seated"), c: () => drawerMove("completed"), x: () => drawerMove("no_show"), u: undoLast,
    "?": () => $("help").showModal()};
  if (keys[event.key]) { event.preventDefault(); keys[event.key](); }
});

// ---- start ----------------------------------------------------------------------------------------------
$("date").value = params.get("date") || localIso(new Date());
$("date").onchange = load;
$("prev-day").onclick = () => shiftDay(-1);
$("next-day").onclick = () => shiftDay(1);
$("today").onclick = () => { $("date").value = localIso(new Date()); load(); };
$("search").oninput = applySearch;
$("search").onkeydown = (event) => {
  if (event.key !== "Enter") return;
  const first = document.querySelector(".block[data-search]:not(.hidden-by-search), tr[data-search]:not(.hidden-by-search)");
  if (first) openDrawer(first.dataset.id || state.evening.reservations.find((r) => searchText(r) === first.dataset.search).id);
};
$("view-timeline").onclick = () => setView(false);
$("view-list").onclick = () => setView(true);
$("close-drawer").onclick = closeDrawer;
$("new-booking").onclick = openBooking;
$("booking-cancel").onclick = () => $("booking-dialog").close();
form.onsubmit = submitBooking;
for (const name of ["party_size", "channel", "ticket_id"]) form.elements[name].onchange = fillTimes;
$("load").onclick = () => { sessionStorage.setItem("couvert-token", $("token").value.trim()); load(); };
load();
