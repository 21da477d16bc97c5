"""Keep secrets out of everything the harness writes.

Three layers, because each alone leaks. By *name*: an env var or a mapping key that looks
secret (``DB_PASSWORD``, ``apiToken``) has its value replaced wherever it appears as a value.
By *value*: every secret value learned that way (and any value an executor resolved from a
``secretKeyRef``) is scrubbed from every string in the report, so it cannot escape through a
script body, a diff message, stdout, or a difference's left/right. By *shape*: a scanner
(detect-secrets' detectors, plus URL passwords and private-key blocks) recognises credentials
that carry no telling name: a token in a script, a password in a URL under ``DATABASE_URL``,
``--password=...`` in container args. What it finds is replaced where it stands and, when it
cannot be mistaken for an ordinary word, learned so that it is scrubbed everywhere else too
(the same token printed by the job to stdout).
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from harness._walk import iter_mappings

if TYPE_CHECKING:
    from re import Match

REDACTED = "<redacted>"

# Matched against env var names and mapping keys. "key" alone is matched only as a whole word
# so that MONKEY or KEYBOARD_LAYOUT are left alone.
_SECRET_NAME = re.compile(
    r"passw(or)?d|passphrase|(^|[-_.])pass($|[-_.])|pgpass|(^|[-_.])pwd($|[-_.])|secret|token|credential|private"
    r"|api[-_]?key|access[-_]?key|auth"
    r"|cookie|session[-_]?id|signature|(^|[-_.])key($|[-_.])",
    re.IGNORECASE,
)
# A secretKeyRef names a Secret and a key inside it; those names are not secret themselves.
_REFERENCE_KEYS = frozenset({"secretKeyRef", "secretRef", "secretName"})
# Shorter values would scrub innocent text everywhere ("1", "yes").
_MIN_SCRUB_LENGTH = 4


@functools.lru_cache(maxsize=4096)
def looks_secret(name: str) -> bool:
    # Cached: a report asks about the same few hundred keys tens of thousands of times.
    return bool(_SECRET_NAME.search(name))


class Redactor:
    """Learns secret values from inputs and manifests, then scrubs any JSON-like structure."""

    def __init__(self, secret_values: Iterable[str] = ()) -> None:
        self._values: set[str] = set()
        self._longest_first: list[str] | None = None
        # text -> scrubbed text, valid while nothing new is learned: a report scrubs ~40 strings
        # per scenario, most of them the same few hundred strings again.
        self._scrubbed: dict[str, str] = {}
        for value in secret_values:
            self.learn(value)

    def learn(self, value: object) -> None:
        if isinstance(value, str) and len(value) >= _MIN_SCRUB_LENGTH and value not in self._values:
            self._values.add(value)
            self._longest_first = None
            self._scrubbed.clear()

    def learn_from(self, *data: Any) -> None:
        """Find secret values anywhere in ``data``: values under secret-looking names, values
        of env vars that any of the given objects takes from a Secret, and the credentials the
        scanner recognises in any string (a token in a script, a URL's password).

        Pass related objects together (a scenario's inputs and both manifests): a builder that
        inlines a Secret as a literal value betrays itself only next to the other side's
        ``secretKeyRef`` for the same variable.
        """
        from_secrets = {name for item in data for name in _names_from_secret_refs(item)}
        for item in data:
            for name, value in _named_values(item):
                if looks_secret(name) or name in from_secrets:
                    self.learn(value)
            self._learn_recognised(item)

    def scrub(self, data: Any) -> Any:
        """A copy of ``data`` with secret-named values, every learned value and every recognised
        credential replaced."""
        return self._scrub(data, inside_reference=False)

    def scrub_strings(self, data: Any) -> Any:
        """A copy of ``data`` with every learned value and every recognised credential replaced
        inside every string; keys and structure untouched (for report documents, whose own field
        names must survive)."""
        learned = len(self._values)
        scrubbed = self._scrub_strings(data)
        if len(self._values) != learned:
            # The scanner recognised a new secret on the way: it must also go from the strings
            # scrubbed before it was seen (the stderr printed before the stdout that betrays it).
            # Rare, so a second pass costs less than a first pass only to learn.
            scrubbed = self._scrub_strings(scrubbed)
        return scrubbed

    def _scrub_strings(self, data: Any) -> Any:
        if isinstance(data, str):
            return self.scrub_text(data)
        if isinstance(data, list):
            return [self._scrub_strings(item) for item in data]
        if isinstance(data, dict):
            return {key: self._scrub_strings(value) for key, value in data.items()}
        return data

    def scrub_text(self, text: str) -> str:
        """``text`` with every learned value and every credential the scanner recognises in it
        replaced; the scanner's finds are learned on the way."""
        scrubbed = self._scrubbed.get(text)
        if scrubbed is not None:
            return scrubbed
        if len(text) < _MIN_SCAN_LENGTH:
            # no scan: nothing the scanner knows fits in so few characters
            scrubbed = self._replace_learned(text)
        else:
            weak = self._learn_found(recognise(text))
            scrubbed = self._replace_learned(text)
            for value in weak:
                # Too short or too word-like to scrub from every string: replaced, as a whole
                # word, only in the string where the scanner saw it in a credential's context.
                scrubbed = _whole_word(value).sub(REDACTED, scrubbed)
            scrubbed = _mask_shapes(scrubbed)
        if len(text) <= _MAX_CACHED_TEXT:
            if len(self._scrubbed) >= _TEXT_CACHE_ENTRIES:
                self._scrubbed.clear()  # bounded; refilling costs less than tracking recency
            self._scrubbed[text] = scrubbed
        return scrubbed

    def _replace_learned(self, text: str) -> str:
        if self._longest_first is None:
            # Longest first, so a value that contains another is replaced whole.
            self._longest_first = sorted(self._values, key=len, reverse=True)
        for value in self._longest_first:
            if value in text:
                text = text.replace(value, REDACTED)
        return text

    def _learn_found(self, found: tuple[str, ...]) -> list[str]:
        """Learn the scanner's finds that may be scrubbed everywhere; the others, returned, only
        where they were found."""
        weak = []
        for value in found:
            if _learnable(value):
                self.learn(value)
            else:
                weak.append(value)
        return weak

    def _learn_recognised(self, data: Any) -> None:
        """Learn the values the scanner recognises in any string inside ``data``."""
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, str):
                if len(item) >= _MIN_SCAN_LENGTH and (found := recognise(item)):
                    self._learn_found(found)
            elif isinstance(item, dict):
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)
                self._learn_from_argv(item)

    def _learn_from_argv(self, items: list[Any]) -> None:
        """An argv list holds an option and its value as two strings (`["--password", "x"]`):
        each option is scanned together with the word after it."""
        for option, value in itertools.pairwise(items):
            if isinstance(option, str) and isinstance(value, str) and option.startswith("-") and len(option) < 40:
                found = recognise(f"{option} {value}")
                if found:
                    self._learn_found(found)

    def _scrub(self, data: Any, *, inside_reference: bool) -> Any:
        if isinstance(data, str):
            return self.scrub_text(data)
        if isinstance(data, list):
            return [self._scrub(item, inside_reference=inside_reference) for item in data]
        if not isinstance(data, dict):
            return data
        env_name = data.get("name") if isinstance(data.get("name"), str) else None
        holds_secret_ref = isinstance(data.get("valueFrom"), dict) and "secretKeyRef" in data["valueFrom"]
        result: dict[Any, Any] = {}
        for key, value in data.items():
            is_env_value = key == "value" and (holds_secret_ref or (env_name and looks_secret(env_name)))
            is_secret_field = (
                not inside_reference
                and isinstance(key, str)
                and key not in _REFERENCE_KEYS
                and looks_secret(key)
                and _is_scalar(value)
            )
            if (is_env_value or is_secret_field) and value not in (None, ""):
                result[key] = REDACTED
            else:
                result[key] = self._scrub(value, inside_reference=inside_reference or key in _REFERENCE_KEYS)
        return result


