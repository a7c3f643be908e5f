// The guest's manage page (the link in every message: /manage?r=<reservation>&t=<token>): the
// reservation, cancelling with the refund shown before confirming, reconfirming when asked.
"use strict";

const $ = (id) => document.getElementById(id);
const reservationId = params.get("r");
const headers = {"X-Manage-Token": params.get("t") || ""};  // the token travels in a header, not in URLs
const status = $("status");
let reservation = null;
let lastRefund = null;
let lapsed = false;  // the hold or option ran out (a refused confirmation said so): nothing left to take

const current = () => api("GET", `/v1/reservations/${reservationId}`, {headers});

async function load() {
  try {
    reservation = await current();
    render();
  } catch (error) {
    $("reservation").hidden = true;
    say(status, error instanceof ApiError && error.status === 404 ? t("notFound") : problem(error), "error");
  }
}

function refundWords(cancellation) {
  const refund = cancellation.refund;
  const paid = reservation.payment_status === "paid" ? Number(reservation.payment_amount) : 0;
  if (!paid) return t("nothingPaid");
  const amount = Number(refund.amount);
  if (amount >= paid) return t("refundAll", money(refund.amount, refund.currency));
  if (amount === 0) return t("refundNone", money(paid, refund.currency));
  return t("refundPart", money(refund.amount, refund.currency), money(paid, refund.currency));
}

function render() {
  const r = reservation;
  $("reservation").hidden = false;
  // A table offered from the waitlist is a draft that owes nothing, held for the guest to take.
  const offer = r.status === "draft" && r.payment_status === "none";
  const rows = [[t("reference"), r.reference], [t("when"), `${longDate(r.date)}, ${r.start_time}–${r.end_time}`],
                [t("party"), t("guests", r.party_size)],
                [t("status"), lapsed ? t("lapsed") : offer ? t("offered") : t("statuses")[r.status] || r.status]];
  if (r.payment_status === "paid") rows.push([t("paid"), money(r.payment_amount, (r.cancellation?.refund || {}).currency || "EUR")]);
  const summary = $("summary");
  summary.innerHTML = "";
  for (const [term, value] of rows) summary.append(el("dt", term), el("dd", value));
  $("cancel").hidden = !r.cancellation;
  $("confirm-option").hidden = lapsed || !(r.status === "option" || offer);
  $("confirm-option").textContent = t(offer ? "takeOffer" : "confirmOption");
  $("reconfirm-box").hidden = !(r.status === "confirmed" && r.reconfirm_sent_at && !r.reconfirmed_at);
  $("cancel-box").hidden = true;
  if (r.status !== "cancelled") showCalendarLink(); else $("ics").hidden = true;
}

async function showCalendarLink() {
  try {
    const response = await fetch(`${API_BASE}/v1/reservations/${reservationId}/calendar`, {headers});
    if (response.ok) { $("ics").href = URL.createObjectURL(await response.blob()); $("ics").hidden = false; }
  } catch { /* the e-mail carries the same calendar file */ }
}

// Ask first, showing what the policy gives back now; the answer to the cancellation says the same.
function askToCancel() {
  const c = reservation.cancellation;
  $("refund").textContent = refundWords(c);
  $("free-until").textContent = reservation.payment_status === "paid" ? t("freeUntil", moment(c.free_until)) : "";
  $("cancel-box").hidden = false;
  $("cancel-question").focus();
}

const ACTIONS = ["confirm-option", "reconfirm", "yes-cancel"];

async function act(path, body) {
  say(status, t("loading"), "busy");
  for (const id of ACTIONS) $(id).disabled = true;  // one request at a time
  try {
    const answer = await api("POST", `/v1/reservations/${reservationId}${path}`, {body, headers});
    lastRefund = answer.refund || null;
    // Read it again: an action's answer carries the reservation without what this caller may do next.
    reservation = await current().catch(() => answer.reservation);
    render();
    return answer;
  } catch (error) {
    say(status, problem(error), "error");
    lapsed ||= error.reason === "hold_expired" || error.reason === "option_expired";
    if (error instanceof ApiError && error.status === 409) {  // it changed meanwhile: show it as it is now
      reservation = await current().catch(() => reservation);
      render();
    }
    return null;
  } finally {
    for (const id of ACTIONS) $(id).disabled = false;
  }
}

$("cancel").onclick = askToCancel;
$("keep").onclick = () => { $("cancel-box").hidden = true; $("cancel").focus(); };
$("yes-cancel").onclick = async () => {
  const answer = await act("/transitions", {to: "cancelled", from: reservation.status});
  if (!answer) return;
  const refunded = lastRefund && Number(lastRefund.amount) > 0 ? ` ${t("refunded", money(lastRefund.amount, lastRefund.currency))}` : "";
  say(status, t("cancelled") + refunded);
  $("title").focus();
};
$("reconfirm").onclick = async () => { if (await act("/reconfirm")) say(status, t("reconfirmed")); };
$("confirm-option").onclick = async () => {
  if (await act("/transitions", {to: "confirmed", from: reservation.status})) say(status, t("confirmed"));
};

languageSwitch($("language"), () => { document.title = t("manageTitle"); if (reservation) render(); });
document.title = t("manageTitle");
load();
