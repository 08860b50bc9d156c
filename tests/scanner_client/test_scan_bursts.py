"""Cutting what a keyboard-wedge scanner typed into the scans it holds (scanner_client/gate/bursts.py)."""

from __future__ import annotations

from admission.domain.codes import new_ticket_number
from scanner_client.gate.bursts import split_scan, timing_pieces
from scanner_client.gate.wedge import is_scanned
from tests.scanner_client.client_support import VenueSnapshot


def scanner_times(*pieces: str, start: float = 100.0, key: float = 0.005, gap: float = 0.4) -> list[float]:
    """Key times of `pieces` typed by a scanner: 5 ms a key, `gap` between pieces."""
    times: list[float] = []
    at = start
    for piece in pieces:
        for _ in piece:
            times.append(at)
            at += key
        at += gap
    return times


def test_one_code_stays_one_scan() -> None:
    number = new_ticket_number()
    assert split_scan(number) == [number]
    assert split_scan(f"]C0{number}") == [f"]C0{number}"]


def test_two_ticket_numbers_with_no_enter_between_are_two_scans() -> None:
    first, second = new_ticket_number(), new_ticket_number()
    assert split_scan(first + second) == [first, second]
    assert split_scan(f"]C0{first}]C0{second}") == [first, second]


def test_signed_codes_and_numbers_merged_in_any_order_are_cut_by_format() -> None:
    venue = VenueSnapshot()
    a, b = venue.issue(VenueSnapshot.SINGLE), venue.issue(VenueSnapshot.TRIPLE)
    assert split_scan(a.code + b.code) == [a.code, b.code]
    assert split_scan(a.code + b.number + b.code.lower()) == [a.code, b.number, b.code]
    assert split_scan(a.number + a.code) == [a.number, a.code]


def test_an_unsplittable_string_comes_back_whole_to_be_shown_as_a_misread() -> None:
    number = new_ticket_number()
    broken = number + number[:7]  # the second scan was cut short
    assert split_scan(broken) == [broken]
    assert split_scan("hello-world?!") == ["hello-world?!"]


def test_a_pause_between_two_bursts_cuts_a_misread_from_the_next_scan() -> None:
    number = new_ticket_number()
    misread = "4711X0815"
    raw = misread + number
    assert split_scan(raw) == [raw]  # the format alone cannot cut it
    assert split_scan(raw, scanner_times(misread, number)) == [misread, number]


def test_a_person_typing_slowly_is_never_cut() -> None:
    typed = "12345678"
    slow = [100.0 + 0.2 * i for i in range(len(typed))]
    assert timing_pieces(typed, slow) == [typed]
    assert split_scan(typed, slow) == [typed]
    # Two fast keys in a row are still typing, not a scanner.
    bursty = [100.0, 100.01, 100.3, 100.31, 100.6, 100.9, 101.2, 101.21]
    assert timing_pieces(typed, bursty) == [typed]


def test_a_scanner_that_hesitates_mid_code_still_scans_one_code() -> None:
    number = new_ticket_number()
    times = scanner_times(number[:6], number[6:], gap=0.2)
    assert split_scan(number, times) == [number]


def test_a_scan_is_told_from_a_person_typing_a_pin() -> None:
    number = new_ticket_number()
    assert is_scanned(number, scanner_times(number))
    assert not is_scanned(number, [100.0 + 0.15 * i for i in range(13)])  # a person typing it
    assert not is_scanned("2468", scanner_times("2468"))  # fast, but a PIN is no code
    assert not is_scanned("lost ticket", scanner_times("lost ticket"))
    assert is_scanned("X7K2L9P0Q4R8T5V", scanner_times("X7K2L9P0Q4R8T5V"))  # a long misread