def _is_scalar(value: Any) -> bool:
    return isinstance(value, str | int | float) and not isinstance(value, bool)


def _named_values(data: Any) -> Iterable[tuple[str, Any]]:
    """(name, value) pairs: mapping entries, and env-style items ``{name: N, value: V}``."""
    for item in iter_mappings(data, skip=_REFERENCE_KEYS):
        if isinstance(item.get("name"), str) and "value" in item:
            yield item["name"], item["value"]
            value_from = item.get("valueFrom")
            if isinstance(value_from, dict) and "secretKeyRef" in value_from:
                # a value resolved from a Secret (an executor's or a live object's) is secret
                # whatever the variable is called
                yield "secretKeyRef", item["value"]
        for key, value in item.items():
            if key not in _REFERENCE_KEYS and isinstance(key, str) and _is_scalar(value):
                yield key, value


def _names_from_secret_refs(data: Any) -> Iterable[str]:
    """Env var names whose value comes from a Secret: ``valueFrom.secretKeyRef`` in a manifest,
    ``{secretKeyRef: ...}`` in scenario inputs."""
    for item in iter_mappings(data):
        value_from = item.get("valueFrom")
        if isinstance(item.get("name"), str) and isinstance(value_from, dict) and "secretKeyRef" in value_from:
            yield item["name"]
        for key, value in item.items():
            if isinstance(value, dict) and "secretKeyRef" in value and isinstance(key, str):
                yield key


