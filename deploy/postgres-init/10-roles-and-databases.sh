#!/bin/bash
# Roles and databases for Synapse and plenaria. The postgres image runs this once, as the
# postgres user, when its data volume is first initialised (/docker-entrypoint-initdb.d);
# later starts skip it. To change a password afterwards use ALTER ROLE … PASSWORD (README).
#
# Synapse requires its database in UTF8 with LC_COLLATE and LC_CTYPE "C"; hence template0.
set -euo pipefail

# The passwords reach psql through its environment (\getenv, PostgreSQL 15+) and are quoted
# as literals by :'name'; they never appear on a command line that `ps` would show.
SYNAPSE_PW="$(< /run/secrets/synapse_db_password)" \
PLENARIA_PW="$(< /run/secrets/plenaria_db_password)" \
psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname postgres <<'EOSQL'
\getenv synapse_pw SYNAPSE_PW
\getenv plenaria_pw PLENARIA_PW

CREATE ROLE synapse LOGIN PASSWORD :'synapse_pw';
CREATE DATABASE synapse OWNER synapse
    ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0;
REVOKE ALL ON DATABASE synapse FROM PUBLIC;

CREATE ROLE plenaria LOGIN PASSWORD :'plenaria_pw';
CREATE DATABASE plenaria OWNER plenaria ENCODING 'UTF8' TEMPLATE template0;
REVOKE ALL ON DATABASE plenaria FROM PUBLIC;
EOSQL
