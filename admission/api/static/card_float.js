// The dashboard's float table: what the venue owes holders of gift and stored-value cards, per
// card type, and how it moved on the chosen day (GET /api/v1/reports/float). Loaded after
// dashboard.js, whose api(), el(), $() and number() it uses; it registers its loader in EXTRA_LOADERS.
"use strict";

// The same words as `admission cards types` uses (admission/domain/cards.py CardKind).
const CARD_KIND_LABELS = { gift: N_("gift card"), stored_value: N_("stored-value card") };

function floatMoney(cents, currency) {
  return new Intl.NumberFormat(speech.locale, { style: "currency", currency: currency || "EUR" }).format(cents / 100);
}

async function loadCardFloat(day) {
  const report = await api(`/api/v1/reports/float?from=${day}&to=${day}`);
  const rows = report.rows.map((row) => {
    const tr = el("tr", { "data-card-type": row.card_type });
    const money = (cents) => el("td", { class: "number" }, floatMoney(cents, row.currency));
    const kind = row.kind in CARD_KIND_LABELS ? _(CARD_KIND_LABELS[row.kind]) : row.kind;
    tr.append(
      el("td", {}, row.card_type), el("td", {}, kind), el("td", { class: "number" }, number(row.cards)),
      money(row.outstanding_cents), money(row.issued_cents), money(row.loaded_cents), money(row.paid_cents),
      money(row.unloaded_cents), money(row.expired_cents), money(row.adjusted_cents),
      el("td", { class: "number" }, row.conflicts
        ? format(_("{count} ({amount} overdrawn)"), { count: number(row.conflicts), amount: floatMoney(row.conflict_cents, row.currency) })
        : ""),
    );
    if (row.conflicts) tr.classList.add("flagged");
    return tr;
  });
  $("no-card-float").hidden = rows.length > 0;
  $("card-float").tBodies[0].replaceChildren(...rows);
}

EXTRA_LOADERS.push(loadCardFloat);
