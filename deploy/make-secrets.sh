#!/usr/bin/env bash
# Makes deploy/secrets/ for compose.yaml: random passwords and keys, each file owned by the uid
# of the container that reads it (compose bind-mounts secret files with the host's owner and
# mode). Run once, as root, from anywhere:   sudo deploy/make-secrets.sh
#
# Existing files are kept, so running it again only fills what is missing. The Synapse signing
# key is made with Synapse's own generate_signing_key, from the image compose builds; build it
# first (`docker compose build synapse`) or set SIGNING_KEY_CMD to another generate_signing_key.
set -euo pipefail

cd "$(dirname "$0")"
readonly DIR=secrets
readonly PG_UID=999          # postgres in the postgres:16 image
readonly SYNAPSE_UID=991     # Dockerfile.synapse
readonly REDIS_UID=999       # redis in the redis:7 image (compose.workers.yaml)
readonly PLENARIA_UID=10001  # Dockerfile
readonly SHARED_GID=10990    # group_add of synapse and plenaria in compose.yaml
SIGNING_KEY_CMD=${SIGNING_KEY_CMD:-docker run --rm --entrypoint generate_signing_key \
    plenaria-synapse:local}

if [[ $(id -u) -ne 0 ]]; then
    echo "make-secrets.sh: run as root (it gives each file to its container's uid)" >&2
    exit 1
fi

umask 077
install -d -m 0700 "$DIR"

random() { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'; }

# put NAME UID GID MODE VALUE: write the file unless it exists.
put() {
    local file="$DIR/$1"
    if [[ -e $file ]]; then
        echo "kept     $file"
        return
    fi
    printf '%s\n' "$5" >"$file"
    chown "$2:$3" "$file"
    chmod "$4" "$file"
    echo "created  $file"
}

# A database password is needed twice: raw for postgres-init/ (read by postgres) and as a
# pgpass line for the client, which refuses a pgpass file that its group or others may read.
database_password() {
    local role=$1 client_uid=$2 password
    if [[ -e $DIR/${role}_db_password ]]; then
        password=$(<"$DIR/${role}_db_password")
    else
        password=$(random)
    fi
    put "${role}_db_password" "$PG_UID" "$PG_UID" 0400 "$password"
    put "${role}_pgpass" "$client_uid" "$client_uid" 0400 "*:*:${role}:${role}:${password}"
}

put postgres_password "$PG_UID" "$PG_UID" 0400 "$(random)"
database_password synapse "$SYNAPSE_UID"
database_password plenaria "$PLENARIA_UID"

put macaroon_secret_key "$SYNAPSE_UID" "$SYNAPSE_UID" 0400 "$(random)"
put form_secret "$SYNAPSE_UID" "$SYNAPSE_UID" 0400 "$(random)"
# Read by Synapse and by the "accounts" service (`plenaria accounts`), never by the running
# bot: root-owned, readable by the group those two containers join.
put registration_shared_secret 0 "$SHARED_GID" 0440 "$(random)"

# The "accounts" service's data_dir: the initial-passwords file, until `accounts handed-over`.
if [[ -d $DIR/accounts ]]; then
    echo "kept     $DIR/accounts/"
else
    install -d -o "$PLENARIA_UID" -g "$PLENARIA_UID" -m 0700 "$DIR/accounts"
    echo "created  $DIR/accounts/"
fi

# Synapse with workers (compose.workers.yaml): the replication secret of every Synapse process,
# and Redis's password, read by Synapse (redis_password) and by Redis (redis_conf).
put worker_replication_secret "$SYNAPSE_UID" "$SYNAPSE_UID" 0400 "$(random)"
if [[ -e $DIR/redis_password ]]; then
    redis_password=$(<"$DIR/redis_password")
else
    redis_password=$(random)
fi
put redis_password "$SYNAPSE_UID" "$SYNAPSE_UID" 0400 "$redis_password"
put redis_conf "$REDIS_UID" "$REDIS_UID" 0400 "requirepass $redis_password"

put plenaria_bot_password "$PLENARIA_UID" "$PLENARIA_UID" 0400 "$(random)"
put plenaria_warden_password "$PLENARIA_UID" "$PLENARIA_UID" 0400 "$(random)"

if [[ -e $DIR/signing_key ]]; then
    echo "kept     $DIR/signing_key"
else
    key=$($SIGNING_KEY_CMD)
    if [[ $key != ed25519\ * ]]; then
        echo "make-secrets.sh: no signing key from: $SIGNING_KEY_CMD" >&2
        exit 1
    fi
    put signing_key "$SYNAPSE_UID" "$SYNAPSE_UID" 0400 "$key"
fi
