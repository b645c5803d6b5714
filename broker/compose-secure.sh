#!/bin/bash
# The `secure` compose profile's broker: SASL/SCRAM logins, ACLs and quotas per user, like
# `python -m broker start --secure`. Runs inside the apache/kafka image as PID 1.
# The client listener binds, advertises and is published on one port ($ARENA_PORT, 9192), so
# the tools inside the container and the clients on the host both reach localhost:$ARENA_PORT.
set -euo pipefail
source "${ARENA_DIR:-/arena}/compose-lib.sh"
PORT=${ARENA_PORT:-9192}
CONF=$WORK/secure.properties
DATA=$DATA_ROOT
cat > "$CONF" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=localhost:9093
controller.listener.names=CONTROLLER
listeners=SASL_PLAINTEXT://:${PORT},CONTROLLER://localhost:9093
advertised.listeners=SASL_PLAINTEXT://localhost:${PORT}
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
request_threads >> "$CONF"
cat > "$WORK/admin.properties" <<PROPS
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
start_kafka "$CONF"
set +e  # from here each failure is handled: Kafka is stopped cleanly, never orphaned
(
  set -e
  wait_answering "localhost:$PORT" "$WORK/admin.properties"
  grant_acls "localhost:$PORT" "$WORK/admin.properties"
  set_quotas "localhost:$PORT" "$WORK/admin.properties"
) &
run_until_kafka_exits $!
