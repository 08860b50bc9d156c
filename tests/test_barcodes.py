"""Every barcode admission renders must decode back, with the zxing-cpp the scanner client uses.

SVGs are checked by rasterising them with a tiny rasteriser for exactly the two dialects we
emit (python-barcode's mm rects, zint's module paths): the venv has no general SVG rasteriser
(cairosvg needs system cairo), and asserting structure alone would not prove the geometry reads.
"""

from __future__ import annotations

import io
import random
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import zxingcpp
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image, ImageDraw

from admission import barcodes
from admission.barcodes import BarcodeError, DecodedBarcode, PrintableTicket
from admission.domain.codes import (
    SignedTicket,
    damm_check_digit,
    read_signed_code,
    sign_ticket,
    verify_signed_code,
)

_RNG = random.Random(20260613)  # fixed seed: failures reproduce


def _ticket_number(rng: random.Random) -> str:
    body = "".join(rng.choice("0123456789") for _ in range(12))
    return body + damm_check_digit(body)


def _signed_code(rng: random.Random, key: Ed25519PrivateKey) -> str:
    start = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(500_000))
    ticket = SignedTicket(
        key_id=rng.randrange(1, 2**16),
        serial=rng.getrandbits(63) or 1,
        template_id=rng.randrange(1, 2**32),
        event_id=rng.choice([None, rng.randrange(1, 2**32)]),
        valid_from=start,
        valid_until=start + timedelta(days=rng.randrange(1, 400)),
    )
    return sign_ticket(ticket, key)


_KEY = Ed25519PrivateKey.from_private_bytes(_RNG.randbytes(32))
def _with_check_digit(body: str) -> str:
    return body + damm_check_digit(body)


# A leading "99" is the digit pair that python-barcode 0.16.1 dropped (its issue #251): one
# ticket number in a hundred starts with it, so these stand beside the random ones.
NUMBERS = [
    "0000000000000",
    _with_check_digit("991234567890"),
    _with_check_digit("999999999999"),
    _with_check_digit("129912345678"),
    *(_ticket_number(_RNG) for _ in range(4)),
]
CODES = [_signed_code(_RNG, _KEY) for _ in range(4)]


def _ticket(**changes: object) -> PrintableTicket:
    fields: dict[str, object] = {
        "venue_name": "Stadtmuseum Zürich",
        "title": "Tagesticket",
        "description": "Dauerausstellung und alle Sonderausstellungen.",
        "accent_color": "#c0392b",
        "template_name": "Erwachsene",
        "event_name": "Nachtführung: Die Römer",
        "event_start": "Sa 13. Juni 2026, 20:00",
        "validity": "Gültig am 13.06.2026",
        "price": "CHF 24.00",
        "ticket_number": NUMBERS[1],
        "signed_code": CODES[0],
    }
    fields.update(changes)
    return PrintableTicket(**fields)


def _png(data: bytes) -> Image.Image:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    return Image.open(io.BytesIO(data))


# ---------------------------------------------------------------- SVG rasteriser ------

_SVG = "{http://www.w3.org/2000/svg}"
_LENGTH = re.compile(r"(-?\d+(?:\.\d+)?)(mm)?")
_PATH_COMMAND = re.compile(r"([MhvZ])([^MhvZ]*)")
_IGNORED = {"desc", "title", "text"}  # the digits under the bars are for people, not scanners


def _length(value: str | None, full: float) -> float:
    if value is None:
        return 0.0
    if value.endswith("%"):
        return full * float(value[:-1]) / 100
    match = _LENGTH.fullmatch(value)
    assert match, f"unsupported SVG length {value!r}"
    return float(match[1])


def _fill(element: ET.Element, inherited: str) -> str:
    style = dict(part.split(":", 1) for part in (element.get("style") or "").split(";") if ":" in part)
    colour = style.get("fill", element.get("fill", inherited)).strip().lower()
    assert colour in {"black", "#000000", "white", "#ffffff"}, f"unexpected fill {colour!r}"
    return colour


