"""Writes the generated sections of a MODEL_CARD.md.

The card's prose is hand-written; the metric tables between the markers are replaced by what
the build printed, so the card can never drift from the numbers the scripts produce.
"""
import re
from pathlib import Path

BEGIN = "<!-- BEGIN GENERATED: {name} -->"
END = "<!-- END GENERATED: {name} -->"


def write_section(card_path, name, body):
    card_path = Path(card_path)
    text = card_path.read_text(encoding="utf-8")
    b, e = BEGIN.format(name=name), END.format(name=name)
    if b not in text or e not in text:
        raise SystemExit(f"{card_path} lacks the markers for section '{name}'")
    pattern = re.compile(re.escape(b) + r".*?" + re.escape(e), re.S)
    text = pattern.sub(lambda _m: f"{b}\n{body.rstrip()}\n{e}", text)
    card_path.write_text(text, encoding="utf-8")
