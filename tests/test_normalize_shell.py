"""Shell programs by meaning (bashlex): what vanishes and what stays."""

from __future__ import annotations

import dataclasses

import pytest

from harness.normalize.python_code import python_key
from harness.normalize.requirements import requirement, requirements_file
from harness.normalize.shell import code_variables, nodes, parse_program, shell_leaf

SAME = [
    ("comments and blank lines", "set -e\n# install\n\npip install six\n", "set -e\npip install six  # deps"),
    ("newline is ;", "a\nb\n", "a; b;"),
    ("quoting style", "echo 'six' \"idna\" x", 'echo six idna "x"'),
    ("braces on a plain parameter", 'python -c "$PYTHON_CODE"', 'python -c "${PYTHON_CODE}"'),
    ("escaped quote", 'echo "a\\"b"', "echo 'a\"b'"),
    ("backslash-space", "echo a\\ b", "echo 'a b'"),
    ("ANSI-C quoting", "echo $'a\\tb'", 'echo "a\tb"'),
    ("escaped dollar", 'echo "\\$X"', "echo '$X'"),
    ("redirection position", ">out.txt echo hi", "echo hi >out.txt"),
    ("default fd", "echo hi 1>out.txt", "echo hi >out.txt"),
    ("arithmetic spacing", "echo $((1 + 2))", "echo $((1+2))"),
    ("heredoc delimiter name", "cat <<'A'\nbody\nA\n", "cat <<'B'\nbody\nB\n"),
    ("heredoc into a file without $ ` \\ needs no quoting", "cat > f <<'A'\nsix\nA\n", "cat > f <<A\nsix\nA\n"),
    ("heredoc <<- strips tabs", "cat <<-'A'\n\tbody\n\tA\n", "cat <<'A'\nbody\nA\n"),
    ("python -c inline code", "python -c 'print(1)'", 'python -c "print( 1 )  # one"'),
    ("bash -c inline code", "bash -c 'a;b'", 'bash -c "a\nb"'),
    (
        "pip: order, case, spaces, extras, trailing zeros",
        "pip install 'Six==1.16.0' 'requests[socks,http2]>=2,<3'",
        "pip install 'requests[HTTP2,socks] <3, >=2' six==1.16",
    ),
    ("pip: output-only options", "pip install --no-cache-dir -q six", "pip install six --quiet --progress-bar off"),
    ("pip: option spellings", "pip install -U -r r.txt six", "pip install --upgrade --requirement=r.txt six"),
    ("pip: markers", "pip install 'six; python_version<\"3.12\"'", "pip install \"six ; python_version < '3.12'\""),
    (
        "requirements file: heredoc vs printf",
        "cat > /tmp/r.txt <<'EOF'\nsix\nidna>=3\nEOF\npip install -r /tmp/r.txt",
        "printf '%s\\n' 'idna >= 3' six > /tmp/r.txt\npip install -r /tmp/r.txt",
    ),
    (
        "requirements file: comments and order",
        "cat > r.txt <<'EOF'\nsix\n# net\nidna>=3  # pinned\nEOF\npip install -r r.txt",
        "cat > r.txt <<'EOF'\nIDNA>=3\n\nsix\nEOF\npip install -r r.txt",
    ),
    ("echo into a file", "echo six > r.txt", "printf '%s\\n' six > r.txt"),
    ("if layout", "if true; then\n  echo a\nfi", "if true\nthen echo a; fi"),
    ("for layout", "for i in 1 2; do echo $i; done", "for i in 1 2\ndo\n  echo $i\ndone"),
    ("group layout", "{ a; b; }", "{\n  a\n  b\n}"),
    ("background then newline", "a &\nb", "a & b"),
    ("line continuation", "pip install six \\\n    idna", "pip install six idna"),
]

