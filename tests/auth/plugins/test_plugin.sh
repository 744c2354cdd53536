#!/bin/sh
# A test exec credential plugin driven by environment variables (see tests/auth/exec_plugin_test.ts):
#   PLUGIN_RECORD       file to which each run appends its KUBERNETES_EXEC_INFO (one line per run)
#   PLUGIN_API_VERSION  apiVersion of the printed ExecCredential
#   PLUGIN_TOKEN        token prefix; the printed token is "<prefix>-<run number>"
#   PLUGIN_EXPIRY       optional status.expirationTimestamp
#   PLUGIN_OUTPUT       printed verbatim instead of a generated ExecCredential
#   PLUGIN_STDERR       printed on stderr first
#   PLUGIN_READ_STDIN   when set, one stdin line is read and appended to "$PLUGIN_RECORD.stdin"
#   PLUGIN_SLEEP        seconds to sleep before answering
#   PLUGIN_EXIT         exit with this code instead of printing a credential
printf '%s' "$KUBERNETES_EXEC_INFO" >> "$PLUGIN_RECORD"
run=$(wc -l < "$PLUGIN_RECORD" | tr -d ' ')
if [ -n "$PLUGIN_STDERR" ]; then printf '%s\n' "$PLUGIN_STDERR" >&2; fi
if [ -n "$PLUGIN_READ_STDIN" ]; then
  IFS= read -r line
  printf '%s\n' "$line" >> "$PLUGIN_RECORD.stdin"
fi
if [ -n "$PLUGIN_SLEEP" ]; then sleep "$PLUGIN_SLEEP"; fi
if [ -n "$PLUGIN_EXIT" ]; then exit "$PLUGIN_EXIT"; fi
if [ -n "$PLUGIN_OUTPUT" ]; then
  printf '%s' "$PLUGIN_OUTPUT"
  exit 0
fi
expiry=""
if [ -n "$PLUGIN_EXPIRY" ]; then expiry=",\"expirationTimestamp\":\"$PLUGIN_EXPIRY\""; fi
printf '{"apiVersion":"%s","kind":"ExecCredential","status":{"token":"%s-%s"%s}}\n' \
  "$PLUGIN_API_VERSION" "$PLUGIN_TOKEN" "$run" "$expiry"
