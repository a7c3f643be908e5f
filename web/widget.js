// The guest widget: a day from the month (the calendar route), a time per ticket and shift (the
// availability route), the guest's details, the payment when the ticket takes one, the confirmation.
// The same API the Lambda functions serve; nothing here decides availability.
"use strict";

const $ = (id) => document.getElementById(id);
const state = {
  locationId: params.get("location"), party: Number(params.get("party") || 2), date: params.get("date"),
  month: null, days: {}, timezone: null, day: null, choice: null, booked: null,
  stripeKey: SITE.stripeKey || null, testPayments: false,
};
const status = $("status");

function show(step) {
  for (const id of ["step-time", "step-details", "step-pay", "step-done"]) $(id).hidden = true;
  $("step-when").hidden = step === "step-done" || step === "step-pay";
  if (step !== "step-when") $(step).hidden = false;
  const heading = $(step).querySelector("h2");
  if (heading) heading.focus();
}

// ---- the month -------------------------------------------------------------------------------
const iso = (d) => d.toISOString().slice(0, 10);
const firstOfMonth = (isoDate) => `${isoDate.slice(0, 7)}-01`;
function addMonths(first, n) {
  const d = new Date(`${first}T00:00:00Z`);
  d.setUTCMonth(d.getUTCMonth() + n);
  return iso(d);
}

async function loadMonth() {
  const first = state.month;
  const last = iso(new Date(Date.UTC(Number(first.slice(0, 4)), Number(first.slice(5, 7)), 0)));
  say(status, t("loading"), "busy");
  try {
    const data = await api("GET", `/v1/locations/${state.locationId}/availability/calendar?from=${first}&to=${last}` +
                                  `&party_size=${state.party}`);
    state.timezone = data.timezone;
    state.days = Object.fromEntries(data.days.map((d) => [d.date, d]));
    say(status, "");
  } catch (error) {
    state.days = {};
    say(status, problem(error), "error");
  }
  renderMonth();
}

function renderMonth() {
  const first = state.month;
  $("month-title").textContent = new Intl.DateTimeFormat(lang, {month: "long", year: "numeric", timeZone: "UTC"})
    .format(new Date(`${first}T00:00:00Z`));
  const grid = $("month");
  grid.innerHTML = "";
  const monday = new Date(Date.UTC(2024, 0, 1));  // a Monday: the week starts on Monday here
  for (let i = 0; i < 7; i++) {
    const d = new Date(monday.getTime() + i * 86400000);
    grid.appendChild(el("span", new Intl.DateTimeFormat(lang, {weekday: "narrow", timeZone: "UTC"}).format(d),
                        {class: "dow", "aria-hidden": "true"}));
  }
  const start = new Date(`${first}T00:00:00Z`);
  for (let i = 0; i < (start.getUTCDay() + 6) % 7; i++) grid.appendChild(el("span", null, {"aria-hidden": "true"}));
  for (let d = new Date(start); d.getUTCMonth() === start.getUTCMonth(); d.setUTCDate(d.getUTCDate() + 1)) {
    const date = iso(d);
    const info = state.days[date];
    // The server's calendar decides (one clock): a day gone by is not bookable there either.
    const kind = info ? info.status : "closed";
    const word = {available: t("dayAvailable"), full: t("dayFull"), closed: t("dayClosed")}[kind] || t("dayClosed");
    const button = el("button", d.getUTCDate(), {type: "button", class: kind, "data-date": date,
      "aria-label": `${longDate(date)}, ${word}`, "aria-pressed": String(date === state.date),
      "aria-disabled": kind === "available" ? null : "true", tabindex: "-1"});
    button.onclick = () => { if (kind === "available") chooseDay(date); };
    button.onkeydown = (event) => moveInMonth(event, date);
    grid.appendChild(button);
  }
  // One tab stop for the month (the chosen day, else the first available), arrows move within it.
  const buttons = [...grid.querySelectorAll("button")];
  const focusable = buttons.find((b) => b.dataset.date === state.date) || buttons.find((b) => b.classList.contains("available"))
                    || buttons[0];
  if (focusable) focusable.tabIndex = 0;
}

