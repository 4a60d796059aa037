"""Tables. Matrix holds the truth about rooms; the database holds what Matrix cannot."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class KeyValue(Base):
    """Small facts of the running platform: the sync token, the first start time."""

    __tablename__ = "key_value"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class HandledEvent(Base):
    """The processed-event ledger: an event id here is never handled again."""

    __tablename__ = "handled_events"
    event_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    room_id: Mapped[str] = mapped_column(String(255), index=True)
    outcome: Mapped[str] = mapped_column(String(32))
    handled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PendingEncryptedEvent(Base):
    """An event the bot could not decrypt yet; kept (ciphertext only) until its key arrives."""

    __tablename__ = "pending_encrypted_events"
    event_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    room_id: Mapped[str] = mapped_column(String(255))
    session_id: Mapped[str] = mapped_column(String(255), index=True)
    source: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class RosterVersion(Base):
    """An accepted roster, as its validated YAML; append-only, the newest is current."""

    __tablename__ = "roster_versions"
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    document: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class GovernedRoom(Base):
    """A governed room's Matrix id, by meaning (`RoomRef.key`). Matrix's room markers are the
    truth; this is the platform's memory of them, rebuilt from the markers when lost."""

    __tablename__ = "governed_rooms"
    ref: Mapped[str] = mapped_column(String(64), primary_key=True)
    room_id: Mapped[str] = mapped_column(String(255), unique=True)
    governor: Mapped[str] = mapped_column(String(255))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AuditEntry(Base):
    """One command or enforcement action: who, what, where, the decision and why. Append-only;
    never message content (SPEC §6)."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(64))
    room: Mapped[str] = mapped_column(String(255))
    target: Mapped[str] = mapped_column(String(255))
    decision: Mapped[str] = mapped_column(String(16))
    rule: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)


class PublishedDocument(Base):
    """A version of a document published in a folder room (SPEC §3's registry)."""

    __tablename__ = "published_documents"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    folder: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(Text)
    file_name: Mapped[str] = mapped_column(String(255), index=True)
    version: Mapped[int] = mapped_column(Integer)
    symbol: Mapped[str | None] = mapped_column(String(255), nullable=True)
    classification: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(16))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    mimetype: Mapped[str] = mapped_column(String(255))
    publisher: Mapped[str] = mapped_column(String(255))
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    source_event_id: Mapped[str] = mapped_column(String(255), unique=True)
    room_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    event_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    file_info: Mapped[str | None] = mapped_column(Text, nullable=True)


class ProposalRecord(Base):
    """A delegation's proposal on a document; a later one supersedes it, both stay on record."""

    __tablename__ = "proposals"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    delegation: Mapped[str] = mapped_column(String(8), index=True)
    base_file_name: Mapped[str] = mapped_column(String(255), index=True)
    base_version: Mapped[int] = mapped_column(Integer)
    file_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    submitted_by: Mapped[str] = mapped_column(String(255))
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    source_event_id: Mapped[str] = mapped_column(String(255), unique=True)
    changes: Mapped[int] = mapped_column(Integer)
    paragraphs: Mapped[str] = mapped_column(Text)
    superseded_by: Mapped[int | None] = mapped_column(Integer, nullable=True)


