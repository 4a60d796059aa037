"""Compiling 35 proposals on a 300-paragraph base, against python-redlines comparing one pair,
measured in the same run (SPEC §8, issue #4).

    .venv/bin/python -m tests.benchmarks.bench_compile [--rounds 5] [--engine docxodus] [--fresh]

Setup (not timed): a treaty-like base `Plan.docx` made with python-docx — headings, 300
paragraphs in all, the numbered ones of 30 to 80 words, and a table of 10 rows by 3 columns —
and 35 proposals, one per OAS delegation (`AG_Plan.docx` …), each touching about 10 % of the
paragraphs with word-level edits (replaced, inserted and deleted words, now and then a new
paragraph), drawn from a shared pool so that some edits coincide (joint changes) and some
overlap (conflicts). Each proposal is made by python-redlines comparing the base with the
edited copy, an independent engine writing Word-like markup. They are cached in the temporary
folder (`--fresh` makes them again).

Measured, alternating round by round:
- the baseline: python-redlines comparing ONE pair (the base and AG's edited copy), its binary
  started as python-redlines does;
- plenaria: `documents.jobs.compile_job` on the base and all 35 proposals (each checked, then
  compiled, rendered, and the matrix made), called in a fresh child process after its imports,
  as the CLI and the bot run it; the child reports the call's time and its own peak resident set
  (`getrusage(RUSAGE_SELF).ru_maxrss`, interpreter and imports included).
Printed: both medians, their ratio (goal < 1), the peak RSS (goal < 300 MB) and the
compilation summary's first lines. `--profile` prints where one compilation spends its time.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import io
import json
import pstats
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import docx
from python_redlines.engines import DocxodusEngine, XmlPowerToolsEngine

from documents.jobs import CompileResult, compile_job
from tests.integration.working_group import OAS

BASE_NAME = "Plan.docx"
PARAGRAPHS = 300  # body paragraphs, headings included; the table's cells come on top
SEED = 2024
VERSION = 2  # bump when the generated documents change, to invalidate the cache
TABLE_MARK = ("table", "")  # the table's place among the (style, text) blocks

# --- a treaty-like text -----------------------------------------------------------------------

SUBJECTS = [
    "The Member States",
    "The General Secretariat",
    "The working group",
    "The States Parties",
    "The Inter-American Commission",
    "National electoral authorities",
    "The Permanent Council",
    "Each Member State",
]
MODALS = ["shall", "should", "will", "may"]
VERBS = [
    "promote",
    "strengthen",
    "support",
    "develop",
    "facilitate",
    "encourage",
    "ensure",
    "coordinate",
]
OBJECTS = [
    "the exchange of information and good practices",
    "the participation of civil society in public decision-making",
    "the independence and transparency of electoral bodies",
    "access to public information held by state institutions",
    "cooperation among national authorities and regional organizations",
    "the training of public officials in democratic governance",
    "mechanisms for the peaceful settlement of disputes",
    "the protection of human rights defenders and journalists",
    "the inclusion of women, youth and indigenous peoples in political life",
    "technical assistance for the modernization of public administration",
]
QUALIFIERS = [
    "in accordance with their domestic legal frameworks",
    "within the resources allocated in the regular budget",
    "taking into account the specific needs of small island developing states",
    "with full respect for the principle of non-intervention",
    "on the basis of the reports submitted by the Member States",
    "in coordination with the relevant organs of the Organization",
    "through the mechanisms established in the Inter-American Democratic Charter",
    "with the support of the permanent observers and international partners",
]
TAILS = [
    "and report on progress at the next regular session of the General Assembly",
    "and make the results available to all delegations in the official languages",
    "and identify the obstacles that hinder the full implementation of this Plan",
    "and consider, where appropriate, the recommendations of the electoral observation missions",
    "and review these measures every two years",
]
HEADINGS = [
    "General provisions",
    "Objectives of the Plan",
    "Democratic institutions",
    "Electoral processes",
    "Access to information",
    "Participation of civil society",
    "Human rights and fundamental freedoms",
    "Rule of law and justice",
    "Transparency and the fight against corruption",
    "Gender equality and inclusion",
    "Cooperation and technical assistance",
    "Follow-up and evaluation",
    "Financing",
    "Institutional arrangements",
    "Final provisions",
]

# Edits drawn from shared pools, so that delegations meet: the same word replaced the same way
# is a joint change, replaced differently (or deleted) a conflict.
REPLACEMENTS = {
    "shall": ["should", "will", "may"],
    "should": ["shall", "will"],
    "will": ["shall", "should"],
    "may": ["should", "shall"],
    "promote": ["foster", "advance"],
    "strengthen": ["reinforce", "consolidate"],
    "support": ["assist", "back"],
    "ensure": ["guarantee", "seek to ensure"],
    "encourage": ["urge", "invite"],
    "develop": ["design", "establish"],
    "cooperation": ["collaboration", "dialogue"],
    "regular": ["ordinary"],
    "relevant": ["competent"],
    "full": ["effective", "full and effective"],
}
INSERTIONS = [
    "as appropriate,",
    "progressively",
    "effectively",
    "voluntarily",
    "to the extent possible",
    "in particular",
    "and other stakeholders",
]
DELETABLE = {"full", "relevant", "regular", "specific", "all", "every", "permanent", "official"}
NEW_PARAGRAPHS = [
    "Member States may request technical assistance from the General Secretariat for the "
    "implementation of the measures set out in this chapter, within the resources available.",
    "The General Secretariat shall prepare a biennial report on the implementation of this Plan, "
    "with disaggregated data where available, and submit it to the Permanent Council.",
    "The working group shall take into account the contributions of civil society organizations "
    "registered with the Organization in accordance with the applicable guidelines.",
]
TABLE = [["Action", "Responsible", "Timeline"]] + [
    [action, who, when]
    for action, who, when in [
        ("Train electoral officials", "Member States", "2025-2026"),
        ("Publish open data on public budgets", "Member States", "2025"),
        ("Regional workshop on access to information", "General Secretariat", "2025"),
        ("Guide on good practices in civil participation", "General Secretariat", "2026"),
        ("Observation missions report", "Electoral observation missions", "Yearly"),
        ("Network of national authorities", "Member States", "2025-2027"),
        ("Technical assistance fund", "Permanent Council", "2026"),
        ("Review of the Plan", "Working group", "2027"),
        ("Report to the General Assembly", "Permanent Council", "Yearly"),
    ]
]


def sentence(rng: random.Random) -> str:
    return (
        f"{rng.choice(SUBJECTS)} {rng.choice(MODALS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)}, "
        f"{rng.choice(QUALIFIERS)}, {rng.choice(TAILS)}."
    )


def paragraph_text(rng: random.Random) -> str:
    """A numbered paragraph of 30 to 80 words."""
    words = rng.randint(30, 80)
    text = sentence(rng)
    while len(text.split()) < words:
        text += " " + sentence(rng)
    cut = " ".join(text.split()[:words]).rstrip(",;")
    return cut if cut.endswith(".") else cut + "."


def base_blocks(rng: random.Random) -> list[tuple[str, str]]:
    """(style, text) of the base's body paragraphs, and the table's place after the first
    third."""
    blocks = [("Title", "Inter-American Plan of Action on Democratic Governance")]
    chapters = len(HEADINGS)
    per_chapter = (PARAGRAPHS - 1 - chapters) // chapters
    for c, heading in enumerate(HEADINGS):
        blocks.append(("Heading 1", f"Chapter {c + 1}. {heading}"))
        count = per_chapter if c < chapters - 1 else PARAGRAPHS - len(blocks)
        blocks += [("List Number", paragraph_text(rng)) for _ in range(count)]
    assert len(blocks) == PARAGRAPHS, len(blocks)
    blocks.insert(PARAGRAPHS // 3, TABLE_MARK)
    return blocks


def write_docx(blocks: list[tuple[str, str]], cells: list[list[str]]) -> bytes:
    document = docx.Document()
    for style, text in blocks:
        if (style, text) != TABLE_MARK:
            document.add_paragraph(text, style=style)
            continue
        grid = document.add_table(rows=len(cells), cols=len(cells[0]))
        grid.style = "Table Grid"
        for r, row in enumerate(cells):
            for c, text_ in enumerate(row):
                grid.cell(r, c).text = text_
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def edit_words(rng: random.Random, text: str) -> str:
    """One to three word-level edits: a replacement, an insertion or a deletion."""
    words = text.split(" ")
    for _ in range(rng.randint(1, 3)):
        kind = rng.random()
        replaceable = [i for i, w in enumerate(words) if w in REPLACEMENTS]
        deletable = [i for i, w in enumerate(words) if w in DELETABLE]
        if kind < 0.5 and replaceable:
            i = rng.choice(replaceable)
            words[i] = rng.choice(REPLACEMENTS[words[i]])
        elif kind < 0.8 or not deletable:
            i = rng.randrange(1, len(words))
            words.insert(i, rng.choice(INSERTIONS))
        else:
            del words[rng.choice(deletable)]
    return " ".join(words)


def edited_copy(
    code_index: int, blocks: list[tuple[str, str]]
) -> tuple[list[tuple[str, str]], list[list[str]]]:
    """A delegation's edited copy: about 10 % of the paragraphs touched."""
    rng = random.Random(SEED * 100 + code_index)
    numbered = [i for i, (style, _) in enumerate(blocks) if style == "List Number"]
    touched = set(rng.sample(numbered, round(0.1 * PARAGRAPHS)))
    out: list[tuple[str, str]] = []
    for i, (style, text) in enumerate(blocks):
        out.append((style, edit_words(rng, text) if i in touched else text))
        if i in touched and rng.random() < 0.04:
            out.append((style, rng.choice(NEW_PARAGRAPHS)))
    cells = [list(row) for row in TABLE]
    if rng.random() < 0.3:
        r = rng.randrange(1, len(cells))
        cells[r][1] = rng.choice(["General Secretariat", "Member States and the Secretariat"])
    return out, cells


