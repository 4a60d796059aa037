"""Real `.docx` files from hand-written `w:body` XML, for tests.

`build(...)` starts from python-docx's default template (styles, numbering, settings and the
section properties stay real) and replaces the body of `word/document.xml`. The helpers write the
common snippets as Word writes them. They return `Xml`; a plain `str` given where content is
expected is text, made into a run (`r(text)`), so `p("The States ", ins("should"), " act.")`
reads as it prints.

Tabs and line breaks in text become `w:tab` and `w:br`.
"""

from __future__ import annotations

import itertools
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from io import BytesIO
from xml.sax.saxutils import escape, quoteattr

import docx

AUTHOR = "Antigua and Barbuda (AG)"
DATE = "2024-05-01T10:00:00Z"

_ids = itertools.count(1)


class Xml(str):
    """A snippet of WordprocessingML (as opposed to text)."""


Content = str  # an `Xml` snippet, or text


def _id() -> int:
    return next(_ids)


def _attrs(author: str | None, date: str | None) -> str:
    out = f' w:id="{_id()}"'
    if author is not None:
        out += f" w:author={quoteattr(author)}"
    if date is not None:
        out += f' w:date="{date}"'
    return out


def _pieces(text: str, tag: str) -> str:
    out = []
    for piece in re.split(r"([\t\n])", text):
        if piece == "\t":
            out.append("<w:tab/>")
        elif piece == "\n":
            out.append("<w:br/>")
        elif piece:
            out.append(f'<{tag} xml:space="preserve">{escape(piece)}</{tag}>')
    return "".join(out)


def _inline(content: Iterable[Content]) -> str:
    return "".join(c if isinstance(c, Xml) else r(c) for c in content)


# --- runs -------------------------------------------------------------------------------------


def r(text: str, *, rpr: str = "") -> Xml:
    """A run of text (`rpr`: the inner XML of its `w:rPr`)."""
    properties = f"<w:rPr>{rpr}</w:rPr>" if rpr else ""
    return Xml(f"<w:r>{properties}{_pieces(text, 'w:t')}</w:r>")


def deleted_run(text: str) -> Xml:
    return Xml(f"<w:r>{_pieces(text, 'w:delText')}</w:r>")


def run_xml(inner: str) -> Xml:
    """A run around raw run content (`<w:tab/>`, `<w:sym .../>`, `<w:drawing/>`...)."""
    return Xml(f"<w:r>{inner}</w:r>")


def tab() -> Xml:
    return run_xml("<w:tab/>")


def br(kind: str | None = None) -> Xml:
    return run_xml(f'<w:br w:type="{kind}"/>' if kind else "<w:br/>")


def cr() -> Xml:
    return run_xml("<w:cr/>")


def no_break_hyphen() -> Xml:
    return run_xml("<w:noBreakHyphen/>")


def soft_hyphen() -> Xml:
    return run_xml("<w:softHyphen/>")


def sym(char: str, font: str = "Symbol") -> Xml:
    return run_xml(f'<w:sym w:font="{font}" w:char="{char}"/>')


def formatted(text: str, author: str = AUTHOR, date: str = DATE) -> Xml:
    """Text made bold as a tracked formatting change (`w:rPrChange`)."""
    change = f"<w:rPrChange{_attrs(author, date)}><w:rPr/></w:rPrChange>"
    return r(text, rpr=f"<w:b/>{change}")


# --- tracked changes --------------------------------------------------------------------------


def ins(*content: Content, author: str | None = AUTHOR, date: str | None = DATE) -> Xml:
    return Xml(f"<w:ins{_attrs(author, date)}>{_inline(content)}</w:ins>")


def dele(*content: Content, author: str | None = AUTHOR, date: str | None = DATE) -> Xml:
    """A deletion; text is written as Word does, in `w:delText`."""
    inner = "".join(c if isinstance(c, Xml) else deleted_run(c) for c in content)
    return Xml(f"<w:del{_attrs(author, date)}>{inner}</w:del>")


def move_from(
    text: str, *, name: str = "move1", author: str = AUTHOR, date: str = DATE, ranged: bool = True
) -> Xml:
    """Moved-away text, with its range (Word writes moved text in `w:t`, not `w:delText`)."""
    wrapped = f"<w:moveFrom{_attrs(author, date)}>{r(text)}</w:moveFrom>"
    if not ranged:
        return Xml(wrapped)
    range_id = _id()
    start = f'<w:moveFromRangeStart w:id="{range_id}" w:name="{name}"'
    start += f' w:author={quoteattr(author)} w:date="{date}"/>'
    return Xml(f'{start}{wrapped}<w:moveFromRangeEnd w:id="{range_id}"/>')


def move_to(
    text: str, *, name: str = "move1", author: str = AUTHOR, date: str = DATE, ranged: bool = True
) -> Xml:
    wrapped = f"<w:moveTo{_attrs(author, date)}>{r(text)}</w:moveTo>"
    if not ranged:
        return Xml(wrapped)
    range_id = _id()
    start = f'<w:moveToRangeStart w:id="{range_id}" w:name="{name}"'
    start += f' w:author={quoteattr(author)} w:date="{date}"/>'
    return Xml(f'{start}{wrapped}<w:moveToRangeEnd w:id="{range_id}"/>')


