"""Website form notifications ("Company: Acme" lines), request categories and deal references in subjects.

The functions that read text are pure: they take the label table or the category rules as an argument
(`extract_form_fields(text, labels)`, `request_category(subject, rules)`), so they are tested without a
database. The loaders (`load_form_labels`, `load_category_rules`) build those arguments from the
directories an administrator extends (`mail_form_labels`, `mail_request_keywords`; see their seeds in
app.directories.services). The built-in defaults are the same seeds, for callers without a database.

Label table: normalized label → canonical field. A label is normalized by case folding, ё → е and
dropping everything but letters and digits, so "E-mail", "email" and "EMAIL:" are one label.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache

from app.directories import services as directories

FORM_LABELS_DIRECTORY = "mail_form_labels"
CATEGORY_KEYWORDS_DIRECTORY = "mail_request_keywords"
CATEGORY_DIRECTORY = "request_category"
DEFAULT_CATEGORY = "other"

FIELDS = ("company", "name", "position", "department", "phone", "email", "users_count", "comment", "page", "inn",
          "ga_client_id", "ym_client_id", "utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")
# Fields whose value may go on over the following lines (until the next label or a separator line).
MULTILINE_FIELDS = frozenset({"comment"})
# A form notification names at least two fields, one of which is a way to reach the person.
CONTACT_FIELDS = frozenset({"email", "phone"})


def normalize_label(label: str) -> str:
    return re.sub(r"[\W_]+", "", label.casefold().replace("ё", "е"))


def field_of_code(code: str) -> str:
    """The canonical field an entry code names: "company.firm" → "company"."""
    return code.split(".", 1)[0]


def build_label_table(entries: Iterable[tuple[str, str, str]]) -> dict[str, str]:
    """Label table from (code, English label, Russian label) triples; a label may list several with "|"."""
    table: dict[str, str] = {}
    for code, *labels in entries:
        for label in labels:
            for one in (label or "").split("|"):
                key = normalize_label(one)
                if key:
                    table.setdefault(key, field_of_code(code))
    return table


@lru_cache(maxsize=1)
def _default_labels() -> tuple[tuple[str, str], ...]:
    return tuple(build_label_table(directories.DIRECTORIES[FORM_LABELS_DIRECTORY].seed).items())


def default_labels() -> dict[str, str]:
    """The label table of the directory's seed (no database needed)."""
    return dict(_default_labels())


def load_form_labels() -> dict[str, str]:
    """The label table from the `mail_form_labels` directory (active entries). Reads the database."""
    return build_label_table((e.code, e.label_en, e.label_ru)
                             for e in directories.list_entries(FORM_LABELS_DIRECTORY))


# --------------------------------------------------------------------------- form fields

# "Label: value", "* Label : value", "Label:\tvalue"; the label is short and has no sentence punctuation.
_LINE = re.compile(r"^[\s*•·>-]*(?P<label>[^:\t\n]{1,60}?)\s*(?::|：|\t)\s*(?P<value>.*)$")
_SEPARATOR = re.compile(r"^\s*(?:--\s*|[-=_*]{3,})\s*$")
_INT = re.compile(r"\d[\d \u00a0\u202f]*")


def _users_count(value: str) -> int | str:
    match = _INT.search(value)
    if match:
        digits = re.sub(r"\D", "", match.group(0))
        if digits and len(digits) <= 9:
            return int(digits)
    return value


def _clean_value(name: str, value: str) -> str | int:
    value = value.strip()
    if name == "email":
        value = re.sub(r"^mailto:", "", value.strip("<> "), flags=re.IGNORECASE)
        match = re.search(r"[^\s<>()\"',;:]+@[^\s<>()\"',;]+", value)
        value = match.group(0).rstrip(".") if match else value
    if name == "users_count":
        return _users_count(value)
    return value


def _label_field(line: str, labels: Mapping[str, str]) -> tuple[str, str] | None:
    match = _LINE.match(line)
    if not match:
        return None
    name = labels.get(normalize_label(match.group("label")))
    return (name, match.group("value")) if name else None


def extract_form_fields(text: str, labels: Mapping[str, str]) -> dict[str, str | int]:
    """The fields of a form notification in `text`, keyed by canonical field name.

    A line "Label: value" whose label is in `labels` starts a field. The comment goes on over the
    following lines until the next label or a separator line ("--", "-----"); a single-line field
    with nothing after the colon takes the next non-empty line. Values are trimmed, empty values
    dropped, the first occurrence of a field wins; users_count is an int when it holds a number.
    """
    fields: dict[str, str | int] = {}
    current: str | None = None
    buffer: list[str] = []
    waiting = False  # a single-line field whose value is on the next line

    def flush() -> None:
        nonlocal current, buffer, waiting
        if current is not None and current not in fields:
            value = "\n".join(buffer).strip()
            if value:
                fields[current] = _clean_value(current, value)
        current, buffer, waiting = None, [], False

    for line in (text or "").splitlines():
        found = _label_field(line, labels)
        if found:
            flush()
            current, value = found
            buffer = [value.strip()]
            waiting = not value.strip() and current not in MULTILINE_FIELDS
            continue
        if current is None:
            continue
        if _SEPARATOR.match(line):
            flush()
        elif current in MULTILINE_FIELDS:
            buffer.append(line.rstrip())
        elif waiting and line.strip():
            buffer = [line.strip()]
            flush()
        elif not waiting:
            flush()
    flush()
    return fields


