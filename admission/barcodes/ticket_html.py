"""A printable ticket as a self-contained A6 HTML page with inline SVG barcodes."""

from __future__ import annotations

import html
import re
import string

from admission.barcodes.code128 import code128_svg
from admission.barcodes.qr import qr_svg
from admission.barcodes.ticket import PrintableTicket, printed_accent, text_color_on
from admission.domain.codes import format_ticket_number

_INLINE_SVG_NOISE = re.compile(r"<\?xml.*?\?>|<!DOCTYPE.*?>|<!--.*?-->", re.DOTALL)
_SVG_ID = re.compile(r'\sid="[^"]*"')


def _inline_svg(svg: bytes) -> str:
    # XML prologue and doctype are invalid inside HTML; ids would clash when several tickets
    # are printed on one page.
    return _SVG_ID.sub("", _INLINE_SVG_NOISE.sub("", svg.decode())).strip()


_TICKET_HTML = string.Template("""<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>$title - $venue</title>
<style>
@page { size: A6 portrait; margin: 0; }
* { box-sizing: border-box; }
html, body { margin: 0; padding: 0; background: #eee; }
body { font-family: "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; color: #111; }
/* Fixed A6 box: text that does not fit is clipped, the barcodes never move off the page. */
.ticket { width: 105mm; height: 148mm; margin: 8mm auto; background: #fff; overflow: hidden;
  display: flex; flex-direction: column; box-shadow: 0 1mm 4mm rgba(0, 0, 0, .25); }
.band { flex: none; background: $accent; color: $on_accent; padding: 5mm 7mm 4mm;
  -webkit-print-color-adjust: exact; print-color-adjust: exact; }
.venue { margin: 0; font-size: 14pt; font-weight: bold; }
.template { margin: 1mm 0 0; font-size: 9pt; }
.body { flex: 1 1 auto; min-height: 0; overflow: hidden; padding: 4mm 7mm 0; }
h1 { margin: 0 0 2mm; font-size: 18pt; line-height: 1.15; overflow-wrap: anywhere; }
.event { margin: 0 0 2mm; font-size: 11pt; }
.event strong { display: block; }
.validity, .price { margin: 0 0 1.5mm; font-size: 10pt; }
.price { font-weight: bold; }
.description { margin: 2mm 0 0; font-size: 8.5pt; color: #444; white-space: pre-line;
  overflow-wrap: anywhere; }
.codes { flex: none; display: flex; flex-direction: column; align-items: center; gap: 3mm;
  padding: 3mm 0 6mm; }
.codes svg { display: block; }
.qr svg { width: 38mm; height: 38mm; }
@media print {
  html, body { background: #fff; }
  .ticket { margin: 0; box-shadow: none; }
  .ticket + .ticket { break-before: page; }
}
</style>
</head>
<body>
<main class="ticket">
<header class="band">
<p class="venue">$venue</p>
$template
</header>
<section class="body">
<h1>$title</h1>
$event
$validity
$price
$description
</section>
<section class="codes">
<div class="qr" role="img" aria-label="QR code">$qr</div>
$code128
</section>
</main>
</body>
</html>
""")


def _paragraph(css_class: str, text: str) -> str:
    return f'<p class="{css_class}">{html.escape(text)}</p>' if text else ""


def _event_html(t: PrintableTicket) -> str:
    if t.event_name is None and t.event_start is None:
        return ""
    name = f"<strong>{html.escape(t.event_name)}</strong>" if t.event_name else ""
    start = f"<time>{html.escape(t.event_start)}</time>" if t.event_start else ""
    return f'<p class="event">{name}{start}</p>'


def render_ticket_html(t: PrintableTicket) -> str:
    """A self-contained A6 HTML ticket: inline SVG barcodes, print CSS, all text escaped."""
    accent = printed_accent(t)
    return _TICKET_HTML.substitute(
        accent=accent,
        on_accent=text_color_on(accent),
        venue=html.escape(t.venue_name),
        template=_paragraph("template", t.template_name),
        title=html.escape(t.title),
        event=_event_html(t),
        validity=_paragraph("validity", t.validity),
        price=_paragraph("price", t.price),
        description=_paragraph("description", t.description),
        qr=_inline_svg(qr_svg(t.signed_code)),
        code128=_code128_html(t.ticket_number),
    )


def _code128_html(number: str | None) -> str:
    if not number:
        return ""
    label = html.escape(format_ticket_number(number))
    svg = _inline_svg(code128_svg(number))
    return f'<div class="code128" role="img" aria-label="Ticket number {label}">{svg}</div>'
