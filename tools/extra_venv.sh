#!/bin/sh
# Usage: tools/extra_venv.sh VENV PYTHON CONSTRAINTS [MAKE_VARIABLE]
# A virtual environment holding dagviz (editable) and its `test` extra only, to run dagviz's own
# tests on another Python or PyTorch than the course's (make test-oldest, make test-newest).
# Rebuilt when the content of pyproject.toml or CONSTRAINTS changes (a stamp inside VENV names
# them) or when PYTHON is another version than VENV's, else reused. The project itself is relinked
# every time: a cached VENV (.ci/run) may have been built by another clone.
set -eu
venv=$1 python=$2 constraints=$3 var=${4:-PYTHON}
stamp="$venv/.deps-$(cat pyproject.toml "$constraints" | cksum | cut -d' ' -f1)"
py=$(tools/find_python.sh "$python" "$var")
want=$("$py" -c 'import sys; print(sys.version)')
have=$("$venv/bin/python" -c 'import sys; print(sys.version)' 2>/dev/null || true)
if [ "$want" != "$have" ]; then
  echo "$py -m venv --clear $venv"
  "$py" -m venv --clear "$venv"
fi
if [ ! -f "$stamp" ]; then
  echo "$venv: installing dagviz[test] with $constraints"
  "$venv/bin/python" -m pip install --quiet --upgrade pip setuptools wheel
  "$venv/bin/python" -m pip install --quiet -c "$constraints" -e ".[test]"
  rm -f "$venv"/.deps-*
  touch "$stamp"
fi
"$venv/bin/python" -m pip install --quiet --no-deps --no-build-isolation -e . >/dev/null
"$venv/bin/python" -c 'import sys, torch, torchvision, graphviz; print("dagviz tests on Python", sys.version.split()[0], "torch", torch.__version__, "torchvision", torchvision.__version__, "graphviz", graphviz.__version__)'
