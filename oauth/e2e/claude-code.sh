#!/usr/bin/env bash
# End-to-end OAuth test of a running specgate with the real Claude Code CLI,
# offline and without an API key (throwaway HOME). It starts no server.
#
#   E2E_MCP_URL=http://127.0.0.1:PORT/mcp E2E_PASSWORD=... bash claude-code.sh
#
# E2E_CLAUDE_MODE:
#   dcr (default)  full flow; specgate must run with SPECGATE_OAUTH_CIMD=false
#                  so Claude Code registers with DCR: mcp add, mcp list ("Needs
#                  authentication"), mcp login with the browser driven by
#                  browser-login.mjs, mcp list ("Connected"), stored tokens,
#                  refresh after a 401, mcp logout (tokens revoked).
#   cimd-probe     specgate advertises CIMD: checks that Claude Code then
#                  authorizes with its CIMD client_id instead of registering,
#                  and reports what the authorization endpoint answered (the
#                  claude.ai document cannot be fetched offline).
# E2E_CLAUDE_LOGIN: browser (default; $BROWSER is a wrapper around
#   browser-login.mjs) or no-browser (`mcp login --no-browser`, URL taken from
#   the terminal output). Other settings: E2E_CLAUDE_BIN, E2E_ARTIFACTS,
#   E2E_STEP_TIMEOUT (seconds, default 120).
set -euo pipefail

DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MCP_URL=${E2E_MCP_URL:-${1:-}}
PASSWORD=${E2E_PASSWORD:-}
MODE=${E2E_CLAUDE_MODE:-dcr}
LOGIN=${E2E_CLAUDE_LOGIN:-browser}
STEP_TIMEOUT=${E2E_STEP_TIMEOUT:-120}
export E2E_ARTIFACTS=${E2E_ARTIFACTS:-$DIR/artifacts}
NAME=specgate
CIMD_CLIENT_ID=https://claude.ai/oauth/claude-code-client-metadata

step_no=0
t0=$(date +%s%N)
log() { printf '[claude-code %5.1fs] %s\n' "$((($(date +%s%N) - t0) / 1000000))e-3" "$*"; }
step() { step_no=$((step_no + 1)); log "step $step_no: $*"; }
ok() { log "  ok: $*"; }
fail() { log "FAIL at step $step_no: $*" >&2; exit 1; }

[ -n "$MCP_URL" ] || fail "set E2E_MCP_URL (or pass the MCP URL as the first argument)"
[ -n "$PASSWORD" ] || fail "set E2E_PASSWORD to the demo user password"
case "$MODE" in dcr | cimd-probe) ;; *) fail "E2E_CLAUDE_MODE must be dcr or cimd-probe, not $MODE" ;; esac
case "$LOGIN" in browser | no-browser) ;; *) fail "E2E_CLAUDE_LOGIN must be browser or no-browser, not $LOGIN" ;; esac
command -v script >/dev/null || fail "util-linux 'script' is needed to give claude a terminal"