def _rectangles_in_path(d: str) -> list[tuple[float, float, float, float]]:
    """Axis-aligned rectangles written as 'Mx yh..v..h..Z' (how zint writes QR modules)."""
    rectangles = []
    points: list[tuple[float, float]] = []
    for command, args in _PATH_COMMAND.findall(d):
        numbers = [float(n) for n in args.replace(",", " ").split()]
        if command == "M":
            points = [(numbers[0], numbers[1])]
        elif command == "h":
            points.append((points[-1][0] + numbers[0], points[-1][1]))
        elif command == "v":
            points.append((points[-1][0], points[-1][1] + numbers[0]))
        else:  # Z
            xs, ys = {x for x, _ in points}, {y for _, y in points}
            assert len(points) == 4 and len(xs) == 2 and len(ys) == 2, f"not a rectangle: {points}"
            rectangles.append((min(xs), min(ys), max(xs), max(ys)))
    return rectangles


def _rasterise_svg(svg: bytes | str, px_per_mm: float = 12) -> Image.Image:
    """Draw our barcode SVGs at about 300 dpi. Anything unexpected fails the test loudly."""
    root = ET.fromstring(svg)
    width_mm = _length(root.get("width"), 0)
    assert root.get("width", "").endswith("mm"), "barcode SVGs must carry a physical size"
    if view_box := root.get("viewBox"):
        _, _, width, height = (float(n) for n in view_box.split())
        scale = px_per_mm * width_mm / width  # pixels per user unit
    else:
        width, height = width_mm, _length(root.get("height"), 0)
        scale = px_per_mm
    image = Image.new("L", (round(width * scale), round(height * scale)), 255)
    draw = ImageDraw.Draw(image)

    def paint(left: float, top: float, right: float, bottom: float, colour: str) -> None:
        shade = 0 if colour in {"black", "#000000"} else 255
        box = [round(left * scale), round(top * scale), round(right * scale) - 1, round(bottom * scale) - 1]
        draw.rectangle(box, fill=shade)

    def walk(element: ET.Element, inherited: str) -> None:
        tag = element.tag.removeprefix(_SVG)
        colour = _fill(element, inherited)
        if tag == "rect":
            x, y = _length(element.get("x"), width), _length(element.get("y"), height)
            w, h = _length(element.get("width"), width), _length(element.get("height"), height)
            paint(x, y, x + w, y + h, colour)
        elif tag == "path":
            for rectangle in _rectangles_in_path(element.get("d", "")):
                paint(*rectangle, colour)
        elif tag not in {"svg", "g"}:
            assert tag in _IGNORED, f"unexpected SVG element {tag!r}"
            return
        for child in element:
            walk(child, colour)

    walk(root, "black")  # SVG's initial fill is black
    return image


# ---------------------------------------------------------------- Code128 -------------


@pytest.mark.parametrize("number", NUMBERS)
def test_code128_png_decodes_to_the_ticket_number(number: str) -> None:
    assert barcodes.decode_image(barcodes.code128_png(number)) == [DecodedBarcode(number, "Code128")]


@pytest.mark.parametrize("module_px", [2, 3, 5])
def test_code128_png_bars_are_whole_modules_with_quiet_zones(module_px: int) -> None:
    number = NUMBERS[2]
    image = _png(barcodes.code128_png(number, module_width_px=module_px)).convert("L")
    assert image.info["dpi"] == pytest.approx((300, 300), abs=0.01)  # stored per metre
    row = "".join("1" if image.getpixel((x, 10 * module_px)) < 128 else "0" for x in range(image.width))
    pattern = "".join(bit * module_px for bit in barcodes.TicketCode128(number).build()[0])
    quiet = "0" * (10 * module_px)
    # python-barcode truncates the image size, so the right quiet zone may be a pixel short.
    assert row.startswith(quiet + pattern)
    assert set(row[len(quiet + pattern) :]) == {"0"}
    assert len(row) >= len(quiet + pattern + quiet) - 1


def test_code128_refuses_bars_too_thin_to_decode() -> None:
    with pytest.raises(ValueError, match="module_width_px"):
        barcodes.code128_png(NUMBERS[0], module_width_px=1)


@pytest.mark.parametrize(
    "bad", ["", "123", "303600989838X", NUMBERS[1][:-1] + str((int(NUMBERS[1][-1]) + 1) % 10)]
)
def test_code128_refuses_what_is_not_a_ticket_number(bad: str) -> None:
    with pytest.raises(BarcodeError):
        barcodes.code128_svg(bad)
    with pytest.raises(BarcodeError):
        barcodes.code128_png(bad)


@pytest.mark.parametrize("number", NUMBERS)
def test_code128_svg_decodes_to_the_ticket_number(number: str) -> None:
    svg = barcodes.code128_svg(number)
    assert svg.lstrip().startswith((b"<?xml", b"<svg"))
    assert barcodes.decode_image(_rasterise_svg(svg)) == [DecodedBarcode(number, "Code128")]