def range_marker(kind: str, range_id: int, *, author: str = AUTHOR, date: str = DATE) -> Xml:
    """A bare move-range marker: kind `moveFromRangeStart`, `moveToRangeEnd`, ..."""
    if kind.endswith("Start"):
        who = f' w:author={quoteattr(author)} w:date="{date}" w:name="move{range_id}"'
        return Xml(f'<w:{kind} w:id="{range_id}"{who}/>')
    return Xml(f'<w:{kind} w:id="{range_id}"/>')


# --- paragraphs and blocks --------------------------------------------------------------------


def p(
    *content: Content,
    ins_mark: bool = False,
    del_mark: bool = False,
    mark: str | None = None,
    style: str | None = None,
    author: str | None = AUTHOR,
    date: str | None = DATE,
    ppr: str = "",
) -> Xml:
    """A paragraph. `ins_mark`/`del_mark` (or `mark`: `ins`, `del`, `moveFrom`, `moveTo`) track
    its paragraph mark; `ppr` is more `w:pPr` content (a `w:pPrChange`...)."""
    kind = mark or ("ins" if ins_mark else "del" if del_mark else None)
    properties = f'<w:pStyle w:val="{style}"/>' if style else ""
    properties += ppr
    if kind:
        properties += f"<w:rPr><w:{kind}{_attrs(author, date)}/></w:rPr>"
    ppr_xml = f"<w:pPr>{properties}</w:pPr>" if properties else ""
    return Xml(f"<w:p>{ppr_xml}{_inline(content)}</w:p>")


def ppr_change(author: str = AUTHOR, date: str = DATE) -> str:
    """`w:pPr` content: centred, as a tracked paragraph-formatting change."""
    return f'<w:jc w:val="center"/><w:pPrChange{_attrs(author, date)}><w:pPr/></w:pPrChange>'


def cell(*blocks: Content, cell_ins: bool = False, cell_del: bool = False) -> Xml:
    """A table cell (plain text is a paragraph of its own); empty, it gets an empty paragraph."""
    inner = "".join(b if isinstance(b, Xml) else p(b) for b in blocks) or p()
    tcpr = '<w:tcW w:w="2000" w:type="dxa"/>'
    if cell_ins:
        tcpr += f"<w:cellIns{_attrs(AUTHOR, DATE)}/>"
    if cell_del:
        tcpr += f"<w:cellDel{_attrs(AUTHOR, DATE)}/>"
    return Xml(f"<w:tc><w:tcPr>{tcpr}</w:tcPr>{inner}</w:tc>")


def row(*cells: Content, row_ins: bool = False, row_del: bool = False) -> Xml:
    kind = "ins" if row_ins else "del" if row_del else None
    trpr = f"<w:trPr><w:{kind}{_attrs(AUTHOR, DATE)}/></w:trPr>" if kind else ""
    inner = "".join(c if isinstance(c, Xml) else cell(c) for c in cells)
    return Xml(f"<w:tr>{trpr}{inner}</w:tr>")


def table(rows: Sequence[Content | Sequence[Content]]) -> Xml:
    """A table: each row a `row(...)`, or a list of cells (each a `cell(...)` or text)."""
    columns = max((len(x) for x in rows if not isinstance(x, str)), default=1)
    grid = "".join('<w:gridCol w:w="2000"/>' for _ in range(columns))
    body = "".join(x if isinstance(x, Xml) else row(*x) for x in rows)
    tblpr = '<w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:w="0" w:type="auto"/></w:tblPr>'
    return Xml(f"<w:tbl>{tblpr}<w:tblGrid>{grid}</w:tblGrid>{body}</w:tbl>")


def sdt(*content: Content, tag: str = "control", block: bool = False) -> Xml:
    """A content control, block-level (`block=True`: plain text becomes paragraphs) or
    run-level (plain text becomes runs)."""
    if block:
        inner = "".join(c if isinstance(c, Xml) else p(c) for c in content)
    else:
        inner = _inline(content)
    properties = f'<w:sdtPr><w:alias w:val="{tag}"/><w:tag w:val="{tag}"/><w:id w:val="{_id()}"/>'
    properties += "</w:sdtPr>"
    return Xml(f"<w:sdt>{properties}<w:sdtContent>{inner}</w:sdtContent></w:sdt>")


def hyperlink(*content: Content, anchor: str = "target") -> Xml:
    """An internal hyperlink (to a bookmark), so the package needs no relationship."""
    return Xml(f'<w:hyperlink w:anchor="{anchor}" w:history="1">{_inline(content)}</w:hyperlink>')