DIFFERENT = [
    ("&& vs ;", "a && b", "a; b"),
    ("|| vs &&", "a || b", "a && b"),
    ("& vs ;", "a & b", "a; b"),
    ("pipe", "a | b", "a; b"),
    ("subshell vs group", "(cd /tmp; a)", "{ cd /tmp; a; }"),
    ("loop body operators", "while true; do a; b; done", "while true; do a && b; done"),
    ("argv order", "cp a b", "cp b a"),
    ("quoted vs unquoted expansion (word splitting)", 'python -c "$X"', "python -c $X"),
    ("glob vs literal", "echo *.txt", "echo '*.txt'"),
    ("redirection order", "cmd >f 2>&1", "cmd 2>&1 >f"),
    ("append vs truncate", "echo a >> f", "echo a > f"),
    ("unquoted >= is a redirection", "pip install 'numpy>=1.26'", "pip install numpy>=1.26"),
    ("unquoted [ is a glob", "pip install 'requests[socks]'", "pip install requests[socks]"),
    ("heredoc body", "cat <<'A'\none\nA\n", "cat <<'A'\ntwo\nA\n"),
    ("quoted heredoc does not expand", "cat > f <<'A'\n$HOME\nA\n", "cat > f <<A\n$HOME\nA\n"),
    ("unquoted heredoc runs backticks", "cat > f <<'A'\n`id`\nA\n", "cat > f <<A\n`id`\nA\n"),
    ("unquoted heredoc reads backslashes", "cat > f <<'A'\na\\\\b\nA\n", "cat > f <<A\na\\\\b\nA\n"),
    ("arithmetic", "echo $((1+2))", "echo $((1+3))"),
    ("python -c code", "python -c 'print(1)'", "python -c 'print(2)'"),
    ("pip version", "pip install six==1.16", "pip install six==1.17"),
    ("pip extra", "pip install 'requests[socks]'", "pip install requests"),
    ("pip marker", "pip install 'six; python_version<\"3.12\"'", "pip install 'six; python_version<\"3.13\"'"),
    ("pip --upgrade", "pip install six", "pip install -U six"),
    ("pip index", "pip install six", "pip install -i https://example.org/simple six"),
    ("pip launcher", "pip install six", "python3 -m pip install six"),
    (
        "requirements file content",
        "cat > r <<'E'\nsix\nE\npip install -r r",
        "cat > r <<'E'\nsix==1\nE\npip install -r r",
    ),
    ("requirements file path", "pip install -r a.txt", "pip install -r b.txt"),
    ("set -e dropped", "set -e\nrun", "run"),
    ("echo with escapes is not a plain write", "echo 'a\\nb' > f", "printf '%s\\n' 'a\\nb' > f"),
]


@pytest.mark.parametrize(("why", "a", "b"), SAME, ids=[c[0] for c in SAME])
def test_form_only_differences_vanish(why: str, a: str, b: str) -> None:
    pa, pb = parse_program(a), parse_program(b)
    assert pa.parsed and pb.parsed
    assert pa.key == pb.key, why


@pytest.mark.parametrize(("why", "a", "b"), DIFFERENT, ids=[c[0] for c in DIFFERENT])
def test_real_differences_stay(why: str, a: str, b: str) -> None:
    assert parse_program(a).key != parse_program(b).key, why


def test_unparsable_program_is_compared_as_text() -> None:
    a = "case $x in\n  a) echo a;;\nesac\n"
    assert not parse_program(a).parsed
    assert parse_program(a).key == parse_program(a + "\n\n").key
    assert parse_program(a).key == parse_program(a.replace("\n", "   \n")).key  # trailing blanks
    assert parse_program(a).key != parse_program(a.replace("  a)", "a)")).key  # indentation is text here


def test_env_vars_run_as_code() -> None:
    source = (
        'set -e\nexec python3 -c "$PYTHON_CODE"\nbash -c "${SETUP}"\neval "$MORE"\npython -c $NOT_QUOTED\necho "$X"'
    )
    assert code_variables(source) == {"PYTHON_CODE": "python", "SETUP": "shell", "MORE": "shell"}


def test_message_points_at_the_changed_command() -> None:
    a = shell_leaf("set -e\npip install 'numpy>=1.26'\npython -c \"$C\"\n")
    b = shell_leaf('set -e\npip install numpy>=1.26\npython -c "$C"\n')
    message = type(a).change_between(a, b)  # type: ignore[attr-defined]
    assert message.startswith("command 2: `pip install 'numpy>=1.26'` -> `pip install numpy>=1.26`")
    assert "adds numpy; removes numpy>=1.26" in message
    assert "shell redirection" in message


def change(a: str, b: str) -> str:
    la, lb = shell_leaf(a), shell_leaf(b)
    message = type(la).change_between(la, lb)  # type: ignore[attr-defined]
    assert isinstance(message, str)
    return message


REQS = "set -e\ncat > /tmp/requirements.txt <<'EOF'\n{}EOF\npip install -r /tmp/requirements.txt\n"


def test_message_quotes_the_program_as_written() -> None:
    # the heredoc delimiter keeps its quotes, arithmetic its spacing (both are rewritten for bashlex)
    message = change("cat > f <<'A'\nx\nA\necho $(( 1 + 2 ))\n", "cat > f <<'A'\nx\nA\necho $(( 1 + 3 ))\n")
    assert message == "command 2: `echo $(( 1 + 2 ))` -> `echo $(( 1 + 3 ))`"
    assert change(REQS.format("six\n"), REQS.format("six\n") + "true").startswith("adds command 4")


def test_requirements_file_change_names_what_is_added_and_removed() -> None:
    a = REQS.format("--index-url https://h/$(TASK_ID)/simple\nsix\nidna\n")
    b = REQS.format("# pinned\n--index-url https://h/1/simple\nSix\nidna==3\n")
    assert change(a, b) == (
        "command 2 `cat > /tmp/requirements.txt <<'EOF'`: requirements file /tmp/requirements.txt "
        "adds --index-url https://h/1/simple, idna==3; removes --index-url https://h/$(TASK_ID)/simple, idna"
    )


