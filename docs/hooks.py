"""MkDocs hooks: one set of Markdown files that reads right on GitHub and in the site.

The pages are written for GitHub, where every relative link resolves against the file's place
in the repository: `README.md` links `docs/guide.md`, a results page links
`../../benchmarks/grids/x.png`. MkDocs only knows the files under `docs/`, so this hook

- publishes `README.md` as the site's `index.md` and `CONTRIBUTING.md` as `contributing.md`;
- publishes every other repository file a page links to (the sample grids) at its repository
  path, e.g. `benchmarks/grids/x.png`;
- rewrites each relative link from "repository path" to "site path".

A link whose target does not exist in the repository is left as it is, so `mkdocs build
--strict` still fails on it: the hook moves files, it never hides a broken link.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

from mkdocs.structure.files import File, Files

# Repository files outside docs/ that become pages of the site, and their site path.
PAGES = {"README.md": "index.md", "CONTRIBUTING.md": "contributing.md"}
DOCS = "docs/"
# Inline Markdown links and images: ](target) or ](target "title"); fenced code is skipped.
LINK = re.compile(r"\]\(([^)\s]+)((?:\s+\"[^\"]*\")?)\)")
FENCE = re.compile(r"^(```|~~~)")


def _repo_root(config) -> Path:
    return Path(config.config_file_path).resolve().parent


def _repo_path_of(src_uri: str) -> str:
    """Where the Markdown source of site file ``src_uri`` lives in the repository."""
    for repo_path, site_path in PAGES.items():
        if src_uri == site_path:
            return repo_path
    return DOCS + src_uri


def _site_path_of(repo_path: str) -> str:
    if repo_path in PAGES:
        return PAGES[repo_path]
    if repo_path.startswith(DOCS):
        return repo_path[len(DOCS):]
    return repo_path


def _targets(text: str, repo_path: str):
    """Every relative link target of ``text`` outside fenced code, resolved in the repository:
    (start, end, target as written, anchor, repository path)."""
    inside = False
    offset = 0
    for line in text.splitlines(keepends=True):
        if FENCE.match(line.lstrip()):
            inside = not inside
        elif not inside:
            for m in LINK.finditer(line):
                target = m.group(1)
                if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith(("#", "/")):
                    continue
                path, _, anchor = target.partition("#")
                resolved = posixpath.normpath(posixpath.join(posixpath.dirname(repo_path), path))
                yield offset + m.start(1), offset + m.end(1), target, anchor, resolved
        offset += len(line)


def on_files(files: Files, config) -> Files:
    root = _repo_root(config)
    for repo_path, site_path in PAGES.items():
        if (root / repo_path).is_file():
            files.append(File.generated(config, site_path, abs_src_path=str(root / repo_path)))
    sources = [*PAGES, *(DOCS + f.src_uri for f in files if f.src_uri.endswith(".md"))]
    added = {f.src_uri for f in files}
    for repo_path in sources:
        source = root / repo_path
        if not source.is_file():
            continue
        for *_, resolved in _targets(source.read_text(encoding="utf-8"), repo_path):
            target = root / resolved
            site = _site_path_of(resolved)
            inside = not resolved.startswith("../") and not resolved.startswith(DOCS)
            if inside and resolved not in PAGES and site not in added and target.is_file():
                files.append(File.generated(config, site, abs_src_path=str(target)))
                added.add(site)
    return files


def on_page_markdown(markdown: str, page, config, files: Files) -> str:
    root = _repo_root(config)
    repo_path = _repo_path_of(page.file.src_uri)
    here = posixpath.dirname(page.file.src_uri)
    pieces, last = [], 0
    for start, end, _target, anchor, resolved in _targets(markdown, repo_path):
        if resolved.startswith("../") or not (root / resolved).exists():
            continue  # outside the repository or missing: MkDocs reports it
        link = posixpath.relpath(_site_path_of(resolved), here or ".")
        pieces += [markdown[last:start], link + (f"#{anchor}" if anchor else "")]
        last = end
    pieces.append(markdown[last:])
    return "".join(pieces)
