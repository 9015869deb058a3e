#!/bin/sh
# tests/readme_test.sh - every kvmsim example in README.md runs as the
# README says.
#
# Takes the lines of README.md's fenced shell blocks (```sh), joins
# backslash continuations and runs them in order in one scratch directory
# (so a later line may use a file an earlier one wrote), with K pointing at
# the kvmsim under test whatever the README assigns to it.  A line expects
# exit 0 unless its comment names a code ("# fails: exit 1"); a comment
# saying "the same failure" expects the code of the last line that
# expected a failure.  The scratch directory links scripts/ and scenarios/
# of the checkout and holds my-scenario.ini (a copy of scenarios/demo.ini)
# for the "scenario file of your own".
#
# Run: `$K` lines; scripts/trace_view.py lines (skipped, and said so, when
# the interpreter or, for --png, matplotlib is missing); sweep.py --list.
# Skipped, and listed: the sweeps themselves (slow), lines with a
# placeholder (<sha1>) and lines that are not kvmsim examples (builds,
# scripts/main.sh, fuzzers of the fuzz preset, the mutation suite).
# `explore` lines run with --time-budget $KVMSIM_README_BUDGET (default
# 5 s) appended, which also cuts a longer budget the README gives;
# KVMSIM_README_FULL=1 runs them as written and runs the sweeps too.
#
# Usage: readme_test.sh KVMSIM SRCDIR [README]
set -u
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
src=$(cd "$2" && pwd)
readme=${3:-$src/README.md}
case $readme in
    /*) ;;
    *) readme=$(pwd)/$readme ;;
esac
budget=${KVMSIM_README_BUDGET:-5}
full=${KVMSIM_README_FULL:-0}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
ln -s "$src/scripts" scripts
ln -s "$src/scenarios" scenarios
cp "$src/scenarios/demo.ini" my-scenario.ini
K=$bin
P=python3
KVMSIM=$bin
export K P KVMSIM

# One example a line: README line number, command, comment (tab-separated).
awk '
function flush() {
    if (cmd != "") {
        c = cmd; note = "";
        p = match(c, /(^|[ \t])#/);
        if (p) {
            note = substr(c, p);
            sub(/^[ \t]*#[ \t]*/, "", note);
            c = substr(c, 1, p - 1);
        }
        sub(/[ \t]+$/, "", c);
        if (c != "") {
            printf "%d\t%s\t%s\n", start, c, note;
        }
    }
    cmd = "";
}
/^[ \t]*```/ {
    line = $0;
    sub(/^[ \t]*```/, "", line);
    if (!inblock && (line == "sh" || line == "shell" || line == "bash")) {
        inblock = 1;
    } else if (inblock) {
        flush();
        inblock = 0;
    }
    next;
}
inblock {
    line = $0;
    sub(/^[ \t]+/, "", line);
    if (cmd == "") {
        start = NR;
    }
    if (line ~ /\\$/) {
        sub(/\\$/, "", line);
        cmd = cmd line;
        next;
    }
    cmd = cmd line;
    flush();
}
' "$readme" > examples.txt

pass=0
fail=0
skip=0
ran_kvmsim=0
last_fail=""

skip_line() {
    skip=$((skip + 1))
    echo "skip README:$1: $2  ($3)"
}

# run_line LINENO COMMAND EXPECTED
run_line() {
    timeout 900 sh -c "$2" </dev/null >out.txt 2>err.txt
    rc=$?
    if [ "$rc" -eq "$3" ]; then
        pass=$((pass + 1))
        echo "ok   README:$1: $2  (exit $rc)"
        return
    fi
    fail=$((fail + 1))
    echo "FAIL README:$1: $2"
    echo "     expected exit $3, got $rc; stderr:"
    tr '\r' '\n' <err.txt | grep -v '^ *[0-9]*/[0-9]* seeds, ' |
        tail -n 20 | sed 's/^/     | /'
}

tab=$(printf '\t')
while IFS=$tab read -r ln cmd note; do
    want=0
    code=$(printf '%s\n' "$note" | sed -n 's/.*exit \([0-9][0-9]*\).*/\1/p')
    if [ -n "$code" ]; then
        want=$code
    elif printf '%s\n' "$note" | grep -q 'same failure'; then
        if [ -z "$last_fail" ]; then
            fail=$((fail + 1))
            echo "FAIL README:$ln: $cmd"
            echo "     says 'the same failure' but no earlier line fails"
            continue
        fi
        want=$last_fail
    fi
    [ "$want" -ne 0 ] && last_fail=$want
    case $cmd in
        K=*)
            echo "set  README:$ln: $cmd  (K is $bin)"
            continue ;;
        P=*)
            eval "$cmd"
            export P
            echo "set  README:$ln: $cmd"
            continue ;;
        *'<'*'>'*)
            skip_line "$ln" "$cmd" "placeholder in the command"
            continue ;;
        '$K '*)
            ran_kvmsim=$((ran_kvmsim + 1))
            case $cmd in
                '$K explore --merge '*) ;;
                '$K explore '*)
                    # The README's own budget, if any, is cut to $budget:
                    # a later --time-budget wins.
                    case "$full" in
                        1) ;;
                        *) cmd="$cmd --time-budget $budget" ;;
                    esac ;;
            esac
            run_line "$ln" "$cmd" "$want" ;;
        *scripts/trace_view.py*)
            py=$(eval "printf '%s' ${cmd%% *}")
            if ! command -v "$py" >/dev/null 2>&1; then
                skip_line "$ln" "$cmd" "$py not found"
            elif printf '%s\n' "$cmd" | grep -q -- '--png' &&
                 ! "$py" -c 'import matplotlib' >/dev/null 2>&1; then
                skip_line "$ln" "$cmd" "matplotlib not importable by $py"
            else
                run_line "$ln" "$cmd" "$want"
            fi ;;
        *scenarios/sweep.py*)
            if [ "$full" = 1 ] ||
               printf '%s\n' "$cmd" | grep -q -- '--list'; then
                run_line "$ln" "$cmd" "$want"
            else
                skip_line "$ln" "$cmd" \
                    "a sweep takes seconds to minutes; KVMSIM_README_FULL=1"
            fi ;;
        *)
            skip_line "$ln" "$cmd" "not a kvmsim example" ;;
    esac
done < examples.txt

if [ "$ran_kvmsim" -lt 5 ]; then
    echo "FAIL only $ran_kvmsim kvmsim examples found in $readme"
    fail=$((fail + 1))
fi
echo "readme: $pass ran as written, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
