"""`plenaria demo --scenario`, as a newcomer runs it: a local Synapse, the working group's rooms,
a published base, and a scripted round whose documents land in `<dir>/out/`."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from bot.demo.synapse_server import free_port
from documents.tracked_changes import read_document

# No stack (no `stacks` marker, `--stacks` changes nothing here): the demo starts its own Synapse
# and bot on SQLite, as a newcomer's machine runs them; slow, and database-indifferent.


def test_the_demo_plays_a_round_and_stops_cleanly(tmp_path: Path) -> None:
    directory = tmp_path / "demo"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bot.cli.main",
            "demo",
            "--dir",
            str(directory),
            "--port",
            str(free_port()),
            "--http-port",
            "0",
            "--scenario",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 240
        for line in process.stdout:
            lines.append(line)
            if "The platform keeps running" in line or time.monotonic() > deadline:
                break
        transcript = "".join(lines)
        assert "plenaria demo is running." in transcript, transcript[-3000:]
        assert "Receipt: AG_Matriz.docx" in transcript
        assert "Receipt: BR_Matriz.docx" in transcript
        assert "Refused: “CA_Matriz.docx” contains changes made without Track Changes" in transcript
        assert "Compiled Matriz.docx" in transcript
        # The welcome, languages and support, as the simulated people read them.
        assert "Welcome to Joint Working Group on Disaster Prevention and Response" in transcript
        assert "A partir de agora, a plataforma lhe responderá em português." in transcript
        assert "Comandos que pode utilizar aqui:" in transcript
        assert "En adelante, la plataforma le responderá en español." in transcript
        assert "solicitud n.º 1" in transcript
        assert "Ticket #1 from @ag.exp1:localhost" in transcript
        assert "Respuesta de la Secretaría Técnica a su solicitud n.º 1:" in transcript
        assert "descárguelo de nuevo" in transcript
        out = directory / "out"
        revision = read_document((out / "Matriz_rev1.docx").read_bytes())
        text = " ".join(revision.accept_view())
        assert "(AG)" in text and "(BR)" in text
        assert (out / "Matriz_compilation.docx").stat().st_size > 0
    finally:
        process.send_signal(signal.SIGINT)
        try:
            rest, _ = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            rest, _ = process.communicate()
    assert process.returncode == 0, rest[-2000:]
    assert "Stopping Synapse" in rest
