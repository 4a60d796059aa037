"""Compiling 35 proposals (the OAS) and 193 (the UN's number) on a 300-paragraph base, against
python-redlines comparing one pair, both measured alike in the same run (SPEC §8, issues #4, #14).

    .venv/bin/python -m tests.benchmarks.bench_compile [--rounds 5] [--rounds-large 2]
        [--sizes 35 193] [--fresh] [--profile N]

Setup (not timed): a treaty-like base `Plan.docx` made with python-docx — headings, 300
paragraphs in all, the numbered ones of 30 to 80 words, and a table of 10 rows by 3 columns —
and one proposal per delegation (`AG_Plan.docx` …). The 35 OAS proposals each touch about 10 %
of the paragraphs with word-level edits (replaced, inserted and deleted words, now and then a
new paragraph), drawn from a shared pool so that some edits coincide (joint changes) and some
overlap (conflicts); each is made by python-redlines comparing the base with the edited copy, an
independent engine writing Word-like markup (9 to 18 s a pair here). The 158 others of the 193
are derived from them (`derived`: re-signed, a third of the changed paragraphs rejected) in
seconds, so they add parties to the same edits rather than new edits. All are cached in the
temporary folder, per file, keyed by the generator's version, seed and engine (`--fresh` makes
them again).

Measured, alternating round by round, each side a whole process started the same way
(`python -c`: the interpreter, its imports, reading the files, the work, writing the result),
timed by a small launcher from its start to its end, its peak resident set read from
`os.wait4` (the process, or the largest child it waited for):
- the baseline: python-redlines comparing ONE pair (the base and AG's edited copy), its binary
  started as python-redlines does;
- plenaria: `documents.jobs.compile_job` on the base and all the proposals (each checked, then
  compiled, rendered, the matrix made, the clean text made), as the CLI and the bot call it.
Printed per size: both medians (with each side's own imports and call), both peak RSS, the
ratios of the whole processes and of the calls alone, the summary's first lines; the load
average before and after; last, the goal line for 35 proposals:
`compile ratio X.XX (goal <= 0.5), peak RSS N MB (goal <= 150)`.
`--profile N` instead runs `compile_job` in this process, by phase (time, RSS, tracemalloc, the
largest holders once every proposal is checked), then cProfile's N top functions.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import io
import json
import os
import pstats
import random
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import docx
from python_redlines.engines import DocxodusEngine, XmlPowerToolsEngine

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


def delegations(count: int) -> list[str]:
    """The 35 OAS codes first (the proposals of the 35-delegation measure), then other ISO
    3166 codes in order, up to `count` (193: the UN's number of member States)."""
    import pycountry

    others = sorted(c.alpha_2 for c in pycountry.countries if c.alpha_2 not in OAS)
    return (list(OAS) + others)[:count]


def prepare(folder: Path, engine_name: str, count: int) -> None:
    """The base, and the proposals of the first `count` delegations in `folder`, each made
    unless already there (a file is written whole, then renamed): the 35 OAS proposals by
    python-redlines, the others derived from them (`derived`)."""
    folder.mkdir(parents=True, exist_ok=True)
    blocks = base_blocks(random.Random(SEED))
    if not (folder / BASE_NAME).exists():
        _write(folder / BASE_NAME, write_docx(blocks, TABLE))
    base = (folder / BASE_NAME).read_bytes()
    codes = delegations(count)
    missing = [i for i, code in enumerate(codes) if not (folder / f"{code}_{BASE_NAME}").exists()]
    if not missing:
        return
    started = time.perf_counter()
    comparer = engine(engine_name)

    def one(index: int) -> None:
        code = codes[index]
        edited = write_docx(*edited_copy(index, blocks))
        _write(folder / f"edited_{code}.docx", edited)
        redline, _, _ = comparer.run_redline(author(code), base, edited)
        _write(folder / f"{code}_{BASE_NAME}", redline)

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(one, [i for i in missing if i < len(OAS)]))
    for index in (i for i in missing if i >= len(OAS)):
        source = (folder / f"{OAS[index % len(OAS)]}_{BASE_NAME}").read_bytes()
        derivation = random.Random(SEED * 1000 + index)
        _write(folder / f"{codes[index]}_{BASE_NAME}", derived(source, codes[index], derivation))
    print(
        f"setup: {len(missing)} proposals made in {time.perf_counter() - started:.1f} s "
        f"(cached in {folder})"
    )


