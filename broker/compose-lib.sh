# Sourced by the compose profiles' entry scripts (compose-secure.sh, compose-lan.sh), which run
# as PID 1 in the apache/kafka image: Kafka runs in the background while they set up users and
# ACLs, so the script must pass `docker stop`'s SIGTERM on (a clean shutdown, not a SIGKILL
# after 10 s), give up if Kafka dies while starting, and flag readiness only for this run.
# The paths are the image's; the variables let the scripts be tried outside it.
KAFKA=${KAFKA_DIR:-/opt/kafka}
DATA_ROOT=${KAFKA_DATA_DIR:-/var/lib/kafka/data}
WORK=${ARENA_WORK_DIR:-/tmp}
READY=$WORK/arena-ready
QUOTAS=producer_byte_rate=65536,request_percentage=50  # broker/secure.py's QUOTAS, per user
server=""
setup=""
stopping=""

forward_stop() {
  stopping=1
  if [ -n "$server" ]; then kill -TERM "$server" 2>/dev/null || true; fi
  # The setup and the tool it runs (which would retry a stopping Kafka for a minute) go too.
  if [ -n "$setup" ]; then
    # shellcheck disable=SC2046 # one word per pid
    kill -TERM $(cat /proc/"$setup"/task/*/children 2>/dev/null) "$setup" 2>/dev/null || true
  fi
}
trap forward_stop TERM INT

start_kafka() {  # start_kafka CONFIG
  rm -f "$READY"  # a flag left by this container's previous run must not pass the healthcheck
  "$KAFKA/bin/kafka-server-start.sh" "$1" &
  server=$!
}

wait_answering() {  # wait_answering BOOTSTRAP CLIENT_CONFIG: fails if Kafka exits (or is stopped) first
  until "$KAFKA/bin/kafka-broker-api-versions.sh" --bootstrap-server "$1" --command-config "$2" > /dev/null 2>&1; do
    if [ -n "$stopping" ] || ! kill -0 "$server" 2>/dev/null; then
      echo "Kafka exited before it answered on $1" >&2
      return 1
    fi
    sleep 1
  done
}

grant_acls() {  # grant_acls BOOTSTRAP CLIENT_CONFIG: the ACLs of broker/secure.py's grant_acls
  acl() { "$KAFKA/bin/kafka-acls.sh" --bootstrap-server "$1" --command-config "$2" "${@:3}" > /dev/null; }
  local op prefix
  for op in Read Write Create Describe; do
    acl "$1" "$2" --add --allow-principal User:player --operation "$op" --topic arena.match. --resource-pattern-type prefixed
  done
  for op in Read Describe; do
    acl "$1" "$2" --add --allow-principal User:spectator --allow-principal User:stats --operation "$op" \
      --topic arena.match. --resource-pattern-type prefixed
  done
  acl "$1" "$2" --add --allow-principal User:player --allow-principal User:spectator --allow-principal User:stats \
    --operation Read --group arena-reader- --resource-pattern-type prefixed
  # The processors' group is theirs alone: no player can join it or commit its offsets.
  acl "$1" "$2" --add --allow-principal User:stats --operation Read --group arena-stats --resource-pattern-type prefixed
  # The stats processor alone writes standings and checkpoints (in transactions); everyone reads them.
  for prefix in arena.stats arena.checkpoint.; do
    for op in Read Describe; do
      acl "$1" "$2" --add --allow-principal User:player --allow-principal User:spectator --operation "$op" \
        --topic "$prefix" --resource-pattern-type prefixed
    done
    for op in Read Write Create Describe; do
      acl "$1" "$2" --add --allow-principal User:stats --operation "$op" --topic "$prefix" --resource-pattern-type prefixed
    done
  done
  for op in Write Describe; do
    acl "$1" "$2" --add --allow-principal User:stats --operation "$op" --transactional-id '*'
  done
  # Identity topics: every login reads them (readers check the proofs in them); each account
  # alone writes its own, granted by `python -m broker user add` (broker/accounts.py).
  for op in Read Describe; do
    acl "$1" "$2" --add --allow-principal 'User:*' --operation "$op" --topic arena.id. --resource-pattern-type prefixed
  done
}

set_quotas() {  # set_quotas BOOTSTRAP CLIENT_CONFIG: broker/secure.py's set_user_quotas
  # Per user: every client of one login shares the budget, whatever its client id. A
  # (user, client id) default from an older version would outrank it, so it goes first.
  local configs=("$KAFKA/bin/kafka-configs.sh" --bootstrap-server "$1" --command-config "$2" --alter)
  "${configs[@]}" --entity-type users --entity-default --entity-type clients --entity-default \
    --delete-config "$(echo "$QUOTAS" | sed 's/=[^,]*//g')" > /dev/null 2>&1 || true
  "${configs[@]}" --entity-type users --entity-default --add-config "$QUOTAS" > /dev/null
}

run_until_kafka_exits() {  # run_until_kafka_exits SETUP_PID: the entry script's last command
  # The setup (wait for Kafka, users, ACLs) runs in the background so that this shell, PID 1,
  # stays free to take a signal and pass it on at once; `wait` returns early (status > 128)
  # when one arrives, so each wait is repeated until its process has really ended.
  local setup_status=0 status=0
  setup=$1
  while :; do
    setup_status=0
    wait "$1" || setup_status=$?
    kill -0 "$1" 2>/dev/null || break
  done
  if [ "$setup_status" -eq 0 ] && [ -z "$stopping" ]; then
    touch "$READY"  # the healthcheck waits for this
  elif [ -z "$stopping" ]; then
    echo "setting up the broker failed (exit $setup_status): stopping Kafka" >&2
    forward_stop
  fi
  while :; do
    status=0
    wait "$server" || status=$?
    kill -0 "$server" 2>/dev/null || break
  done
  if [ "$setup_status" -ne 0 ] && [ "$status" -eq 0 ]; then status=1; fi
  if [ -n "$stopping" ] && [ "$status" -eq 143 ]; then status=0; fi  # the JVM's exit on SIGTERM: a clean stop
  exit "$status"
}

# The broker's request threads for this container's cores, as `python -m broker` sizes them
# (broker/local.py: request_threads): Kafka's 3 network and 8 handler threads are a server's;
# a game broker's many tiny fetches cost mostly thread wake-ups (README, Many players).
request_threads() {
  local cores
  cores=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
  echo "num.network.threads=$(( cores / 4 > 1 ? cores / 4 : 1 ))"
  echo "num.io.threads=$(( cores / 2 > 2 ? cores / 2 : 2 ))"
}
