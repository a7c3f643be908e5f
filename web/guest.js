// What the guest's pages share: their words in English and Dutch, the language choice, formatting
// and the API call.  Every word a guest reads is here; dates and money are formatted by the browser
// (Intl) in the chosen language.
"use strict";

const WORDS = {
  en: {
    language: "Language", title: "Reserve a table", partySize: "Number of guests", guests: (n) => n === 1 ? "1 guest" : `${n} guests`,
    chooseDate: "Choose a day", prevMonth: "Previous month", nextMonth: "Next month",
    dayAvailable: "tables available", dayFull: "fully booked", dayClosed: "closed",
    legendAvailable: "Available", legendFull: "Fully booked", legendClosed: "Closed",
    loading: "Loading…", chooseTime: "Choose a time", nothingOffered: "Nothing can be booked for this party on this day. Try another day.",
    closedShift: "closed", shorterStay: (m) => `${m} min table`, stayFor: (m) => `${m} minutes`,
    squeezeNote: "Dashed times are shorter stays that fit between other bookings.",
    reasons: {closed: "closed", channel_blocked: "not bookable online", cut_off: "too late to book online",
      pacing_arrivals_full: "fully booked", pacing_covers_full: "fully booked", max_covers_reached: "fully booked",
      tables_full: "fully booked", squeeze_limit: "fully booked", overbooking_limit: "fully booked"},
    noPayment: "No payment needed.", deposit: (amount) => `Deposit of ${amount} per person, paid when you book.`,
    prepay: (amount) => `Prepayment of ${amount} per person, paid when you book.`,
    freeCancel: (h) => h > 0 ? `Free cancellation until ${h} hours before your visit` : "Free cancellation until your visit",
    afterThat: (pct) => pct >= 100 ? "." : pct > 0 ? `; after that ${pct}% is refunded.` : "; after that the payment is not refunded.",
    details: "Your details", firstName: "First name", lastName: "Last name", email: "E-mail",
    phone: "Phone", optional: "optional", phoneHint: "A local number is fine, e.g. 06 12345678",
    notes: "Anything we should know?", notesHint: "Allergies, a high chair, an occasion", book: "Book", booking: "Booking…",
    chosen: (ticket, date, time, n) => `${ticket}, ${date} at ${time}, ${n}`,
    change: "Change", pay: "Payment", payAmount: (amount, until) => `Pay ${amount} to confirm your table. We hold it for you until ${until}.`,
    payNow: "Pay", paying: "Paying…", waitingForPayment: "Waiting for the payment to be confirmed…",
    testPayment: "Test payment", testPaymentNote: "This is a development server: no real money moves. The payment uses Stripe's test card (4242 4242 4242 4242) on a local Stripe stand-in.",
    payWithTestCard: "Pay with the test card", paymentUnavailable: "Payments cannot be taken here. Please call the restaurant.",
    confirmed: "Your table is booked", pending: "Your table is held", reference: "Reference", when: "When", party: "Party",
    status: "Status", addToCalendar: "Add to calendar", manageLink: "Change or cancel your reservation",
    emailSent: "A confirmation is on its way to your e-mail address.", another: "Book another table",
    statuses: {draft: "being booked", pending_payment: "waiting for payment", option: "option (to be confirmed)",
      confirmed: "confirmed", seated: "at the table", completed: "visited", no_show: "not shown up", cancelled: "cancelled"},
    manageTitle: "Your reservation", notFound: "We could not find this reservation. The link may have expired.",
    cancel: "Cancel reservation", cancelQuestion: "Do you want to cancel this reservation?",
    refundAll: (amount) => `You will get ${amount} back.`, refundNone: (paid) => `Your payment of ${paid} is not refunded.`,
    refundPart: (amount, paid) => `You will get ${amount} of your ${paid} back.`, nothingPaid: "Nothing was paid, so nothing is charged.",
    freeUntil: (when) => `Free cancellation until ${when}.`, yesCancel: "Yes, cancel", keep: "Keep my reservation",
    cancelled: "Your reservation is cancelled.", refunded: (amount) => `${amount} will be refunded to your card.`,
    reconfirmAsk: "The restaurant asks you to confirm that you are coming.", reconfirm: "Yes, I am coming",
    reconfirmed: "Thank you, your visit is confirmed.", confirmOption: "Confirm this option", takeOffer: "Take this table", offered: "held for you", lapsed: "no longer held",
    paid: "Paid", errorGeneric: "Something went wrong. Please try again.", tryLater: "The restaurant is busy. Please try again in a moment.",
    tooMany: (m) => `You have booked here several times just now. Please try again in ${m} minutes.`,
    paymentLater: "The payment cannot be started right now. Please try again in a minute.",
    slotGone: "That time has just been taken. Please choose another.",
    holdLapsed: "This table was held for you until a moment ago; it is no longer yours.",
    fixFields: "Please check the highlighted fields.",
  },
  nl: {
    language: "Taal", title: "Reserveer een tafel", partySize: "Aantal personen", guests: (n) => n === 1 ? "1 persoon" : `${n} personen`,
    chooseDate: "Kies een dag", prevMonth: "Vorige maand", nextMonth: "Volgende maand",
    dayAvailable: "tafels beschikbaar", dayFull: "volgeboekt", dayClosed: "gesloten",
    legendAvailable: "Beschikbaar", legendFull: "Volgeboekt", legendClosed: "Gesloten",
    loading: "Bezig met laden…", chooseTime: "Kies een tijd", nothingOffered: "Voor dit gezelschap kan op deze dag niets geboekt worden. Probeer een andere dag.",
    closedShift: "gesloten", shorterStay: (m) => `tafel ${m} min`, stayFor: (m) => `${m} minuten`,
    squeezeNote: "Gestreepte tijden zijn kortere bezoeken tussen andere reserveringen door.",
    reasons: {closed: "gesloten", channel_blocked: "niet online te boeken", cut_off: "te laat om online te boeken",
      pacing_arrivals_full: "vol", pacing_covers_full: "vol", max_covers_reached: "vol", tables_full: "vol",
      squeeze_limit: "vol", overbooking_limit: "vol"},
    noPayment: "Geen betaling nodig.", deposit: (amount) => `Aanbetaling van ${amount} per persoon, bij het boeken.`,
    prepay: (amount) => `Vooruitbetaling van ${amount} per persoon, bij het boeken.`,
    freeCancel: (h) => h > 0 ? `Kosteloos annuleren tot ${h} uur voor je bezoek` : "Kosteloos annuleren tot je bezoek",
    afterThat: (pct) => pct >= 100 ? "." : pct > 0 ? `; daarna krijg je ${pct}% terug.` : "; daarna wordt de betaling niet terugbetaald.",
    details: "Je gegevens", firstName: "Voornaam", lastName: "Achternaam", email: "E-mail",
    phone: "Telefoon", optional: "optioneel", phoneHint: "Een gewoon nummer mag, bijv. 06 12345678",
    notes: "Moeten we iets weten?", notesHint: "Allergieën, een kinderstoel, iets te vieren", book: "Reserveren", booking: "Bezig met reserveren…",
    chosen: (ticket, date, time, n) => `${ticket}, ${date} om ${time}, ${n}`,
    change: "Wijzigen", pay: "Betaling", payAmount: (amount, until) => `Betaal ${amount} om je tafel te bevestigen. We houden hem voor je vast tot ${until}.`,
    payNow: "Betalen", paying: "Bezig met betalen…", waitingForPayment: "Wachten op de bevestiging van de betaling…",
    testPayment: "Testbetaling", testPaymentNote: "Dit is een ontwikkelserver: er gaat geen echt geld over. De betaling gebruikt Stripes testkaart (4242 4242 4242 4242) op een lokale Stripe-vervanger.",
    payWithTestCard: "Betaal met de testkaart", paymentUnavailable: "Betalen kan hier niet. Bel het restaurant alstublieft.",
    confirmed: "Je tafel is gereserveerd", pending: "Je tafel staat voor je klaar", reference: "Referentie", when: "Wanneer", party: "Gezelschap",
    status: "Status", addToCalendar: "Zet in je agenda", manageLink: "Je reservering wijzigen of annuleren",
    emailSent: "Er is een bevestiging onderweg naar je e-mailadres.", another: "Nog een tafel reserveren",
    statuses: {draft: "wordt geboekt", pending_payment: "wacht op betaling", option: "optie (nog te bevestigen)",
      confirmed: "bevestigd", seated: "aan tafel", completed: "bezocht", no_show: "niet verschenen", cancelled: "geannuleerd"},
    manageTitle: "Je reservering", notFound: "We kunnen deze reservering niet vinden. De link is misschien verlopen.",
    cancel: "Reservering annuleren", cancelQuestion: "Wil je deze reservering annuleren?",
    refundAll: (amount) => `Je krijgt ${amount} terug.`, refundNone: (paid) => `Je betaling van ${paid} wordt niet terugbetaald.`,
    refundPart: (amount, paid) => `Je krijgt ${amount} van je ${paid} terug.`, nothingPaid: "Er is niets betaald, er worden geen kosten gerekend.",
    freeUntil: (when) => `Kosteloos annuleren tot ${when}.`, yesCancel: "Ja, annuleren", keep: "Reservering houden",
    cancelled: "Je reservering is geannuleerd.", refunded: (amount) => `${amount} wordt teruggestort op je kaart.`,
    reconfirmAsk: "Het restaurant vraagt je te bevestigen dat je komt.", reconfirm: "Ja, ik kom",
    reconfirmed: "Dank je, je bezoek is bevestigd.", confirmOption: "Deze optie bevestigen", takeOffer: "Ik neem deze tafel", offered: "voor je vastgehouden", lapsed: "niet meer vastgehouden",
    paid: "Betaald", errorGeneric: "Er ging iets mis. Probeer het opnieuw.", tryLater: "Het is druk bij het restaurant. Probeer het zo nog eens.",
    tooMany: (m) => `Je hebt hier net een paar keer geboekt. Probeer het over ${m} minuten opnieuw.`,
    paymentLater: "De betaling kan nu niet gestart worden. Probeer het over een minuut opnieuw.",
    slotGone: "Die tijd is net vergeven. Kies een andere.",
    holdLapsed: "Deze tafel werd tot zojuist voor je vastgehouden; hij is niet meer voor jou.",
    fixFields: "Controleer de gemarkeerde velden.",
  },
};
const LANGUAGES = {en: "English", nl: "Nederlands"};

