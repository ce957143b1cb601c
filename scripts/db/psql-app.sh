#!/usr/bin/env bash
# psql on the application tables: the service schemas (runs, gates, escalation) and the seed's
# read-only views app.* over them. Arguments go to psql (-c "SQL", -t -A, -f file, ...).
# DATABASE_URL as the services use it; default postgres://postgres@127.0.0.1:5432/gatehouse.
set -euo pipefail
exec psql "${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/gatehouse}" -X -v ON_ERROR_STOP=1 -P pager=off "$@"
