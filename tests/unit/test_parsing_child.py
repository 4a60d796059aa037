"""The parsing child keeps nothing of the platform's, and answers in JSON (issue #9, item 6).

Every test here runs a real child through `parse_with_limits`, forked by the real fork server;
the probes (`hostile_docx.sandbox_probe`, `answer_with_a_pickle`) run inside it. The test
session runs as root here and in CI, so the drop to an unprivileged user is what is exercised;
run as another user, the same tests check that the child is that user (it has no other to
become).
"""

from __future__ import annotations

import asyncio
import io
import logging
import multiprocessing.connection
import multiprocessing.forkserver
import multiprocessing.reduction
import os
import pickle
import pwd
import secrets
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.docflow.engine import Engine
from documents.errors import DocumentRefused, EngineFault, RefusalCode
from documents.jobs import CheckResult, CompileResult, check_job, compile_job
from documents.parsing_child import parse_with_limits
from documents.sandbox import MINIMAL_ENVIRONMENT
from tests.unit import hostile_docx as hostile
from tests.unit.docx_builder import build, dele, ins, p

CANARY_VARIABLE = "PLENARIA_BOT__PASSWORD"


def _restart_fork_server() -> None:
    # The fork server is started once, with the environment of that moment; stopping it makes
    # the next child start a new one.
    multiprocessing.forkserver._forkserver._stop()


