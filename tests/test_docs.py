"""The documentation stays true and self-contained.

- README.md stays short (at most 10 KB); the details live in docs/.
- The README's Layout section names every package under chalicelib/ and nothing that is
  not in the tree, so it cannot drift as the code moves.
- Every relative link in README.md and docs/*.md reaches a file (and a heading, when the
  link names one).
- No file of the repository refers to documents outside it.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
README_LIMIT = 10 * 1024

# Built from parts so that this file does not match its own check.
OUTSIDE_DOCUMENTS = re.compile("|".join([r"\b" + "DES" + r"IGN\b", re.escape(".." + "/shared")]))

FENCE = re.compile(r"^```.*?^```", re.M | re.S)
INLINE_CODE = re.compile(r"`[^`\n]*`")
#: A path in backticks under one of the repository's directories, e.g. `deploy/build.py`.
REPO_PATH = re.compile(
    r"`((?:chalicelib|tests|scripts|deploy|docs|sidenote_cli|\.chalice)/[^`\s]*)`"
)
LINK = re.compile(r"(?<!!)\[[^\]\n]*\]\(([^)\s]+)\)")


def _layout_block() -> list[str]:
    """The lines of the code block in the README's "## Layout" section."""
    text = README.read_text(encoding="utf-8")
    section = re.search(r"^## Layout\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert section, "README.md has no '## Layout' section"
    block = re.search(r"^```\n(.*?)^```", section.group(1), re.M | re.S)
    assert block, "the Layout section has no code block"
    return block.group(1).splitlines()


def _layout_entries() -> tuple[list[str], list[str]]:
    """(top-level paths, names listed under chalicelib/) as the Layout block gives them."""
    top, inside = [], []
    for line in _layout_block():
        name = line.split()[0] if line.strip() else ""
        if not name:
            continue
        if line.startswith(" "):
            inside.append(name.rstrip("/"))
        else:
            top.append(name.rstrip("/"))
    return top, inside


def _packages() -> set[str]:
    return {p.parent.name for p in (ROOT / "chalicelib").glob("*/__init__.py")}


def _slug(heading: str) -> str:
    """The anchor GitHub gives a heading."""
    text = heading.strip().lower().replace("`", "")
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    return {_slug(h) for h in re.findall(r"^#{1,6} (.+)$", text, re.M)}


def _relative_links(path: Path) -> list[str]:
    text = INLINE_CODE.sub("", FENCE.sub("", path.read_text(encoding="utf-8")))
    return [t for t in LINK.findall(text) if not re.match(r"[a-z][a-z0-9+.-]*:", t, re.I)]


def _repository_text_files() -> list[Path]:
    """Tracked files plus new ones not ignored (what a commit of the tree would hold)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    files = []
    for name in filter(None, listed.split("\0")):
        path = ROOT / name
        if path.is_file():
            files.append(path)
    return files


def test_readme_is_at_most_10_kb():
    size = len(README.read_bytes())
    assert size <= README_LIMIT, f"README.md is {size} bytes; move details to docs/"


def test_readme_layout_names_every_package_under_chalicelib():
    _, inside = _layout_entries()
    missing = _packages() - set(inside)
    assert not missing, f"README Layout does not name: {sorted(missing)}"


def test_readme_layout_names_nothing_that_is_not_in_the_tree():
    top, inside = _layout_entries()
    assert "chalicelib" in top
    absent = [n for n in inside if not (ROOT / "chalicelib" / n).is_dir()]
    absent += [n for n in top if not (ROOT / n).exists()]
    assert not absent, f"README Layout names what does not exist: {absent}"


def test_every_relative_link_in_the_docs_reaches_a_file_and_heading():
    broken = []
    for doc in [README, *DOCS]:
        for target in _relative_links(doc):
            file_part, _, anchor = target.partition("#")
            path = (doc.parent / file_part).resolve() if file_part else doc
            if not path.exists():
                broken.append(f"{doc.relative_to(ROOT)}: {target} (no such file)")
            elif anchor and path.suffix == ".md" and anchor not in _anchors(path):
                broken.append(f"{doc.relative_to(ROOT)}: {target} (no such heading)")
    assert not broken, "\n".join(broken)


def test_every_repository_path_the_docs_name_exists():
    missing = []
    for doc in [README, *DOCS]:
        for path in REPO_PATH.findall(doc.read_text(encoding="utf-8")):
            if "<" not in path and not (ROOT / path).exists():
                missing.append(f"{doc.relative_to(ROOT)}: {path}")
    assert not missing, "\n".join(missing)


def test_the_docs_link_each_other_from_the_readme():
    links = {t.partition("#")[0] for t in _relative_links(README)}
    unlinked = [d.name for d in DOCS if f"docs/{d.name}" not in links]
    assert not unlinked, f"README.md does not link: {unlinked}"


def test_no_file_refers_to_documents_outside_the_repository():
    found = []
    for path in _repository_text_files():
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue  # binary
        for number, line in enumerate(text.splitlines(), 1):
            if OUTSIDE_DOCUMENTS.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:100]}")
    assert not found, "references to documents outside the repository:\n" + "\n".join(found)


def test_the_outside_document_check_catches_the_old_citations():
    for line in ["see " + "DES" + "IGN.md", "(" + "DES" + "IGN principle 4)", "../" + "shared/x"]:
        assert OUTSIDE_DOCUMENTS.search(line), line
    assert not OUTSIDE_DOCUMENTS.search("the data design; docs/architecture.md")