const params = new URLSearchParams(location.search);
let lang = pickLanguage();

function pickLanguage() {
  const wanted = [params.get("lang"), localStorage.getItem("couvert-lang"), ...(navigator.languages || [navigator.language])];
  for (const w of wanted) {
    const code = (w || "").slice(0, 2).toLowerCase();
    if (WORDS[code]) return code;
  }
  return "en";
}

function t(key, ...args) {
  const word = WORDS[lang][key] ?? WORDS.en[key];
  return typeof word === "function" ? word(...args) : word;
}

function setLanguage(code, rerender) {
  lang = code;
  localStorage.setItem("couvert-lang", code);
  document.documentElement.lang = code;
  document.querySelectorAll("[data-t]").forEach((node) => { node.textContent = t(node.dataset.t); });
  rerender();
}

// A language switch in the header (a labelled select: keyboard and screen-reader friendly).
function languageSwitch(container, rerender) {
  const label = el("label", t("language"), {for: "lang", class: "sr-only", "data-t": "language"});
  const select = el("select", null, {id: "lang"});
  select.style.width = "auto";
  for (const [code, name] of Object.entries(LANGUAGES)) {
    const option = el("option", name, {value: code, lang: code});
    option.selected = code === lang;
    select.appendChild(option);
  }
  select.onchange = () => setLanguage(select.value, rerender);
  container.append(label, select);
  document.documentElement.lang = lang;
  document.querySelectorAll("[data-t]").forEach((node) => { node.textContent = t(node.dataset.t); });
}

