#!/usr/bin/env bash
# Generates an EF Core migration for both providers: scripts/add-migration.sh NAME
set -euo pipefail
cd "$(dirname "$0")/.."
name=${1:?usage: scripts/add-migration.sh NAME}
dotnet tool restore >/dev/null
for provider in Sqlite Postgres; do
  dotnet ef migrations add "$name" --project src/Renmai --context "${provider}RenmaiDb" \
    --output-dir "Data/Migrations/$provider" --namespace "Renmai.Data.Migrations.$provider"
done
rm -f src/Renmai/design.db
