// The dashboard's payment tables: end of day per till and tender with the cash-up, the card
// terminals' reconciliation, terminal incidents and unpaid invoices. Loaded after dashboard.js,
// whose api(), el() and $() it uses; it registers its loader in EXTRA_LOADERS.
"use strict";

// The same words as `admission payments` uses (admission/cli/payments.py, admission/domain/payments.py).
const TENDER_LABELS = {
  cash: N_("Cash"), card: N_("Card"), mobile: N_("Mobile (confirm on phone)"),
  mobile_integrated: N_("Mobile (integrated)"), invoice: N_("Invoice (pay later)"),
  stored_value: N_("Gift or stored-value card"),
};
const RECONCILIATION_LABELS = {
  matches: N_("matches"), matches_with_stored: N_("matches with the stored payments"),
  mismatch: N_("MISMATCH"), no_settlement: N_("no settlement entered"),
};
const INVOICE_LABELS = { unpaid: N_("unpaid"), paid: N_("paid"), cancelled: N_("cancelled") };

function label(labels, value) {
  return value in labels ? _(labels[value]) : value;
}

function moneyText(cents, currency) {
  if (cents === null || cents === undefined) return "";
  return new Intl.NumberFormat(speech.locale, { style: "currency", currency: currency || "EUR" }).format(cents / 100);
}

function fill(tableId, emptyId, rows) {
  $(emptyId).hidden = rows.length > 0;
  $(tableId).tBodies[0].replaceChildren(...rows);
}

async function loadPayments(day, timezone) {
  const when = new Intl.DateTimeFormat(speech.locale, { timeZone: timezone, hour: "2-digit", minute: "2-digit" });
  const at = (value) => (value ? when.format(new Date(value)) : "");
  const [endOfDay, reconciliation, incidents, invoices] = await Promise.all([
    api(`/api/v1/payments/end-of-day?date=${day}`),
    api(`/api/v1/payments/reconciliation?date=${day}`),
    api(`/api/v1/payments/terminal-incidents?from=${day}&to=${day}`),
    api("/api/v1/payments/invoices?status=unpaid"),
  ]);
  const cur = endOfDay.currency;
  fill("end-of-day", "no-end-of-day", endOfDay.tills.flatMap((till) => till.tenders.map((t, i) => {
    const tr = el("tr", { "data-till": till.till, "data-tender": t.tender });
    const c = i === 0 ? till.cash_up : null;
    tr.append(
      el("td", {}, till.till), el("td", {}, label(TENDER_LABELS, t.tender)),
      el("td", { class: "number" }, number(t.sales)), el("td", { class: "number" }, number(t.refunds)),
      el("td", { class: "number" }, moneyText(t.net_cents, cur)),
      el("td", { class: "number" }, i === 0 ? moneyText(c ? c.expected_cents : till.cash_net_cents, cur) : ""),
      el("td", { class: "number" }, c ? moneyText(c.counted_cents, cur) : (i === 0 ? _("not counted") : "")),
      el("td", { class: "number" }, c ? moneyText(c.over_short_cents, cur) : ""),
      el("td", {}, c ? `${c.counted_by} ${at(c.counted_at)}` : ""),
    );
    if (c && c.over_short_cents !== 0) tr.classList.add("flagged");
    return tr;
  })));
  fill("reconciliation", "no-reconciliation", reconciliation.tills.map((till) => {
    const tr = el("tr", { "data-till": till.till, "data-status": till.status });
    if (till.status === "mismatch") tr.classList.add("flagged");
    tr.append(
      el("td", {}, till.till), el("td", { class: "number" }, moneyText(till.settlement_cents, cur)),
      el("td", { class: "number" }, moneyText(till.online_card_cents, cur)),
      el("td", { class: "number" }, moneyText(till.difference_cents, cur)),
      el("td", { class: "number" }, moneyText(till.offline_card_cents, cur)),
      el("td", {}, label(RECONCILIATION_LABELS, till.status)),
    );
    return tr;
  }));
  fill("terminal-incidents", "no-terminal-incidents", incidents.map((incident) => {
    const tr = el("tr", { "data-till": incident.device });
    tr.append(
      el("td", {}, incident.device), el("td", {}, at(incident.started_at)),
      el("td", {}, incident.ended_at ? at(incident.ended_at) : _("still down")),
      el("td", {}, incident.cause), el("td", {}, incident.note || ""),
      el("td", {}, incident.paid_with.map((use) => `${label(TENDER_LABELS, use.method)} ${number(use.sales)} × ${moneyText(use.cents, cur)}`).join(", ")),
    );
    return tr;
  }));
  const owed = invoices.reduce((sum, invoice) => sum + invoice.amount_cents, 0);
  $("invoice-summary").textContent = invoices.length
    ? format(_("({count} unpaid, {amount} outstanding)"), { count: number(invoices.length), amount: moneyText(owed, cur) })
    : "";
  fill("invoices", "no-invoices", invoices.map((invoice) => {
    const tr = el("tr", { "data-invoice": String(invoice.id) });
    if (invoice.overdue) tr.classList.add("flagged");
    tr.append(
      el("td", {}, String(invoice.id)), el("td", {}, invoice.customer), el("td", {}, invoice.reference),
      el("td", { class: "number" }, moneyText(invoice.amount_cents, invoice.currency)),
      el("td", {}, invoice.due_date), el("td", {}, invoice.overdue ? _("overdue") : label(INVOICE_LABELS, invoice.status)),
    );
    return tr;
  }));
}

EXTRA_LOADERS.push(loadPayments);
