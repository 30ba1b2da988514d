# docs.sh - the documentation follows the program: the man pages render
# without a groff warning, and every command, option, configuration key
# and rule keyword the code knows is documented where users look for it.
. tests/e2e/lib.sh
PAGES="docs/bulletin.1 docs/bulletin.conf.5 docs/bulletin-rules.5"

# groff: -ww turns on every warning, -z formats without output.
for p in $PAGES; do
	if ! command -v groff >/dev/null 2>&1; then
		if [ "$CI" = true ]; then
			notok "$p renders (groff is not installed)"
		else
			ok "# SKIP groff is not installed: $p not rendered"
		fi
		continue
	fi
	groff -man -ww -z "$p" >"$T/groff.out" 2>&1; rc=$?
	if [ $rc = 0 ] && [ ! -s "$T/groff.out" ]; then
		ok "$p renders without a groff warning"
	else
		sed 's/^/# /' "$T/groff.out"
		notok "$p renders without a groff warning"
	fi
done

# The roff source as text: "\-" is "-", font escapes and quotes go.
cat >"$T/roff.py" <<'PY'
import re
def text(line):
    line = re.sub(r'^\.(B|I|BR|RB|BI|IB|IR|RI)\s+', '', line)
    line = line.replace('\\-', '-').replace('"', '')
    return re.sub(r'\\f[BIRP]', '', line)
def tags(path):
    """The words of each .TP tag, per .SH section."""
    out, sec, after_tp = [], None, False
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if line.startswith(".SH "):
            sec = line[4:].strip().strip('"')
        elif line == ".TP":
            after_tp = True
            continue
        elif after_tp:
            out.append((sec, text(line).split()))
        after_tp = False
    return out
PY

$BULLETIN --help >"$T/help" 2>&1
check "every command of --help is in bulletin.1" env T="$T" python3 - "$T/help" docs/bulletin.1 <<'PY'
import os, re, sys
sys.path.insert(0, os.environ["T"])
from roff import tags
help_text = open(sys.argv[1]).read()
cmds = set()
block = help_text.split("\ncommands:\n", 1)[1].split("\n\n", 1)[0]
for line in block.splitlines():
    m = re.match(r"  ([a-z][a-z-]*)(?: (add|set|remove|list)\b)?", line)
    if m:
        cmds.add(" ".join(g for g in m.groups() if g))
assert len(cmds) >= 15, cmds
documented = {" ".join(w[:2]) if w[:1] == ["subscriber"] else w[0]
              for sec, w in tags(sys.argv[2]) if sec == "COMMANDS" and w}
missing = sorted(cmds - documented)
if missing:
    sys.exit("# not in COMMANDS of bulletin.1: " + ", ".join(missing))
PY
check "every option of --help is in bulletin.1" env T="$T" python3 - "$T/help" docs/bulletin.1 <<'PY'
import os, re, sys
sys.path.insert(0, os.environ["T"])
from roff import text
opts = set(re.findall(r"(?<![\w-])(--?[a-zA-Z][a-z-]*)", open(sys.argv[1]).read()))
page = " ".join(text(l) for l in open(sys.argv[2], encoding="utf-8"))
words = set(re.findall(r"(?<![\w-])(--?[a-zA-Z][a-z-]*)", page))
assert "--config" in opts and "-c" in opts, opts
missing = sorted(opts - words)
if missing:
    sys.exit("# not in bulletin.1: " + ", ".join(missing))
PY

# The keys of the option table in config.c: { "section", "key", OPT_...
sed -n '/^static const struct opt opts\[\]/,/^};/p' mailer/config.c |
	sed -n 's/.*{ *"\([a-z_]*\)", *"\([a-z_]*\)", *OPT_.*/\1 \2/p' >"$T/keys"
check "the option table of config.c is read" test "$(wc -l <"$T/keys")" -ge 40