class ParagraphStatus(Base):
    """A paragraph agreed ad referendum or approved (shown in the next compilation matrix)."""

    __tablename__ = "paragraph_statuses"
    base_file_name: Mapped[str] = mapped_column(String(255), primary_key=True)
    paragraph: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(32))
    meeting: Mapped[str | None] = mapped_column(String(64), nullable=True)
    set_by: Mapped[str] = mapped_column(String(255))
    set_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SuggestionRecord(Base):
    """A reference document a delegation suggested; the Chair accepts or declines it."""

    __tablename__ = "suggestions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    delegation: Mapped[str] = mapped_column(String(8))
    file_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    mimetype: Mapped[str] = mapped_column(String(255))
    suggested_by: Mapped[str] = mapped_column(String(255))
    suggested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    source_event_id: Mapped[str] = mapped_column(String(255), unique=True)
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(255), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class PinnedIdentity(Base):
    """A person's cross-signing identity as the platform first saw it (room_policies.trust T4),
    and a different one the keys showed later, until a Chair re-trusts it (T5)."""

    __tablename__ = "pinned_identities"
    user_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    master_key: Mapped[str] = mapped_column(String(64))
    self_signing_key: Mapped[str] = mapped_column(String(64))
    pinned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    pinned_by: Mapped[str] = mapped_column(
        String(255)
    )  # "first sight", or the Chair who re-trusted
    changed_master_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    changed_self_signing_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class PersonLanguage(Base):
    """The language a person chose with `!lang`; without one, the working group's language."""

    __tablename__ = "person_languages"
    user_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    language: Mapped[str] = mapped_column(String(8))
    chosen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SupportTicket(Base):
    """A request to the Technical Secretariat (`!support`, SPEC seed V), by number.

    Only who, where, when and the events' ids: the request's text and file stay in the
    end-to-end-encrypted rooms, never in the database the server's operator can read."""

    __tablename__ = "support_tickets"
    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    requester: Mapped[str] = mapped_column(String(255), index=True)
    room_id: Mapped[str] = mapped_column(String(255))  # the direct room the request came from
    request_event_id: Mapped[str] = mapped_column(String(255), unique=True)
    ticket_event_id: Mapped[str | None] = mapped_column(String(255), nullable=True, unique=True)
    has_attachment: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16))  # "open" or "closed"
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    closed_by: Mapped[str | None] = mapped_column(String(255), nullable=True)


class SupportAnswer(Base):
    """A Secretariat member's reply to a ticket, relayed to the person who asked."""

    __tablename__ = "support_answers"
    answer_event_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    ticket_number: Mapped[int] = mapped_column(
        Integer, ForeignKey("support_tickets.number"), index=True
    )
    responder: Mapped[str] = mapped_column(String(255))
    relayed_event_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    answered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Welcome(Base):
    """The guide the platform sent a person the first time they joined (sent once)."""

    __tablename__ = "welcomes"
    user_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    role: Mapped[str] = mapped_column(String(32))
    room_id: Mapped[str] = mapped_column(String(255))  # their desk, or a direct room
    welcomed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RoundRecord(Base):
    """A round of the virtual discussion on one version of a document (SPEC §4,
    documents/rounds.py). `!round close` moves `closes_at` to now; `!round extend` later."""

    __tablename__ = "rounds"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    document: Mapped[str] = mapped_column(String(255), index=True)  # the base file name
    version: Mapped[int] = mapped_column(Integer)
    opens_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closes_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reminders: Mapped[str] = mapped_column(String(255))  # seconds before the close: "259200,…"
    meeting: Mapped[str | None] = mapped_column(String(32), nullable=True)  # YYYY-MM-DD
    opened_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    source_event_id: Mapped[str] = mapped_column(String(255), unique=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    cancelled_by: Mapped[str | None] = mapped_column(String(255), nullable=True)


class RoundStep(Base):
    """A step of a round already taken (its opening, a reminder, its close): never taken twice."""

    __tablename__ = "round_steps"
    round_id: Mapped[int] = mapped_column(Integer, ForeignKey("rounds.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(32), primary_key=True)  # documents.rounds.Step.key
    taken_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ParagraphStatusChange(Base):
    """Each status a paragraph took, in order (`!history`); `paragraph_statuses` is the last."""

    __tablename__ = "paragraph_status_history"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    base_file_name: Mapped[str] = mapped_column(String(255), index=True)
    paragraph: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(32))
    meeting: Mapped[str | None] = mapped_column(String(64), nullable=True)
    version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    round_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    set_by: Mapped[str] = mapped_column(String(255))
    set_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
