#!/bin/bash
# The `lan` compose profile's broker: a game friends on other computers join, like
# `python -m broker start --lan`, whose template (broker/lan.properties) it renders: TLS with
# SCRAM logins (SASL_SSL), a CA and a broker certificate made here with keytool, random
# passwords, the secure profile's ACLs, and client quotas per user. Runs inside the
# apache/kafka image as PID 1. Set KAFKA_ADVERTISED_HOST to the address the other computers reach this one at
# (a container cannot tell it); the join files end up in $STATE/join (see README).
set -euo pipefail
umask 077  # passwords, keys and logins: for this container's user only
source "${ARENA_DIR:-/arena}/compose-lib.sh"
PORT=${ARENA_PORT:-9292}
CONTROLLER_PORT=$((PORT + 1))
INTERNAL_PORT=$((PORT + 2))
ADVERTISE=${KAFKA_ADVERTISED_HOST:-}
if [ -z "$ADVERTISE" ]; then
  echo "set KAFKA_ADVERTISED_HOST to the address your friends reach this computer at" \
    "(e.g. KAFKA_ADVERTISED_HOST=192.168.1.20 docker compose --profile lan up -d --wait kafka-lan)" >&2
  exit 2
fi
STATE=$DATA_ROOT/arena  # passwords, certificates, join files
DATA=$DATA_ROOT/kraft  # the log (log.dirs holds topic partitions only)
JOIN_CA=.broker/lan/join/ca.pem  # ssl.ca.location as friends' clones (and the host's) hold it
mkdir -p "$STATE/tls" "$STATE/join" "$DATA"
chmod 700 "$STATE"

secret() { head -c 18 /dev/urandom | base64 | tr '+/' '-_'; }
if [ ! -f "$STATE/users.env" ]; then
  printf 'ADMIN_PASSWORD=%s\nPLAYER_PASSWORD=%s\nSPECTATOR_PASSWORD=%s\nSTATS_PASSWORD=%s\nSTORE_PASSWORD=%s\n' \
    "$(secret)" "$(secret)" "$(secret)" "$(secret)" "$(secret)" > "$STATE/users.env"
fi
source "$STATE/users.env"

# The CA once; the broker's certificate again whenever the advertised address changes.
TLS=$STATE/tls
store=(-storepass "$STORE_PASSWORD" -keypass "$STORE_PASSWORD" -storetype PKCS12)
if [ ! -f "$TLS/ca.p12" ]; then
  keytool -genkeypair -alias ca -keyalg EC -groupname secp256r1 -dname "CN=Kafka Arena CA in docker $(secret)" \
    -ext bc:c -validity 3650 -keystore "$TLS/ca.p12" "${store[@]}"
  keytool -exportcert -alias ca -rfc -keystore "$TLS/ca.p12" -storepass "$STORE_PASSWORD" -file "$TLS/ca.pem"
  rm -f "$TLS/broker.p12"
fi
if [[ $ADVERTISE =~ ^[0-9.]+$ || $ADVERTISE == *:* ]]; then san="ip:$ADVERTISE"; else san="dns:$ADVERTISE"; fi
san="SAN=$san,ip:127.0.0.1,dns:localhost"
if [ ! -f "$TLS/broker.p12" ] || [ "$(cat "$TLS/broker-hosts.txt" 2>/dev/null)" != "$san" ]; then
  rm -f "$TLS/broker.p12"
  keytool -genkeypair -alias broker -keyalg EC -groupname secp256r1 -dname "CN=$ADVERTISE" -validity 825 \
    -keystore "$TLS/broker.p12" "${store[@]}"
  keytool -certreq -alias broker -keystore "$TLS/broker.p12" -storepass "$STORE_PASSWORD" -file "$TLS/broker.csr"
  keytool -gencert -alias ca -keystore "$TLS/ca.p12" -storepass "$STORE_PASSWORD" -infile "$TLS/broker.csr" \
    -outfile "$TLS/broker.crt" -rfc -validity 825 -ext "$san" -ext KU=digitalSignature -ext EKU=serverAuth
  keytool -importcert -alias ca -file "$TLS/ca.pem" -noprompt -keystore "$TLS/broker.p12" -storepass "$STORE_PASSWORD"
  keytool -importcert -alias broker -file "$TLS/broker.crt" -noprompt -keystore "$TLS/broker.p12" \
    -storepass "$STORE_PASSWORD"
  printf '%s' "$san" > "$TLS/broker-hosts.txt"
fi

render() {  # render TEMPLATE name=value...: each ${name} of the template replaced by its value
  local text pair
  text=$(< "$1")
  shift
  for pair in "$@"; do text=${text//"\${${pair%%=*}}"/"${pair#*=}"}; done
  printf '%s\n' "$text"
}
CONF=$WORK/lan.properties
render "${ARENA_DIR:-/arena}/lan.properties" port="$PORT" controller_port="$CONTROLLER_PORT" internal_port="$INTERNAL_PORT" \
  bind=0.0.0.0 advertise="$ADVERTISE" data_dir="$DATA" keystore="$TLS/broker.p12" \
  keystore_password="$STORE_PASSWORD" ca_pem="$TLS/ca.pem" admin_user=admin admin_password="$ADMIN_PASSWORD" > "$CONF"
request_threads >> "$CONF"
cat > "$WORK/admin.properties" <<PROPS
security.protocol=SASL_PLAINTEXT
sasl.mechanism=SCRAM-SHA-256
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$ADMIN_PASSWORD";
PROPS

# What friends get: a config per role and the CA certificate (never the CA's key).
cp "$TLS/ca.pem" "$STATE/join/ca.pem"
for role in player spectator; do
  password_var="${role^^}_PASSWORD"
  printf '# %s of the Kafka Arena broker at %s:%s\nsecurity.protocol=SASL_SSL\nsasl.mechanism=SCRAM-SHA-256\nsasl.username=%s\nsasl.password=%s\nssl.ca.location=%s\n' \
    "$role" "$ADVERTISE" "$PORT" "$role" "${!password_var}" "$JOIN_CA" > "$STATE/join/$role.properties"
done

if [ ! -f "$DATA/meta.properties" ]; then
  "$KAFKA/bin/kafka-storage.sh" format -t "$("$KAFKA/bin/kafka-storage.sh" random-uuid)" -c "$CONF" --standalone \
    --add-scram "SCRAM-SHA-256=[name=admin,password=$ADMIN_PASSWORD]" \
    --add-scram "SCRAM-SHA-256=[name=player,password=$PLAYER_PASSWORD]" \
    --add-scram "SCRAM-SHA-256=[name=spectator,password=$SPECTATOR_PASSWORD]" \
    --add-scram "SCRAM-SHA-256=[name=stats,password=$STATS_PASSWORD]"
fi
start_kafka "$CONF"
set +e  # from here each failure is handled: Kafka is stopped cleanly, never orphaned
(
  set -e
  internal="127.0.0.1:$INTERNAL_PORT"
  wait_answering "$internal" "$WORK/admin.properties"
  grant_acls "$internal" "$WORK/admin.properties"
  set_quotas "$internal" "$WORK/admin.properties"
  echo "On the host: mkdir -p .broker/lan && docker compose --profile lan cp kafka-lan:$STATE/join .broker/lan/"
  echo "Give each friend .broker/lan/join, at the same place in their clone; then they run:"
  echo "  play:  python -m game --bootstrap $ADVERTISE:$PORT --kafka-config .broker/lan/join/player.properties"
  echo "  watch: python -m spectator --bootstrap $ADVERTISE:$PORT --kafka-config .broker/lan/join/spectator.properties"
) &
run_until_kafka_exits $!