# --- the scanner: credentials recognised by their shape ----------------------------------------

# Nothing a rule below matches fits in fewer characters ("a://b:c@", 'pwd="ab"'), and most strings
# of a report are short field values ("equivalent", "script", "main"): they skip the scan.
_MIN_SCAN_LENGTH = 8
# Reports of 800+ scenarios meet the same manifest strings again and again, so finds are cached
# per distinct string and, for long texts that rarely repeat whole (a job's stdout), per line.
# Both caches are bounded in entries and in the size of what they keep alive.
_TEXT_CACHE_ENTRIES = 4096
_MAX_CACHED_TEXT = 8192
_LINE_CACHE_ENTRIES = 16384
_MAX_CACHED_LINE = 1024
# A scanner find is scrubbed from every string only when it cannot be an ordinary word: "pass"
# in https://user:pass@host must not take "passed" out of every report line.
_MIN_LEARNED_LENGTH = 6
_MIN_LEARNED_WORD_LENGTH = 12
# detect-secrets' detectors used as they are. Each recognises one credential format by a fixed
# prefix or shape (ghp_..., AKIA..., xoxb-..., sk_live_..., eyJ..., user:password@ in a URL), so
# they seldom fire on anything else. Named rather than discovered, so that a new release cannot
# quietly add a noisy one; tests/test_redact_scanner.py fails on a detector neither used nor
# excluded (_EXCLUDED_DETECTORS) below.
#
# (module, class, group): the detectors' own regexes are run with finditer, because their
# analyze_string yields re.findall's groups, and for some the group is a prefix, not the secret
# (GitHubTokenDetector yields "ghp"). ``group`` is the one holding the secret: 0 for the whole
# match, 1 where the regex captures the value after a keyword or inside a URL; None keeps
# analyze_string, for a detector that filters its matches (JWT: formally valid tokens only).
_DETECTORS: tuple[tuple[str, str, int | None], ...] = (
    ("artifactory", "ArtifactoryDetector", 0),
    ("aws", "AWSKeyDetector", 1),
    ("azure_storage_key", "AzureStorageKeyDetector", 0),
    ("basic_auth", "BasicAuthDetector", 1),
    ("cloudant", "CloudantDetector", 1),
    ("discord", "DiscordBotTokenDetector", 0),
    ("github_token", "GitHubTokenDetector", 0),
    ("gitlab_token", "GitLabTokenDetector", 0),
    ("ibm_cloud_iam", "IbmCloudIamDetector", 1),
    ("ibm_cos_hmac", "IbmCosHmacDetector", 1),
    ("jwt", "JwtTokenDetector", None),
    ("mailchimp", "MailchimpDetector", 0),
    ("npm", "NpmDetector", 1),
    ("openai", "OpenAIDetector", 0),
    ("pypi_token", "PypiTokenDetector", 0),
    ("sendgrid", "SendGridDetector", 0),
    ("slack", "SlackDetector", 0),
    ("softlayer", "SoftlayerDetector", 1),
    ("square_oauth", "SquareOAuthDetector", 0),
    ("stripe", "StripeDetector", 0),
    ("telegram_token", "TelegramBotTokenDetector", 0),
    ("twilio", "TwilioKeyDetector", 0),
)
_EXCLUDED_DETECTORS: dict[str, str] = {
    # The high-entropy detectors flag any long random-looking string: the sha256 of an image
    # (python@sha256:...), pip's --hash=sha256:..., uuids, generated workflow names, base64
    # config. In a parity report those are exactly what a reader compares, and they repeat in
    # every scenario: redacting them would hide real differences and make reports useless. The
    # credentials they would add are covered by the name rules, secretKeyRef values, the token
    # formats above, keywords in assignments and URL passwords.
    "Base64HighEntropyString": "flags digests, hashes and generated names everywhere",
    "HexHighEntropyString": "flags digests, hashes and generated names everywhere",
    # An address is not a credential, and which host a job talks to is what a reader must see.
    "IPPublicDetector": "an IP address is not a credential",
    # It yields the "BEGIN RSA PRIVATE KEY" marker, not the key: _PRIVATE_KEY_BLOCK below
    # redacts the key's body and keeps the markers readable.
    "PrivateKeyDetector": "finds the marker, not the key; replaced by _PRIVATE_KEY_BLOCK",
    # Used, but through _keyword_values: both of its regex sets, gated by a cheap keyword check.
    "KeywordDetector": "used by _keyword_values",
}
# Findings that are references or placeholders, not values: $VAR, ${VAR}, {{inputs.x}}, <x>
# (as detect-secrets' own is_templated_secret and is_prefixed_with_dollar_sign filters judge).
_PLACEHOLDER = re.compile(r"^(\$|\{.*\}$|<.*>$)", re.DOTALL)
# ...or a call or subscript: password = os.environ["X"], secret = get_secret()
_INDIRECT = re.compile(r"^[\w.-]+[\[(]")
# ...or a literal or a type in code: password = None, def login(password: str)
_LITERALS = frozenset(
    {"none", "null", "nil", "true", "false", "undefined", "required", "optional", "str", "string", "bytes", "int"}
    | {"float", "bool", "boolean", "dict", "list", "any", "object", "secretstr"}
)
_WORD_CHAR = re.compile(r"\w")
_COMPARED = re.compile(r"(==|!=)\s*[\"'`]?\s*$")
# scheme://user:password@host: the password goes, the user and the host stay so that a reader
# still sees which index or database is used. The password runs to the last "@" of the
# authority, as urllib splits it; whitespace, quotes and <> end it (text around a URL).
_URL_USERINFO = re.compile(
    r"(?P<head>\b[A-Za-z][A-Za-z0-9+.-]*://[^\s:/?#@'\"`<>]*:)(?P<password>[^\s/?#'\"`<>]+)(?=@)"
)
# An armored private key (PEM: RSA, EC, DSA, PKCS#8, OpenSSH, encrypted; PGP; SSH2): the body
# goes, the BEGIN and END lines stay. Without an END (a cut-off stdout) the rest goes.
_PRIVATE_KEY_BLOCK = re.compile(
    r"(?P<begin>-{4,5} ?BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)? ?-{4,5})"
    r"(?P<body>.*?)"
    r"(?P<end>-{4,5} ?END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)? ?-{4,5}|\Z)",
    re.DOTALL,
)

