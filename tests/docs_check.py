"""Static halves of tests/docs.sh: compares `kelpie serve --help` and `kelpie spool cat --help` with
docs/configuration.md, and the client snippets of docs/sdks.md with the names Kelpie serves.

Usage: docs_check.py flags SERVE_HELP SPOOL_CAT_HELP CONFIGURATION_MD
       docs_check.py snippets SDKS_MD
Prints "ok - ..." / "not ok - ..." lines; exits 1 when any check failed.
"""

import re
import sys

failed = 0


def check(condition, label, detail=""):
    global failed
    if condition:
        print(f"ok - {label}")
    else:
        failed += 1
        print(f"not ok - {label}" + (f"\n    {detail}" if detail else ""))


def help_options(text):
    """{flag: (env var or None, default or None)} from ArgumentParser help, lines re-joined per option."""
    options = {}
    current = None
    for line in text.splitlines():
        match = re.match(r"^  (--[a-z][a-z-]*)", line)
        if match:
            current = match.group(1)
            options[current] = ""
        if current:
            options[current] += " " + line.strip()
        if line.strip() == "" or line.startswith("SUBCOMMANDS"):
            current = None
    parsed = {}
    for flag, description in options.items():
        if flag in ("--help", "--version"):
            continue
        env = re.search(r"Env: (KELPIE_[A-Z_]+)", description)
        default = re.search(r"Default ([^ ]+?)\.?(?: |$)", description)
        parsed[flag] = (env.group(1) if env else None, default.group(1) if default else None)
    return parsed


def configuration_rows(text):
    """{flag: (env var, default cell)} from the table of docs/configuration.md."""
    rows = {}
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").replace("\\|", "/").split("|")] if line.startswith("| `--") else None
        if not cells or len(cells) < 4:
            continue
        flag = re.match(r"`(--[a-z-]+)", cells[0]).group(1)
        rows[flag] = (cells[1].strip("`"), cells[2])
    return rows


def flags(serve_help_path, spool_help_path, configuration_path):
    serve = help_options(open(serve_help_path).read())
    spool = help_options(open(spool_help_path).read())
    docs = open(configuration_path).read()
    rows = configuration_rows(docs)
    check(len(serve) >= 20, f"parsed {len(serve)} flags from kelpie serve --help")
    missing = sorted(set(serve) - set(rows))
    check(not missing, "every kelpie serve flag is in docs/configuration.md", f"missing: {missing}")
    extra = sorted(set(rows) - set(serve))
    check(not extra, "every flag in docs/configuration.md exists in kelpie serve", f"not in --help: {extra}")
    for flag in sorted(set(serve) & set(rows)):
        env, default = serve[flag]
        expected_env = "KELPIE_" + flag[2:].upper().replace("-", "_")
        check(env == expected_env and rows[flag][0] == expected_env,
              f"{flag}: --help and the docs both name {expected_env}", f"help: {env}, docs: {rows[flag][0]}")
        if default is not None:
            check(f"`{default}`" in rows[flag][1], f"{flag}: default {default} in --help and the docs",
                  f"docs default cell: {rows[flag][1]}")
    # spool cat: every option appears in the subcommand's line of the docs.
    section = docs[docs.index("## Other subcommands"):]
    cat_line = next((line for line in section.splitlines() if "`kelpie spool cat" in line), "")
    for flag in sorted(spool):
        check(flag in cat_line, f"kelpie spool cat {flag} is documented in docs/configuration.md", cat_line)
    documented = set(re.findall(r"\[(--[a-z-]+)", cat_line))
    check(documented <= set(spool), "every documented spool cat option exists",
          f"not in --help: {sorted(documented - set(spool))}")


def fenced_blocks(text, language):
    return re.findall(r"```" + language + r"\n(.*?)```", text, re.S)


def snippets(sdks_path):
    text = open(sdks_path).read()
    go = fenced_blocks(text, "go")
    js = fenced_blocks(text, "js")
    yaml_blocks = fenced_blocks(text, "yaml")
    shell = "\n".join(fenced_blocks(text, "sh"))
    check(len(go) == 1 and len(js) == 1 and len(yaml_blocks) == 1, "docs/sdks.md has one Go, one JS, one Collector block")
    if go:
        for needle in ('libhoney "github.com/honeycombio/libhoney-go"', "libhoney.Init(libhoney.Config{",
                       "APIKey:", "Dataset:", 'APIHost: "http://127.0.0.1:8080"', "libhoney.Close()"):
            check(needle in go[0], f"Go snippet uses libhoney-go's {needle}")
    if js:
        for needle in ('import Libhoney from "libhoney"', "new Libhoney({", "writeKey:", "dataset:",
                       'apiHost: "http://127.0.0.1:8080"', "sendNow("):
            check(needle in js[0], f"JS snippet uses libhoney-js's {needle}")
    for line in ("export OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:8080",
                 "export OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf",
                 "export OTEL_EXPORTER_OTLP_HEADERS=x-honeycomb-team=",
                 "export OTEL_SERVICE_NAME="):
        check(line in shell, f"OTel environment block has {line}")
    if yaml_blocks:
        try:
            import yaml
        except ImportError:
            check(False, "PyYAML available to read the Collector block (tests/docs.sh uses the SDK venv)")
            return
        config = yaml.safe_load(yaml_blocks[0])
        exporter = config.get("exporters", {}).get("otlphttp/kelpie", {})
        endpoint = exporter.get("endpoint", "")
        check(re.fullmatch(r"http://[a-z0-9.-]+:8080", endpoint) is not None,
              "Collector otlphttp endpoint is a base URL on Kelpie's port (the exporter appends /v1/<signal>)", endpoint)
        check(list(exporter.get("headers", {})) == ["x-honeycomb-team"], "Collector sends x-honeycomb-team",
              str(exporter.get("headers")))
        check(exporter.get("compression") in ("gzip", "zstd", "none"),
              "Collector compression is one Kelpie decodes (gzip, zstd, none)", str(exporter.get("compression")))
        pipelines = config.get("service", {}).get("pipelines", {})
        check(sorted(pipelines) == ["logs", "metrics", "traces"]
              and all(p.get("exporters") == ["otlphttp/kelpie"] for p in pipelines.values()),
              "Collector pipelines for traces, logs and metrics export to Kelpie")


if __name__ == "__main__":
    if sys.argv[1] == "flags":
        flags(*sys.argv[2:5])
    elif sys.argv[1] == "snippets":
        snippets(sys.argv[2])
    else:
        sys.exit(__doc__)
    sys.exit(1 if failed else 0)
