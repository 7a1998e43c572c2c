#!/usr/bin/env bash
# Start the action server (port 5055), the Rasa server (port 5005) and the chat demo page
# (port 8080) together. Ctrl-C, or any of them stopping, stops all three.
#
# The Rasa server answers browsers only from the demo page's origin; to embed the widget on
# another page, add its origin: CHAT_ALLOWED_ORIGINS="https://www.example.org" make run
set -u
cd "$(dirname "$0")/.."
# Rasa 3.6 and its dependencies warn about their own deprecated imports at every start.
export PYTHONWARNINGS=ignore::DeprecationWarning

WEB_PORT=8080
origins=("http://localhost:$WEB_PORT" "http://127.0.0.1:$WEB_PORT")
read -r -a extra_origins <<< "${CHAT_ALLOWED_ORIGINS:-}"
origins+=("${extra_origins[@]}")

# Conversations are kept in var/conversations.db (endpoints.yml); old ones go first.
mkdir -p var
.venv/bin/python -m assistant.retention --endpoints endpoints.yml || exit 1

pids=()
stop() {
  trap - INT TERM EXIT
  kill "${pids[@]}" 2>/dev/null
  wait 2>/dev/null
}
trap stop INT TERM EXIT

.venv/bin/rasa run actions --actions actions --port 5055 &
pids+=($!)
# shellcheck disable=SC2046 # one KEY=VALUE word per line of the file
env $(grep -v '^#' scripts/rasa-server.env) .venv/bin/rasa run --model models/assistant.tar.gz --port 5005 \
  --endpoints endpoints.yml --credentials credentials.yml --cors "${origins[@]}" &
pids+=($!)
.venv/bin/python -m assistant.demo_site --port "$WEB_PORT" --assistant-url http://localhost:5005 &
pids+=($!)

cat <<MSG
Starting the assistant (the Rasa server needs about 12 seconds to load the model).
Then open the chat page:  http://localhost:$WEB_PORT/   (English: http://localhost:$WEB_PORT/en/)
or talk to it over REST:
  curl -s localhost:5005/webhooks/rest/webhook -H 'Content-Type: application/json' \\
       -d '{"sender": "me", "message": "Jag får ingen sms-kod"}'
Ctrl-C stops all servers.
MSG

wait -n
