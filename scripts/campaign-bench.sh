#!/usr/bin/env bash
# Measures `commsgw campaign queue` for N recipients (default 100000) in a private database and RabbitMQ vhost,
# with no gateway consuming (the figure is the fan-out: render + publish + broker confirms). Cleans up after itself.
set -euo pipefail
N=${1:-100000}
cd "$(dirname "$0")/.."
PG_ADMIN=${PG_ADMIN:-"postgresql://postgres:postgres@127.0.0.1:5432/postgres"}
MGMT=${COMMSGW_RABBIT_MANAGEMENT:-http://127.0.0.1:15672}
ID=bench_$(date +%s)_$$
VHOST="commsgw-bench-$ID"
DB="commsgw_$ID"
cleanup() {
  curl -fsS -u guest:guest -X DELETE "$MGMT/api/vhosts/$VHOST" >/dev/null || true
  psql -q "$PG_ADMIN" -c "drop database if exists $DB" >/dev/null || true
}
trap cleanup EXIT
psql -q "$PG_ADMIN" -c "create database $DB" >/dev/null
curl -fsS -u guest:guest -X PUT "$MGMT/api/vhosts/$VHOST" >/dev/null
curl -fsS -u guest:guest -X PUT -H 'content-type: application/json' -d '{"configure":".*","write":".*","read":".*"}' "$MGMT/api/permissions/$VHOST/guest" >/dev/null
# What the gateway's MassTransit endpoint declares: a fanout exchange bound to a durable queue of the same name.
V=$(python3 -c "import urllib.parse,sys;print(urllib.parse.quote(sys.argv[1],safe=''))" "$VHOST")
curl -fsS -u guest:guest -X PUT -H 'content-type: application/json' -d '{"type":"fanout","durable":true}' "$MGMT/api/exchanges/$V/commsgw-intents" >/dev/null
curl -fsS -u guest:guest -X PUT -H 'content-type: application/json' -d '{"durable":true}' "$MGMT/api/queues/$V/commsgw-intents" >/dev/null
curl -fsS -u guest:guest -X POST -H 'content-type: application/json' -d '{}' "$MGMT/api/bindings/$V/e/commsgw-intents/q/commsgw-intents" >/dev/null

export Database__ConnectionString="Host=127.0.0.1;Port=5432;Database=$DB;Username=postgres;Password=postgres"
export RabbitMq__VirtualHost="$VHOST"
export DOTNET_ENVIRONMENT=Development   # the committed unsubscribe keys sign the links: a local bench
dotnet build -v q -nologo src/CommsGateway.Cli >/dev/null
CLI=src/CommsGateway.Cli/bin/Debug/net10.0/commsgw
$CLI campaign report nothing --tenant bench >/dev/null 2>&1 || true   # applies the migrations
psql -q "postgresql://postgres:postgres@127.0.0.1:5432/$DB" <<SQL
insert into tenants (tenant_id, name) values ('bench', 'Bench clinic');
insert into contacts (tenant_id, patient_id, first_name, email, locale, updated_by)
select 'bench', 'p' || g, 'Patient' || g, 'p' || g || '@example.fr', case when g % 3 = 0 then 'en' else 'fr' end, 'bench'
from generate_series(1, $N) g;
insert into consent_events (tenant_id, patient_id, purpose, channel, action, occurred_at, source, wording_version, wording_sha256, captured_by, recorded_by)
select 'bench', 'p' || g, 'marketing', 'email', 'grant', now() - interval '1 day', 'web_form', 'v1', 'sha', 'bench', 'bench'
from generate_series(1, $N) g;
SQL
TEMPLATES=$(mktemp -d)
printf 'Bonjour {{ patient.first_name }},\n{{ clinic.name }} : -20 %% sur les peelings ce mois-ci.' > "$TEMPLATES/fr.liquid"
printf 'Hello {{ patient.first_name }},\n20%% off peels at {{ clinic.name }} this month.' > "$TEMPLATES/en.liquid"
time $CLI campaign queue --tenant bench --name "Bench $N" --channels email --consented-on email \
  --template-fr-file "$TEMPLATES/fr.liquid" --template-en-file "$TEMPLATES/en.liquid" --subject-fr "Offre" --subject-en "Offer"
sleep 6  # management statistics refresh every 5 s
curl -fsS -u guest:guest "$MGMT/api/queues/$V/commsgw-intents" | python3 -c "import json,sys;print('messages on the queue:', json.load(sys.stdin).get('messages'))"
rm -rf "$TEMPLATES"