def field(code: Content, *result: Content) -> Xml:
    """A complex field: `begin`, the code (text, or runs holding nested fields), `separate`,
    the result runs, `end`."""
    code_xml = code if isinstance(code, Xml) else instr(code)
    return Xml(
        run_xml('<w:fldChar w:fldCharType="begin"/>')
        + code_xml
        + run_xml('<w:fldChar w:fldCharType="separate"/>')
        + _inline(result)
        + run_xml('<w:fldChar w:fldCharType="end"/>')
    )


def field_begin() -> Xml:
    return run_xml('<w:fldChar w:fldCharType="begin"/>')


def field_separate() -> Xml:
    return run_xml('<w:fldChar w:fldCharType="separate"/>')


def field_end() -> Xml:
    return run_xml('<w:fldChar w:fldCharType="end"/>')


def instr(code: str, *, deleted: bool = False) -> Xml:
    tag = "w:delInstrText" if deleted else "w:instrText"
    return run_xml(f'<{tag} xml:space="preserve"> {escape(code)} </{tag}>')


def simple_field(instruction: str, *result: Content) -> Xml:
    return Xml(f"<w:fldSimple w:instr={quoteattr(instruction)}>{_inline(result)}</w:fldSimple>")


def smart_tag(*content: Content, element: str = "place") -> Xml:
    uri = "urn:schemas-microsoft-com:office:smarttags"
    return Xml(f'<w:smartTag w:uri="{uri}" w:element="{element}">{_inline(content)}</w:smartTag>')


def custom_xml(*content: Content, element: str = "clause", block: bool = False) -> Xml:
    if block:
        inner = "".join(c if isinstance(c, Xml) else p(c) for c in content)
    else:
        inner = _inline(content)
    return Xml(
        f'<w:customXml w:uri="urn:plenaria:test" w:element="{element}">{inner}</w:customXml>'
    )


def comment_range(comment_id: int, *content: Content) -> Xml:
    """Text a comment is anchored on, with its reference (the comment's text goes to
    `build(comments=...)`)."""
    reference = run_xml(
        '<w:rPr><w:rStyle w:val="CommentReference"/></w:rPr>'
        f'<w:commentReference w:id="{comment_id}"/>'
    )
    return Xml(
        f'<w:commentRangeStart w:id="{comment_id}"/>{_inline(content)}'
        f'<w:commentRangeEnd w:id="{comment_id}"/>{reference}'
    )


def text_box(*paragraphs: Content) -> Xml:
    """A run holding a VML text box (`w:pict/v:shape/v:textbox/w:txbxContent`)."""
    inner = "".join(x if isinstance(x, Xml) else p(x) for x in paragraphs)
    return run_xml(
        '<w:pict><v:shape id="box" style="width:100pt;height:50pt" type="#_x0000_t202">'
        f"<v:textbox><w:txbxContent>{inner}</w:txbxContent></v:textbox></v:shape></w:pict>"
    )


def drawing() -> Xml:
    """A run holding an (empty) drawing: content without text."""
    return run_xml("<w:drawing/>")


# --- the package ------------------------------------------------------------------------------


@cache
def _template() -> bytes:
    out = BytesIO()
    docx.Document().save(out)
    return out.getvalue()


_COMMENTS_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.comments+xml"
_COMMENTS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/comments"
_COMMENTS_OVERRIDE = (
    f'<Override PartName="/word/comments.xml" ContentType="{_COMMENTS_TYPE}"/>'.encode()
)
_COMMENTS_RELATIONSHIP = (
    f'<Relationship Id="rIdComments" Type="{_COMMENTS_REL}" Target="comments.xml"/>'.encode()
)
_W_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def build(*blocks: Content, comments: Mapping[int, str] | None = None) -> bytes:
    """A `.docx` whose body is `blocks` (plain text: a paragraph) followed by the template's
    section properties; `comments` (id -> text) adds a comments part."""
    body = "".join(b if isinstance(b, Xml) else p(b) for b in blocks)
    source = zipfile.ZipFile(BytesIO(_template()))
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "word/document.xml":
                data = _with_body(data.decode("utf-8"), body).encode("utf-8")
            elif comments and item.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", _COMMENTS_OVERRIDE + b"</Types>")
            elif comments and item.filename == "word/_rels/document.xml.rels":
                data = data.replace(
                    b"</Relationships>", _COMMENTS_RELATIONSHIP + b"</Relationships>"
                )
            target.writestr(item, data)
        if comments:
            target.writestr("word/comments.xml", _comments_part(comments))
    return out.getvalue()


def _with_body(document_xml: str, body: str) -> str:
    start = document_xml.index("<w:body>") + len("<w:body>")
    end = document_xml.index("<w:sectPr", start)
    return document_xml[:start] + body + document_xml[end:]


def _comments_part(comments: Mapping[int, str]) -> str:
    items = "".join(
        f'<w:comment w:id="{i}" w:author={quoteattr(AUTHOR)} w:date="{DATE}" w:initials="AG">'
        f"{p(text)}</w:comment>"
        for i, text in comments.items()
    )
    return (
        "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>"
        f"<w:comments {_W_NS}>{items}</w:comments>"
    )
