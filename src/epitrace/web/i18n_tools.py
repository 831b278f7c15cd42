"""Message extraction and catalog upkeep for each domain's `locale/vi.po`.

`epitrace i18n update` adds new msgids (empty translations) and drops unused ones;
`epitrace i18n check` lists msgids that have no Vietnamese translation.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir, extract_from_file
from babel.messages.pofile import read_po, write_po

from epitrace.web.i18n import PACKAGE_DIR

KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
METHOD_MAP = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n", "trimmed": "false"}}


def domain_dirs() -> list[Path]:
    return sorted(p for p in PACKAGE_DIR.iterdir() if p.is_dir() and (p / "__init__.py").exists())


def extract(domain_dir: Path) -> dict[str, list[tuple[str, int]]]:
    """msgid -> [(file, line)] for one domain (plural forms keyed by their singular)."""
    found: dict[str, list[tuple[str, int]]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(domain_dir), METHOD_MAP, OPTIONS, keywords=KEYWORDS, strip_comment_tags=True
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found.setdefault(msgid, []).append((filename, lineno))
    if domain_dir.name == "web":
        # The package's top-level modules (app, errors, cli) share the web shell's catalog.
        for module in sorted(PACKAGE_DIR.glob("*.py")):
            for lineno, message, _c, _ctx in extract_from_file(
                "python", str(module), keywords=KEYWORDS
            ):
                msgid = message[0] if isinstance(message, tuple) else message
                if msgid:
                    found.setdefault(msgid, []).append(("../" + module.name, lineno))
    return found


def catalog_path(domain_dir: Path) -> Path:
    return domain_dir / "locale" / "vi.po"


def load_catalog(domain_dir: Path) -> Catalog:
    path = catalog_path(domain_dir)
    if not path.exists():
        return Catalog(locale="vi", project="epitrace", domain=domain_dir.name)
    with path.open("rb") as fh:
        return read_po(fh, locale="vi")


def update(domain_dir: Path) -> tuple[int, int]:
    """Sync one domain's catalog with its sources; returns (added, removed)."""
    found = extract(domain_dir)
    catalog = load_catalog(domain_dir)
    existing = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}
    added = removed = 0
    for msgid, locations in found.items():
        if msgid not in existing:
            catalog.add(msgid, "", locations=locations)
            added += 1
    for msgid in list(existing):
        if msgid not in found:
            del catalog[msgid]
            removed += 1
    catalog.fuzzy = False
    catalog.project = "epitrace"
    if found or catalog_path(domain_dir).exists():
        catalog_path(domain_dir).parent.mkdir(exist_ok=True)
        with catalog_path(domain_dir).open("wb") as fh:
            write_po(
                fh, catalog, omit_header=False, sort_output=True, width=100, include_lineno=False
            )
    return added, removed


def missing(domain_dir: Path) -> list[str]:
    """Msgids used in the domain's code or templates without a Vietnamese translation."""
    catalog = load_catalog(domain_dir)
    translated = {
        (m.id if isinstance(m.id, str) else m.id[0])
        for m in catalog
        if m.id and (m.string if isinstance(m.string, str) else all(m.string or ()))
    }
    return sorted(msgid for msgid in extract(domain_dir) if msgid not in translated)


def conflicts() -> dict[str, dict[str, str]]:
    """Msgids that two domains translate differently: {msgid: {domain: translation}}.

    All catalogs are merged into one at start-up, so one of the two translations silently
    wins on every page; the same English text must mean the same thing everywhere.
    """
    seen: dict[str, dict[str, str]] = {}
    for domain_dir in domain_dirs():
        for message in load_catalog(domain_dir):
            if not message.id or not isinstance(message.id, str):
                continue
            if isinstance(message.string, str) and message.string:
                seen.setdefault(message.id, {})[domain_dir.name] = message.string
    return {
        msgid: by_domain for msgid, by_domain in seen.items() if len(set(by_domain.values())) > 1
    }
