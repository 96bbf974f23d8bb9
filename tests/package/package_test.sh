#!/usr/bin/env bash
# The installed ifxkit, as a system gets it: builds the .deb from the build's install rules (CPack,
# as scripts/package does), unpacks it into a scratch root (never the real system), and checks that
# every tool runs, has a man page that man finds and renders without a warning, and a bash
# completion that registers itself; and that `cmake --install --prefix P` installs the same, with
# systemd units that run P's binaries and pass systemd-analyze verify.
# Usage: package_test.sh [--sanitized] BUILD_DIR VERSION TOOL...
# --sanitized (an AddressSanitizer build, scripts/test): the package is built without
# dpkg-shlibdeps, which takes half a minute over binaries that size and would make them depend on
# libasan; its Depends are checked in the optimised build (build/) only.
set -euo pipefail
sanitized=false
if [ "$1" = --sanitized ]; then
  sanitized=true
  shift
fi
build=$1 version=$2
shift 2
tools=("$@")

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# The package: its own directory, so that a test running beside scripts/package shares nothing.
cpack_flags=()
$sanitized && cpack_flags=(-D CPACK_DEBIAN_PACKAGE_SHLIBDEPS=OFF)
cpack --config "$build/CPackConfig.cmake" -B "$scratch/out" "${cpack_flags[@]}" >"$scratch/cpack.log" 2>&1 || {
  cat "$scratch/cpack.log" >&2
  exit 1
}
deb="$scratch/out/ifxkit_${version}_$(dpkg --print-architecture).deb"
[ -f "$deb" ] || {
  ls "$scratch/out" >&2
  echo "FAIL: no $deb" >&2
  exit 1
}

control=$(dpkg-deb --field "$deb")
grep -qx "Package: ifxkit" <<<"$control" || fail "control: Package"
grep -qx "Version: $version" <<<"$control" || fail "control: Version"
grep -qx "Section: admin" <<<"$control" || fail "control: Section"
grep -qx "Maintainer: ifxkit developers" <<<"$control" || fail "control: Maintainer"
# dpkg-shlibdeps' list: the C library and the compression libraries the tools link at least.
depends=$(sed -n 's/^Depends: //p' <<<"$control")
if ! $sanitized; then
  for lib in libc6 libzstd1 libarchive13; do
    grep -q "\b$lib\b" <<<"$depends" || fail "Depends lacks $lib: $depends"
  done
fi

root="$scratch/root"
dpkg-deb -x "$deb" "$root"

for tool in "${tools[@]}"; do
  out=$("$root/usr/bin/$tool" --version) || fail "$tool --version: exit code $?"
  [[ $out == "$tool $version (git "*")" ]] || fail "$tool --version printed: $out"

  page=$(MANPATH="$root/usr/share/man" man -w "$tool") || fail "man -w $tool found nothing"
  [ "$page" = "$root/usr/share/man/man1/$tool.1.gz" ] || fail "man -w $tool: $page"
  # --warnings: groff's complaints about the page go to stderr, which must stay empty.
  text=$(MANWIDTH=100 man --warnings -l "$root/usr/share/man/man1/$tool.1.gz" 2>"$scratch/man.err") ||
    fail "man -l $tool: exit code $?"
  [ -s "$scratch/man.err" ] && fail "man -l $tool warns: $(cat "$scratch/man.err")"
  grep -q "^NAME" <<<"$text" && grep -q "^ *$tool - " <<<"$text" && grep -q "^OPTIONS" <<<"$text" ||
    fail "man $tool lacks its NAME line or OPTIONS: $text"
  grep -q -- "--version" <<<"$text" || fail "man $tool lacks --version"

  completion="$root/usr/share/bash-completion/completions/$tool"
  registered=$(bash -c 'source "$1" && complete -p "$2"' sh "$completion" "$tool") ||
    fail "$completion registers no completion for $tool"
  [[ $registered == "complete -F "*" $tool" ]] || fail "complete -p $tool: $registered"
done

