# Sourced by run.sh and test.sh: a project virtual environment in .venv (PEP 668: a stock Debian or
# Ubuntu Python refuses system-wide pip installs), created on first use, with `$1` installed into it.
python=${PYTHON:-python3}
"$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || {
  echo "Python 3.11 or newer is needed (found $("$python" --version 2>&1)); set PYTHON to another interpreter." >&2
  exit 1
}
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv || {
    echo "Could not create .venv: on Debian or Ubuntu install the python3-venv package." >&2
    exit 1
  }
fi
# pip takes about 5 s to find everything already installed: skip it while the requirement files (and the
# interpreter) are the ones last installed, as recorded in a stamp inside .venv.
stamp=".venv/.installed-$(basename "$1")"
wanted="$(cat requirements*.txt | sha256sum | cut -d' ' -f1) $(.venv/bin/python --version 2>&1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$1"
  echo "$wanted" >"$stamp"
fi
PY=.venv/bin/python