check "every config key is in bulletin.conf.5, in its section, and no other" env T="$T" python3 - "$T/keys" docs/bulletin.conf.5 <<'PY'
import os, sys
sys.path.insert(0, os.environ["T"])
from roff import tags
keys = {tuple(l.split()) for l in open(sys.argv[1])}
doc = {(sec.strip("[]"), w[0]) for sec, w in tags(sys.argv[2])
       if sec and sec.startswith("[") and w}
problems = ["missing [%s] %s" % k for k in sorted(keys - doc)]
problems += ["unknown [%s] %s" % k for k in sorted(doc - keys)]
if problems:
    sys.exit("# bulletin.conf.5: " + "; ".join(problems))
PY

# key = value, or #key = value for a default left commented out
ini_keys() {	# FILE: "section key" per key line
	awk '/^\[[a-z]+\]/ { s = substr($1, 2, length($1) - 2); next }
	    /^#?[a-z_]+ *=/ { k = $0; sub(/^#/, "", k); sub(/ *=.*/, "", k);
	    print s, k }' "$1" | sort -u
}
# quiet CMD...: CMD's output only when it fails, as comments
quiet() { "$@" >"$T/out" 2>&1 || { sed 's/^/# /' "$T/out"; return 1; }; }
# none_but WHAT FILE: ok when FILE is empty, else its lines as comments
none_but() { sed "s/^/# $1: /" "$2"; [ ! -s "$2" ]; }
sort -u "$T/keys" >"$T/keys.sorted"
ini_keys docs/bulletin.conf.example >"$T/example-keys"
comm -23 "$T/keys.sorted" "$T/example-keys" >"$T/missing"
check "every config key is in docs/bulletin.conf.example" none_but missing "$T/missing"
comm -13 "$T/keys.sorted" "$T/example-keys" >"$T/unknown"
check "docs/bulletin.conf.example has no unknown key" none_but unknown "$T/unknown"
check "docs/bulletin.conf.example loads" quiet \
	$BULLETIN --config docs/bulletin.conf.example --rules filters check-rules

# The README's INI blocks, together: every key, each one real, and loadable.
awk '/^```ini$/ { on = 1; next } /^```$/ { on = 0 } on' README.md >"$T/readme.conf"
ini_keys "$T/readme.conf" >"$T/readme-keys"
comm -3 "$T/keys.sorted" "$T/readme-keys" | sed 's/^\t/unknown: /; /^unknown/!s/^/missing: /' >"$T/readme-diff"
check "README's INI blocks name every config key and no other" none_but README "$T/readme-diff"
check "README's INI blocks load" quiet \
	$BULLETIN --config "$T/readme.conf" --rules filters check-rules

# The rule language as rules.c parses it: keywords, fields, options.
{
	sed -n 's/.*strcmp(kw, "\([a-z]*\)").*/\1/p' mailer/rules.c
	sed -n '/names\[FIELD_N\] = {/,/};/p' mailer/rules.c | grep -o '"[a-z]*"' | tr -d '"'
	sed -n 's/.*strcmp(t, "\([a-z]*\)").*/\1/p' mailer/rules.c
	sed -n 's/.*memcmp(c->p, "\([a-z]*\)".*/\1/p' mailer/rules.c
} | sort -u >"$T/words"
check "every keyword, field and option of the rule language is in bulletin-rules.5" env T="$T" python3 - "$T/words" docs/bulletin-rules.5 <<'PY'
import os, sys
sys.path.insert(0, os.environ["T"])
from roff import tags
words = {l.strip() for l in open(sys.argv[1]) if l.strip()}
known = {"category", "threshold", "phrase", "word", "regex", "include",
         "title", "text", "lead", "subject", "from", "any",
         "case", "nocase", "max"}
assert known <= words, "rules.c not read: " + ", ".join(sorted(known - words))
doc = {w[0] for sec, w in tags(sys.argv[2]) if w}
missing = sorted(words - doc)
if missing:
    sys.exit("# not a .TP entry of bulletin-rules.5: " + ", ".join(missing))
PY
done_testing