# Completes WORD... (the last one being completed) with the tool's completion function, as bash
# does at a tab: prints the candidates, one a line.
complete_words() {
  bash -c '
    tool=$1 file=$2
    shift 2
    source "$file"
    function=$(complete -p "$tool" | sed -n "s/^complete -F \([^ ]*\) .*/\1/p")
    COMP_WORDS=("$tool" "$@") COMP_CWORD=$#
    "$function"
    printf "%s\n" "${COMPREPLY[@]}"' sh "$1" "$root/usr/share/bash-completion/completions/$1" "${@:2}"
}
if printf '%s\n' "${tools[@]}" | grep -qx ifx-backup; then
  got=$(complete_words ifx-backup --comp)
  grep -qx -- --compress <<<"$got" || fail "ifx-backup --comp<TAB> offers: $got"
  got=$(complete_words ifx-backup -porta)
  [ "$got" = "-portable" ] || fail "ifx-backup -porta<TAB> (Go spelling) offers: $got"
  got=$(complete_words ifx-backup --compress "")
  [ "$got" = $'gzip\nzstd\nnone' ] || fail "ifx-backup --compress <TAB> offers: $got"
  got=$(complete_words ifx-backup --progress = p)
  [ "$got" = plain ] || fail "ifx-backup --progress=p<TAB> offers: $got"
  got=$(complete_words ifx-backup --bash)
  [ -z "$got" ] || fail "ifx-backup --bash<TAB> offers the hidden flag: $got"
  got=$(complete_words ifx-backup "$root/usr/b")
  [ "$got" = "$root/usr/bin" ] || fail "ifx-backup <dir><TAB> offers: $got"
fi

units="$root/usr/lib/systemd/system"
for unit in ifx-backup@.service ifx-backup@.timer; do
  [ -f "$units/$unit" ] || fail "no $units/$unit"
done
[ -f "$root/usr/share/doc/ifxkit/examples/NAME.conf" ] || fail "no example configuration"
grep -q "^ExecStart=-/usr/bin/ifx-backup " "$units/ifx-backup@.service" || fail "the .deb's unit runs no /usr/bin/ifx-backup"

# Installed under another prefix, the units run that prefix's binaries.
prefix="$scratch/prefix"
cmake --install "$build" --prefix "$prefix" >"$scratch/install.log" 2>&1 || {
  cat "$scratch/install.log" >&2
  exit 1
}
for tool in "${tools[@]}"; do
  [ -x "$prefix/bin/$tool" ] || fail "cmake --install: no $prefix/bin/$tool"
  [ -f "$prefix/share/man/man1/$tool.1.gz" ] || fail "cmake --install: no man page of $tool"
  [ -f "$prefix/share/bash-completion/completions/$tool" ] || fail "cmake --install: no completion of $tool"
done
service="$prefix/lib/systemd/system/ifx-backup@.service"
grep -q "^ExecStart=-$prefix/bin/ifx-backup " "$service" || fail "$service runs no $prefix/bin/ifx-backup"
grep -q "/usr/bin/" "$service" && fail "$service still names /usr/bin/"
# systemd-analyze verify checks the first ExecStart= only, and not one prefixed with "-": each
# step's program is checked here.
steps=$(sed -n 's/^ExecStart=[-@:+!]*\([^ ]*\).*/\1/p' "$service")
[ "$(wc -l <<<"$steps")" -eq 3 ] || fail "$service: steps $steps"
for program in $steps; do
  [ -x "$program" ] || fail "$service runs $program, which is not installed"
done
if command -v systemd-analyze >/dev/null; then
  # An instance, as `systemctl start ifx-backup@db1.service` makes it (a template alone is not a
  # unit); the timer starts the instance of the same name. Checked: every section and key, the
  # timer's unit, the first program, and (MANPATH) that man finds each page of Documentation=.
  verify="$scratch/verify"
  mkdir -p "$verify"
  cp "$service" "$verify/ifx-backup@db1.service"
  cp "$prefix/lib/systemd/system/ifx-backup@.timer" "$verify/ifx-backup@db1.timer"
  MANPATH="$prefix/share/man" systemd-analyze verify "$verify/ifx-backup@db1.service" "$verify/ifx-backup@db1.timer" \
    >"$scratch/verify.log" 2>&1 || fail "systemd-analyze verify: $(cat "$scratch/verify.log")"
  [ -s "$scratch/verify.log" ] && fail "systemd-analyze verify warns: $(cat "$scratch/verify.log")"
else
  echo "note: no systemd-analyze here; the units were not verified" >&2
fi

[ "$failures" -eq 0 ] || exit 1
echo "ok: ${#tools[@]} tools installed from $(basename "$deb")"