function moveInMonth(event, date) {
  const step = {ArrowLeft: -1, ArrowRight: 1, ArrowUp: -7, ArrowDown: 7}[event.key];
  if (!step) return;
  event.preventDefault();
  const target = $("month").querySelector(`[data-date="${iso(new Date(Date.parse(`${date}T00:00:00Z`) + step * 86400000))}"]`);
  if (target) { event.target.tabIndex = -1; target.tabIndex = 0; target.focus(); }
}

async function chooseDay(date) {
  state.date = date;
  renderMonth();
  await loadDay();
}

// ---- times ---------------------------------------------------------------------------------------
function policyWords(policy) {
  const amount = policy.payment_amount ? money(policy.payment_amount, policy.currency) : null;
  const pay = policy.payment_type === "deposit_pp" ? t("deposit", amount)
            : policy.payment_type === "prepay_pp" ? t("prepay", amount) : t("noPayment");
  return `${pay} ${t("freeCancel", policy.cancel_free_hours)}${policy.payment_type === "none" ? "." : t("afterThat", policy.cancel_refund_pct)}`;
}

async function loadDay(afterwards = "") {
  say(status, t("loading"), "busy");
  try {
    state.day = await api("GET", `/v1/locations/${state.locationId}/availability?date=${state.date}&party_size=${state.party}`);
    say(status, afterwards, afterwards ? "error" : "");
    renderDay();
    show("step-time");
  } catch (error) { say(status, problem(error), "error"); }
}

function renderDay() {
  const box = $("tickets");
  box.innerHTML = "";
  $("time-title").textContent = `${t("chooseTime")} · ${longDate(state.date)}`;
  const offered = state.day.tickets.filter((ticket) => ticket.shifts.some((s) => s.slots.length));
  if (!offered.length) box.appendChild(el("p", t("nothingOffered")));
  let squeeze = false;
  for (const ticket of offered) {
    const card = el("article", null, {class: "card", "aria-labelledby": `ticket-${ticket.ticket_id}`});
    card.append(el("h3", ticket.name, {id: `ticket-${ticket.ticket_id}`}));
    if (ticket.description) card.append(el("p", ticket.description));
    card.append(el("p", policyWords(ticket.policy), {class: "policy"}));
    for (const shift of ticket.shifts) {
      if (!shift.slots.length) continue;
      const shiftId = `shift-${ticket.ticket_id}-${shift.shift_id}`;
      card.append(el("h4", shift.name + (shift.label ? ` · ${shift.label}` : "") + (shift.closed ? ` (${t("closedShift")})` : ""),
                     {id: shiftId}));
      const list = el("ul", null, {class: "slots", "aria-labelledby": shiftId});
      for (const slot of shift.slots) {
        const item = el("li");
        const isSqueeze = slot.slot_type === "squeeze";
        squeeze ||= isSqueeze && slot.available;
        const reason = slot.available ? null : (t("reasons")[slot.reason_code] || slot.reason_code);
        const button = el("button", null, {type: "button", class: isSqueeze ? "squeeze" : null,
          "aria-disabled": slot.available ? null : "true", "aria-pressed": "false",
          "aria-label": `${slot.time}, ${slot.available ? t("stayFor", slot.duration_minutes) : reason}`});
        button.append(el("span", slot.time));
        if (!slot.available) button.append(el("span", reason, {class: "small"}));
        else if (isSqueeze) button.append(el("span", t("shorterStay", slot.duration_minutes), {class: "small"}));
        button.onclick = () => { if (slot.available) chooseSlot(ticket, shift, slot); };
        item.appendChild(button);
        list.appendChild(item);
      }
      card.appendChild(list);
    }
    box.appendChild(card);
  }
  if (squeeze) box.appendChild(el("p", t("squeezeNote"), {class: "hint"}));
}

function chooseSlot(ticket, shift, slot) {
  state.choice = {ticket, shift, slot};
  $("chosen").textContent = t("chosen", ticket.name, longDate(state.date), slot.time, t("guests", state.party)) +
    (slot.slot_type === "squeeze" ? ` (${t("shorterStay", slot.duration_minutes)})` : "");
  show("step-details");
}