def is_form(fields: Mapping[str, object]) -> bool:
    """True when the fields are those of a request form: two or more, including an email or a phone."""
    return len(fields) >= 2 and bool(CONTACT_FIELDS & set(fields))


# --------------------------------------------------------------------------- request category

_WORD = re.compile(r"[^\W_]+")
_ENDING = re.compile(r"[аеиоуыэюяйьeaoy]$")


@lru_cache(maxsize=4096)
def _stem(word: str) -> str:
    # Drop up to two trailing vowels (Russian case endings, English "-e"), keeping at least four letters.
    for _ in range(2):
        if len(word) > 4 and _ENDING.search(word):
            word = word[:-1]
    return word


def _tokens(text: str) -> list[str]:
    return _WORD.findall(text.casefold().replace("ё", "е"))


def build_category_rules(entries: Iterable[tuple[str, str, str]],
                         categories: Iterable[str] | None = None) -> list[tuple[str, str]]:
    """(category, keyword) rules from (code, English, Russian) keyword entries; `categories` limits them
    to active category codes. Keywords may list several with "|"."""
    allowed = set(categories) if categories is not None else None
    rules: list[tuple[str, str]] = []
    for code, *keywords in entries:
        category = field_of_code(code)
        if allowed is not None and category not in allowed:
            continue
        for keyword in keywords:
            for one in (keyword or "").split("|"):
                if one.strip():
                    rules.append((category, one.strip()))
    return rules


@lru_cache(maxsize=1)
def _default_rules() -> tuple[tuple[str, str], ...]:
    return tuple(build_category_rules(directories.DIRECTORIES[CATEGORY_KEYWORDS_DIRECTORY].seed))


def default_category_rules() -> list[tuple[str, str]]:
    return list(_default_rules())


def load_category_rules() -> list[tuple[str, str]]:
    """Rules from the `mail_request_keywords` directory, for active request categories. Reads the database."""
    categories = [e.code for e in directories.list_entries(CATEGORY_DIRECTORY)]
    return build_category_rules(((e.code, e.label_en, e.label_ru)
                                 for e in directories.list_entries(CATEGORY_KEYWORDS_DIRECTORY)), categories)


def _word_matches(word: str, keyword: str) -> bool:
    stem = _stem(keyword)
    if word == keyword or (len(stem) >= 4 and word.startswith(stem)):
        return True
    # A short word differs only in its ending vowel: "цена" matches "цены", "цену" (not "центр").
    return (len(word) == len(keyword) >= 3 and word[:-1] == keyword[:-1] and bool(_ENDING.search(word))
            and bool(_ENDING.search(keyword)))


def _matches(subject: list[str], keyword: Sequence[str]) -> bool:
    for start in range(len(subject) - len(keyword) + 1):
        if all(_word_matches(subject[start + i], k) for i, k in enumerate(keyword)):
            return True
    return False


@lru_cache(maxsize=16)
def _compiled_rules(rules: tuple[tuple[str, str], ...]) -> tuple[tuple[str, tuple[str, ...], int], ...]:
    compiled = []
    for category, keyword in rules:
        tokens = tuple(_tokens(keyword))
        if tokens:
            compiled.append((category, tokens, sum(len(t) for t in tokens)))
    return tuple(compiled)


def request_category(subject: str, rules: Sequence[tuple[str, str]] | None = None) -> str:
    """The request category code for a subject: the category of the longest matching keyword, else "other".

    `rules` are (category, keyword) pairs (`load_category_rules()`); None uses the seed's defaults.
    Ties go to the rule listed first.
    """
    words = _tokens(subject or "")
    if not words:
        return DEFAULT_CATEGORY
    best, best_length = DEFAULT_CATEGORY, 0
    for category, tokens, length in _compiled_rules(tuple(rules) if rules is not None else _default_rules()):
        if length > best_length and _matches(words, tokens):
            best, best_length = category, length
    return best


# --------------------------------------------------------------------------- deal reference

# "[D-123]", "D-123", "Д-123", "Deal #123", "Deal No. 123", "Сделка №123", "по сделке № 123".
_DEAL_REFERENCES = (
    re.compile(r"(?<![\w-])[DД]-(\d{1,9})(?!\d)"),
    re.compile(r"\bdeal\s*(?:#|№|no\.?|number)?\s*(\d{1,9})\b", re.IGNORECASE),
    re.compile(r"(?<!\w)сделк[аеиуо]й?\s*(?:#|№|n|no\.?|номер)?\s*(\d{1,9})\b", re.IGNORECASE),
)
DEAL_HEADER = "X-CRM-Deal"


def deal_reference(subject: str, headers: Mapping[str, str] | None = None) -> int | None:
    """The deal number a message refers to: the X-CRM-Deal header (our own outgoing mail), else the subject."""
    for name, value in (headers or {}).items():
        if name.lower() == DEAL_HEADER.lower():
            match = re.search(r"(\d{1,9})", value or "")
            if match:
                return int(match.group(1))
    for pattern in _DEAL_REFERENCES:
        match = pattern.search(subject or "")
        if match:
            return int(match.group(1))
    return None
