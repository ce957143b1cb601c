#!/usr/bin/env bash
# psql on the workflow tables: the seed's read-only views dbos.workflow_status (runs and escalation
# workflows esc:<wid>:<g>) and dbos.workflow_events (the HITL events). They live in the same database as
# the application tables here, so this is psql-app.sh under the seed's second name.
# Arguments go to psql. DATABASE_URL as the services use it; default postgres://postgres@127.0.0.1:5432/gatehouse.
set -euo pipefail
exec psql "${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/gatehouse}" -X -v ON_ERROR_STOP=1 -P pager=off "$@"