def test_other_heredoc_bodies_show_the_first_line_that_differs() -> None:
    a = "cat > /etc/app.conf <<'EOF'\nmode=fast\nlevel=1\nEOF\nrun\n"
    assert change(a, a.replace("level=1", "level=2")) == (
        "command 1 `cat > /etc/app.conf <<'EOF'`: file /etc/app.conf line 2: `level=1` -> `level=2`"
    )
    assert change(a, a.replace("level=1\n", "level=1\nextra\n")).endswith("file /etc/app.conf adds line 3: `extra`")
    b = "python <<'EOF'\nprint(1)\nEOF\n"
    assert change(b, b.replace("1", "2")) == "command 1 `python <<'EOF'`: heredoc line 1: `print(1)` -> `print(2)`"
    c = "cat > f <<'EOF'\n$HOME\nEOF\n"
    assert "expanded in it on the right only" in change(c, c.replace("<<'EOF'", "<<EOF"))


def test_pip_options_are_named_in_the_message() -> None:
    message = change("pip install six", "pip install -U --index-url https://x/simple six")
    assert message.endswith("(pip install adds --index-url https://x/simple, --upgrade)")
    assert change("pip install -r a.txt", "pip install -r b.txt").endswith(
        "(pip install adds --requirement b.txt; removes --requirement a.txt)"
    )


def test_message_shows_the_change_in_a_long_command() -> None:
    words = " ".join(f"pkg{i}" for i in range(30))
    message = change(f"pip install {words} six==1", f"pip install {words} six==2")
    assert "six==1` -> `" in message and message.count("…") >= 2


# The tags of the tuples the canonical form was made of before it had typed nodes.
_POSITIONAL_TAGS = frozenset(
    {"sh", "text", "cmd", "pip-install-cmd", "write-file", "assign", "heredoc", "fd", "lit", "glob", "param"}
    | {"param-expr", "arith", "subst", "subst-text", "pipeline", "list", "compound", "body", "python", "shell"}
    | {"requirements-file"}
)


def _tuples_with_a_tag(node: object) -> list[tuple[object, ...]]:
    """Tuples read by position (a tag first) anywhere in a canonical form."""
    found: list[tuple[object, ...]] = []
    if isinstance(node, tuple):
        if node and isinstance(node[0], str) and node[0] in _POSITIONAL_TAGS and not hasattr(node, "_fields"):
            found.append(node)
        for child in node:
            found.extend(_tuples_with_a_tag(child))
    elif dataclasses.is_dataclass(node) and not isinstance(node, type):
        for f in dataclasses.fields(node):
            found.extend(_tuples_with_a_tag(getattr(node, f.name)))
    return found


def test_the_canonical_form_is_typed_nodes_with_named_fields() -> None:
    program = parse_program(
        "set -e\n"
        "cat > /tmp/r.txt <<'EOF'\nidna\nEOF\n"
        "pip install -r /tmp/r.txt 'six>=1' > log\n"
        "python -c 'print(1)' \"$X\" $(date)\n"
    )
    assert isinstance(program.key, nodes.Script)
    write, pip, run = (statement.key[0] for statement in program.statements[1:])
    assert isinstance(write, nodes.FileWrite) and write.path == "/tmp/r.txt"
    assert write.content == requirements_file("idna\n")
    assert isinstance(pip, nodes.PipInstallCommand)
    assert pip.pip.requirements == frozenset({requirement("six>=1")})
    assert pip.redirects == (nodes.Redirect(">", 1, nodes.Word((nodes.Lit("log"),))),)
    assert isinstance(run, nodes.Command)
    code, quoted, substitution = run.words[2:]
    assert isinstance(code, nodes.InlineCode) and code.language == "python" and code.key == python_key("print(1)")
    assert quoted == nodes.Word((nodes.Param("X", quoted=True),)) and quoted.parameter(quoted=True) == "X"
    assert isinstance(substitution, nodes.Word) and isinstance(substitution.segments[0], nodes.Subst)
    assert _tuples_with_a_tag(program.key) == []
    assert parse_program("case $x in a) b;; esac").key == nodes.UnparsedText("case $x in a) b;; esac")


def test_two_kinds_of_node_never_compare_equal_by_their_fields() -> None:
    assert nodes.Param("x", True) != nodes.ParamExpr("x", True)
    assert nodes.Lit("*") != nodes.Glob("*")
    assert nodes.Word((nodes.Lit("x"),)) != (nodes.Lit("x"),)
    assert nodes.Body(("a",)) != nodes.CommandList(("a",))
