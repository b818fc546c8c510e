#!/usr/bin/env bash
# Checks that the local services Sluice's tests use are up on 127.0.0.1, starting any that is down with the
# commands the machines document (../shared/stack.md). Exits non-zero naming a service that will not start.
set -u

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for() { # name port
  for _ in $(seq 1 60); do port_open "$2" && return 0; sleep 0.5; done
  echo "ensure-services: $1 did not come up on 127.0.0.1:$2" >&2
  return 1
}

ensure() { # name port start-command...
  local name=$1 port=$2; shift 2
  if port_open "$port"; then echo "ensure-services: $name is up on 127.0.0.1:$port"; return 0; fi
  echo "ensure-services: $name is down; starting it"
  "$@" >/dev/null 2>&1 || true
  wait_for "$name" "$port" && echo "ensure-services: $name started"
}

status=0
ensure PostgreSQL 5432 bash -c 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start' || status=1
ensure "NATS JetStream" 4222 start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- \
  -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log || status=1
exit $status