// ---- the guest's details and the booking ----------------------------------------------------------
function markFields(fields) {
  const form = $("guest");
  // An error's note is added to what describes the field (the phone's hint stays), and taken off again.
  const describedBy = (input, add) => {
    const ids = (input.getAttribute("aria-describedby") || "").split(" ").filter((id) => id && id !== `${input.id}-error`);
    if (add) ids.push(`${input.id}-error`);
    if (ids.length) input.setAttribute("aria-describedby", ids.join(" ")); else input.removeAttribute("aria-describedby");
  };
  form.querySelectorAll(".field-error").forEach((n) => n.remove());
  form.querySelectorAll("[aria-invalid]").forEach((n) => { n.removeAttribute("aria-invalid"); describedBy(n, false); });
  let first = null;
  for (const [name, message] of Object.entries(fields)) {
    const input = form.elements[name.replace(/^guest\./, "")];
    if (!input) continue;
    const note = el("p", message, {class: "field-error", id: `${input.id}-error`});
    input.setAttribute("aria-invalid", "true");
    describedBy(input, true);
    input.after(note);
    first ||= input;
  }
  if (first) first.focus();
}

async function submitBooking(event) {
  event.preventDefault();
  const form = $("guest");
  const missing = {};
  for (const [name, label] of [["first_name", "firstName"], ["last_name", "lastName"], ["email", "email"]]) {
    if (!form.elements[name].value.trim()) missing[name] = `${t(label)}: ✱`;
  }
  if (Object.keys(missing).length) { markFields(missing); say(status, t("fixFields"), "error"); return; }
  markFields({});
  const {ticket, slot} = state.choice;
  const body = {ticket_id: ticket.ticket_id, date: state.date, time: slot.time, party_size: state.party,
    allow_squeeze: slot.slot_type === "squeeze", guest_notes: form.elements.guest_notes.value.trim() || null,
    guest: {first_name: form.elements.first_name.value.trim(), last_name: form.elements.last_name.value.trim(),
            email: form.elements.email.value.trim(), phone: form.elements.phone.value.trim() || null, locale: lang}};
  $("book").disabled = true;
  say(status, t("booking"), "busy");
  try {
    // One key per attempt: a retried request (a flaky network) cannot book twice.
    state.key ||= crypto.randomUUID();
    state.booked = await api("POST", `/v1/locations/${state.locationId}/reservations`,
                             {body, headers: {"Idempotency-Key": state.key}});
    state.key = null;
    say(status, "");
    if (state.booked.payment) startPayment(); else done();
  } catch (error) {
    say(status, problem(error), "error");
    if (error instanceof ApiError) {
      markFields(error.fields);
      // The slot went meanwhile: show what is left, and say why the guest is back there.
      if (error.status === 409) { state.key = null; loadDay(problem(error)); }
    }
  } finally { $("book").disabled = false; }
}

// ---- payment ---------------------------------------------------------------------------------------
function manageHeaders() { return {"X-Manage-Token": state.booked.manage_token}; }

async function startPayment() {
  const payment = state.booked.payment;
  const until = payment.expires_at ? moment(payment.expires_at) : "";
  $("pay-amount").textContent = t("payAmount", money(payment.amount, payment.currency), until);
  show("step-pay");
  if (state.stripeKey && payment.client_secret) return stripeElements(payment);
  if (state.testPayments) { $("test-payment").hidden = false; return; }
  say(status, t("paymentUnavailable"), "error");
}

// Real Stripe: the Payment Element in Stripe's own iframe (card data never touches our pages).
async function stripeElements(payment) {
  await new Promise((resolve, reject) => {
    const script = el("script", null, {src: "https://js.stripe.com/v3/"});
    script.onload = resolve; script.onerror = reject;
    document.head.appendChild(script);
  }).catch(() => say(status, t("paymentUnavailable"), "error"));
  if (!window.Stripe) return;
  const stripe = window.Stripe(state.stripeKey, {locale: lang});
  const elements = stripe.elements({clientSecret: payment.client_secret});
  elements.create("payment").mount("#stripe-payment");
  const button = $("stripe-pay");
  button.hidden = false;
  button.onclick = async () => {
    button.disabled = true;
    say(status, t("paying"), "busy");
    const result = await stripe.confirmPayment({elements, redirect: "if_required"});
    button.disabled = false;
    if (result.error) { say(status, result.error.message, "error"); return; }
    await waitUntilPaid();
  };
}

