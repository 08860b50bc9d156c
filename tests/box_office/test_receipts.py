"""Receipts as a Nordic or German till must hand them out: venue, address, VAT number, the VAT
table per rate, in the venue's time zone and the till's language; as a vector PDF, on an ESC/POS
printer, and by e-mail (an .eml file when there is no mail server or it fails)."""

from __future__ import annotations

import email
import email.policy
import re
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pypdf
import pytest
from aiosmtpd.controller import Controller
from escpos.printer import Dummy

from admission.i18n import speaking
from scanner_client.till.receipts import (
    Receipt,
    ReceiptCardPart,
    ReceiptLine,
    VenueDetails,
    layout,
    plain_text,
    write_receipt,
)
from scanner_client.till.receipts.delivery import ReceiptDelivery, ReceiptProblem
from scanner_client.till.receipts.escpos_printer import PrinterProblem, check_printer_spec, write_rows

STOCKHOLM = ZoneInfo("Europe/Stockholm")
VENUE = VenueDetails(
    name="Skansen Zoo",
    address=("Djurgårdsslätten 49", "115 21 Stockholm"),
    vat_number="SE556677889901",
    vat_rate_basis_points=600,
)


def sale(**changes: Any) -> Receipt:
    fields: dict[str, Any] = {
        "venue": VENUE,
        "device": "till-1",
        "reference": "S42",
        "sold_at": datetime(2027, 7, 1, 10, 5, tzinfo=UTC),  # 12:05 in Stockholm (summer time)
        "lines": [
            ReceiptLine("Adult day ticket", 2, 25_000, 600),
            ReceiptLine("Guide book", 1, 12_000, 2500),
        ],
        "currency": "SEK",
        "payment": "Card (Visa)",
        "tendered_cents": 62_000,
        "change_cents": 0,
        "offline": False,
    }
    return Receipt(**{**fields, **changes})


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(path).pages)


def test_the_pdf_is_vector_text_with_venue_vat_table_and_total(tmp_path: Path) -> None:
    files = write_receipt(tmp_path, sale(offline=True), STOCKHOLM)
    reader = pypdf.PdfReader(files.pdf)
    assert [len(page.images) for page in reader.pages] == [0]  # text, no picture of it
    text = pdf_text(files.pdf)
    for expected in ("Skansen Zoo", "Djurgårdsslätten 49", "115 21 Stockholm", "SE556677889901", "S42"):
        assert expected in text
    assert "2027-07-01" in text or "01/07/2027" in text
    assert "12:05" in text  # the venue's time, not UTC
    # 500.00 at 6 %: net 471.70, VAT 28.30; 120.00 at 25 %: net 96.00, VAT 24.00.
    assert "471.70" in text and "28.30" in text and "96.00" in text and "24.00" in text
    assert "620.00" in text and "Card (Visa)" in text and "OFFLINE SALE" in text


def test_net_plus_vat_is_gross_on_every_row_of_the_table() -> None:
    receipt = sale(lines=[ReceiptLine("Ticket", 3, 333, 1900), ReceiptLine("Snack", 7, 10, 700)])
    assert all(row.net + row.vat == row.gross for row in receipt.vat())
    assert sum(row.gross for row in receipt.vat()) == receipt.total_cents


def test_a_swedish_till_prints_swedish_numbers_in_the_venues_time() -> None:
    with speaking("sv"):
        text = plain_text(layout(sale(), STOCKHOLM))
    assert "620,00 kr" in text and "471,70" in text and "12:05" in text


def test_a_template_without_a_rate_takes_the_venues_standard_one() -> None:
    assert VENUE.rate_for(None) == 600
    assert VENUE.rate_for(25.5) == 2550
    assert VenueDetails("No VAT venue").rate_for(None) is None


def test_a_refund_is_its_own_receipt_with_negative_amounts_and_vat(tmp_path: Path) -> None:
    refund = sale(lines=[ReceiptLine("Adult day ticket", 2, -25_000, 600)], refund_of="S42", reference="S42")
    files = write_receipt(tmp_path, refund, STOCKHOLM)
    assert files.pdf.name == "S42-refund.pdf"
    text = pdf_text(files.pdf)
    assert "REFUND" in text and "-500.00" in text and "-28.30" in text


def test_the_card_part_is_listed_beside_the_other_tenders_with_its_number_masked(tmp_path: Path) -> None:
    parts = [ReceiptCardPart("6012345678901234", 20_000), ReceiptCardPart(None, 2_000)]
    receipt = sale(card_parts=parts, payment="Card (Visa) 400.00")
    files = write_receipt(tmp_path, receipt, STOCKHOLM)
    printer = Dummy()
    write_rows(printer, layout(receipt, STOCKHOLM))
    mailed = email.message_from_bytes(files.eml.read_bytes(), policy=email.policy.default)
    body = mailed.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    for text in (pdf_text(files.pdf), printer.output.decode("cp437", errors="replace"), body):
        assert re.search(r"Paid by value card \*\*\*\* 1234\s+SEK200\.00", text), text
        assert re.search(r"Paid by value card\s+SEK20\.00", text)  # an offline till's: number unknown
        assert "Card (Visa) 400.00" in text
        assert "6012345678901234" not in text and "5678" not in text
    refund = sale(refund_of="S42", card_parts=[ReceiptCardPart("6012345678901234", 20_000)], payment="")
    text = plain_text(layout(refund, STOCKHOLM))
    assert "Back onto value card **** 1234" in text and "Refunded by" not in text


