"""The README stays a five-minute read and every page links only inside the repository.

Links are checked the way GitHub resolves them (relative to the page's own folder), so the
same rule holds on GitHub and, through docs/hooks.py, in the MkDocs site.
"""

from __future__ import annotations

import posixpath
import re

from tests.docs.conftest import README, ROOT, doc_pages, prose

MAX_README_LINES = 250
LINK = re.compile(r"\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
OUTSIDE = re.compile(r"[a-z][a-z0-9+.-]*://|www\.|mailto:", re.I)


def relative_links(text: str) -> list[str]:
    """Link and image targets of the page's prose, without anchors-only links."""
    return [t for t in LINK.findall(prose(text)) if not t.startswith("#")]


def test_readme_is_at_most_250_lines():
    lines = README.read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_README_LINES, f"README.md has {lines} lines; move detail into docs/"


def test_no_page_points_outside_the_repository():
    offenders = [
        f"{page.relative_to(ROOT)}: {match.group(0)}"
        for page in doc_pages()
        for match in OUTSIDE.finditer(page.read_text(encoding="utf-8"))
    ]
    assert not offenders, f"links out of the repository: {offenders}"


def test_every_relative_link_reaches_a_file_in_the_repository():
    broken = []
    for page in doc_pages():
        here = page.parent.relative_to(ROOT).as_posix()
        for target in relative_links(page.read_text(encoding="utf-8")):
            path = target.split("#", 1)[0]
            resolved = posixpath.normpath(posixpath.join(here, path))
            if resolved.startswith("..") or not (ROOT / resolved).is_file():
                broken.append(f"{page.relative_to(ROOT)} -> {target}")
    assert not broken, f"links to nothing: {broken}"


def test_the_link_reader_finds_links_in_prose_only():
    text = 'see [a](docs/a.md#x) and ![g](g.png "t")\n```\n[not](b.md)\n```\n[c](#top)\n'
    assert relative_links(text) == ["docs/a.md#x", "g.png"]


HASH = re.compile(r"(?<![\w./-])(?=[0-9a-f]*[a-f])(?=[0-9a-f]*[0-9])[0-9a-f]{7,40}(?![\w.-])")


def provenance_in_prose(text: str) -> list[str]:
    """Commit hashes and `git checkout` lines: a row's commit lives in benchmarks/*.jsonl."""
    text = LINK.sub("]()", text)  # grid file names carry run hashes; they are files, not commits
    return HASH.findall(text) + re.findall(r"git checkout [\w./-]+", text)


def test_pages_name_no_commits_and_no_checkouts():
    found = {
        str(page.relative_to(ROOT)): hits
        for page in doc_pages()
        if (hits := provenance_in_prose(page.read_text(encoding="utf-8")))
    }
    assert not found, f"commit hashes or git checkout in the docs: {found}"


def test_provenance_reader_sees_hashes_but_not_numbers_or_grids():
    text = "ran at 74de6b0; `git checkout 5c0f5e0`; 0.0006371083804576745; ![g](x-39673f36.png)"
    assert provenance_in_prose(text) == ["74de6b0", "5c0f5e0", "git checkout 5c0f5e0"]