async function testPay() {
  const button = $("test-pay");
  button.disabled = true;
  say(status, t("paying"), "busy");
  try {
    await api("POST", "/dev/test-payment", {body: {payment_intent_id: state.booked.payment.payment_intent_id}});
    await waitUntilPaid();
  } catch (error) { say(status, problem(error), "error"); }
  finally { button.disabled = false; }
}

// The reservation is confirmed by Stripe's webhook, not by the browser: wait for it to arrive.
async function waitUntilPaid() {
  say(status, t("waitingForPayment"), "busy");
  const id = state.booked.reservation.id;
  for (let i = 0; i < 60; i++) {
    try {  // a failed look (a busy moment, the network) is not a failed payment: look again
      const reservation = await api("GET", `/v1/reservations/${id}`, {headers: manageHeaders()});
      if (reservation.status !== "pending_payment") { state.booked.reservation = reservation; break; }
    } catch { /* next round */ }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  say(status, "");
  done();
}

// ---- the confirmation ------------------------------------------------------------------------------
async function done() {
  const r = state.booked.reservation;
  $("done-title").textContent = r.status === "confirmed" ? t("confirmed")
    : r.status === "cancelled" ? t("holdLapsed") : t("pending");
  const summary = $("done-summary");
  summary.innerHTML = "";
  const rows = [[t("reference"), r.reference], [t("when"), `${longDate(r.date)}, ${r.start_time}–${r.end_time}`],
                [t("party"), t("guests", r.party_size)], [t("status"), t("statuses")[r.status] || r.status]];
  if (r.payment_status === "paid") rows.push([t("paid"), money(r.payment_amount, state.booked.payment.currency)]);
  for (const [term, value] of rows) summary.append(el("dt", term), el("dd", value));
  const manage = new URL("/manage", location.href);
  manage.search = new URLSearchParams({r: r.id, t: state.booked.manage_token, lang}).toString();
  $("manage").href = manage.toString();
  show("step-done");
  // The calendar file is fetched with the token in a header (kept out of URLs and logs), then offered.
  try {
    const response = await fetch(`${API_BASE}/v1/reservations/${r.id}/calendar`, {headers: manageHeaders()});
    if (response.ok) $("ics").href = URL.createObjectURL(await response.blob());
  } catch { /* the link stays inert; the e-mail carries the same calendar file */ }
}

// ---- start -----------------------------------------------------------------------------------------
function rerender() {
  document.title = t("title");
  fillPartySizes();
  renderMonth();
  if (!$("step-time").hidden && state.day) renderDay();
  if (state.choice && !$("step-details").hidden) chooseSlot(state.choice.ticket, state.choice.shift, state.choice.slot);
  if (!$("step-done").hidden) done();
}

function fillPartySizes() {
  const select = $("party");
  select.innerHTML = "";
  for (let n = 1; n <= 12; n++) {
    const option = el("option", t("guests", n), {value: n});
    option.selected = n === state.party;
    select.appendChild(option);
  }
}

async function start() {
  languageSwitch($("language"), rerender);
  document.title = t("title");
  fillPartySizes();
  $("party").onchange = async () => {
    state.party = Number($("party").value);
    await loadMonth();
    if (state.date && state.days[state.date]?.status === "available") loadDay(); else show("step-when");
  };
  $("prev-month").onclick = () => { state.month = addMonths(state.month, -1); loadMonth(); };
  $("next-month").onclick = () => { state.month = addMonths(state.month, 1); loadMonth(); };
  $("guest").onsubmit = submitBooking;
  $("change").onclick = () => show("step-time");
  $("test-pay").onclick = testPay;
  $("again").onclick = () => { state.choice = null; state.booked = null; show("step-when"); loadMonth(); };
  // On the development server the page learns where it runs; elsewhere the embed snippet says so.
  try {
    const info = await (await fetch(`${API_BASE}/dev/info`)).json();
    state.locationId ||= info.location_id;
    state.testPayments = Boolean(info.test_payments);
    state.stripeKey ||= info.stripe_publishable_key;
  } catch { /* not the development server */ }
  state.month = firstOfMonth(state.date || iso(new Date()));
  await loadMonth();
  if (state.date && state.days[state.date]?.status === "available") await loadDay();
}
start();
