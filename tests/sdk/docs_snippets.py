"""Extracts the snippets of docs/sdks.md marked `<!-- tested: tests/sdk.sh NAME -->` (the fenced block
right after the marker), with Kelpie's documented address replaced by the test server's.

Usage: docs_snippets.py SDKS_MD NAME BASE_URL   prints the snippet; exits 1 when there is no such snippet.
An `export` block is printed as NAME=VALUE lines, ready for `env`.
"""

import re
import sys

DOCUMENTED_ADDRESS = "http://127.0.0.1:8080"


def main(path, name, base_url):
    text = open(path).read()
    match = re.search(r"<!-- tested: tests/sdk\.sh " + re.escape(name) + r" -->\n```(\w+)\n(.*?)```", text, re.S)
    if not match:
        sys.exit(f"docs_snippets.py: no snippet '{name}' in {path}")
    language, body = match.groups()
    if DOCUMENTED_ADDRESS not in body and language != "python":
        sys.exit(f"docs_snippets.py: snippet '{name}' does not use {DOCUMENTED_ADDRESS}")
    body = body.replace(DOCUMENTED_ADDRESS, base_url)
    if language == "sh":
        body = "\n".join(line[len("export "):] for line in body.splitlines() if line.startswith("export "))
    print(body)


if __name__ == "__main__":
    main(*sys.argv[1:4])