# --- setup: the documents, cached -------------------------------------------------------------


def engine(name: str) -> XmlPowerToolsEngine | DocxodusEngine:
    if name == "docxodus":
        return DocxodusEngine()
    with warnings.catch_warnings():
        # Deprecated in favour of Docxodus, still the comparer Open-XML-PowerTools ships.
        warnings.simplefilter("ignore", DeprecationWarning)
        return XmlPowerToolsEngine()


def author(code: str) -> str:
    import pycountry

    country = pycountry.countries.get(alpha_2=code)
    return f"{country.name if country else code} ({code})"


def prepare(folder: Path, engine_name: str) -> None:
    """The base, the edited copies and the proposals in `folder`, made unless already there."""
    done = folder / "done"
    if done.exists():
        return
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    blocks = base_blocks(random.Random(SEED))
    base = write_docx(blocks, TABLE)
    (folder / BASE_NAME).write_bytes(base)
    comparer = engine(engine_name)

    def one(index: int) -> None:
        code = OAS[index]
        edited = write_docx(*edited_copy(index, blocks))
        (folder / f"edited_{code}.docx").write_bytes(edited)
        redline, _, _ = comparer.run_redline(author(code), base, edited)
        (folder / f"{code}_{BASE_NAME}").write_bytes(redline)

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(one, range(len(OAS))))
    done.write_text("ok")
    print(f"setup: 35 proposals made by python-redlines in {time.perf_counter() - started:.1f} s")


