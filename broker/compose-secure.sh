#!/bin/bash
# The `secure` compose profile's broker: SASL/SCRAM logins and ACLs, like
# `python -m broker start --secure`. Runs inside the apache/kafka image.
set -euo pipefail
KAFKA=/opt/kafka
CONF=/tmp/secure.properties
DATA=/var/lib/kafka/data
cat > "$CONF" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=localhost:9093
controller.listener.names=CONTROLLER
listeners=SASL_PLAINTEXT://:9092,CONTROLLER://localhost:9093
advertised.listeners=SASL_PLAINTEXT://localhost:9192
inter.broker.listener.name=SASL_PLAINTEXT
listener.security.protocol.map=SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT
sasl.enabled.mechanisms=SCRAM-SHA-256
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-256
listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="admin-secret";
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:admin;User:ANONYMOUS
allow.everyone.if.no.acl.found=false
log.dirs=$DATA
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
auto.create.topics.enable=false
group.initial.rebalance.delay.ms=0
PROPS
cat > /tmp/admin.properties <<PROPS
security.protocol=SASL_PLAINTEXT
sasl.mechanism=SCRAM-SHA-256
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="admin-secret";
PROPS
if [ ! -f "$DATA/meta.properties" ]; then
  # SCRAM users live in the metadata log, so they are created when storage is formatted.
  "$KAFKA/bin/kafka-storage.sh" format -t "$("$KAFKA/bin/kafka-storage.sh" random-uuid)" -c "$CONF" --standalone \
    --add-scram 'SCRAM-SHA-256=[name=admin,password=admin-secret]' \
    --add-scram 'SCRAM-SHA-256=[name=player,password=player-secret]' \
    --add-scram 'SCRAM-SHA-256=[name=spectator,password=spectator-secret]' \
    --add-scram 'SCRAM-SHA-256=[name=stats,password=stats-secret]'
fi
"$KAFKA/bin/kafka-server-start.sh" "$CONF" &
server=$!
until "$KAFKA/bin/kafka-broker-api-versions.sh" --bootstrap-server localhost:9092 \
    --command-config /tmp/admin.properties > /dev/null 2>&1; do sleep 1; done
acl() { "$KAFKA/bin/kafka-acls.sh" --bootstrap-server localhost:9092 --command-config /tmp/admin.properties "$@" > /dev/null; }
for op in Read Write Create Describe; do
  acl --add --allow-principal User:player --operation "$op" --topic arena.match. --resource-pattern-type prefixed
done
for op in Read Describe; do
  acl --add --allow-principal User:spectator --operation "$op" --topic arena.match. --resource-pattern-type prefixed
done
acl --add --allow-principal User:player --allow-principal User:spectator --allow-principal User:stats \
  --operation Read --group arena- --resource-pattern-type prefixed
# The stats processor alone writes standings and checkpoints (in transactions); everyone reads them.
for op in Read Describe; do
  acl --add --allow-principal User:stats --operation "$op" --topic arena.match. --resource-pattern-type prefixed
  for prefix in arena.stats arena.checkpoint.; do
    acl --add --allow-principal User:player --allow-principal User:spectator --operation "$op" \
      --topic "$prefix" --resource-pattern-type prefixed
  done
done
for op in Read Write Create Describe; do
  for prefix in arena.stats arena.checkpoint.; do
    acl --add --allow-principal User:stats --operation "$op" --topic "$prefix" --resource-pattern-type prefixed
  done
done
for op in Write Describe; do
  acl --add --allow-principal User:stats --operation "$op" --transactional-id '' --resource-pattern-type prefixed
done
touch /tmp/acls-ready  # the healthcheck waits for this
wait "$server"
