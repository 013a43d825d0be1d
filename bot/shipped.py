"""Find the files ClotCare ships beside its code: content/, the emergency-number table, migrations.

In a source checkout (``make install``, the Docker image) they sit in the repository next to ``bot/``,
where authors edit them. A built wheel carries them as data files, which pip installs under
``<prefix>/share/clotcare/`` (see ``[tool.setuptools.data-files]`` in pyproject.toml).
"""

from __future__ import annotations

import site
import sys
import sysconfig
from pathlib import Path

DATA_SUBDIR = Path("share") / "clotcare"


def _source_root() -> Path | None:
    root = Path(__file__).resolve().parents[1]
    # site-packages has no pyproject.toml: this is only true in a checkout (or an editable install).
    return root if (root / "pyproject.toml").is_file() and (root / "content").is_dir() else None


def _installed_roots() -> list[Path]:
    prefixes = [sys.prefix, sysconfig.get_path("data"), site.getuserbase()]
    return [Path(p) / DATA_SUBDIR for p in dict.fromkeys(prefixes) if p]


def shipped_path(*parts: str) -> Path:
    """Return the path of a shipped file, e.g. ``shipped_path("content", "topics")``."""
    source = _source_root()
    if source is not None:
        return source.joinpath(*parts)
    candidates = [root.joinpath(*parts) for root in _installed_roots()]
    for candidate in candidates:
        if candidate.exists():
            return candidate
    # Nothing found: name the first place looked, so the error says where the file was expected.
    return candidates[0]
