#!/usr/bin/env bash
# Print the path of a Python that Rasa 3.6 runs on (3.10 preferred, else 3.9), or explain
# what to install and fail.
set -u
candidates=()
if command -v pyenv >/dev/null 2>&1; then
  root=$(pyenv root)
  candidates+=("$root"/versions/3.10.*/bin/python "$root"/versions/3.9.*/bin/python)
fi
candidates+=("$HOME"/.pyenv/versions/3.10.*/bin/python "$HOME"/.pyenv/versions/3.9.*/bin/python)
for name in python3.10 python3.9 python3 python; do
  path=$(command -v "$name" 2>/dev/null) && candidates+=("$path")
done
for python in "${candidates[@]}"; do
  [ -x "$python" ] || continue
  version=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null) || continue
  case "$version" in
    3.10|3.9)
      # A venv needs the venv module (Debian splits it into pythonX.Y-venv).
      "$python" -c 'import venv, ensurepip' 2>/dev/null || continue
      echo "$python"
      exit 0
      ;;
  esac
done
cat >&2 <<'MSG'
Rasa 3.6 needs Python 3.10 (or 3.9), and none was found.
Install one, then run make again:
  pyenv install 3.10.13                                  (with pyenv)
  sudo apt-get install python3.10 python3.10-venv        (Debian/Ubuntu, where packaged)
Or point make at one: make run PYTHON=/path/to/python3.10
MSG
exit 1