# Credentials as separate words, which detect-secrets' keyword rules (built for `name = value`)
# miss: an option and its value (`--password hunter2`, `--token=...` is theirs), curl's
# `-u user:password`, an Authorization header's token, and `password <value>` in the message of
# an exception. The value must look made up (letters and digits, or long) so that prose such as
# "token expired" keeps its words.
_SEPARATE_CREDENTIALS = (
    re.compile(
        r"(?i)(?:^|[\s\"'])--?(?:password|passwd|pass|pwd|token|secret|api[-_]?key|access[-_]?key"
        r"|auth[-_]?token|client[-_]?secret)\s+[\"']?(?P<value>[^\s\"']+)"
    ),
    re.compile(r"(?:^|[\s\"'])(?:-u|--user)\s+[\"']?[^\s:\"']+:(?P<value>[^\s\"'@]+)"),
    re.compile(r"(?i)\b(?:bearer|basic|token)\s+(?P<value>[A-Za-z0-9._~+/=-]{8,})"),
    re.compile(
        r"(?i)\b(?:password|passwd|passphrase|token|secret|api[-_ ]?key)\b\s*(?:is|was|[:=])?\s+"
        r"[\"']?(?P<value>[^\s\"',;)]{8,})"
    ),
)


def _separate_values(line: str) -> Iterator[str]:
    for regex in _SEPARATE_CREDENTIALS:
        for match in regex.finditer(line):
            value = match.group("value")
            if _made_up(value):
                yield value


