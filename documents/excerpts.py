"""What a delegate reads of a proposal in the chat, without opening Word (issue #14).

A proposal's changes, paragraph by paragraph, as marked pieces `(text, kind)` — kind "same",
"inserted" or "deleted" — with only the few words around each change kept (`brief`): the
receipt's excerpt of each touched paragraph (`proposal_changes`), every change of a standing
proposal (`!show`), a paragraph's story (`!history`) and the alternatives of each conflict of a
compilation (`conflict_views`) are all cut from the same pieces. `commands/` renders them
(`{+inserted+}` and `[-deleted-]` in the plain body, underlined and struck in HTML).

`marked_pieces` and `rows_of` are also the compilation matrix's: its row of a paragraph shows
the same pieces.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from documents.edits import PARA, Conflict, Edit, Stream, base_stream, home_paragraph
from documents.proposals import numbering
from documents.wire import Json, WireError, field, objects, strings

__all__ = [
    "CONTEXT_WORDS",
    "LONGEST",
    "ConflictView",
    "MarkedParagraph",
    "Piece",
    "brief",
    "conflict_views",
    "marked_pieces",
    "proposal_changes",
    "rows_of",
]

Piece = tuple[str, str]  # (text, "same" | "inserted" | "deleted")
KINDS = ("same", "inserted", "deleted")
CONTEXT_WORDS = 5  # unchanged words kept either side of a change
LONGEST = 400  # characters of one paragraph's excerpt, at most (None: every change, whole)
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class MarkedParagraph:
    """A paragraph a proposal changes: its number (as the matrix numbers them; what it inserts
    after a paragraph is in that paragraph's excerpt) and its marked pieces."""

    paragraph: str
    pieces: tuple[Piece, ...]

    def to_json(self) -> Json:
        return {"paragraph": self.paragraph, "pieces": [[t, k] for t, k in self.pieces]}

    @classmethod
    def from_json(cls, data: Json) -> MarkedParagraph:
        return cls(field(data, "paragraph", str), tuple(pieces_from(field(data, "pieces", list))))


@dataclass(frozen=True)
class ConflictView:
    """A conflict of a compilation: the paragraph, and each alternative — the delegations that
    proposed it, and the words around the conflict as that alternative has them."""

    paragraph: str
    alternatives: tuple[tuple[tuple[str, ...], tuple[Piece, ...]], ...]

    def to_json(self) -> Json:
        return {
            "paragraph": self.paragraph,
            "alternatives": [
                {"codes": list(codes), "pieces": [[t, k] for t, k in pieces]}
                for codes, pieces in self.alternatives
            ],
        }

    @classmethod
    def from_json(cls, data: Json) -> ConflictView:
        alternatives = []
        for a in objects(data, "alternatives"):
            pieces = tuple(pieces_from(field(a, "pieces", list)))
            alternatives.append((tuple(strings(a, "codes")), pieces))
        return cls(field(data, "paragraph", str), tuple(alternatives))


def pieces_from(raw: list[object]) -> list[Piece]:
    """Marked pieces read back from JSON, strictly."""
    out: list[Piece] = []
    for piece in raw:
        if not (isinstance(piece, list) and len(piece) == 2):
            raise WireError("a marked piece is malformed")
        text, kind = piece
        if not isinstance(text, str) or kind not in KINDS:
            raise WireError("a marked piece is malformed")
        out.append((text, str(kind)))
    return out


def rows_of(numbers: Sequence[int | None]) -> dict[int, int]:
    """Each paragraph's row: its own if numbered, else that of the numbered paragraph before it
    (the first numbered one for what comes before it)."""
    rows = [i for i, n in enumerate(numbers) if n is not None]
    row_of = {i: i for i in rows}
    last = rows[0] if rows else 0
    for i in range(len(numbers)):
        if numbers[i] is not None:
            last = i
        row_of[i] = last
    return row_of


def marked_pieces(stream: Stream, index: int, edits: Sequence[Edit]) -> list[Piece]:
    """The delegation's version of the row `index`'s paragraph(s) as (text, kind) pieces, kind
    "same", "deleted" or "inserted"; empty pieces left out."""
    first = stream.starts[index]
    end = max([first, *(e.end for e in edits)])
    ends = [*stream.starts[1:], len(stream.tokens)]
    end = max(end, ends[index])
    position = min([first, *(e.start for e in edits)])
    pieces: list[Piece] = []
    for edit in sorted(edits):
        pieces.append(("".join(stream.tokens[position : edit.start]), "same"))
        pieces.append(("".join(stream.tokens[edit.start : edit.end]), "deleted"))
        pieces.append(("".join(edit.tokens), "inserted"))
        position = edit.end
    pieces.append(("".join(stream.tokens[position:end]), "same"))
    # The row's own closing break is not shown; breaks inside a proposal (new paragraphs) are
    # line breaks, marked ¶ where they are inserted or deleted.
    while pieces and pieces[-1][0].endswith(PARA) and pieces[-1][1] == "same":
        pieces[-1] = (pieces[-1][0][: -len(PARA)], "same")
    marked = [
        (text.replace(PARA, "\n" if kind == "same" else " ¶\n"), kind) for text, kind in pieces
    ]
    return [(text, kind) for text, kind in marked if text]


def _first_words(text: str, count: int) -> str:
    """`text` up to the end of its `count`th word."""
    words = list(_WORD.finditer(text))
    return text if len(words) <= count else text[: words[count - 1].end()]


def _last_words(text: str, count: int) -> str:
    """`text` from the start of its `count`th word from the end."""
    words = list(_WORD.finditer(text))
    return text if len(words) <= count else text[words[-count].start() :]


def brief(pieces: Sequence[Piece], longest: int | None = LONGEST) -> list[Piece]:
    """Marked pieces with unchanged text kept only near the changes (`CONTEXT_WORDS` words
    either side, "…" for what is left out) and, unless `longest` is None, the whole cut to
    about `longest` characters (then "…")."""
    out: list[Piece] = []
    last = len(pieces) - 1
    for k, (text, kind) in enumerate(pieces):
        if kind == "same" and len(_WORD.findall(text)) > 2 * CONTEXT_WORDS:
            head = "" if k == 0 else _first_words(text, CONTEXT_WORDS)
            tail = "" if k == last else _last_words(text, CONTEXT_WORDS)
            text = f"{head}…{tail}"
        out.append((text, kind))
    if longest is None:
        return out
    shown: list[Piece] = []
    room = longest
    for text, kind in out:
        if room <= 0:
            shown.append(("…", "same"))
            break
        shown.append((text[:room] + ("…" if len(text) > room else ""), kind))
        room -= len(text)
    return shown


def _label(numbers: Sequence[int | None], row: int) -> str:
    number = numbers[row] if row < len(numbers) else None
    return "" if number is None else str(number)


def proposal_changes(
    texts: Sequence[str], edits: Sequence[Edit], longest: int | None = LONGEST
) -> list[MarkedParagraph]:
    """Each paragraph of the base (`texts`, its accept view) that `edits` change, in order,
    with its marked excerpt (`brief`)."""
    stream = base_stream(texts)
    numbers = numbering(texts)
    row_of = rows_of(numbers)
    grouped: dict[int, list[Edit]] = {}
    for edit in edits:
        grouped.setdefault(row_of[home_paragraph(stream, edit)], []).append(edit)
    return [
        MarkedParagraph(
            _label(numbers, row), tuple(brief(marked_pieces(stream, row, grouped[row]), longest))
        )
        for row in sorted(grouped)
    ]


def _within(start: int, span: Sequence[str], alternative: Sequence[str]) -> list[Edit]:
    """One alternative of a conflict as the fewest edits of its span (word by word)."""
    matcher = SequenceMatcher(None, list(span), list(alternative), autojunk=False)
    return [
        Edit(start + i1, start + i2, tuple(alternative[j1:j2]))
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag != "equal"
    ]


def conflict_views(
    stream: Stream, numbers: Sequence[int | None], conflicts: Sequence[Conflict]
) -> list[ConflictView]:
    """Each conflict's alternatives, each as the words around the conflict with its change."""
    row_of = rows_of(numbers)
    views = []
    for conflict in conflicts:
        row = row_of[stream.paragraph_of(min(conflict.start, len(stream.tokens) - 1))]
        span = stream.tokens[conflict.start : conflict.end]
        views.append(
            ConflictView(
                _label(numbers, row),
                tuple(
                    (
                        tuple(codes),
                        tuple(
                            brief(
                                marked_pieces(
                                    stream, row, _within(conflict.start, span, alternative)
                                )
                            )
                        ),
                    )
                    for alternative, codes in conflict.alternatives
                ),
            )
        )
    return views