def proposals_in(folder: Path) -> list[tuple[str, bytes]]:
    return [(f"{code}_{BASE_NAME}", (folder / f"{code}_{BASE_NAME}").read_bytes()) for code in OAS]


# --- the child: one compilation ---------------------------------------------------------------


def run_compile(folder: Path) -> tuple[float, CompileResult]:
    base = (folder / BASE_NAME).read_bytes()
    proposals = proposals_in(folder)
    started = time.perf_counter()
    result = compile_job(BASE_NAME, base, proposals)
    return time.perf_counter() - started, result


def child(folder: Path) -> None:
    """Compile once and report, as JSON on stdout: seconds, peak RSS (kB), the summary."""
    seconds, result = run_compile(folder)
    (folder / "Plan_rev1.docx").write_bytes(result.revision)
    (folder / "Plan_compilation.docx").write_bytes(result.matrix)
    report = {
        "seconds": seconds,
        "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "summary": result.summary(),
        "refused": result.refused,
    }
    print(json.dumps(report))


def compile_in_child(folder: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.bench_compile", "--child", str(folder)],
        check=True,
        capture_output=True,
        text=True,
    )
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def profile(folder: Path, top: int) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    run_compile(folder)
    profiler.disable()
    for sort in ("cumulative", "tottime"):
        print(f"--- profile of one compilation, by {sort} ---")
        pstats.Stats(profiler).sort_stats(sort).print_stats(top)