def test_escpos_bytes_carry_the_lines_and_end_with_a_cut() -> None:
    printer = Dummy()
    write_rows(printer, layout(sale(), STOCKHOLM))
    out = printer.output
    assert b"Skansen Zoo" in out and b"SE556677889901" in out and b"Adult day ticket" in out
    assert b"471.70" in out and b"620.00" in out
    assert b"\x1bE\x01" in out  # bold on, for the venue and the total
    assert out.rstrip(b"\x00").endswith(b"\x1dV\x00") or b"\x1dV" in out[-8:]  # the paper is cut


@pytest.mark.parametrize(
    "spec", ["usb:0x04b8:0x0e15", "net:192.168.1.50:9100", "192.168.1.50", "file:/dev/usb/lp0"]
)
def test_printer_specs_as_the_readme_writes_them(spec: str) -> None:
    assert check_printer_spec(spec) == spec


@pytest.mark.parametrize("spec", ["usb:epson", "net:", "printer please"])
def test_a_mistyped_printer_says_how_to_write_it(spec: str) -> None:
    with pytest.raises(PrinterProblem, match="usb:VENDOR:PRODUCT"):
        check_printer_spec(spec)


def config_of(values: dict[str, str]) -> ReceiptDelivery:
    return ReceiptDelivery(values.get)


async def test_printing_to_a_device_file_writes_the_receipt(tmp_path: Path) -> None:
    files = write_receipt(tmp_path / "receipts", sale(), STOCKHOLM)
    device = tmp_path / "lp0"
    done = await config_of({"receipt_printer": f"file:{device}"}).print(files)
    assert done.ok and b"Skansen Zoo" in device.read_bytes()


async def test_no_printer_set_up_is_said_with_the_option_to_use(tmp_path: Path) -> None:
    files = write_receipt(tmp_path, sale(), STOCKHOLM)
    with pytest.raises(ReceiptProblem, match="--printer"):
        await config_of({}).print(files)


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(
        self, server: Any, session: Any, envelope: Any
    ) -> str:  # aiosmtpd calls it by this name
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


async def test_a_receipt_is_sent_by_smtp_with_its_pdf_attached(
    tmp_path: Path, smtp_server: tuple[Inbox, int]
) -> None:
    inbox, port = smtp_server
    files = write_receipt(tmp_path, sale(), STOCKHOLM)
    smtp = {
        "smtp_host": "127.0.0.1",
        "smtp_port": str(port),
        "smtp_security": "none",
        "smtp_from": "tickets@skansen.example",
    }
    done = await config_of(smtp).email(files, "guest@example.org")
    assert done.ok and "guest@example.org" in done.message
    (message,) = inbox.messages
    assert message["To"] == "guest@example.org" and "tickets@skansen.example" in message["From"]
    assert "S42" in message["Subject"]
    attached = [part.get_filename() for part in message.iter_attachments()]
    assert attached == ["S42-receipt.pdf"]
    body = message.get_body(("plain",))
    assert body is not None and "620.00" in body.get_content()


async def test_without_a_mail_server_the_email_is_saved_as_eml_and_the_seller_told(tmp_path: Path) -> None:
    files = write_receipt(tmp_path, sale(), STOCKHOLM)
    done = await config_of({}).email(files, "guest@example.org")
    assert not done.ok and "No mail server" in done.message and str(files.eml) in done.message
    saved = email.message_from_bytes(files.eml.read_bytes(), policy=email.policy.default)
    assert saved["To"] == "guest@example.org"


async def test_a_mail_server_that_does_not_answer_falls_back_to_the_eml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADMISSION_SMTP_PASSWORD", "s3cret-password")
    files = write_receipt(tmp_path, sale(), STOCKHOLM)
    smtp = {
        "smtp_host": "127.0.0.1",
        "smtp_port": str(free_port()),
        "smtp_security": "none",
        "smtp_user": "till",
    }
    done = await config_of(smtp).email(files, "guest@example.org")
    assert not done.ok and "Not sent" in done.message and str(files.eml) in done.message
    assert "s3cret-password" not in done.message and b"s3cret-password" not in files.eml.read_bytes()
    assert email.message_from_bytes(files.eml.read_bytes())["To"] == "guest@example.org"


async def test_a_typed_address_that_is_no_address_is_refused(tmp_path: Path) -> None:
    files = write_receipt(tmp_path, sale(), STOCKHOLM)
    with pytest.raises(ReceiptProblem, match="not an e-mail address"):
        await config_of({}).email(files, "guest at example")


def test_the_tills_command_line_keeps_printer_and_mail_server_but_never_a_password() -> None:
    from scanner_client.till.cli import build_parser, receipt_settings

    args = build_parser().parse_args(
        ["box-office", "--printer", "usb:0x04b8:0x0e15", "--smtp-host", "mail.zoo.example", "--smtp-port", "465",
         "--smtp-security", "tls", "--smtp-user", "till-1"]
    )  # fmt: skip
    settings = receipt_settings(args)
    assert settings == {
        "receipt_printer": "usb:0x04b8:0x0e15",
        "smtp_host": "mail.zoo.example",
        "smtp_port": "465",
        "smtp_security": "tls",
        "smtp_user": "till-1",
    }
    assert receipt_settings(build_parser().parse_args(["box-office", "--printer", ""])) == {"receipt_printer": None}
    with pytest.raises(PrinterProblem):
        receipt_settings(build_parser().parse_args(["box-office", "--printer", "epson please"]))
