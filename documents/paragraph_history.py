"""A paragraph's story across the versions of a document (`!history`, issue #12): its text at
each version, and each delegation's proposal on it in the round on that version.

A paragraph is named as delegates cite it: its number (`12`, as the compilation matrix numbers
the non-empty paragraphs) or the label a compilation gave a new paragraph (`12 bis`, which the
next version carries at the start of its text). The name is looked up in the newest version
that has it, and the paragraph followed from version to version: consecutive versions are
aligned paragraph by paragraph (`difflib`), a changed paragraph continuing the one it most
resembles. A new paragraph (`12 bis`) has no text before the version it entered; in the round
before, the proposals that made it are those on the paragraph it follows, as in the matrix.

`history_job` is the engine's job (run in the parsing child like the others, bytes in, plain
JSON out); the rest is pure.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from documents.edits import base_stream, home_paragraph
from documents.errors import DocumentRefused
from documents.excerpts import brief, marked_pieces, proposal_changes, rows_of
from documents.limits import Limits
from documents.proposals import check_proposal, numbering, read_base
from documents.revision_pieces import ORDINALS
from documents.wire import Json

__all__ = [
    "Reference",
    "align",
    "brief",
    "history_job",
    "parse_reference",
    "show_job",
    "trace",
]

_REFERENCE = re.compile(r"^\s*(\d{1,5})(?:\s*(" + "|".join(ORDINALS) + r"))?\s*\.?\s*$", re.I)
_SIMILAR = 0.5  # how alike a changed paragraph must be to continue one of the version before


@dataclass(frozen=True)
class Reference:
    number: int
    suffix: str | None = None  # "bis", "ter", …

    @property
    def label(self) -> str:
        return f"{self.number} {self.suffix}" if self.suffix else str(self.number)

    def found_in(self, texts: Sequence[str]) -> int | None:
        """The index of the paragraph this names among a version's paragraphs, if any."""
        numbers = numbering(texts)
        if self.suffix is None:
            return next((i for i, n in enumerate(numbers) if n == self.number), None)
        label = re.compile(rf"^\s*{self.number}\s+{self.suffix}\b", re.I)
        return next((i for i, t in enumerate(texts) if label.match(t)), None)


def parse_reference(text: str) -> Reference | None:
    """`12`, `12 bis`, `12bis`, `12 ter.` → the reference; None if it names no paragraph."""
    match = _REFERENCE.match(text)
    if match is None or int(match.group(1)) < 1:
        return None
    suffix = match.group(2)
    return Reference(int(match.group(1)), suffix.lower() if suffix else None)


def align(old: Sequence[str], new: Sequence[str]) -> dict[int, int]:
    """Each paragraph of `new` (by index) that continues one of `old`: unchanged, or changed
    but most like it. Empty paragraphs are not aligned."""
    old_kept = [i for i, t in enumerate(old) if t.strip()]
    new_kept = [j for j, t in enumerate(new) if t.strip()]
    matcher = difflib.SequenceMatcher(
        None, [old[i] for i in old_kept], [new[j] for j in new_kept], autojunk=False
    )
    links: dict[int, int] = {}
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            links.update({new_kept[j1 + k]: old_kept[i1 + k] for k in range(j2 - j1)})
        elif tag == "replace":
            free = list(range(i1, i2))
            for j in range(j1, j2):
                best, score = None, _SIMILAR
                for i in free:
                    ratio = difflib.SequenceMatcher(
                        None, old[old_kept[i]], new[new_kept[j]], autojunk=False
                    ).ratio()
                    if ratio >= score:
                        best, score = i, ratio
                if best is not None:
                    links[new_kept[j]] = old_kept[best]
                    free = [i for i in free if i > best]  # the order of paragraphs is kept
    return links