def _made_up(value: str) -> bool:
    """Looks generated rather than a word: letters with digits, or long and not one word."""
    has_digit = any(char.isdigit() for char in value)
    has_alpha = any(char.isalpha() for char in value)
    return (has_digit and has_alpha) or (len(value) >= 16 and not value.isalpha())


LineScanner = Callable[[str], Iterable[str]]
_SCOPED_FLAGS = ((re.IGNORECASE, "i"), (re.MULTILINE, "m"), (re.DOTALL, "s"), (re.VERBOSE, "x"))


def recognise(text: str) -> tuple[str, ...]:
    """The credential values the scanner recognises in ``text`` (cached per distinct string)."""
    if len(text) < _MIN_SCAN_LENGTH:
        return ()
    if len(text) > _MAX_CACHED_TEXT:
        return _recognise(text)
    return _recognise_cached(text)


def _recognise(text: str) -> tuple[str, ...]:
    found: dict[str, None] = {}  # ordered and unique
    for line in text.splitlines():
        if len(line) < _MIN_SCAN_LENGTH:
            continue
        for value in _recognise_line_cached(line) if len(line) <= _MAX_CACHED_LINE else _recognise_line(line):
            found[value] = None
    return tuple(found)


_recognise_cached = functools.lru_cache(maxsize=_TEXT_CACHE_ENTRIES)(_recognise)


def _recognise_line(line: str) -> tuple[str, ...]:
    found: dict[str, None] = {}
    any_match, detectors = _detectors()
    raw_values = itertools.chain(_keyword_values(line), _separate_values(line))
    if any_match.search(line):
        raw_values = itertools.chain(raw_values, *(scan(line) for scan in detectors))
    for raw in raw_values:
        value = _clean(raw, line)
        if _plausible(value):
            found[value] = None
    return tuple(found)


_recognise_line_cached = functools.lru_cache(maxsize=_LINE_CACHE_ENTRIES)(_recognise_line)


@functools.cache
def _detectors() -> tuple[re.Pattern[str], tuple[LineScanner, ...]]:
    """detect-secrets' detectors, imported on first use: it pulls in ``requests`` (0.2 s), which
    ``parity diff`` between equivalent manifests never needs. With them, one regex that matches
    where any of theirs does: a line it does not match (nearly all) costs one search, not 35.

    Their regexes and ``analyze_string`` only: no baseline, no global settings, and never
    ``verify``, which would send a found secret over the network to check it."""
    import importlib

    scanners: list[LineScanner] = []
    patterns: list[re.Pattern[str]] = []
    for module, name, group in _DETECTORS:
        detector = getattr(importlib.import_module(f"detect_secrets.plugins.{module}"), name)()
        patterns.extend(detector.denylist)
        if group is None:
            scanners.append(detector.analyze_string)
        else:
            scanners.append(functools.partial(_regex_values, tuple(detector.denylist), group))
    return _any_of(patterns), tuple(scanners)


def _any_of(patterns: list[re.Pattern[str]]) -> re.Pattern[str]:
    """One regex that matches wherever one of ``patterns`` does (each keeps its own flags)."""
    parts = []
    for pattern in patterns:
        flags = "".join(letter for flag, letter in _SCOPED_FLAGS if pattern.flags & flag)
        parts.append(f"(?{flags}:{pattern.pattern})")
    try:
        return re.compile("|".join(parts))
    except re.error:  # a future detector's regex that cannot be scoped: no shortcut, all of them run
        return re.compile("")


