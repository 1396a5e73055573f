#!/bin/bash
# The README's "Run on several hosts" demo on one host: a local 3-master cluster (127.0.0.1:7101-7103), two
# engine instances on the default configuration, `status --cluster`, then kill -9 of the execution owner and
# `status --cluster` again 5 s later. Run from the repository root after `npm run build`.
set -u
export ALPHATRADER_REDIS_PASSWORD=${ALPHATRADER_REDIS_PASSWORD:-$(openssl rand -hex 16)}
D=$(mktemp -d /tmp/alphatrader-cluster-demo-XXXX)
trap 'kill $PA $PB 2>/dev/null; node bin/alphatrader.js cluster stop --dir "$D/cluster" >/dev/null 2>&1; rm -rf "$D"' EXIT
node bin/alphatrader.js cluster start --dir "$D/cluster" | tail -3
export REDIS_CLUSTER_NODES=127.0.0.1:7101,127.0.0.1:7102,127.0.0.1:7103
start() { ALPHATRADER_LOGGING_LEVEL=warn ALPHATRADER_INSTANCE_ID=$1 ALPHATRADER_ENGINE_DATA_DIR="$D/$1" ALPHATRADER_DASHBOARD_PORT=0 node --max-semi-space-size=2 bin/alphatrader.js start >"$D/$1.log" 2>&1 & }
start a; PA=$!
sleep 3
start b; PB=$!
sleep 25
echo "== status --cluster (two instances)"
node bin/alphatrader.js status --cluster
EXEC=$(node bin/alphatrader.js status --cluster --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).instances.find(i=>i.execution)?.id??""))')
echo "== kill -9 of the execution owner: ${EXEC:-none}"
if [ "$EXEC" = a ]; then kill -9 $PA; else kill -9 $PB; fi
sleep 5
echo "== status --cluster 5 s after the kill"
node bin/alphatrader.js status --cluster