def derived(source: bytes, code: str, rng: random.Random) -> bytes:
    """Another delegation's proposal made from an OAS one without running python-redlines
    again (9 to 18 s a pair here): its changes signed by `code`, and those of about a third of
    its changed paragraphs rejected (deleted text back as text, inserted text gone), leaving
    paragraphs whose mark is inserted or deleted as they are. The rest of the package is
    copied byte for byte, so the markup is still python-redlines' own."""
    from lxml import etree

    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    with zipfile.ZipFile(io.BytesIO(source)) as package:
        parts = {info: package.read(info) for info in package.infolist()}
    document = next(info for info in parts if info.filename == "word/document.xml")
    root = etree.fromstring(parts[document])
    for paragraph in root.iter(f"{w}p"):
        changes = paragraph.findall(f"{w}ins") + paragraph.findall(f"{w}del")
        if not changes or paragraph.find(f"{w}pPr/{w}rPr/{w}ins") is not None:
            continue
        if paragraph.find(f"{w}pPr/{w}rPr/{w}del") is not None or rng.random() >= 1 / 3:
            continue
        for change in changes:
            if change.tag == f"{w}del":
                for text in change.iter(f"{w}delText"):
                    text.tag = f"{w}t"
                for child in list(change):
                    change.addprevious(child)
            paragraph.remove(change)
    for change in root.iter(f"{w}ins", f"{w}del"):
        change.set(f"{w}author", author(code))
    parts[document] = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for info, data in parts.items():
            package.writestr(info, data)
    return out.getvalue()


def _write(path: Path, data: bytes) -> None:
    partial = path.with_suffix(".part")
    partial.write_bytes(data)
    partial.rename(path)


def proposals_in(folder: Path, count: int) -> list[tuple[str, bytes]]:
    return [
        (f"{code}_{BASE_NAME}", (folder / f"{code}_{BASE_NAME}").read_bytes())
        for code in delegations(count)
    ]


# --- the two sides, each a whole process -------------------------------------------------------

# Each side is a fresh `python -c` from the same start: the interpreter, its imports, reading
# the files, the work, writing the result. Each reports, as JSON on its last line, how long its
# imports and its call took and its own peak resident set; its launcher times the whole process
# and reads its peak RSS from `os.wait4` (the process and the children it waited for).
REDLINES = """
import json, resource, sys, time, warnings
started = time.perf_counter()
warnings.simplefilter("ignore", DeprecationWarning)
from pathlib import Path
from python_redlines.engines import XmlPowerToolsEngine
imported = time.perf_counter()
folder, author, base, edited = Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
called = time.perf_counter()
redline, _, _ = XmlPowerToolsEngine().run_redline(
    author, (folder / base).read_bytes(), (folder / edited).read_bytes()
)
seconds = time.perf_counter() - called
(folder / "redline_out.docx").write_bytes(redline)
print(json.dumps({
    "imports": imported - started,
    "call": seconds,
    "self_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    "children_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
}))
"""
PLENARIA = """
import json, resource, sys, time
started = time.perf_counter()
from pathlib import Path
from documents.jobs import compile_job
imported = time.perf_counter()
folder, base_name, names = Path(sys.argv[1]), sys.argv[2], sys.argv[3:]
base = (folder / base_name).read_bytes()
proposals = [(name, (folder / name).read_bytes()) for name in names]
called = time.perf_counter()
result = compile_job(base_name, base, proposals)
seconds = time.perf_counter() - called
(folder / "Plan_rev1.docx").write_bytes(result.revision)
(folder / "Plan_compilation.docx").write_bytes(result.matrix)
print(json.dumps({
    "imports": imported - started,
    "call": seconds,
    "self_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    "children_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    "summary": result.summary(),
    "refused": result.refused,
}))
"""


# The parent is big (python-docx, python-redlines, pycountry, the working group's modules), and
# Linux keeps a process's peak RSS across exec: a child started from it would inherit the
# parent's size as its floor. So a small launcher starts each side and reports its time and its
# `os.wait4` rusage; the launcher's own start-up is outside the measure, on both sides alike.
LAUNCHER = """
import json, os, subprocess, sys, time
started = time.perf_counter()
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE)
out = child.stdout.read()
_, status, usage = os.wait4(child.pid, 0)
wall = time.perf_counter() - started
child.returncode = os.waitstatus_to_exitcode(status)
child.stdout.close()
sys.stdout.write(out.decode())
print(json.dumps({"wall": wall, "peak_kb": usage.ru_maxrss, "returncode": child.returncode}))
"""