def trace(versions: Sequence[Sequence[str]], at: int, index: int) -> list[int | None]:
    """The paragraph's index in each version, followed back and forth from `index` in version
    `at` (None where it did not exist)."""
    where: list[int | None] = [None] * len(versions)
    where[at] = index
    for k in range(at, 0, -1):
        here = where[k]
        where[k - 1] = None if here is None else align(versions[k - 1], versions[k]).get(here)
    for k in range(at, len(versions) - 1):
        here = where[k]
        if here is None:
            break
        following = align(versions[k], versions[k + 1])
        where[k + 1] = next((j for j, i in following.items() if i == here), None)
    return where


def history_job(
    base_name: str,
    versions: Sequence[tuple[int, bytes]],
    proposals: Sequence[tuple[int, str, bytes]],
    paragraph: str,
    limits: Limits | None = None,
) -> Json:
    """The paragraph `paragraph` of `base_name` across `versions` ((version, bytes), oldest
    first) and the `proposals` ((base version, file name, bytes)) made on them:
    {"found": bool, "versions": [{"version", "number", "text"}],
     "proposals": [{"version", "code", "pieces": [[text, kind], …]}]}."""
    reference = parse_reference(paragraph)
    bases = [read_base(data, limits) for _, data in versions]
    texts = [base.accept_view() for base in bases]
    found = None
    if reference is not None:
        found = next(
            (
                (k, i)
                for k in range(len(texts) - 1, -1, -1)
                if (i := reference.found_in(texts[k])) is not None
            ),
            None,
        )
    if reference is None or found is None:
        return {"found": False, "versions": [], "proposals": []}
    where = trace(texts, *found)
    story: list[Json] = []
    rows: dict[int, int] = {}  # version → the row its proposals on the paragraph are in
    for k, (version, _) in enumerate(versions):
        index = where[k]
        numbers = numbering(texts[k])
        story.append(
            {
                "version": version,
                "number": None if index is None else numbers[index],
                "text": None if index is None else texts[k][index],
            }
        )
        if index is not None:
            rows[version] = index
        elif reference.suffix and k + 1 < len(versions) and where[k + 1] is not None:
            # A new paragraph: proposed in this round after the paragraph it follows.
            anchor = Reference(reference.number).found_in(texts[k])
            if anchor is not None:
                rows[version] = anchor
    changes: list[Json] = []
    position = {version: k for k, (version, _) in enumerate(versions)}
    for version, file_name, data in proposals:
        if version not in rows or version not in position:
            continue
        k = position[version]
        try:
            report = check_proposal(bases[k], base_name, data, file_name, None, limits)
        except DocumentRefused:
            continue  # a proposal the compilation would leave out is not part of the story
        stream = base_stream(texts[k])
        row_of = rows_of(numbering(texts[k]))
        edits = [e for e in report.edits if row_of[home_paragraph(stream, e)] == rows[version]]
        if edits:
            pieces = brief(marked_pieces(stream, rows[version], edits))
            changes.append(
                {
                    "version": version,
                    "code": report.delegation,
                    "pieces": [[text, kind] for text, kind in pieces],
                }
            )
    return {"found": True, "versions": story, "proposals": changes}


def show_job(
    base_name: str,
    base_data: bytes,
    file_name: str,
    data: bytes,
    paragraph: str | None = None,
    limits: Limits | None = None,
) -> Json:
    """Every change of a proposal on its base (`!show`), paragraph by paragraph, each with the
    words around it and nothing cut; only the paragraph numbered `paragraph` if given:
    {"found": bool, "paragraphs": [{"paragraph", "pieces": [[text, kind], …]}]} ("found" is
    False when `paragraph` names no paragraph of the base)."""
    base = read_base(base_data, limits)
    texts = base.accept_view()
    report = check_proposal(base, base_name, data, file_name, None, limits)
    changed = proposal_changes(texts, report.edits, longest=None)
    if paragraph is not None:
        reference = parse_reference(paragraph)
        if reference is None or reference.suffix or reference.number not in numbering(texts):
            return {"found": False, "paragraphs": []}
        changed = [c for c in changed if c.paragraph == str(reference.number)]
    return {"found": True, "paragraphs": [c.to_json() for c in changed]}
