"""How a period's scans break down: by verdict and reason, and by the way they reached the
service (online, retroactively from gate clients, imported, ...)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from admission.contract import ReasonRow, ReasonsReport, SourceRow, SourcesReport
from admission.db.models import Scan
from admission.i18n import N_
from admission.services.reports.counting import ADMITTED, REJECTED, check_gate, count_if, in_scope, share_of
from admission.services.reports.periods import Period, report_heading

# The API answers with these English words; the commands and the dashboard show them translated.
SOURCE_LABELS = {
    "online": N_("online at the gate"),
    "offline": N_("retroactive from gate clients"),
    "import": N_("imported scan logs"),
    "override": N_("supervisor override"),
    "auto_exit": N_("automatic exit at closing"),
}


async def reasons_report(session: AsyncSession, period: Period, gate: str | None = None) -> ReasonsReport:
    """Scans admitted and rejected, by reason."""
    await check_gate(session, gate)
    rows = (
        await session.execute(
            select(Scan.verdict, Scan.reason, func.count())
            .where(*in_scope(period, gate))
            .group_by(Scan.verdict, Scan.reason)
        )
    ).all()
    total = sum(int(count) for *_, count in rows)
    ordered = sorted(rows, key=lambda r: (r[0] != "admit", -int(r[2]), r[1]))
    return ReasonsReport(
        **report_heading("reasons", period, period.tz, gate=gate),
        admitted=sum(int(c) for v, _, c in rows if v == "admit"),
        rejected=sum(int(c) for v, _, c in rows if v == "reject"),
        rows=[
            ReasonRow(verdict=v, reason=r, scans=int(c), share=share_of(int(c), total)) for v, r, c in ordered
        ],
    )


async def sources_report(session: AsyncSession, period: Period, gate: str | None = None) -> SourcesReport:
    """How scans reached the service: online, retroactively from gate clients, imported, ..."""
    await check_gate(session, gate)
    rows = await session.execute(
        select(Scan.source, count_if(ADMITTED), count_if(REJECTED), func.count())
        .where(*in_scope(period, gate))
        .group_by(Scan.source)
    )
    counts = {source: (int(a), int(r), int(n)) for source, a, r, n in rows}
    total = sum(n for *_, n in counts.values())
    order = [*SOURCE_LABELS, *sorted(set(counts) - set(SOURCE_LABELS))]
    return SourcesReport(
        **report_heading("sources", period, period.tz, gate=gate),
        rows=[
            SourceRow(
                source=source,
                label=SOURCE_LABELS.get(source, source),
                scans=counts.get(source, (0, 0, 0))[2],
                admitted=counts.get(source, (0, 0, 0))[0],
                rejected=counts.get(source, (0, 0, 0))[1],
                share=share_of(counts.get(source, (0, 0, 0))[2], total),
            )
            for source in order
            if source in counts or source in ("online", "offline", "import")
        ],
    )