def whole_process(code: str, args: list[str]) -> dict[str, Any]:
    """Run one side through the launcher; its report, plus `wall` (s) and `peak_kb` (the
    largest resident set of the process and of any child it waited for)."""
    done = subprocess.run(
        [sys.executable, "-c", LAUNCHER, sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        check=True,
    )
    *_, report_line, launcher_line = done.stdout.strip().splitlines()
    launcher = json.loads(launcher_line)
    if launcher["returncode"] != 0:
        raise RuntimeError(f"child failed ({launcher['returncode']}): {done.stderr[-2000:]}")
    report: dict[str, Any] = json.loads(report_line)
    report["wall"] = launcher["wall"]
    report["peak_kb"] = launcher["peak_kb"]
    return report


def redlines_once(folder: Path) -> dict[str, Any]:
    code = OAS[0]
    return whole_process(REDLINES, [str(folder), author(code), BASE_NAME, f"edited_{code}.docx"])


def plenaria_once(folder: Path, count: int) -> dict[str, Any]:
    names = [f"{code}_{BASE_NAME}" for code in delegations(count)]
    return whole_process(PLENARIA, [str(folder), BASE_NAME, *names])


# --- where plenaria's time and memory go (--profile) -----------------------------------------


def _status_kb(field_name: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1])
    return 0


def profile(folder: Path, count: int, top: int) -> None:
    """In this process (imports done): phases of `compile_job` by time and RSS, then by
    tracemalloc (peak and retained Python allocations per phase, the largest sites at the end
    of the checks), then cProfile's top functions."""
    import tracemalloc

    import documents.jobs as jobs

    base = (folder / BASE_NAME).read_bytes()
    proposals = proposals_in(folder, count)
    phases = ["read_base", "check_proposal", "compile_revision", "compilation_matrix", "accept_all"]
    originals = {name: getattr(jobs, name) for name in phases}
    seen: dict[str, list[float]] = {}  # name -> [seconds, calls, rss after (kB), peak (kB)]
    traced = False

    def wrap(name: str) -> Any:
        original = originals[name]

        def timed(*args: Any, **kwargs: Any) -> Any:
            if traced:
                tracemalloc.reset_peak()
            started = time.perf_counter()
            result = original(*args, **kwargs)
            entry = seen.setdefault(name, [0.0, 0, 0, 0])
            entry[0] += time.perf_counter() - started
            entry[1] += 1
            if traced:
                current, peak = tracemalloc.get_traced_memory()
                entry[2], entry[3] = current // 1024, max(entry[3], peak // 1024)
            else:
                entry[2], entry[3] = _status_kb("VmRSS"), _status_kb("VmHWM")
            return result

        return timed

    for name in phases:
        setattr(jobs, name, wrap(name))
    try:
        rss0 = _status_kb("VmRSS")
        started = time.perf_counter()
        jobs.compile_job(BASE_NAME, base, proposals)
        total = time.perf_counter() - started
        print(f"--- compile_job, {count} proposals, in process after imports: {total:.2f} s ---")
        print(f"RSS before the call {rss0 / 1024:.0f} MB (imports and the input files)")
        print(f"{'phase':20} {'calls':>5} {'seconds':>8} {'share':>6} {'RSS after':>10} {'HWM':>8}")
        for name in phases:
            secs, calls, rss, hwm = seen.get(name, [0.0, 0, 0, 0])
            print(
                f"{name:20} {calls:5d} {secs:8.2f} {secs / total:6.0%} "
                f"{rss / 1024:8.0f} MB {hwm / 1024:5.0f} MB"
            )
        seen.clear()
        traced = True
        tracemalloc.start()
        checks_done: list[tracemalloc.Snapshot] = []
        check = jobs.check_proposal

        def check_then_snapshot(*args: Any, **kwargs: Any) -> Any:
            result = check(*args, **kwargs)
            if seen.get("check_proposal", [0, 0])[1] == len(proposals):
                checks_done.append(tracemalloc.take_snapshot())
            return result

        setattr(jobs, "check_proposal", check_then_snapshot)  # noqa: B010
        jobs.compile_job(BASE_NAME, base, proposals)
        tracemalloc.stop()
        print("--- the same under tracemalloc (Python allocations only; times inflated) ---")
        print(f"{'phase':20} {'peak in phase':>14} {'held after':>11}")
        for name in phases:
            _, _, current, peak = seen.get(name, [0.0, 0, 0, 0])
            print(f"{name:20} {peak / 1024:11.0f} MB {current / 1024:8.0f} MB")
        if checks_done:
            print("largest holders once every proposal is checked (by line):")
            for stat in checks_done[0].statistics("lineno")[:12]:
                print(
                    f"  {stat.size / 1024 / 1024:7.1f} MB {stat.count:8d} blocks  {stat.traceback}"
                )
    finally:
        for name in phases:
            setattr(jobs, name, originals[name])
    profiler = cProfile.Profile()
    profiler.enable()
    jobs.compile_job(BASE_NAME, base, proposals)
    profiler.disable()
    for sort in ("cumulative", "tottime"):
        print(f"--- cProfile of one compilation, by {sort} ---")
        pstats.Stats(profiler).sort_stats(sort).print_stats(top)