# The npm package's postinstall replaces bin/claude.exe with the native binary;
# if npm skipped it, use the platform package's binary directly.
find_claude() {
  local c
  for c in ${E2E_CLAUDE_BIN:-} "$DIR"/node_modules/@anthropic-ai/claude-code/bin/claude.exe \
    "$DIR"/node_modules/@anthropic-ai/claude-code-*/claude; do
    if [ -x "$c" ] && timeout 20 "$c" --version >/dev/null 2>&1; then
      echo "$c"
      return
    fi
  done
  return 1
}
CLAUDE=$(find_claude) || fail "no runnable Claude Code binary under $DIR/node_modules (run: npm ci --prefix oauth/e2e)"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/specgate-claude-e2e.XXXXXX")
export HOME=$WORK/home
mkdir -p "$HOME" "$WORK/project"
cd "$WORK/project"
unset ANTHROPIC_API_KEY CLAUDE_CODE_OAUTH_TOKEN BROWSER
export DISABLE_AUTOUPDATER=1 CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 NO_COLOR=1
pids=()
# stop_all kills the background jobs: `timeout` leads its own process group
# (with `script`); claude, in the pty's session, gets SIGHUP when script dies.
stop_all() {
  local p
  for p in "${pids[@]}"; do kill -KILL -- "-$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
}
cleanup() {
  local rc=$?
  stop_all
  if [ -f "$WORK/browser.pid" ] && [ ! -s "$WORK/browser.rc" ]; then kill -- "-$(cat "$WORK/browser.pid")" 2>/dev/null || true; fi
  if [ $rc -ne 0 ]; then
    for f in login.out browser.log; do
      [ -s "$WORK/$f" ] && { echo "--- $f"; sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\x1b\]8;;[^\x07]*\x07//g' "$WORK/$f" | tr -d '\r' | tail -40; } >&2
    done
  fi
  rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# run SECONDS CMD...: runs claude with a timeout, output in $out.
run() {
  local t=$1
  shift
  out=$(timeout -k 5 "$t" "$@" 2>&1) || fail "'$*' failed (exit $?): $out"
}

# creds FIELD: prints a field of the stored OAuth entry for $NAME.
creds() {
  node -e '
    const fs = require("fs");
    const f = process.env.HOME + "/.claude/.credentials.json";
    const d = fs.existsSync(f) ? JSON.parse(fs.readFileSync(f, "utf8")) : {};
    const e = Object.values(d.mcpOAuth || {}).find((x) => x.serverName === process.argv[1]) || {};
    console.log(e[process.argv[2]] ?? "");' "$NAME" "$1"
}

# wait_for_url: polls the login output for the authorization URL.
wait_for_url() {
  local i url
  for i in $(seq 1 $((STEP_TIMEOUT * 5))); do
    url=$(sed 's/\x1b\]8;;[^\x07]*\x07//g' "$WORK/login.out" 2>/dev/null | grep -ao "$ORIGIN/authorize?[^[:space:][:cntrl:]]*" | head -1 || true)
    if [ -n "$url" ]; then
      echo "$url"
      return
    fi
    sleep 0.2
  done
  return 1
}

ORIGIN=$(node -e 'console.log(new URL(process.argv[1]).origin)' "$MCP_URL")
ISSUER=$(node -e '
  fetch(process.argv[1] + "/.well-known/oauth-authorization-server").then((r) => r.json()).then((m) =>
    console.log(m.issuer + " " + (m.client_id_metadata_document_supported === true)))
  .catch((e) => { console.error(String(e)); process.exit(1); })' "$ORIGIN") ||
  fail "cannot read $ORIGIN/.well-known/oauth-authorization-server"
CIMD=${ISSUER#* }
ISSUER=${ISSUER% *}

step "Claude Code $("$CLAUDE" --version) at $CLAUDE; AS $ISSUER advertises CIMD: $CIMD"
if [ "$MODE" = dcr ] && [ "$CIMD" = true ]; then
  fail "the AS advertises client_id_metadata_document_supported, so Claude Code would use its CIMD client_id $CIMD_CLIENT_ID, which specgate must fetch from claude.ai (impossible offline). Run specgate with SPECGATE_OAUTH_CIMD=false for this test, or E2E_CLAUDE_MODE=cimd-probe"
fi
if [ "$MODE" = cimd-probe ] && [ "$CIMD" != true ]; then
  fail "cimd-probe needs an AS that advertises client_id_metadata_document_supported (specgate's default)"
fi

step "claude mcp add --transport http $NAME $MCP_URL"
run 60 "$CLAUDE" mcp add --transport http "$NAME" "$MCP_URL"
ok "$(echo "$out" | head -1)"

step "claude mcp list: expect 'Needs authentication'"
run 60 "$CLAUDE" mcp list
echo "$out" | grep -q "^$NAME: .*Needs authentication" || fail "mcp list does not say Needs authentication: $out"
ok "$(echo "$out" | grep "^$NAME:")"

login_cmd="$(printf '%q ' "$CLAUDE" mcp login "$NAME")"
if [ "$MODE" = cimd-probe ]; then
  step "claude mcp login $NAME --no-browser: expect the CIMD client_id"
  timeout -k 5 "$STEP_TIMEOUT" script -qfec "$login_cmd --no-browser" /dev/null </dev/null >"$WORK/login.out" 2>&1 &
  pids+=($!)
  url=$(wait_for_url) || fail "claude printed no authorization URL"
  stop_all
  client_id=$(node -e 'console.log(new URL(process.argv[1]).searchParams.get("client_id"))' "$url")
  redirect=$(node -e 'console.log(new URL(process.argv[1]).searchParams.get("redirect_uri"))' "$url")
  [ "$client_id" = "$CIMD_CLIENT_ID" ] || fail "Claude Code used client_id $client_id, expected its CIMD URL $CIMD_CLIENT_ID"
  [[ "$redirect" =~ ^http://localhost:[0-9]+/callback$ ]] || fail "unexpected redirect_uri $redirect"
  ok "client_id=$client_id redirect_uri=$redirect (no DCR)"
  answer=$(node -e '
    fetch(process.argv[1], { redirect: "manual" }).then(async (r) => {
      const t = (await r.text()).match(/<title>([^<]*)<\/title>/);
      console.log(r.status + " " + (r.headers.get("location") || (t ? t[1] : "")));
    }).catch((e) => console.log("error " + e))' "$url")
  log "  info: specgate answered the CIMD authorize request with: $answer"
  log "PASS"
  exit 0
fi

step "claude mcp login $NAME ($LOGIN): browser-login.mjs signs in and approves everything"
if [ "$LOGIN" = browser ]; then
  # Claude Code runs "$BROWSER <url>". The wrapper detaches the browser (its
  # own session, so cleanup can kill the group) and records its exit code.
  cat >"$WORK/open-browser" <<EOF
#!/bin/sh
E2E_PASSWORD=$(printf '%q' "$PASSWORD") E2E_ARTIFACTS=$(printf '%q' "$E2E_ARTIFACTS") E2E_BROWSER_LABEL=claude-code \\
  setsid sh -c 'echo \$\$ > "\$0/browser.pid"; node "\$1" "\$2" > "\$0/browser.log" 2>&1; echo \$? > "\$0/browser.rc"' \\
  $(printf '%q' "$WORK") $(printf '%q' "$DIR/browser-login.mjs") "\$1" </dev/null >/dev/null 2>&1 &
EOF
  chmod 700 "$WORK/open-browser"
  BROWSER=$WORK/open-browser timeout -k 5 "$STEP_TIMEOUT" script -qfec "$login_cmd" /dev/null </dev/null >"$WORK/login.out" 2>&1 &
  pids+=($!)
  # claude waits for its callback until the timeout; stop early if the browser failed.
  while kill -0 "${pids[-1]}" 2>/dev/null; do
    if [ -s "$WORK/browser.rc" ] && [ "$(cat "$WORK/browser.rc")" != 0 ]; then
      fail "browser-login.mjs failed: $(cat "$WORK/browser.log")"
    fi
    sleep 0.2
  done
  wait "${pids[-1]}" || fail "claude mcp login failed or timed out (exit $?)"
  pids=()
  for _ in $(seq 1 300); do [ -s "$WORK/browser.rc" ] && break; sleep 0.2; done
  [ -s "$WORK/browser.rc" ] || fail "the browser stand-in did not finish (was \$BROWSER invoked?)"
  [ "$(cat "$WORK/browser.rc")" = 0 ] || fail "browser-login.mjs failed: $(cat "$WORK/browser.log")"
else
  timeout -k 5 "$STEP_TIMEOUT" script -qfec "$login_cmd --no-browser" /dev/null </dev/null >"$WORK/login.out" 2>&1 &
  pids+=($!)
  url=$(wait_for_url) || fail "claude printed no authorization URL"
  E2E_BROWSER_LABEL=claude-code-nobrowser timeout -k 5 "$STEP_TIMEOUT" node "$DIR/browser-login.mjs" "$url" >"$WORK/browser.log" 2>&1 ||
    fail "browser-login.mjs failed: $(cat "$WORK/browser.log")"
  wait "${pids[-1]}" || fail "claude mcp login --no-browser failed or timed out (exit $?)"
  pids=()
fi
sed 's/^/  /' "$WORK/browser.log"
grep -aq "Authenticated with \"$NAME\"" "$WORK/login.out" || fail "claude did not report success"
grep -a "redirected to" "$WORK/browser.log" | grep -qF "iss=$ISSUER)" || fail "callback iss is not $ISSUER"
ok "Claude Code: Authenticated with \"$NAME\""

step "claude mcp list: expect 'Connected'"
run 60 "$CLAUDE" mcp list
echo "$out" | grep -q "^$NAME: .*Connected" || fail "mcp list does not say Connected: $out"
ok "$(echo "$out" | grep "^$NAME:")"

step "stored credentials: DCR client, loopback callback, refresh token, all scopes"
client_id=$(creds clientId)
redirect=$(creds redirectUri)
scope=$(creds scope)
at1=$(creds accessToken)
rt1=$(creds refreshToken)
[ -n "$client_id" ] && [ "$client_id" != "$CIMD_CLIENT_ID" ] || fail "expected a DCR client_id, got '$client_id'"
[[ "$redirect" =~ ^http://localhost:[0-9]+/callback$ ]] || fail "unexpected redirect_uri '$redirect'"
[ "$(creds issuer)" = "$ISSUER" ] || fail "stored issuer '$(creds issuer)' is not $ISSUER"
[ -n "$at1" ] && [ -n "$rt1" ] || fail "no access or refresh token stored"
for s in tasks:read tasks:write tasks:delete; do
  [[ " $scope " == *" $s "* ]] || fail "stored scope '$scope' lacks $s"
done
ok "client_id=$client_id redirect_uri=$redirect scope='$scope'"

step "refresh: spoil the stored access token, claude mcp list must refresh and stay Connected"
node -e '
  const fs = require("fs");
  const f = process.env.HOME + "/.claude/.credentials.json";
  const d = JSON.parse(fs.readFileSync(f, "utf8"));
  for (const e of Object.values(d.mcpOAuth)) if (e.serverName === process.argv[1]) e.accessToken += "-spoiled";
  fs.writeFileSync(f, JSON.stringify(d), { mode: 0o600 });' "$NAME"
run 60 "$CLAUDE" mcp list
echo "$out" | grep -q "^$NAME: .*Connected" || fail "mcp list after spoiling the token: $out"
at2=$(creds accessToken)
rt2=$(creds refreshToken)
[ -n "$at2" ] && [ "$at2" != "$at1" ] && [ "$at2" != "$at1-spoiled" ] || fail "access token was not refreshed"
[ -n "$rt2" ] && [ "$rt2" != "$rt1" ] || fail "refresh token was not rotated"
ok "new access token, rotated refresh token, $(echo "$out" | grep "^$NAME:")"

step "claude mcp logout $NAME: expect 'Needs authentication' again"
run 60 "$CLAUDE" mcp logout "$NAME"
run 60 "$CLAUDE" mcp list
echo "$out" | grep -q "^$NAME: .*Needs authentication" || fail "mcp list after logout: $out"
ok "$(echo "$out" | grep "^$NAME:")"

step "tokens revoked by logout are dead at specgate"
statuses=$(node -e '
  const [mcp, origin, at, rt, client] = process.argv.slice(1);
  const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list", params: {} });
  Promise.all([
    fetch(mcp, { method: "POST", body, headers: { authorization: `Bearer ${at}`, "content-type": "application/json",
      accept: "application/json, text/event-stream" } }).then((r) => r.status),
    fetch(origin + "/token", { method: "POST", body: new URLSearchParams({ grant_type: "refresh_token",
      refresh_token: rt, client_id: client }) }).then(async (r) => `${r.status}:${(await r.json()).error}`),
  ]).then((s) => console.log(s.join(" ")), (e) => console.log(String(e)));' "$MCP_URL" "$ORIGIN" "$at2" "$rt2" "$client_id")
[ "$statuses" = "401 400:invalid_grant" ] || fail "after logout expected access token 401 and refresh invalid_grant, got: $statuses"
ok "access token -> 401, refresh token -> invalid_grant"
log "PASS"
