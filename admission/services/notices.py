"""Notices: a message from the venue's admin to every gate and box office, with an end time.

A notice always ends by itself ("Card payments are down, cash only" must not outlive the
outage because nobody remembered to remove it), so an end time is required and bounded. It
travels in the change feed as kind "notice": clients show it until `ends_at`, or until a
later change of the same key says it is no longer active (ended early).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from admission.contract import NoticeData, NoticeIn, NoticeOut
from admission.db.models import Device, Notice
from admission.domain.errors import ConflictError, InvalidRequestError, NotFoundError
from admission.services import feed

LONGEST_NOTICE = timedelta(days=31)


def is_active(notice: Notice, now: datetime) -> bool:
    return notice.starts_at <= now and (notice.ends_at is None or now < notice.ends_at)


def notice_out(notice: Notice, author: str | None, now: datetime) -> NoticeOut:
    return NoticeOut(
        id=notice.id,
        message=notice.message,
        starts_at=notice.starts_at,
        ends_at=notice.ends_at,
        created_at=notice.created_at,
        created_by=author,
        active=is_active(notice, now),
    )


def notice_data(notice: Notice, now: datetime) -> NoticeData:
    return NoticeData(
        id=notice.id, message=notice.message, ends_at=notice.ends_at, active=is_active(notice, now)
    )


def _check_end(ends_at: datetime, now: datetime) -> None:
    if ends_at.tzinfo is None:
        raise InvalidRequestError("ends_at must carry a UTC offset, e.g. 2026-06-01T18:00:00+02:00")
    if ends_at <= now:
        raise InvalidRequestError("ends_at is in the past: a notice must end in the future")
    if ends_at > now + LONGEST_NOTICE:
        raise InvalidRequestError(f"a notice may last at most {LONGEST_NOTICE.days} days")


async def _author(session: AsyncSession, device_id: int | None) -> str | None:
    if device_id is None:
        return None
    return await session.scalar(select(Device.name).where(Device.id == device_id))


async def create_notice(
    session: AsyncSession, data: NoticeIn, device_id: int | None, now: datetime | None = None
) -> NoticeOut:
    """Show a notice on every client from now until `ends_at`."""
    now = now or datetime.now(UTC)
    _check_end(data.ends_at, now)
    message = data.message.strip()
    if not message or len(message) > 500 or "\x00" in message:  # structs built in Python skip Meta
        raise InvalidRequestError("a notice needs a message of 1 to 500 characters")
    notice = Notice(
        message=message,
        starts_at=now,
        ends_at=data.ends_at,
        created_at=now,
        created_by=device_id,
    )
    session.add(notice)
    await session.flush()
    await feed.emit(session, "notice", str(notice.id), notice_data(notice, now))
    return notice_out(notice, await _author(session, device_id), now)


async def list_notices(
    session: AsyncSession, active_only: bool = False, now: datetime | None = None
) -> list[NoticeOut]:
    """Notices, newest first; `active_only`: those showing now."""
    now = now or datetime.now(UTC)
    statement = select(Notice, Device.name).outerjoin(Device, Device.id == Notice.created_by)
    if active_only:
        statement = statement.where(
            Notice.starts_at <= now, Notice.ends_at.is_(None) | (Notice.ends_at > now)
        )
    rows = await session.execute(statement.order_by(Notice.created_at.desc(), Notice.id.desc()))
    return [notice_out(notice, author, now) for notice, author in rows]


async def end_notice(session: AsyncSession, notice_id: int, now: datetime | None = None) -> NoticeOut:
    """End a notice before its time; clients learn it from the change feed."""
    now = now or datetime.now(UTC)
    notice = await session.scalar(select(Notice).where(Notice.id == notice_id).with_for_update())
    if notice is None:
        raise NotFoundError(f"no notice {notice_id}")
    if not is_active(notice, now):
        raise ConflictError("this notice has ended already")
    notice.ends_at = now
    await session.flush()
    await feed.emit(session, "notice", str(notice.id), notice_data(notice, now))
    return notice_out(notice, await _author(session, notice.created_by), now)