const money = (amount, currency) => new Intl.NumberFormat(lang, {style: "currency", currency}).format(Number(amount));
const longDate = (iso) => new Intl.DateTimeFormat(lang, {weekday: "long", day: "numeric", month: "long", timeZone: "UTC"})
  .format(new Date(`${iso}T00:00:00Z`));
// A moment in the restaurant's own time: the API's timestamps carry the restaurant's offset, so their
// wall-clock part is what the restaurant's clock shows (wherever the guest's browser is).
const moment = (iso) => new Intl.DateTimeFormat(lang, {weekday: "short", day: "numeric", month: "short",
  hour: "2-digit", minute: "2-digit", timeZone: "UTC"}).format(new Date(`${iso.slice(0, 19)}Z`));

class ApiError extends Error {
  constructor(status, error, retryAfter = null) {
    super(error.message);
    this.status = status; this.code = error.code; this.fields = (error.details || {}).fields || {};
    this.reason = (error.details || {}).reason_code; this.retryAfter = retryAfter;
  }
}

// Where the API is: the site's setting (web/site.js), never the page's URL.
const SITE = window.COUVERT_SITE || {};
const API_BASE = (SITE.api || "").replace(/\/$/, "");

async function api(method, path, {body, headers} = {}) {
  const response = await fetch(API_BASE + path, {method, body: body ? JSON.stringify(body) : undefined,
    headers: {"Content-Type": "application/json", ...(headers || {})}});
  const data = await response.json().catch(() => ({}));
  // Our errors are {"error": {...}}; API Gateway's own (its throttling) are {"message": ...}.
  if (!response.ok) throw new ApiError(response.status, data.error || {code: "unknown", message: t("errorGeneric")},
                                       Number(response.headers.get("Retry-After")) || null);
  return data;
}

// What a guest reads when something fails: the server's words for validation, plain ones otherwise.
function problem(error) {
  if (error instanceof ApiError) {
    if (error.code === "rate_limited" && error.retryAfter > 90) return t("tooMany", Math.ceil(error.retryAfter / 60));
    if (error.code === "payment_unavailable") return t("paymentLater");
    if (error.status === 503 || error.status === 429) return t("tryLater");
    if (error.reason === "hold_expired" || error.reason === "option_expired") return t("holdLapsed");
    if (error.code === "slot_unavailable") return t("slotGone");
    if (error.status === 422 && Object.keys(error.fields).length) return t("fixFields");
    if (error.status < 500) return error.message;
  }
  return t("errorGeneric");
}

// One live region per page says what is loading and what failed.
function say(region, text, kind = "") {
  region.textContent = text || "";
  region.className = `status ${kind}`.trim();
}

// Embedded in an iframe (embed.js): tell the host page how tall we are.
if (params.get("embed")) {
  document.documentElement.classList.add("embedded");
  const report = () => parent.postMessage({couvert: "height", value: document.documentElement.scrollHeight}, "*");
  new ResizeObserver(report).observe(document.documentElement);
  addEventListener("DOMContentLoaded", () => document.body.classList.add("embedded"));
}
