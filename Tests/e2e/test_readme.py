"""The README's walkthroughs, run as written.

Every fenced block whose info string is `sh walkthrough` runs, in README order, in one bash
session (so variables carry from block to block), from a scratch checkout whose `.build` is
this one's, against a fresh `maestro dev up`. A `# => text` line states what the commands
above it print: each must appear in the block's standard output, in order, with `…` matching
anything and runs of spaces compared as one. A failing command fails the block (`set -euo
pipefail`)."""
import os
import shutil
import re
import signal
import subprocess
import sys
import threading
import tempfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
POSTGRES_PORT = 7632
REDIS_PORT = 7579


def walkthrough_blocks(readme: str) -> list[tuple[int, str]]:
    blocks, current, start = [], None, 0
    for number, line in enumerate(readme.splitlines(), 1):
        if current is None and re.fullmatch(r"```sh walkthrough\s*", line):
            current, start = [], number
        elif current is not None and line.strip() == "```":
            blocks.append((start, "\n".join(current)))
            current = None
        elif current is not None:
            current.append(line)
    assert current is None, f"the walkthrough block at README line {start} is not closed"
    return blocks


def expectations(block: str) -> list[str]:
    return [line.split("# =>", 1)[1].strip() for line in block.splitlines() if line.lstrip().startswith("# =>")]


def squeeze(text: str) -> str:
    return re.sub(r"[ \t]+", " ", text)


def expect_in_order(output: str, expected: list[str], where: str) -> None:
    position = 0
    text = squeeze(output)
    for wanted in expected:
        pattern = ".*?".join(re.escape(part) for part in squeeze(wanted).split("…"))
        found = re.compile(pattern).search(text, position)
        assert found, f"{where}: expected {wanted!r} (after what was matched before) in:\n{output}"
        position = found.end()


def test_blocks_are_found_and_each_states_its_output():
    blocks = walkthrough_blocks(open(os.path.join(ROOT, "README.md")).read())
    assert len(blocks) >= 7
    assert all(expectations(block) or "curl" in block for _, block in blocks)


@pytest.fixture
def checkout(maestro_bin):
    # A scratch checkout: the postgres user must reach it when the tests run as root.
    directory = tempfile.mkdtemp(prefix="maestro-readme-", dir="/tmp")
    os.chmod(directory, 0o755)
    os.symlink(os.path.join(ROOT, ".build"), os.path.join(directory, ".build"))
    # The deployment files, copied: the walkthrough writes secrets into them.
    for folder in ("compose", "k8s"):
        shutil.copytree(os.path.join(ROOT, folder), os.path.join(directory, folder), ignore=shutil.ignore_patterns("secrets"))
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("MAESTRO_", "OTEL_"))}
    environment.update({"MAESTRO_CONFIG_DIR": os.path.join(directory, "config"), "HOME": directory,
                        # python3 is the e2e virtualenv's, as a user's would be the one they installed mlflow into.
                        "PATH": os.path.dirname(sys.executable) + os.pathsep + environment["PATH"]})
    stack = subprocess.Popen([maestro_bin, "dev", "up", "--dir", ".maestro", "--postgres-port", str(POSTGRES_PORT), "--redis-port", str(REDIS_PORT)],
                             cwd=directory, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    banner = []
    for line in stack.stdout:
        banner.append(line)
        if "Press Ctrl-C to stop." in line:
            break
    else:
        stack.kill()
        pytest.fail("maestro dev up did not report ready:\n" + "".join(banner))
    try:
        yield directory, environment
    finally:
        stack.send_signal(signal.SIGINT)
        try:
            stack.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            stack.kill()
        subprocess.run(["rm", "-rf", directory], check=False)


def test_every_walkthrough_block_runs_and_prints_what_the_readme_says(checkout):
    directory, environment = checkout
    blocks = walkthrough_blocks(open(os.path.join(ROOT, "README.md")).read())
    shell = subprocess.Popen(["bash", "--noprofile", "--norc"], cwd=directory, env=environment, stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        shell.stdin.write("set -euo pipefail\n")
        for index, (line, block) in enumerate(blocks):
            script = os.path.join(directory, f".walkthrough-{index}.sh")
            with open(script, "w") as file:
                file.write(block + "\n")
            marker = f"__walkthrough_block_{index}_done__"
            # The block's commands must not read the shell's own input (the next commands); the
            # marker goes on a line of its own, also after output without a final newline.
            shell.stdin.write(f"source {script} < /dev/null\nprintf '\\n%s\\n' {marker}\n")
            shell.stdin.flush()
            output, out = [], ""
            watchdog = threading.Timer(180, shell.kill)
            watchdog.start()
            for out in shell.stdout:
                if out.strip() == marker:
                    break
                output.append(out)
            watchdog.cancel()
            if out.strip() != marker:
                pytest.fail(f"README line {line}: the block failed (the shell exited {shell.wait()}):\n{block}\n--- output ---\n{''.join(output)}")
            expect_in_order("".join(output), expectations(block), f"README line {line}")
    finally:
        shell.kill()
