"""Pure rules: what to say."""

from __future__ import annotations

HELLO = {"en": "Hello", "da": "Hej", "fr": "Bonjour", "fi": "Hei", "pl": "Dzień dobry"}
GOODBYE = {
    "en": "Goodbye",
    "da": "Farvel",
    "fr": "Au revoir",
    "fi": "Näkemiin",
    "pl": "Do widzenia",
}


def greeting(visitor: str, language: str) -> str:
    return f"{HELLO.get(language, HELLO['en'])}, {visitor}!"


def farewell(visitor: str, language: str) -> str:
    return f"{GOODBYE.get(language, GOODBYE['en'])}, {visitor}."
