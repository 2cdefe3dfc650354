# Sourced by tools/wheel.sh and tools/wheel_test.sh: which CPython versions the
# package ships, and where this machine keeps an interpreter for each.
#
#   dc_python_versions    the X.Y of every "Programming Language :: Python :: X.Y"
#                         classifier in pyproject.toml (one source of truth), or
#                         $PYTHON_VERSIONS (e.g. "3.12 3.13") to build a subset
#   dc_find_python X.Y    the interpreter for X.Y: the newest
#                         $PYENV_ROOT/versions/X.Y.*/bin/pythonX.Y (default
#                         PYENV_ROOT ~/.pyenv), else pythonX.Y on PATH; prints
#                         nothing when there is none. Shims are resolved to the
#                         real executable (sys.executable).

dc_python_versions() {
  if [ -n "${PYTHON_VERSIONS:-}" ]; then
    echo $PYTHON_VERSIONS
    return
  fi
  sed -n 's/^ *"Programming Language :: Python :: \(3\.[0-9][0-9]*\)".*/\1/p' pyproject.toml | sort -V | tr '\n' ' '
}

dc_find_python() {
  local want=$1 candidates=() c exe
  local pyenv=${PYENV_ROOT:-$HOME/.pyenv}
  if [ -d "$pyenv/versions" ]; then
    # newest patch release first; skip pre-releases and free-threaded builds
    while read -r c; do candidates+=("$c"); done < <(
      ls -d "$pyenv/versions/$want".* 2>/dev/null | grep -E "/$want\.[0-9]+$" | sort -rV |
        sed "s|\$|/bin/python$want|")
  fi
  c=$(command -v "python$want" 2>/dev/null) && candidates+=("$c")
  for c in "${candidates[@]}"; do
    [ -x "$c" ] || continue
    exe=$("$c" -c "import sys; v = '%d.%d' % sys.version_info[:2]; print(sys.executable if v == '$want' and sys.implementation.name == 'cpython' else '')" 2>/dev/null) || continue
    if [ -n "$exe" ]; then echo "$exe"; return; fi
  done
}