def _regex_values(denylist: tuple[re.Pattern[str], ...], group: int, line: str) -> Iterator[str]:
    for regex in denylist:
        for match in regex.finditer(line):
            # a regex without groups holds the secret in its whole match
            yield match.group(min(group, regex.groups)) or match.group()


@functools.cache
def _keyword_detector() -> tuple[Any, re.Pattern[str], tuple[dict[re.Pattern[str], int], dict[re.Pattern[str], int]]]:
    from detect_secrets.plugins import keyword

    # Any line the detector can match contains one of its keywords: one search skips the ten
    # regexes on every other line (KeywordDetector is most of the scanner's time otherwise).
    trigger = re.compile("|".join(keyword.DENYLIST), re.IGNORECASE)
    # Quotes required (password = "..."), as for source code; and the config style, where the
    # value stands unquoted (--password=..., PGPASSWORD=..., db_password: ...), as in container
    # args, shell lines and logs.
    regex_sets = (keyword.QUOTES_REQUIRED_DENYLIST_REGEX_TO_GROUP, keyword.CONFIG_DENYLIST_REGEX_TO_GROUP)
    return keyword.KeywordDetector(), trigger, regex_sets


def _keyword_values(line: str) -> Iterator[str]:
    detector, trigger, regex_sets = _keyword_detector()
    if not trigger.search(line):
        return
    quoted, config = regex_sets
    yield from detector.analyze_string(line, quoted)
    for found in detector.analyze_string(line, config):
        if _COMPARED.search(line[: max(line.find(found), 0)]):
            # password == other, secret != "": code comparing, not configuration (a quoted
            # literal compared is still found by the quoted set above)
            continue
        if any(char.isspace() for char in found) and not any(f"{q}{found}{q}" in line for q in "\"'`"):
            # The config style reads to the end of the line; unquoted, a value ends at the
            # first blank, as the shell or an argument parser would split it.
            yield found.split(None, 1)[0]
        else:
            yield found


def _clean(value: str, line: str) -> str:
    # Some detectors' matches include the delimiter before and after the token (Artifactory).
    value = value.strip().lstrip("=:").strip("\"'`")
    if value.startswith("eyJ"):
        # The JWT regex stops before the signature; the whole token goes.
        at = line.find(value)
        if at >= 0:
            tail = re.match(r"[A-Za-z0-9_\-.+/=]*", line[at + len(value) :])
            value += tail.group() if tail else ""
    return value


def _plausible(value: str) -> bool:
    return (
        len(value) >= _MIN_SCRUB_LENGTH
        and REDACTED not in value
        and any(char.isalnum() for char in value)
        and not _PLACEHOLDER.match(value)
        and not _INDIRECT.match(value)
        and value.rstrip(",;)]").lower() not in _LITERALS
    )


def _learnable(value: str) -> bool:
    """Whether a scanner find may be scrubbed from every string, not only where it was seen."""
    return len(value) >= _MIN_LEARNED_WORD_LENGTH or (len(value) >= _MIN_LEARNED_LENGTH and not value.isalpha())


@functools.lru_cache(maxsize=256)
def _whole_word(value: str) -> re.Pattern[str]:
    before = r"(?<!\w)" if _WORD_CHAR.match(value[0]) else ""
    after = r"(?!\w)" if _WORD_CHAR.match(value[-1]) else ""
    return re.compile(before + re.escape(value) + after)


def _mask_shapes(text: str) -> str:
    """URL passwords and private-key bodies, replaced where they stand (whatever their value)."""
    if "@" in text and "://" in text:
        text = _URL_USERINFO.sub(_mask_password, text)
    if "PRIVATE KEY" in text:
        text = _PRIVATE_KEY_BLOCK.sub(_mask_private_key, text)
    return text


def _mask_password(match: Match[str]) -> str:
    password = match["password"]
    if password == REDACTED or _PLACEHOLDER.match(password):
        return match.group()
    return match["head"] + REDACTED


def _mask_private_key(match: Match[str]) -> str:
    body = match["body"]
    if not body.strip() or body.strip() == REDACTED:
        return match.group()
    newline = "\n" if "\n" in body else ""
    return f"{match['begin']}{newline}{REDACTED}{newline}{match['end']}"
