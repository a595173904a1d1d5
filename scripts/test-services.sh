#!/usr/bin/env bash
# Start the PostgreSQL the contract tests use, on 127.0.0.1 only, and print its URL.
set -euo pipefail
port=${HUB_TEST_PG_PORT:-5432}
read -r version cluster _ < <(pg_lsclusters --no-header | head -n 1)
conf=/etc/postgresql/$version/$cluster/postgresql.conf
grep -q "^listen_addresses = '127.0.0.1'" "$conf" || \
  echo "listen_addresses = '127.0.0.1'" >> "$conf"
pg_ctlcluster "$version" "$cluster" status >/dev/null 2>&1 || \
  pg_ctlcluster "$version" "$cluster" start >&2
for _ in $(seq 1 50); do
  pg_isready -h 127.0.0.1 -p "$port" -q && break
  sleep 0.2
done
su postgres -c "psql -q -p $port" >&2 <<'SQL'
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'hub') THEN
    CREATE ROLE hub LOGIN PASSWORD 'hub' CREATEDB;
  END IF;
END $$;
SELECT 'CREATE DATABASE hub_test OWNER hub'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'hub_test')\gexec
SQL
echo "postgresql+psycopg://hub:hub@127.0.0.1:$port/hub_test"
