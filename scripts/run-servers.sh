#!/usr/bin/env bash
# Start the action server (port 5055) and the Rasa server (port 5005) together.
# Ctrl-C, or either server stopping, stops both.
set -u
cd "$(dirname "$0")/.."
# Rasa 3.6 and its dependencies warn about their own deprecated imports at every start.
export PYTHONWARNINGS=ignore::DeprecationWarning

pids=()
stop() {
  trap - INT TERM EXIT
  kill "${pids[@]}" 2>/dev/null
  wait 2>/dev/null
}
trap stop INT TERM EXIT

.venv/bin/rasa run actions --actions actions --port 5055 &
pids+=($!)
.venv/bin/rasa run --model models/assistant.tar.gz --port 5005 \
  --endpoints endpoints.yml --credentials credentials.yml &
pids+=($!)

cat <<'MSG'
Starting the assistant (the Rasa server needs about 50 seconds to load the model).
Then talk to it, for example:
  curl -s localhost:5005/webhooks/rest/webhook -H 'Content-Type: application/json' \
       -d '{"sender": "me", "message": "Jag får ingen sms-kod"}'
Ctrl-C stops both servers.
MSG

wait -n