@pytest.fixture
def canary(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A secret in the platform's environment, as `PLENARIA_BOT__PASSWORD` is when the password
    comes from the environment, present when the fork server starts."""
    value = "canary-" + secrets.token_hex(16)
    monkeypatch.setenv(CANARY_VARIABLE, value)
    monkeypatch.setenv("PLENARIA_REGISTRATION_SHARED_SECRET", value + "-shared")
    _restart_fork_server()
    yield value
    monkeypatch.undo()
    _restart_fork_server()


@pytest.fixture
def secret_file(tmp_path: Path) -> str:
    """A file only its owner may read, as the platform's secrets are."""
    path = tmp_path / "secrets" / "admin-password"
    path.parent.mkdir(mode=0o700)
    path.write_text("s3cret")
    path.chmod(0o600)
    return str(path)


def test_the_child_is_unprivileged_in_an_empty_directory_without_the_environment(
    canary: str, secret_file: str
) -> None:
    seen = parse_with_limits(hostile.sandbox_probe, b"data", secret_file, canary)
    assert isinstance(seen, dict)
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        assert (seen["uid"], seen["euid"], seen["gid"]) == (nobody.pw_uid, nobody.pw_uid,
                                                          nobody.pw_gid)  # fmt: skip
        assert seen["uid"] != 0 and seen["groups"] == []
        assert seen["no_new_privileges"] is True
    else:
        assert seen["uid"] == os.getuid()
    assert seen["became_root"] is False
    assert seen["read_the_secret"] is (os.geteuid() != 0)
    # An empty working directory of its own, removed once the child has ended.
    assert seen["cwd_entries"] == [] and seen["relative_import_paths"] == []
    assert seen["cwd"] != os.getcwd() and not Path(str(seen["cwd"])).exists()
    # Only a fixed, minimal environment; the secrets are gone from memory too.
    environment = seen["environment"]
    assert isinstance(environment, dict)
    assert environment == {**MINIMAL_ENVIRONMENT, "HOME": seen["cwd"], "TMPDIR": seen["cwd"]}
    assert not any(name.startswith("PLENARIA_") for name in environment)
    assert canary not in str(seen)
    assert seen["canary_in_environment_block"] is False
    assert seen["environment_block_is_blank"] is True
    # Standard input, output, error, and the answer's pipe: nothing else inherited.
    descriptors = seen["descriptors"]
    assert isinstance(descriptors, dict)
    assert sorted(int(fd) for fd in descriptors)[:3] == [0, 1, 2]
    assert [kind for fd, kind in descriptors.items() if int(fd) > 2] == ["pipe"]


def test_a_pickle_from_the_child_is_never_unpickled(tmp_path: Path) -> None:
    for framed in (False, True):
        planted = tmp_path / f"planted-{framed}"
        with pytest.raises(DocumentRefused) as caught:
            parse_with_limits(hostile.answer_with_a_pickle, b"data", str(planted), framed)
        assert caught.value.code is RefusalCode.CORRUPT
        assert not planted.exists()
    # The payload is real: unpickled, it would have run.
    proof = tmp_path / "proof"
    pickle.loads(hostile.planted_pickle(str(proof)))
    assert proof.is_dir()


def test_results_travel_as_json(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_unpickling(*args: object, **kwargs: object) -> None:
        raise AssertionError("the parent unpickled something")

    # Whatever the parent would use to unpickle an answer fails the test if it is called.
    monkeypatch.setattr(pickle, "loads", no_unpickling)
    monkeypatch.setattr(multiprocessing.reduction.ForkingPickler, "loads", no_unpickling)
    monkeypatch.setattr(multiprocessing.connection.Connection, "recv", no_unpickling)
    assert parse_with_limits(hostile.count_with_offset, b"abc", 2, scale=10) == 50
    base, data = build(*BASE), proposal("Antigua and Barbuda (AG)")
    checked = parse_with_limits(check_job, "Matriz.docx", base, "AG_Matriz.docx", data, "AG")
    assert isinstance(checked, CheckResult) and checked.report is not None
    with pytest.raises(TypeError, match="cannot be sent as JSON"):
        parse_with_limits(hostile.return_a_tuple, b"data")


def test_a_bug_in_the_child_is_a_fault_of_the_platform_logged_without_content(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with (
        caplog.at_level(logging.ERROR, logger="documents.parsing_child"),
        pytest.raises(EngineFault) as caught,
    ):
        parse_with_limits(hostile.raise_a_bug, b"data")
    assert "AttributeError" in str(caught.value) and "hostile_docx.py" in str(caught.value)
    assert "confidential" not in str(caught.value)
    (record,) = [r for r in caplog.records if r.name == "documents.parsing_child"]
    logged = record.getMessage()
    assert "AttributeError" in logged and "raise_a_bug" in logged
    assert "confidential" not in logged and "Article 7" not in logged


@pytest.mark.parametrize("error", ["ValueError", "KeyError", "IndexError", "RecursionError"])
def test_any_error_of_the_engine_is_a_fault_with_a_reference_never_a_damaged_file(
    error: str, caplog: pytest.LogCaptureFixture
) -> None:
    # The errors a reader raises on a damaged file too: by the time they leave the engine's
    # readers they are refusals, so one that reaches the child's end is the engine's bug.
    with (
        caplog.at_level(logging.ERROR, logger="documents.parsing_child"),
        pytest.raises(EngineFault) as caught,
    ):
        parse_with_limits(hostile.raise_an_error, b"data", error)
    fault = caught.value
    assert fault.error == error
    assert fault.where is not None and fault.where.endswith("in raise_an_error")
    assert fault.reference and f"(ref {fault.reference})" in str(fault)
    assert "confidential" not in str(fault) and "line 1" not in str(fault)
    (record,) = [r for r in caplog.records if r.name == "documents.parsing_child"]
    logged = record.getMessage()
    assert f"ref {fault.reference}" in logged
    assert error in logged and "hostile_docx.py" in logged and "raise_an_error" in logged
    assert "confidential" not in logged and "Article 7" not in logged


def test_a_damaged_file_is_still_refused_not_a_fault() -> None:
    damaged = hostile.minimal_docx(document=b"<w:document><w:body><w:p>Article 1.")
    base = build(*BASE)
    checked = parse_with_limits(check_job, "Matriz.docx", base, "AG_Matriz.docx", damaged, "AG")
    assert checked.report is None and checked.code == RefusalCode.CORRUPT
    with pytest.raises(DocumentRefused) as caught:
        parse_with_limits(check_job, "Matriz.docx", damaged, "AG_Matriz.docx", base, "AG")
    assert caught.value.code is RefusalCode.CORRUPT


# ---------------------------------------------------------------------------------------------
# The engine's jobs through the child, and their JSON

BASE = ["The Member States shall cooperate.", "The working group shall report every year."]
NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def proposal(author: str) -> bytes:
    return build(
        p("The Member States ", dele("shall", author=author), ins("should", author=author),
          " cooperate."),
        p("The working group shall report every ", ins("two ", author=author), "year."),
    )  # fmt: skip


def test_a_check_comes_back_from_the_child_as_in_process() -> None:
    base, data = build(*BASE), proposal("Antigua and Barbuda (AG)")
    here = check_job("Matriz.docx", base, "AG_Matriz.docx", data, "AG")
    there = parse_with_limits(check_job, "Matriz.docx", base, "AG_Matriz.docx", data, "AG")
    assert isinstance(there, CheckResult) and there == here
    assert there.report is not None and there.report.paragraphs_touched == (1, 2)
    wrong = parse_with_limits(check_job, "Matriz.docx", base, "BR_Matriz.docx", data, "AG")
    assert wrong.report is None and wrong.code == "wrong_delegation"


def test_a_compilation_comes_back_from_the_child_as_in_process() -> None:
    base = build(*BASE)
    proposals = [
        ("AG_Matriz.docx", proposal("Antigua and Barbuda (AG)")),
        ("BR_Matriz.docx", proposal("Brazil (BR)")),
        ("XX_Matriz.docx", b"not a document"),
    ]
    here = compile_job("Matriz.docx", base, proposals, now=NOW)
    there = parse_with_limits(compile_job, "Matriz.docx", base, proposals, now=NOW)
    assert isinstance(there, CompileResult)
    # The packages' zip entries carry the time they were written, so two compilations a second
    # apart differ in those bytes alone: compare what they hold.
    for made_here, made_there in (
        (here.revision, there.revision),
        (here.matrix, there.matrix),
        (here.clean, there.clean),
    ):
        assert _parts(made_here) == _parts(made_there)
    assert there.summary() == here.summary() and there.refused == here.refused
    assert there.compilation.revision == there.revision
    assert CompileResult.from_json(here.to_json()) == here


def _parts(package: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


async def test_the_bot_reads_a_base_once_for_all_the_proposals_on_it() -> None:
    """At a deadline every proposal is checked on the same version: its text is read once (in
    a child, as any file), and each check, against that text, answers as `check_job` does."""
    base, data = build(*BASE), proposal("Antigua and Barbuda (AG)")
    engine = Engine()
    checks = [engine.check("Matriz.docx", base, "AG_Matriz.docx", data, "AG") for _ in range(3)]
    results = await asyncio.gather(*checks)
    assert results == [check_job("Matriz.docx", base, "AG_Matriz.docx", data, "AG")] * 3
    assert list(engine._base_texts.values()) == [tuple(BASE)]
    changed = build(p("The Member States ", ins("now ", author="X"), "shall cooperate."))
    with pytest.raises(DocumentRefused) as refused:  # a base with changes of its own
        await engine.check("Matriz.docx", changed, "AG_Matriz.docx", data, "AG")
    assert refused.value.code is RefusalCode.BASE_HAS_CHANGES
    assert len(engine._base_texts) == 1  # a refused base is not kept
