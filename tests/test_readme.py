"""The README keeps what a newcomer needs (setup, local run, tests, deploy, configuration, the API in
brief) and what it shows of the repository exists: a rewrite of one section must not lose another."""

import re

from tests.support import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
# Written by a run, not kept in the repository (.gitignore): `make bench` writes its figures there.
GENERATED = {"bench/results.json"}
SECTIONS = ("The two commands", "Benchmarks", "Layout", "The `couvert` command", "Configuration (environment)",
            "Database roles and row-level security", "Deploy", "API in brief", "How the pieces fit", "Status")


def test_the_readme_keeps_its_sections_in_order():
    headings = re.findall(r"^## (.+)$", README, flags=re.MULTILINE)
    assert headings == list(SECTIONS)


def test_the_readme_gives_the_two_commands_and_the_deploy():
    assert "make dev " in README and "make test " in README
    assert "sam build && sam deploy --guided" in README


def test_the_files_the_readme_names_exist():
    named = set(re.findall(r"`((?:docs|bench|sql|functions|layers|tests|devtools|web)/[\w./-]+)`", README))
    assert named, "the README names files of the repository"
    assert sorted(path for path in named - GENERATED if not (ROOT / path.rstrip("/")).exists()) == []