# ---------------------------------------------------------------- QR ------------------


@pytest.mark.parametrize("code", CODES)
def test_qr_png_decodes_to_the_signed_code_at_level_q(code: str) -> None:
    image = _png(barcodes.qr_png(code))
    assert barcodes.decode_image(image) == [DecodedBarcode(code, "QRCode")]
    # zxing-cpp silently ignores options it does not know: prove Q really reached the symbol.
    assert zxingcpp.read_barcodes(image.convert("L"))[0].ec_level == "Q"


@pytest.mark.parametrize("scale", [2, 6])
def test_qr_png_keeps_a_four_module_quiet_zone(scale: int) -> None:
    image = _png(barcodes.qr_png(CODES[1], scale=scale)).convert("L")
    border = 4 * scale
    inner = image.crop((border, border, image.width - border, image.height - border))
    assert image.getextrema() == (0, 255)
    assert image.width % scale == 0
    # the quiet zone is all white; the symbol's finder patterns start right after it
    for box in [(0, 0, image.width, border), (0, 0, border, image.height)]:
        assert image.crop(box).getextrema() == (255, 255)
    assert inner.getpixel((0, 0)) == 0


@pytest.mark.parametrize("code", CODES)
def test_qr_svg_decodes_to_the_signed_code(code: str) -> None:
    svg = barcodes.qr_svg(code)
    root = ET.fromstring(svg)
    assert root.get("viewBox") and root.get("width", "").endswith("mm")
    assert barcodes.decode_image(_rasterise_svg(svg)) == [DecodedBarcode(code, "QRCode")]


@pytest.mark.parametrize("bad", ["", CODES[0][:-1], CODES[0].lower(), CODES[0][:-1] + "Y"])
def test_qr_refuses_what_is_not_a_signed_code(bad: str) -> None:
    with pytest.raises(BarcodeError):
        barcodes.qr_png(bad)
    with pytest.raises(BarcodeError):
        barcodes.qr_svg(bad)


def test_the_codes_used_here_are_genuine_signed_codes() -> None:
    for code in CODES:
        verify_signed_code(code, {read_signed_code(code)[0].key_id: _KEY.public_key()})


# ---------------------------------------------------------------- decode_image --------


@pytest.mark.parametrize(
    "garbage",
    [b"", b"not an image at all", b"\x89PNG\r\n\x1a\n" + bytes(40), "truncated png", "truncated jpeg"],
)
def test_decode_image_of_unreadable_data_raises_barcode_error(garbage: bytes | str) -> None:
    if garbage == "truncated png":
        garbage = barcodes.qr_png(CODES[0])[:300]
    elif garbage == "truncated jpeg":
        out = io.BytesIO()
        _png(barcodes.qr_png(CODES[0])).convert("RGB").save(out, "JPEG")
        garbage = out.getvalue()[:-500]
    assert isinstance(garbage, bytes)
    with pytest.raises(BarcodeError):
        barcodes.decode_image(garbage)


def test_decode_image_reads_jpeg_from_a_path(tmp_path: Path) -> None:
    path = tmp_path / "photo.jpg"
    _png(barcodes.qr_png(CODES[2])).convert("RGB").save(path, "JPEG", quality=70)
    assert barcodes.decode_image(path) == [DecodedBarcode(CODES[2], "QRCode")]


def test_decode_image_flattens_transparency_onto_white() -> None:
    # black bars on a fully transparent (and black) background, like many screenshots/exports
    bars = _png(barcodes.code128_png(NUMBERS[3])).convert("L")
    image = Image.new("RGBA", bars.size, (0, 0, 0, 0))
    image.putalpha(bars.point(lambda v: 255 - v))
    assert barcodes.decode_image(image) == [DecodedBarcode(NUMBERS[3], "Code128")]


def test_decode_image_without_barcodes_is_empty() -> None:
    assert barcodes.decode_image(Image.new("RGB", (200, 100), "white")) == []


# ---------------------------------------------------------------- printable ticket ----


def _found(data: bytes | Image.Image) -> set[tuple[str, str]]:
    return {(found.text, found.format) for found in barcodes.decode_image(data)}


