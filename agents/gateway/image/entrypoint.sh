#!/bin/sh
# Keeps the gateway agent running inside the container. PID 1 is tini (`docker run --init`, the component's
# `init: true`): it reaps the proxy's processes and forwards SIGTERM here. If the agent dies, it is started
# again after a second; the proxy runs in its own process group, keeps serving meanwhile, and the new agent
# adopts it. Exit code 2 (bad command line) and a clean exit end the container instead.
agent=""
stopping=""
trap 'stopping=1; [ -n "$agent" ] && kill -TERM "$agent" 2>/dev/null' TERM INT
while :; do
  node /opt/switchyard/gateway.js "$@" &
  agent=$!
  wait "$agent"
  code=$?
  # A trapped signal interrupts `wait`: wait again for the agent's graceful stop.
  while kill -0 "$agent" 2>/dev/null; do
    wait "$agent"
    code=$?
  done
  if [ -n "$stopping" ] || [ "$code" -eq 0 ] || [ "$code" -eq 2 ]; then
    exit "$code"
  fi
  echo "switchyard-gateway: agent exited with code $code; starting it again in 1 s (the proxy keeps serving)" >&2
  sleep 1
done
