#!/bin/sh
# Usage: tools/find_python.sh python3.10 [MAKE_VARIABLE]
# Print the path of that interpreter: the command itself when it runs, else the newest matching
# version pyenv has installed (pyenv's shims only run the versions selected in the shell, so
# `python3.10` can fail even though pyenv has 3.10). Exit 1, saying what to do, when neither works.
cmd="$1"
var="${2:-PYTHON}"
if [ -z "$cmd" ]; then
  echo "usage: $0 python3.X" >&2
  exit 2
fi
if "$cmd" -c 'import sys' >/dev/null 2>&1; then
  "$cmd" -c 'import sys; print(sys.executable)'
  exit 0
fi
version=${cmd##*/}
version=${version#python}
case "$version" in
  [0-9]*.[0-9]*)
    if command -v pyenv >/dev/null 2>&1; then
      found=$(pyenv versions --bare 2>/dev/null | grep -E "^${version}\.[0-9]+$" | sort -t. -k3 -n | tail -n 1)
      if [ -n "$found" ] && path=$(PYENV_VERSION="$found" pyenv which "python${version}" 2>/dev/null); then
        echo "$path"
        exit 0
      fi
    fi ;;
esac
echo "error: '$cmd' is not installed (or does not run). Install Python ${version:-of that version}" \
  "(Debian/Ubuntu: sudo apt-get install python${version}-venv, from the deadsnakes PPA on Ubuntu;" \
  "or pyenv install ${version}), or name another interpreter, e.g. make ${var}=/path/to/python${version}." >&2
exit 1