def test_ticket_png_carries_both_barcodes() -> None:
    ticket = _ticket()
    image = _png(barcodes.render_ticket_png(ticket))
    assert image.size == (1240, 1748)  # A6 at 300 dpi
    assert _found(image) == {(ticket.signed_code, "QRCode"), (ticket.ticket_number, "Code128")}


def test_ticket_png_text_never_covers_the_barcodes() -> None:
    long = "Sehr langer Text " * 200
    ticket = _ticket(title=long, description=long, venue_name=long, event_name=None, event_start=None)
    assert _found(barcodes.render_ticket_png(ticket)) == {
        (ticket.signed_code, "QRCode"),
        (ticket.ticket_number, "Code128"),
    }


def test_ticket_png_survives_a_phone_photo() -> None:
    ticket = _ticket(signed_code=CODES[3], ticket_number=NUMBERS[4])
    photo = _png(barcodes.render_ticket_png(ticket)).rotate(8, expand=True, fillcolor="gray")
    photo = photo.resize((photo.width * 2 // 3, photo.height * 2 // 3))
    out = io.BytesIO()
    photo.save(out, "JPEG", quality=70)
    assert _found(out.getvalue()) == {(CODES[3], "QRCode"), (NUMBERS[4], "Code128")}


def test_ticket_pdf_is_one_a6_page_whose_barcodes_decode() -> None:
    ticket = _ticket()
    pdf = barcodes.render_ticket_pdf(ticket)
    assert pdf.startswith(b"%PDF-")
    media_box = re.search(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    assert media_box
    assert float(media_box[1]) == pytest.approx(105 / 25.4 * 72, abs=0.5)
    assert float(media_box[2]) == pytest.approx(148 / 25.4 * 72, abs=0.5)
    # the page is one JPEG (DCTDecode) stream: decode exactly what a printer would get
    jpeg = pdf[pdf.index(b"\xff\xd8\xff") : pdf.rindex(b"\xff\xd9") + 2]
    assert _found(jpeg) == {(ticket.signed_code, "QRCode"), (ticket.ticket_number, "Code128")}


def test_ticket_html_escapes_every_text() -> None:
    ticket = _ticket(
        title="<script>alert(1)</script>",
        venue_name='Bar & "Grill"',
        description="<img src=x onerror=alert(2)>",
        event_name="</p><b>",
        accent_color="red;}</style><script>alert(3)</script>",
    )
    page = barcodes.render_ticket_html(ticket)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Bar &amp; &quot;Grill&quot;" in page
    assert "&lt;img src=x onerror=alert(2)&gt;" in page
    assert "&lt;/p&gt;&lt;b&gt;" in page
    assert "<script" not in page.lower() and "<img" not in page and "alert(3)" not in page


def test_ticket_html_is_self_contained_and_its_inline_svgs_decode() -> None:
    ticket = _ticket(accent_color="#0a7")
    page = barcodes.render_ticket_html(ticket)
    assert page.startswith("<!DOCTYPE html>")
    assert "@page" in page and "@media print" in page and "background: #0a7;" in page
    assert not re.search(r"(src|href)\s*=", page)  # nothing to fetch: prints offline
    assert "<?xml" not in page and "<!DOCTYPE svg" not in page and ' id="' not in page
    svgs = re.findall(r"<svg.*?</svg>", page, flags=re.DOTALL)
    assert len(svgs) == 2
    found = set().union(*(_found(_rasterise_svg(svg)) for svg in svgs))
    assert found == {(ticket.signed_code, "QRCode"), (ticket.ticket_number, "Code128")}


def test_ticket_without_a_number_renders_qr_only() -> None:
    # Tickets sold offline by a box office carry only their signed code: no Code128, no number text.
    for missing in (None, ""):
        ticket = _ticket(ticket_number=missing)
        assert _found(barcodes.render_ticket_png(ticket)) == {(ticket.signed_code, "QRCode")}
        pdf = barcodes.render_ticket_pdf(ticket)
        jpeg = pdf[pdf.index(b"\xff\xd8\xff") : pdf.rindex(b"\xff\xd9") + 2]
        assert _found(jpeg) == {(ticket.signed_code, "QRCode")}
        page = barcodes.render_ticket_html(ticket)
        svgs = re.findall(r"<svg.*?</svg>", page, flags=re.DOTALL)
        assert len(svgs) == 1 and "Ticket number" not in page
        assert _found(_rasterise_svg(svgs[0])) == {(ticket.signed_code, "QRCode")}