# --- the measure ------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="rounds at 35 proposals")
    parser.add_argument("--rounds-large", type=int, default=2, help="rounds at the larger sizes")
    parser.add_argument("--sizes", type=int, nargs="+", default=[35, 193])
    parser.add_argument("--engine", choices=["open-xml-powertools", "docxodus"])
    parser.add_argument("--fresh", action="store_true", help="make the proposals again")
    parser.add_argument("--profile", type=int, metavar="N", help="print the N top functions")
    args = parser.parse_args()
    engine_name = args.engine or "open-xml-powertools"
    key = hashlib.sha256(f"{VERSION}-{SEED}-{engine_name}".encode()).hexdigest()[:12]
    folder = Path(tempfile.gettempdir()) / f"plenaria-bench-compile-{key}"
    if args.fresh and folder.exists():
        for item in folder.iterdir():
            item.unlink()
    prepare(folder, engine_name, max(args.sizes))
    if args.profile:
        for count in args.sizes:
            profile(folder, count, args.profile)
        return
    if engine_name != "open-xml-powertools":
        raise SystemExit("the measure runs python-redlines' default engine; --engine is for setup")

    print(f"load average at the start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    paragraphs = PARAGRAPHS + sum(len(row) for row in TABLE)
    print(
        f"base: {PARAGRAPHS} paragraphs + a {len(TABLE)}×{len(TABLE[0])} table ({paragraphs} in "
        f"all); documents in {folder}"
    )
    print(
        "both sides are whole processes from the same start (python -c: interpreter, imports, "
        "files read, the work, the result written); peak RSS by os.wait4"
    )
    goal = ""
    for count in args.sizes:
        rounds = args.rounds if count == 35 else args.rounds_large
        baseline: list[dict[str, Any]] = []
        compiled: list[dict[str, Any]] = []
        for i in range(rounds):
            for which in ("baseline", "compile") if i % 2 == 0 else ("compile", "baseline"):
                if which == "baseline":
                    baseline.append(redlines_once(folder))
                else:
                    compiled.append(plenaria_once(folder, count))
        med_b = statistics.median(r["wall"] for r in baseline)
        med_c = statistics.median(r["wall"] for r in compiled)
        peak_b = max(r["peak_kb"] for r in baseline) / 1024
        peak_c = max(r["peak_kb"] for r in compiled) / 1024
        print(f"--- {count} proposals; rounds: {rounds}, alternating ---")
        for label, runs in (
            ("python-redlines, one pair", baseline),
            (f"plenaria compile_job, {count}", compiled),
        ):
            walls = [r["wall"] for r in runs]
            print(
                f"{label:30} wall median {statistics.median(walls):6.2f} s "
                f"(min {min(walls):.2f}, max {max(walls):.2f}); of which imports "
                f"{statistics.median(r['imports'] for r in runs):.2f} s, the call "
                f"{statistics.median(r['call'] for r in runs):.2f} s; peak RSS "
                f"{max(r['peak_kb'] for r in runs) / 1024:.0f} MB "
                f"(python {max(r['self_kb'] for r in runs) / 1024:.0f} MB, its children "
                f"{max(r['children_kb'] for r in runs) / 1024:.0f} MB)"
            )
        calls = statistics.median(r["call"] for r in compiled) / statistics.median(
            r["call"] for r in baseline
        )
        print(
            f"{count} proposals: ratio {med_c / med_b:.2f} (whole processes), {calls:.2f} (the "
            f"calls alone); peak RSS plenaria {peak_c:.0f} MB, python-redlines {peak_b:.0f} MB"
        )
        report = compiled[-1]
        for line in report["summary"][:3]:
            print(f"  {line if len(line) <= 160 else line[:159] + '…'}")
        for name, reason in report["refused"]:
            print(f"  refused {name}: {reason}")
        if count == 35:
            goal = (
                f"compile ratio {med_c / med_b:.2f} (goal <= 0.5), "
                f"peak RSS {peak_c:.0f} MB (goal <= 150)"
            )
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if goal:
        print(goal)


if __name__ == "__main__":
    main()