# --- the measure ------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--engine", choices=["open-xml-powertools", "docxodus"])
    parser.add_argument("--fresh", action="store_true", help="make the proposals again")
    parser.add_argument("--profile", type=int, metavar="N", help="print the N top functions")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    engine_name = args.engine or "open-xml-powertools"
    key = hashlib.sha256(f"{VERSION}-{SEED}-{engine_name}".encode()).hexdigest()[:12]
    folder = Path(tempfile.gettempdir()) / f"plenaria-bench-compile-{key}"
    if args.fresh and folder.exists():
        for item in folder.iterdir():
            item.unlink()
    prepare(folder, engine_name)
    if args.profile:
        profile(folder, args.profile)
        return

    base = (folder / BASE_NAME).read_bytes()
    edited = (folder / f"edited_{OAS[0]}.docx").read_bytes()
    comparer = engine(engine_name)
    baseline: list[float] = []
    compiled: list[float] = []
    peaks: list[int] = []
    report: dict[str, Any] = {}
    redline_peak_kb = 0
    for i in range(args.rounds):
        order = ["baseline", "compile"] if i % 2 == 0 else ["compile", "baseline"]
        for which in order:
            if which == "baseline":
                started = time.perf_counter()
                comparer.run_redline(author(OAS[0]), base, edited)
                baseline.append(time.perf_counter() - started)
                if i == 0:  # only the comparer's processes have ended so far
                    redline_peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            else:
                report = compile_in_child(folder)
                compiled.append(report["seconds"])
                peaks.append(report["maxrss_kb"])

    med_b, med_c = statistics.median(baseline), statistics.median(compiled)
    paragraphs = PARAGRAPHS + sum(len(row) for row in TABLE)
    print(f"engine: {engine_name}; documents in {folder}")
    print(
        f"base: {PARAGRAPHS} paragraphs + a {len(TABLE)}×{len(TABLE[0])} table "
        f"({paragraphs} in all); 35 proposals; rounds: {args.rounds}, alternating"
    )
    print(
        f"baseline python-redlines, one pair: median {med_b:6.2f} s   "
        f"(min {min(baseline):.2f}, max {max(baseline):.2f})"
    )
    print(
        f"plenaria compile_job, 35 proposals: median {med_c:6.2f} s   "
        f"(min {min(compiled):.2f}, max {max(compiled):.2f})"
    )
    print(f"ratio {med_c / med_b:.2f}   (goal < 1)")
    print(
        f"peak RSS of the compiling process (RUSAGE_SELF, interpreter included): "
        f"{max(peaks) / 1024:.0f} MB   (goal < 300 MB); python-redlines' comparer: "
        f"{redline_peak_kb / 1024:.0f} MB"
    )
    print("summary:")
    for line in report["summary"][:4]:
        print(f"  {line if len(line) <= 160 else line[:159] + '…'}")
    for name, reason in report["refused"]:
        print(f"  refused {name}: {reason}")


if __name__ == "__main__":
    main()
