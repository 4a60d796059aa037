"""Links, fields and other outside content in the XML parts of an untrusted package.

`ContentScanner` reads one part with lxml's pull parser, after `XmlScanner`
(`documents.xml_scan`) has passed its bytes, holding one paragraph at a time, and refuses what
would fetch or run outside content when the document is opened or updated: a field such as
`INCLUDETEXT` or `DDE`, a `HYPERLINK` field or a VML shape link that `documents.links` refuses, a
VML picture fetched from outside, a mail-merge data source, a DDE or OLE link of a workbook.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from documents import refusals
from documents.errors import DocumentRefused, Reason, RefusalCode
from documents.links import judge_field, judge_link, keyword_settled
from documents.refusals import RESAVE, Where, quoted

__all__ = ["ContentScanner"]

_VML = "urn:schemas-microsoft-com:vml"
_OFFICE = "urn:schemas-microsoft-com:office:office"
# The only elements the content scanner is told about. Paragraphs are there so that what has been
# read can be freed as the parser goes: the scan holds one paragraph at a time, not the part.
_CONTENT_TAGS = (
    "{*}p", "{*}fldChar", "{*}instrText", "{*}delInstrText", "{*}fldSimple", "{*}mailMerge",
    "{*}ddeLink", "{*}oleLink", f"{{{_VML}}}*", f"{{{_OFFICE}}}*",
)  # fmt: skip
_CHANGES = frozenset({"ins", "moveTo", "del", "moveFrom"})


@dataclass
class _ComplexField:
    """A complex field being read: its instruction as it reads with every tracked change
    accepted (inserted and kept text) and rejected (deleted and kept text)."""

    accepted: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    judged: bool = False
    nested: bool = False  # another field begins in its code


class ContentScanner:
    """Reads one XML part with lxml's pull parser, after `XmlScanner` has passed its bytes, and
    refuses what would fetch or run outside content: a field such as `INCLUDETEXT` or `DDE`, a
    `HYPERLINK` field or a VML shape link that `judge_link` refuses, a VML picture fetched from
    outside (`src`), a mail-merge data source, a DDE or OLE link of a workbook.

    A complex field's instruction is the text of its `w:instrText` (and `w:delInstrText`) runs
    between its `begin` and `separate` characters, which Word may split over many runs; it is
    judged as it reads with every tracked change accepted and with every one rejected. Fields may
    nest. `strict` parts (WordprocessingML) must be well-formed, as Word requires; others (VML,
    which Office writes loosely) are read the forgiving way, as Office reads them.
    """

    def __init__(self, part: str, where: Where, *, strict: bool) -> None:
        self.part = part
        self.where = where
        self.strict = strict
        self._parser: Any = None  # made when the first bytes come
        self._stopped = False
        self._fields: list[_ComplexField] = []

    def feed(self, chunk: bytes) -> None:
        if self._stopped:
            return
        if self._parser is None:
            self._parser = etree.XMLPullParser(
                events=("start", "end"),
                tag=_CONTENT_TAGS,
                resolve_entities=False,
                no_network=True,
                huge_tree=False,
                load_dtd=False,
                remove_comments=True,
                remove_pis=True,
                recover=not self.strict,
            )
        try:
            self._parser.feed(chunk)
        except etree.XMLSyntaxError as error:
            self._malformed(error)
        self._drain()

    def close(self) -> None:
        if self._parser is not None:
            try:
                self._parser.close()
            except etree.XMLSyntaxError as error:
                self._malformed(error)
            self._drain()
            self._parser = None
        self._stopped = True
        for open_field in self._fields:  # a field never closed is judged as it stands
            if not open_field.judged:
                self._judge(open_field)

    def _malformed(self, error: etree.XMLSyntaxError) -> None:
        self._drain()  # what was read before the damage is judged first
        if self.strict:
            raise DocumentRefused(
                RefusalCode.CORRUPT,
                f"The internal part {quoted(self.part)} of the file is damaged (it is not "
                f"well-formed XML); {RESAVE}.",
                detail=str(error)[:200],
                why=Reason.PART_DAMAGED,
                params={"part": quoted(self.part)},
            )
        self._parser = None  # a loose part's scan ends where even a forgiving reader stops
        self._stopped = True

    def _drain(self) -> None:
        if self._parser is None:
            return
        for event, element in self._parser.read_events():
            tag = element.tag
            if not isinstance(tag, str):
                continue
            namespace, _, local = tag[1:].partition("}") if tag[:1] == "{" else ("", "", tag)
            if event == "start":
                self._start(namespace, local, element)
            else:
                self._end(namespace, local, element)

    def _start(self, namespace: str, local: str, element: Any) -> None:
        if namespace in (_VML, _OFFICE):
            self._shape(element)
        elif local == "fldChar":
            self._field_char(_attribute(element, "fldCharType"))
        elif local == "fldSimple":
            self._judge_instruction(_attribute(element, "instr"))
        elif local == "mailMerge":
            raise refusals.mail_merge()
        elif local in ("ddeLink", "oleLink"):
            raise refusals.external_link(self.where)

    def _end(self, namespace: str, local: str, element: Any) -> None:
        if namespace in (_VML, _OFFICE):
            pass
        elif local in ("instrText", "delInstrText"):
            text = etree.tostring(element, method="text", encoding="unicode", with_tail=False)
            # In a tracked insertion or deletion: its run's ancestors say (a paragraph, which
            # holds them, is only freed at its end).
            changes = {etree.QName(a).localname for a in element.iterancestors()} & _CHANGES
            deleted = local == "delInstrText" or bool(changes & {"del", "moveFrom"})
            self._instruction(text, deleted=deleted, inserted=bool(changes & {"ins", "moveTo"}))
        elif local == "p":
            # Free what has been read: this paragraph's content and the paragraphs before it.
            element.clear(keep_tail=False)
            parent = element.getparent()
            if parent is not None:
                while element.getprevious() is not None:
                    del parent[0]

    def _field_char(self, kind: str) -> None:
        kind = kind.strip().lower()
        if kind == "begin":
            if self._fields and not self._fields[-1].judged:
                self._nested_in(self._fields[-1])
            self._fields.append(_ComplexField())
        elif kind == "separate" and self._fields:
            current = self._fields[-1]
            if not current.judged:
                self._judge(current)
        elif kind == "end" and self._fields:
            current = self._fields.pop()
            if not current.judged:
                self._judge(current)

    def _instruction(self, text: str, *, deleted: bool, inserted: bool) -> None:
        if not self._fields or self._fields[-1].judged:
            # Instruction text outside a field's code: judged on its own, in case a reader
            # takes it for a field.
            self._judge_instruction(text)
            return
        current = self._fields[-1]
        if not deleted:
            current.accepted.append(text)
        if not inserted:
            current.rejected.append(text)

    def _nested_in(self, outer: _ComplexField) -> None:
        """A field begins in another's code, where its result will be read as code."""
        outer.nested = True
        for code in ("".join(outer.accepted), "".join(outer.rejected)):
            if not keyword_settled(code):
                raise DocumentRefused(
                    RefusalCode.EXTERNAL_FIELD,
                    f"The document contains a field {self.where.english} whose instruction is "
                    "assembled from other fields, a way of hiding a field that fetches or runs "
                    "outside content; replace the field by its result (select it and press "
                    "Ctrl+Shift+F9) and send the document again.",
                    detail=f"a field's keyword built by a nested field in {self.part}",
                    why=Reason.NESTED_FIELD,
                    params=self.where.params(),
                )

    def _judge(self, current: _ComplexField) -> None:
        current.judged = True
        self._judge_instruction("".join(current.accepted), nested=current.nested)
        self._judge_instruction("".join(current.rejected), nested=current.nested)

    def _judge_instruction(self, instruction: str, *, nested: bool = False) -> None:
        verdict = judge_field(instruction, nested=nested)
        if verdict is None:
            return
        if verdict.link is not None:
            detail = f"HYPERLINK field in {self.part}"
            raise refusals.dangerous_link(verdict.link, self.where, detail=detail)
        raise refusals.external_field(verdict.keyword, self.where, self.part)

    def _shape(self, element: Any) -> None:
        for name, value in element.attrib.items():
            local = name.rsplit("}", 1)[-1]
            if local == "href":
                problem = judge_link(value)
                if problem is not None:
                    raise refusals.dangerous_link(
                        problem, self.where, detail=f"VML href in {self.part}"
                    )
            elif local == "src" and value.strip():
                raise refusals.linked_picture(self.where, self.part)


def _attribute(element: Any, local: str) -> str:
    """An attribute by its local name, in whatever namespace (transitional or strict OOXML)."""
    for name, value in element.attrib.items():
        if name.rsplit("}", 1)[-1] == local:
            return str(value)
    return ""
